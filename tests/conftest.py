"""Fixtures: an app over a fresh copy of the shipped dataset for every test."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import event

from api import create_app
from api.config import PROJECT_ROOT
from api.db import db
from api.loader import load_dataset

DATA_DIR = PROJECT_ROOT / "data"


@pytest.fixture(scope="session")
def loaded_database(tmp_path_factory) -> Path:
    """The shipped dataset loaded once into a SQLite file; each test gets its own copy."""
    path = tmp_path_factory.mktemp("template") / "loaded.sqlite3"
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{path}"})
    with app.app_context():
        db.create_all()
        session = db.new_session()
        load_dataset(session, DATA_DIR)
        session.close()
        db.engine.dispose()
    return path


@pytest.fixture
def database_url(loaded_database, tmp_path) -> str:
    copy = tmp_path / "test.sqlite3"
    shutil.copyfile(loaded_database, copy)
    return f"sqlite:///{copy}"


@pytest.fixture
def app(database_url):
    app = create_app({"TESTING": True, "DATABASE_URL": database_url})
    yield app
    db.session.remove()
    db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def count_queries(app):
    """Counts SQL statements sent while the returned counter is read."""
    statements: list[str] = []

    def before_execute(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", before_execute)
    yield statements
    event.remove(db.engine, "before_cursor_execute", before_execute)


def get_all(client, url: str) -> list[dict]:
    """Follow `next` links to the end and return every result."""
    results = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.json
        results.extend(response.json["results"])
        url = response.json["next"]
    return results


@pytest.fixture(scope="session")
def readonly_app(loaded_database, tmp_path_factory):
    """One app for tests that only read (the property-based API tests), shared across them."""
    copy = tmp_path_factory.mktemp("readonly") / "readonly.sqlite3"
    shutil.copyfile(loaded_database, copy)
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{copy}"})
    yield app
    db.engine.dispose()


def require_system(what: str, available: bool) -> None:
    """Skip a test whose system tool (`what`) is missing, or fail it when REQUIRE_SYSTEM_TESTS=1:
    CI installs these tools, so there a missing one is a broken build, not a reason to skip."""
    import os

    if available:
        return
    if os.environ.get("REQUIRE_SYSTEM_TESTS") == "1":
        pytest.fail(f"{what} is not available and REQUIRE_SYSTEM_TESTS=1")
    pytest.skip(f"{what} is not available (set REQUIRE_SYSTEM_TESTS=1 to fail instead)")
