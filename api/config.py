"""Settings: defaults here, overridden by the environment, then by the factory's test config."""

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Config:
    # The embedded default: a SQLite file beside the project, rebuilt by `make run` from data/.
    DATABASE_URL = f"sqlite:///{PROJECT_ROOT / 'instance' / 'social-services.sqlite3'}"
    DATA_DIR = str(PROJECT_ROOT / "data")
    # Wall-clock dates (notice validity, opening hours) are read in this zone.
    DEFAULT_TIMEZONE = "Europe/Helsinki"
    # Cache-Control max-age of every GET, in seconds.
    CACHE_MAX_AGE = 60
    # The change feed keeps at least this many days of changes.
    CHANGES_RETENTION_DAYS = 90
    # An open-ended statement (a notice, an announcement, a set of opening hours with no end) is
    # trusted for this many days after a source last said it; past that, what it says is unknown.
    KNOWLEDGE_HORIZON_DAYS = 365
    # Each process may answer a revalidation (304) without asking the database for this many
    # seconds after it last read the data version (0: ask every time).
    DATA_VERSION_TTL = 1.0
    # The editor API's largest request body, in bytes; a larger one gets 413.
    MAX_CONTENT_LENGTH = 1_000_000
    # Rate limits (api/web/ratelimit.py): "<count>/<period>", or "off". Reads are GET and HEAD
    # per client address; writes are the other methods, per bearer token (else per address).
    RATE_LIMIT_READS = "600/minute"
    RATE_LIMIT_WRITES = "120/minute"
    # Where the counters live, as a `limits` storage URI; unset: in each process's memory.
    # `redis://host:6379/0` (Redis or Valkey): shared by every process and host using it.
    RATE_LIMIT_STORAGE_URL = None
    # How many proxies in front set X-Forwarded-For (0: trust none; the peer is the client).
    PROXY_FIX_X_FOR = 0
    # The key that signs the cursors the API issues (pages, the change feed's `since`), so that
    # only those are accepted back (api/cursors.py). Unset: a random key kept in the instance
    # folder (instance/cursor-secret), shared by the processes of one host; set the same value
    # on every host. A new key turns every cursor given out before into a 400.
    CURSOR_SECRET = None
    # The right-hand side of the UIDs of the iCalendar feed's events (`<unit>-<day>-...@this`):
    # fixed, so that an event keeps its UID whichever host or port serves the feed.
    CALENDAR_UID_DOMAIN = "social-services-api.invalid"
    # Where the dumps of /v1/dumps are built, once per data version (unset: instance/dumps),
    # and how many seconds a request waits for a build before a 503 with Retry-After (the build
    # goes on); keep it well under the server's worker timeout.
    DUMPS_DIR = None
    DUMPS_BUILD_WAIT = 10.0

    API_TITLE = "Social services open data API"
    API_VERSION = "1.0.0"
    OPENAPI_VERSION = "3.1.0"
    OPENAPI_URL_PREFIX = "/v1"
    OPENAPI_JSON_PATH = "openapi.json"
    # flask-smorest's own Swagger UI loads from a CDN; it stays off.
    OPENAPI_SWAGGER_UI_PATH = None


# Settings an operator may set in the environment (documented in the README).
ENVIRONMENT_SETTINGS = {
    "DATABASE_URL": str,
    "DATA_DIR": str,
    "DEFAULT_TIMEZONE": str,
    "CACHE_MAX_AGE": int,
    "CHANGES_RETENTION_DAYS": int,
    "KNOWLEDGE_HORIZON_DAYS": int,
    "DATA_VERSION_TTL": float,
    "MAX_CONTENT_LENGTH": int,
    "RATE_LIMIT_READS": str,
    "RATE_LIMIT_WRITES": str,
    "RATE_LIMIT_STORAGE_URL": str,
    "PROXY_FIX_X_FOR": int,
    "CURSOR_SECRET": str,
    "CALENDAR_UID_DOMAIN": str,
    "DUMPS_DIR": str,
    "DUMPS_BUILD_WAIT": float,
}


def from_environment() -> dict:
    return {
        name: convert(os.environ[name])
        for name, convert in ENVIRONMENT_SETTINGS.items()
        if os.environ.get(name)
    }
