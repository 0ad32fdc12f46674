"""Fixtures: an app over a fresh copy of the shipped dataset for every test.

By default the copies are SQLite files. With TEST_DATABASE_URL set to a PostgreSQL server
(`postgresql+psycopg://postgres@127.0.0.1:5433/postgres`, see `make test-postgres`), the dataset
is loaded once into a template database and every test gets `CREATE DATABASE ... TEMPLATE` of
it, dropped afterwards. The URL's own database is only used to create and drop the others.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from flask import Flask
from sqlalchemy import create_engine, event, make_url, text
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool

from api import create_app
from api.config import PROJECT_ROOT
from api.store.collections import PUBLISHED
from api.store.db import db
from api.store.loader import load_dataset, read_dataset

DATA_DIR = PROJECT_ROOT / "data"
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL") or None
# Rate limits are off in the suite (tests/test_rate_limit.py turns them on): set here, they
# reach every app a test builds, in this process or in a server it starts.
os.environ.setdefault("RATE_LIMIT_READS", "off")
os.environ.setdefault("RATE_LIMIT_WRITES", "off")
# Tests change the data in-process and read it back at once: every request reads the data
# version (tests/test_http_caching.py tests the remembered one).
os.environ.setdefault("DATA_VERSION_TTL", "0")
# Cursors are signed with this key rather than one kept in the project's instance folder
# (tests/test_hardening_http.py tests that one).
os.environ.setdefault("CURSOR_SECRET", "a key for the test suite only")
# Dumps are built outside the project's instance folder (the `app` fixture gives each test
# its own folder; other apps and servers share this one, keyed by data version).
os.environ.setdefault("DUMPS_DIR", tempfile.mkdtemp(prefix="dumps-"))
# Deselected when the suite runs a second time on PostgreSQL: they start browsers or build
# SDKs over a SQLite live server, or are slow property tests of the SQL conditions; the rest
# of the suite covers every query they make.
SQLITE_ONLY_MODULES = (
    "test_docs_browser.py",
    "test_sdk.py",
    "test_widget_browser.py",
    "test_status_properties.py",
    # Its own generated SQLite database whatever the run: on PostgreSQL it would only repeat.
    "test_dumps_server.py",
)


class _Postgres:
    """Creates and drops the suite's databases on the server at TEST_DATABASE_URL."""

    def __init__(self, url: str) -> None:
        self.url = make_url(url)
        self.prefix = f"test_{os.getpid()}"
        self._names = itertools.count()
        self._engine: Engine | None = None
        self.created: list[str] = []

    @property
    def admin(self) -> Engine:
        if self._engine is None:
            self._engine = create_engine(self.url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        return self._engine

    def reachable(self) -> tuple[bool, str]:
        try:
            with self.admin.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception as error:  # noqa: BLE001 - any failure means "not usable"
            return False, str(error).splitlines()[0]
        return True, ""

    def create(self, label: str, template: str | None = None) -> str:
        name = f"{self.prefix}_{next(self._names)}_{label}"
        statement = f'CREATE DATABASE "{name}"'
        if template:
            statement += f' TEMPLATE "{template}"'
        with self.admin.connect() as connection:
            connection.execute(text(statement))
        self.created.append(name)
        return name

    def drop(self, name: str) -> None:
        # WITH (FORCE) terminates whatever connections a test left behind (PostgreSQL 13+).
        with self.admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        if name in self.created:
            self.created.remove(name)

    def url_of(self, name: str) -> str:
        return self.url.set(database=name).render_as_string(hide_password=False)


POSTGRES = _Postgres(TEST_DATABASE_URL) if TEST_DATABASE_URL else None


def postgres() -> _Postgres:
    """The server in PostgreSQL mode; a missing one fails (REQUIRE_SYSTEM_TESTS=1) or skips."""
    available, reason = POSTGRES.reachable()
    require_system(f"PostgreSQL at {TEST_DATABASE_URL} ({reason})", available)
    return POSTGRES


def empty_database_url(directory: Path, label: str = "fresh") -> str:
    """A new, empty database: a SQLite file in `directory`, or a PostgreSQL database (dropped
    at the end of the session) in PostgreSQL mode. For tests and modules that build their own."""
    if POSTGRES is None:
        return f"sqlite:///{Path(directory) / f'{label}.sqlite3'}"
    server = postgres()
    return server.url_of(server.create(label))


def generated_app(directory: Path, units: int, seed: int) -> Iterator[Flask]:
    """An app over a dataset of `units` generated units (api.store.generate) in a new database
    in `directory`, for a module's fixture to yield from."""
    from api.store.generate import generate

    app = create_app({"TESTING": True, "DATABASE_URL": empty_database_url(directory, "generated")})
    with app.app_context():
        session = db.new_session()
        generate(session, units=units, seed=seed)
        session.close()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def pytest_collection_modifyitems(config, items):
    if POSTGRES is None:
        return
    deselected = [item for item in items if item.path.name in SQLITE_ONLY_MODULES]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if item.path.name not in SQLITE_ONLY_MODULES]


def pytest_sessionfinish(session, exitstatus):
    if POSTGRES is not None:
        for name in list(POSTGRES.created):
            POSTGRES.drop(name)
        POSTGRES.admin.dispose()


def _load(url: str) -> None:
    app = create_app({"TESTING": True, "DATABASE_URL": url})
    with app.app_context():
        db.create_all()
        session = db.new_session()
        load_dataset(session, DATA_DIR)
        session.close()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def loaded_database(tmp_path_factory) -> Path:
    """The shipped dataset loaded once into a SQLite file; each test gets its own copy (the live
    servers of the browser and SDK tests use it too, in either mode)."""
    path = tmp_path_factory.mktemp("template") / "loaded.sqlite3"
    _load(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def loaded_template():
    """PostgreSQL mode: the name of a database holding the shipped dataset, to copy from."""
    server = postgres()
    name = server.create("template")
    _load(server.url_of(name))
    yield name
    server.drop(name)


@pytest.fixture
def fresh_database_url(tmp_path):
    """`fresh_database_url(label)` -> the URL of a new, empty database in either mode."""
    created: list[str] = []

    def make(label: str = "fresh") -> str:
        url = empty_database_url(tmp_path, label)
        created.append(url)
        return url

    yield make
    if POSTGRES is not None:
        for url in created:
            POSTGRES.drop(make_url(url).database)


def _copy_of_loaded(request, directory: Path, label: str) -> str:
    if POSTGRES is None:
        copy = directory / f"{label}.sqlite3"
        shutil.copyfile(request.getfixturevalue("loaded_database"), copy)
        return f"sqlite:///{copy}"
    template = request.getfixturevalue("loaded_template")
    return POSTGRES.url_of(POSTGRES.create(label, template=template))


@pytest.fixture
def database_url(request, tmp_path) -> str:
    url = _copy_of_loaded(request, tmp_path, "test")
    yield url
    if POSTGRES is not None:
        POSTGRES.drop(make_url(url).database)


@pytest.fixture
def app(database_url, tmp_path):
    config = {"TESTING": True, "DATABASE_URL": database_url, "DUMPS_DIR": str(tmp_path / "dumps")}
    app = create_app(config)
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


# Headless Chromium for the browser tests (Debian's `chromium` and `chromium-driver`).
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1280,1600",
)


@pytest.fixture
def browser(tmp_path):
    """A headless Chromium driven by selenium; skipped (or failed, with REQUIRE_SYSTEM_TESTS=1)
    without chromium, chromedriver or selenium."""
    chromium, chromedriver = shutil.which("chromium"), shutil.which("chromedriver")
    require_system("chromium", chromium is not None)
    require_system("chromedriver (Debian's chromium-driver)", chromedriver is not None)
    try:
        from selenium import webdriver
    except ImportError:
        require_system("the selenium package (dev extras)", False)

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # console messages
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(
        options=options, service=webdriver.ChromeService(executable_path=chromedriver)
    )
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def require_system(what: str, available: bool) -> None:
    """Skip a test whose system tool (`what`) is missing, or fail it when REQUIRE_SYSTEM_TESTS=1:
    CI installs these tools, so there a missing one is a broken build, not a reason to skip."""
    if available:
        return
    if os.environ.get("REQUIRE_SYSTEM_TESTS") == "1":
        pytest.fail(f"{what} is not available and REQUIRE_SYSTEM_TESTS=1")
    pytest.skip(f"{what} is not available (set REQUIRE_SYSTEM_TESTS=1 to fail instead)")


def sdk_node_modules() -> Path:
    """tests/sdk/node_modules (the Node tools and packages pinned in tests/sdk/package-lock.json),
    installed by `npm ci` when missing or older than the lock file, as the Makefile does. Without
    Node and npm the test is skipped (or fails, with REQUIRE_SYSTEM_TESTS=1)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    require_system("node", node is not None)
    require_system("npm", npm is not None)
    sdk_dir = PROJECT_ROOT / "tests" / "sdk"
    stamp = sdk_dir / "node_modules" / ".installed"
    lock = sdk_dir / "package-lock.json"
    if not stamp.exists() or stamp.stat().st_mtime < lock.stat().st_mtime:
        result = subprocess.run(
            [npm, "ci", "--prefix", str(sdk_dir), "--no-audit", "--no-fund"],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        require_system(
            f"the npm packages of tests/sdk ({result.stderr[-500:]})", not result.returncode
        )
        stamp.touch()
    return sdk_dir / "node_modules"


def shipped_records(published_only: bool = False) -> int:
    """How many records the shipped data/ holds (published ones: those of the collections
    that the dumps and the change feed carry)."""
    dataset = read_dataset(DATA_DIR)
    if not published_only:
        return sum(len(records) for records in dataset.values())
    return sum(len(dataset[kind.name]) for kind in PUBLISHED)


def load_data(app, directory: Path):
    """Load a data directory into the app's database, as `flask data load` does."""
    with app.app_context():
        session = db.new_session()
        try:
            return load_dataset(session, directory)
        finally:
            session.close()


def edit_yaml(path: Path, change) -> None:
    """Change the records of a data file in place: `change(records)`."""
    records = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(records)
    path.write_text(yaml.safe_dump(records, allow_unicode=True, sort_keys=False), encoding="utf-8")
