"""Alembic's environment: the models' metadata, and the database from DATABASE_URL (or from
what api.store.migrations.alembic_config was given)."""

from __future__ import annotations

from logging.config import fileConfig
from typing import Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy.engine import Engine
from sqlalchemy.types import TypeDecorator

import api.store.models  # noqa: F401 - registers every table on the metadata
from api.config import Config, from_environment
from api.store.db import Base, make_engine
from api.store.migrations import include_object

config = context.config
if config.config_file_name and config.cmd_opts is not None:  # the alembic command line
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata


def database_url() -> str:
    return (
        config.get_main_option("sqlalchemy.url")
        or from_environment().get("DATABASE_URL")
        or Config.DATABASE_URL
    )


def render_item(type_: str, obj: object, autogen_context: AutogenContext) -> str | Literal[False]:
    """The app's column types (api.store.db) are written as the plain types they store as, so that
    a migration keeps working whatever later happens to the app's code."""
    if type_ == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl!r}"
    return False


def run_migrations_offline() -> None:
    context.configure(
        url=database_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        include_object=include_object,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    given: Engine | None = config.attributes.get("engine")
    engine = make_engine(database_url()) if given is None else given
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                include_object=include_object,
                render_item=render_item,
                # SQLite alters a table by copying it; Alembic's batch mode does that.
                render_as_batch=connection.dialect.name == "sqlite",
            )
            with context.begin_transaction():
                context.run_migrations()
            connection.commit()
    finally:
        if given is None:  # made here
            engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
