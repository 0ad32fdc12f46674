"""Engine, sessions and the declarative base. No Flask here: the loader and the CLI use it too."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import DateTime, MetaData, create_engine, event, make_url
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.engine.interfaces import DBAPIConnection, DBAPICursor
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.types import TypeDecorator

if TYPE_CHECKING:  # for the annotation only: nothing here needs Flask to run
    from flask import Flask

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# A session, or the request-scoped proxy to one (Database.session): both take the same calls.
AnySession = Session | scoped_session[Session]


class UTCDateTime(TypeDecorator[datetime]):
    """An instant stored in UTC and always returned timezone-aware (SQLite keeps no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime; instants must carry an offset")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else in_utc(value)


def in_utc(value: datetime) -> datetime:
    """An instant as read back: naive ones are UTC (SQLite keeps no offset)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        # Writers queue for the write lock (api.store.db.lock_for_writing) for up to 30 s.
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
    else:
        # A server may drop idle connections (restarts, failovers): test each before use.
        # PostgreSQL's JIT compiles plans that run in milliseconds for up to a second and a half
        # (the status filters' counts): it stays off for this app's sessions.
        options = {"options": "-c jit=off"} if url.startswith("postgresql") else {}
        engine = create_engine(url, pool_pre_ping=True, connect_args=options)
    _speak_the_dialect(engine)
    return engine


def _speak_the_dialect(engine: Engine) -> None:
    """Everything that only one database needs, in one place; the rest of the code is
    dialect-neutral SQLAlchemy (ids sort bytewise on both: api.store.models.ID)."""
    if engine.dialect.name == "sqlite":
        in_memory = engine.url.database in (None, "", ":memory:")

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(
            dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry
        ) -> None:
            # Foreign keys are off by default in SQLite; WAL lets readers run beside the loader.
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            if not in_memory:
                cursor.execute("PRAGMA journal_mode=WAL")
                # In WAL mode, FULL syncs the log at every commit: a write that was acknowledged
                # survives a crash of the process and of the machine (NORMAL may lose the last
                # ones on power loss).
                cursor.execute("PRAGMA synchronous=FULL")
            cursor.close()

    elif engine.dialect.name == "postgresql":

        @event.listens_for(engine, "before_cursor_execute", retval=True)
        def _no_nul_in_lookups(
            _conn: Connection,
            _cursor: DBAPICursor,
            statement: str,
            parameters: object,
            context: DefaultExecutionContext | None,
            _executemany: bool,
        ) -> tuple[str, object]:
            # PostgreSQL text cannot hold NUL, and refuses a query that binds one, where SQLite
            # simply finds nothing. A value from a URL (a filter, a cursor) with NUL in it cannot
            # match any stored text, nor can it with U+FFFD instead, which PostgreSQL accepts.
            # Writes are left alone: bad data must fail loudly.
            if context is not None and (context.isinsert or context.isupdate or context.isdelete):
                return statement, parameters
            if isinstance(parameters, dict):
                parameters = {key: _without_nul(value) for key, value in parameters.items()}
            return statement, parameters


WRITE_LOCK_KEY = 7_310_001  # any constant: the PostgreSQL advisory lock every writer takes


def lock_for_writing(session: Session) -> None:
    """Start the session's transaction holding the database's write lock, before it reads what
    it will change: writers (API requests, a reload) run one at a time, a read-check-write such
    as If-Match cannot interleave with another writer, and change-feed sequence numbers commit
    in order. Call first thing in the transaction."""
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        dbapi_connection = connection.connection.dbapi_connection
        assert dbapi_connection is not None  # only an invalidated connection has none
        if not dbapi_connection.in_transaction:
            # IMMEDIATE takes the lock now (waiting up to the busy timeout) rather than at the
            # first write, when a snapshot taken by an earlier read could already be stale.
            connection.exec_driver_sql("BEGIN IMMEDIATE")
    elif connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})")


@contextmanager
def read_snapshot(engine: Engine) -> Iterator[Session]:
    """A session whose every read sees one snapshot of the database, as of its first read:
    a REPEATABLE READ transaction on PostgreSQL, one (deferred) transaction on SQLite, where
    a reader in WAL mode keeps its snapshot until it ends. Rolled back at the end."""
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
        elif connection.dialect.name == "sqlite":
            # pysqlite opens a transaction only before a write: open it now, for the reads.
            connection.exec_driver_sql("BEGIN")
        session = Session(bind=connection, expire_on_commit=False)
        try:
            yield session
        finally:
            session.close()
            connection.rollback()


def _without_nul(value: object) -> object:
    return value.replace("\x00", "\ufffd") if isinstance(value, str) and "\x00" in value else value


class Database:
    """One engine and a request-scoped session; `init_app` wires it into a Flask app."""

    def __init__(self) -> None:
        self.engine: Engine | None = None
        self.session = scoped_session(sessionmaker(expire_on_commit=False))

    def configure(self, url: str) -> None:
        if self.engine is not None:
            self.session.remove()
            self.engine.dispose()
        self.engine = make_engine(url)
        self.session.configure(bind=self.engine)

    def configured_engine(self) -> Engine:
        assert self.engine is not None, "configure() the database first"
        return self.engine

    def create_all(self) -> None:
        Base.metadata.create_all(self.configured_engine())

    def new_session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def init_app(self, app: Flask) -> None:
        self.configure(app.config["DATABASE_URL"])
        app.teardown_appcontext(lambda _exc: self.session.remove())
        app.extensions["db"] = self


db = Database()
