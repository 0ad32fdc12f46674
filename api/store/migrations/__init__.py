"""The schema's history as Alembic migrations, on SQLite and PostgreSQL alike.

`make migrate` (`flask --app wsgi db upgrade`) brings the database at DATABASE_URL to the newest
revision; `flask --app wsgi db revision -m "..."` writes a new one from the models' difference
to the database (review it before committing). tests/test_migrations.py fails when the models
and the migrations disagree.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine
from sqlalchemy.schema import SchemaItem

DIRECTORY = Path(__file__).resolve().parent


def alembic_config(url: str | None = None, engine: Engine | None = None) -> Config:
    """Alembic's configuration for `url` (default: DATABASE_URL, as the app reads it), or for
    an existing engine."""
    config = Config(str(DIRECTORY / "alembic.ini"))
    config.set_main_option("script_location", str(DIRECTORY))
    if url:
        # ConfigParser interpolation: a literal % in a password is written %%.
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def include_object(
    obj: SchemaItem,
    name: str | None,
    type_: str,
    reflected: bool,
    compare_to: SchemaItem | None,
) -> bool:
    """What migrations manage: the models' tables. Tables made outside them (the full-text
    search index, api/search.py) are neither dropped by autogenerate nor compared."""
    return not (type_ == "table" and reflected and compare_to is None)


def upgrade(url: str | None = None, revision: str = "head", engine: Engine | None = None) -> None:
    command.upgrade(alembic_config(url, engine), revision)


def ensure_schema(engine: Engine) -> None:
    """Before loading data: an empty database gets the schema from the migrations, one they
    manage is brought to the newest revision, and one made otherwise (the tests' create_all)
    is left as it is."""
    from sqlalchemy import inspect

    import api.store.models  # noqa: F401 - the metadata's tables
    from api.store.db import Base

    tables = set(inspect(engine).get_table_names())
    if "alembic_version" in tables or not tables & set(Base.metadata.tables):
        upgrade(engine=engine)
