"""The Alembic migrations (api/migrations) build exactly the schema the models declare, on the
database the suite runs on (SQLite, or PostgreSQL under `make test-postgres`)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from conftest import shipped_records
from sqlalchemy import inspect

from api import create_app
from api.store.db import Base, db, make_engine
from api.store.migrations import alembic_config, include_object, upgrade

# What the suite's own databases hold besides the models' tables (from create_all, none).
BOOKKEEPING = {"alembic_version"}


def differences(url: str) -> list:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"include_object": include_object, "compare_type": True}
            )
            return compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()


def test_the_migrations_build_the_schema_the_models_declare(fresh_database_url):
    url = fresh_database_url("migrated")
    upgrade(url)
    assert differences(url) == []


def test_there_is_one_head_and_the_database_is_at_it(fresh_database_url):
    url = fresh_database_url("head")
    upgrade(url)
    script = ScriptDirectory.from_config(alembic_config(url))
    assert len(script.get_heads()) == 1
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            assert MigrationContext.configure(connection).get_current_revision() == (
                script.get_current_head()
            )
    finally:
        engine.dispose()


def test_downgrading_to_base_removes_every_table_and_upgrading_again_works(fresh_database_url):
    from alembic import command

    url = fresh_database_url("roundtrip")
    upgrade(url)
    command.downgrade(alembic_config(url), "base")
    engine = make_engine(url)
    try:
        assert set(inspect(engine).get_table_names()) <= BOOKKEEPING
    finally:
        engine.dispose()
    # The comparison does see a schema that is not the models': here, every table is missing.
    missing = {diff[1].name for diff in differences(url) if diff[0] == "add_table"}
    assert missing == set(Base.metadata.tables)
    upgrade(url)
    assert differences(url) == []


def test_make_migrate_then_data_load_serves_the_dataset(fresh_database_url):
    """`make migrate` (flask db upgrade) on an empty database, then `flask data load`."""
    url = fresh_database_url("cli")
    app = create_app({"TESTING": True, "DATABASE_URL": url})
    runner = app.test_cli_runner()
    try:
        result = runner.invoke(args=["db", "upgrade"])
        assert result.exit_code == 0, result.output
        result = runner.invoke(args=["data", "load"])
        assert result.exit_code == 0, result.output
        assert f"{shipped_records()} created" in result.output
        assert app.test_client().get("/v1/units/pakila-work-centre").status_code == 200
    finally:
        db.session.remove()
        db.engine.dispose()
    assert differences(url) == []


def test_data_load_on_an_empty_database_creates_the_schema_by_migrating(fresh_database_url):
    url = fresh_database_url("load")
    app = create_app({"TESTING": True, "DATABASE_URL": url})
    try:
        result = app.test_cli_runner().invoke(args=["data", "load"])
        assert result.exit_code == 0, result.output
        assert "alembic_version" in inspect(db.engine).get_table_names()
    finally:
        db.session.remove()
        db.engine.dispose()
