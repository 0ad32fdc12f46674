"""Settings from the environment, with defaults that work on a fresh machine."""

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Config:
    # The embedded default: a SQLite file beside the project, rebuilt by `make run` from data/.
    DATABASE_URL = os.environ.get(
        "DATABASE_URL", f"sqlite:///{PROJECT_ROOT / 'instance' / 'social-services.sqlite3'}"
    )
    DATA_DIR = os.environ.get("DATA_DIR", str(PROJECT_ROOT / "data"))
    # Wall-clock dates (notice validity, opening hours) are read in this zone.
    DEFAULT_TIMEZONE = os.environ.get("DEFAULT_TIMEZONE", "Europe/Helsinki")
    DEFAULT_PAGE_SIZE = 20
    MAX_PAGE_SIZE = 500

    API_TITLE = "Social services open data API"
    API_VERSION = "1.0.0"
    OPENAPI_VERSION = "3.1.0"
    OPENAPI_URL_PREFIX = "/v1"
    OPENAPI_JSON_PATH = "openapi.json"
    # The interactive docs page is served by the project itself (see api/docs.py), not from a CDN.
    OPENAPI_SWAGGER_UI_PATH = None
    JSON_SORT_KEYS = False
