"""Rate limits: anonymous reads per client address, writes per token (or address).

The algorithm is a fixed window: time is cut into windows of the policy's length (aligned on
the epoch), and each client has one counter per window. A request adds one to its counter and
is refused with 429 once the counter passes the limit, until the window ends. It is the
simplest algorithm that needs only an atomic increment from the storage: one statement per
request and one row per client and window. Its known weakness is the boundary: a client can
spend its whole allowance at the end of one window and again at the start of the next, so at
worst twice the limit passes within one window's length. For protecting a read-mostly open
data API that is an acceptable price for being obviously correct across processes.

Counters live in a SQL table (`rate_limit_counters`, SQLAlchemy Core, not one of the models:
the migrations neither make nor see it), incremented with `INSERT ... ON CONFLICT DO UPDATE ...
RETURNING` (SQLite >= 3.35 and PostgreSQL), so every worker process and every host sharing the
storage shares the counts. The storage has its own engine, from `RATE_LIMIT_STORAGE_URL`, or
by default: beside a SQLite database file, a second SQLite file (`<database>.rate-limits.sqlite3`,
WAL, `synchronous=OFF`: counters need no durability, and the dataset's file gets no write per
read); on PostgreSQL, the same database (an UNLOGGED table: no WAL for the counters). Expired
windows are deleted now and then. If the storage fails, requests pass (and it is logged): the
limiter protects the API, it must not take it down.

Policies are `<count>/<period>` (`600/minute`, `1000/hour`, `50/10 seconds`), or `off`/`0`:
`RATE_LIMIT_READS` for GET and HEAD, keyed by client address (an IPv6 address by its /64, which
one subscriber usually holds whole); `RATE_LIMIT_WRITES` for the others (not OPTIONS), by the
public part of the bearer token when there is one (`sst_<public id>_<secret>`; never verified
here and never stored whole), else by address. The client address is `request.remote_addr`:
behind proxies, `PROXY_FIX_X_FOR` (api/__init__.py) makes it the real client's.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from apispec import APISpec
from flask import Flask, current_app, request
from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    bindparam,
    create_engine,
    delete,
    event,
    inspect,
    make_url,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.pool import ConnectionPoolEntry, StaticPool
from sqlalchemy.sql.dml import ReturningInsert
from werkzeug.wrappers import Response

from api.problems import Problem
from api.store.tokens import public_id_of
from api.web.http import PROBLEM_JSON
from api.web.pipeline import BaseStep, state

READ_METHODS = ("GET", "HEAD")
# Static files: the docs page's Swagger UI assets and Flask's own static route.
EXEMPT_ENDPOINTS = ("static", "docs.static")
TABLE = "rate_limit_counters"
# How often (seconds) a process deletes expired windows.
PRUNE_INTERVAL = 60
PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
# The WSGI environ key of a request api.web.replay counted already.
COUNTED = "api.web.ratelimit.counted"
POLICY_PATTERN = re.compile(r"(\d+)\s*/\s*(\d*)\s*(second|minute|hour|day)s?", re.IGNORECASE)


# --- Policies and keys -----------------------------------------------------------------------


@dataclass(frozen=True)
class Policy:
    kind: str  # "reads" or "writes": also the counters' key prefix
    limit: int
    period: int  # seconds

    @property
    def header(self) -> str:
        return f"{self.limit};w={self.period}"

    def describe(self) -> str:
        names = {1: "a second", 60: "a minute", 3600: "an hour", 86400: "a day"}
        per = names.get(self.period, f"every {self.period} seconds")
        return f"{self.limit} {self.kind} {per}"


def parse_policy(kind: str, value: str | int | None) -> Policy | None:
    """`600/minute` -> Policy; `off`, `0` or nothing -> None (no limit)."""
    text = str(value if value is not None else "").strip()
    if text.lower() in ("", "0", "off"):
        return None
    match = POLICY_PATTERN.fullmatch(text)
    if not match or int(match[1]) == 0 or match[2] == "0":
        raise ValueError(
            f"rate limit for {kind}: expected '<count>/<period>' such as '600/minute' or "
            f"'50/10 seconds', or 'off'; got {text!r}"
        )
    period = int(match[2] or 1) * PERIODS[match[3].lower()]
    return Policy(kind, int(match[1]), period)


def address_key(remote_addr: str | None) -> str:
    """A client address as a counter key: IPv4 as is, IPv6 by its /64."""
    try:
        address = ipaddress.ip_address(remote_addr or "")
    except ValueError:
        return (remote_addr or "unknown")[:64]
    if address.version == 6:
        if address.ipv4_mapped:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def token_public_id(authorization: str | None) -> str | None:
    """The public id of a bearer token in an Authorization header, unverified."""
    scheme, _, credentials = (authorization or "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return public_id_of(credentials.strip())


# --- Storage ---------------------------------------------------------------------------------


class Storage(Protocol):
    def increment(self, key: str, window_start: int, expires_at: int, now: float) -> int:
        """Add one to the counter of (key, window) and return its new value, atomically."""

    def close(self) -> None:
        """Release connections."""


def default_storage_url(config: Mapping[str, Any]) -> str:
    """RATE_LIMIT_STORAGE_URL; else a SQLite file beside a SQLite database, or the database."""
    if config.get("RATE_LIMIT_STORAGE_URL"):
        return config["RATE_LIMIT_STORAGE_URL"]
    database_url = config["DATABASE_URL"]
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return database_url
    if url.database in (None, "", ":memory:"):
        return "sqlite://"
    return url.set(database=f"{url.database}.rate-limits.sqlite3").render_as_string(
        hide_password=False
    )


def _counter_table(unlogged: bool) -> Table:
    return Table(
        TABLE,
        MetaData(),
        Column("key", String(120), nullable=False),
        Column("window_start", BigInteger, nullable=False),
        Column("hits", Integer, nullable=False),
        Column("expires_at", BigInteger, nullable=False),
        PrimaryKeyConstraint("key", "window_start", name=f"pk_{TABLE}"),
        Index(f"ix_{TABLE}_expires_at", "expires_at"),
        prefixes=["UNLOGGED"] if unlogged else [],
    )


def _storage_engine(url: str) -> Engine:
    """The counters' engine. SQLite: WAL and no fsync (losing a few counts in a crash is fine);
    an in-memory database is one connection shared by every thread."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        # No pre-ping (a round trip per request): after a lost connection the pool is
        # invalidated, and the one request that met it passes uncounted.
        return create_engine(url)
    if parsed.database in (None, "", ":memory:"):
        return create_engine(url, poolclass=StaticPool, connect_args={"check_same_thread": False})
    Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.close()

    return engine


class SqlStorage:
    """Counters in a SQL table, shared by every process using the same database. The engine
    and the table are made on first use, so an app that never counts opens nothing."""

    def __init__(self, url: str) -> None:
        backend = make_url(url).get_backend_name()
        if backend not in ("sqlite", "postgresql"):
            raise ValueError(f"rate limit storage: {backend} is not supported (SQLite, PostgreSQL)")
        self.url = url
        self._engine: Engine | None = None
        self._lock = threading.Lock()
        self._next_prune = 0.0

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            with self._lock:
                if self._engine is None:
                    engine = _storage_engine(self.url)
                    self.table = _counter_table(engine.dialect.name == "postgresql")
                    try:
                        self._create_table(engine)
                    except BaseException:
                        engine.dispose()
                        raise
                    self._increment = _upsert(engine.dialect.name, self.table)
                    self._engine = engine
        return self._engine

    def _create_table(self, engine: Engine) -> None:
        try:
            self.table.metadata.create_all(engine)
        except DBAPIError:
            # Another process created it between create_all's check and its CREATE TABLE.
            if not inspect(engine).has_table(TABLE):
                raise

    def increment(self, key: str, window_start: int, expires_at: int, now: float) -> int:
        engine = self.engine
        if now >= self._next_prune:
            self._next_prune = now + PRUNE_INTERVAL
            self.prune(now)
        with engine.begin() as connection:
            return connection.execute(
                self._increment,
                {"key": key, "window_start": window_start, "expires_at": expires_at},
            ).scalar_one()

    def prune(self, now: float) -> int:
        """Delete the counters of windows that have ended; return how many."""
        with self.engine.begin() as connection:
            statement = delete(self.table).where(self.table.c.expires_at <= int(now))
            return connection.execute(statement).rowcount

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


def _upsert(dialect: str, table: Table) -> ReturningInsert[Any]:
    """The atomic increment, in the one dialect-specific statement of this module."""
    inserts: dict[str, Callable[[Table], sqlite.Insert | postgresql.Insert]] = {
        "sqlite": sqlite.insert,
        "postgresql": postgresql.insert,
    }
    insert = inserts[dialect]
    statement = insert(table).values(
        key=bindparam("key"),
        window_start=bindparam("window_start"),
        hits=1,
        expires_at=bindparam("expires_at"),
    )
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.key, table.c.window_start],
        set_={"hits": table.c.hits + 1},
    )
    return statement.returning(table.c.hits)


# --- The limiter -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Usage:
    """A client's standing in the current window, after counting this request."""

    policy: Policy
    client: str  # the counter's key: "addr:<address>" or "token:<public id>"
    count: int
    reset: int  # whole seconds until the window ends, at least 1

    @property
    def exceeded(self) -> bool:
        return self.count > self.policy.limit

    @property
    def remaining(self) -> int:
        return max(0, self.policy.limit - self.count)

    def headers(self) -> dict[str, str]:
        return {
            "RateLimit-Limit": str(self.policy.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset),
            "RateLimit-Policy": self.policy.header,
        }


class RateLimiter:
    def __init__(
        self,
        reads: Policy | None,
        writes: Policy | None,
        storage: Storage,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.reads = reads
        self.writes = writes
        self.storage = storage
        self.clock = clock

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> RateLimiter:
        return cls(
            parse_policy("reads", config.get("RATE_LIMIT_READS")),
            parse_policy("writes", config.get("RATE_LIMIT_WRITES")),
            SqlStorage(default_storage_url(config)),
        )

    @property
    def enabled(self) -> bool:
        return self.reads is not None or self.writes is not None

    def hit(self, policy: Policy, client: str) -> Usage:
        now = self.clock()
        window_start = int(now // policy.period) * policy.period
        ends = window_start + policy.period
        count = self.storage.increment(f"{policy.kind}:{client}", window_start, ends, now)
        return Usage(policy, client, count, max(1, math.ceil(ends - now)))

    def count(
        self,
        method: str,
        remote_addr: str | None,
        authorization: str | None,
        logger: logging.Logger,
    ) -> Usage | None:
        """Count one request: reads by client address, writes by token (else address). None
        when its kind is not limited, or when the storage fails (logged: requests then pass)."""
        if method in READ_METHODS:
            policy, client = self.reads, f"addr:{address_key(remote_addr)}"
        else:
            public_id = token_public_id(authorization)
            client = f"token:{public_id}" if public_id else f"addr:{address_key(remote_addr)}"
            policy = self.writes
        if policy is None:
            return None
        try:
            return self.hit(policy, client)
        except (SQLAlchemyError, OSError) as error:
            logger.warning("rate limit storage failed, not limiting: %s", error)
            return None

    def close(self) -> None:
        self.storage.close()


class RateLimits(BaseStep):
    """Counts every request but preflights and static files (a 304 too), and refuses one over
    its limit with a 429 problem; every counted answer carries the RateLimit headers. A request
    that api.web.replay counted and then left to Flask (because it is over the limit) is not
    counted again."""

    def __init__(self, limiter: RateLimiter) -> None:
        self.limiter = limiter

    def before(self) -> Response | None:
        if (
            not self.limiter.enabled
            or request.method == "OPTIONS"
            or request.endpoint in EXEMPT_ENDPOINTS
        ):
            return None
        usage = request.environ.pop(COUNTED, None) or self.limiter.count(
            request.method,
            request.remote_addr,
            request.headers.get("Authorization"),
            current_app.logger,
        )
        if usage is None:
            return None
        state().rate_limit = usage
        if not usage.exceeded:
            return None
        who = "token" if usage.client.startswith("token:") else "client address"
        raise Problem(
            429,
            f"Too many requests: the limit is {usage.policy.describe()} per {who}. "
            f"Try again in {usage.reset} seconds.",
            headers={"Retry-After": str(usage.reset)},
        )

    def after(self, response: Response) -> Response:
        usage = state().rate_limit
        if usage is not None:
            response.headers.update(usage.headers())
        return response


def limiter_of(app: Flask) -> RateLimiter:
    """The app's rate limiter, made from its settings once."""
    limiter = app.extensions.get("ratelimit")
    if limiter is None:
        limiter = app.extensions["ratelimit"] = RateLimiter.from_config(app.config)
    return limiter


# --- The spec --------------------------------------------------------------------------------


def _integer_header(description: str, minimum: int) -> dict:
    return {
        "description": description,
        "required": True,
        "schema": {"type": "integer", "minimum": minimum},
    }


def document(spec: APISpec) -> None:
    """Declare the 429 answer (a `TooManyRequests` response component) on every operation of
    an apispec `APISpec`, as `Api.finalize_spec` edits it. Documented whatever the settings, so
    the spec does not depend on the deployment."""
    spec.components.response(
        "TooManyRequests",
        {
            "description": "Too many requests from this client in the current window (anonymous "
            "reads per client address, writes per token); retry after `Retry-After` seconds.",
            "headers": {
                "Retry-After": _integer_header("Seconds until the limit resets.", 1),
                "RateLimit-Limit": _integer_header("Requests allowed in a window.", 1),
                "RateLimit-Remaining": _integer_header("Requests left in this window.", 0),
                "RateLimit-Reset": _integer_header("Seconds until this window ends.", 1),
                "RateLimit-Policy": {
                    "description": "The policy: `<limit>;w=<window in seconds>`.",
                    "required": True,
                    "schema": {"type": "string", "example": "600;w=60"},
                },
            },
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        },
    )
    methods = {"get", "head", "post", "put", "patch", "delete", "options"}
    for item in spec._paths.values():
        for method, operation in item.items():
            if method in methods:
                operation["responses"]["429"] = {"$ref": "#/components/responses/TooManyRequests"}
