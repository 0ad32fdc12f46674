"""Rate limits: anonymous reads per client address, writes per token (or address).

The counting is the `limits` library's fixed window: a client's window opens with its first
request and lasts the policy's length; each request adds one to the window's counter and is
refused with 429 once the counter passes the limit, until the window ends. One atomic
increment per request. Its known weakness is the boundary: a client can spend its whole
allowance at the end of one window and again at the start of the next, so at worst twice the
limit passes within one window's length: an acceptable price for a read-mostly open data API.

The counters live where RATE_LIMIT_STORAGE_URL (a `limits` storage URI) says: unset, in each
process's memory (`memory://`), so each worker process of a server counts on its own; with
`redis://host:6379/0` (Redis, or Valkey, which speaks its protocol) every process and host
using it shares the counts. Never in the API's database: a read writes nothing there (which
allows read replicas). If the storage fails, requests pass (and it is logged): the limiter
protects the API, it must not take it down.

Policies are `<count>/<period>` (`600/minute`, `1000/hour`, `50/10 seconds`), or `off`/`0`:
`RATE_LIMIT_READS` for GET and HEAD, keyed by client address (an IPv6 address by its /64, which
one subscriber usually holds whole); `RATE_LIMIT_WRITES` for the others (not OPTIONS), by the
public part of the bearer token when there is one (`sst_<public id>_<secret>`; never verified
here and never stored whole), else by address. The client address is `request.remote_addr`:
behind proxies, `PROXY_FIX_X_FOR` (api/app.py) makes it the real client's.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from apispec import APISpec
from flask import Flask, current_app, request
from limits import RateLimitItemPerSecond
from limits.errors import ConfigurationError, StorageError
from limits.storage import Storage, storage_from_string
from werkzeug.wrappers import Response

from api.problems import Problem
from api.store.tokens import public_id_of
from api.web.http import PROBLEM_JSON
from api.web.pipeline import BaseStep, state

READ_METHODS = ("GET", "HEAD")
# Static files: the docs page's Swagger UI assets and Flask's own static route.
EXEMPT_ENDPOINTS = ("static", "docs.static")
PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
POLICY_PATTERN = re.compile(r"(\d+)\s*/\s*(\d*)\s*(second|minute|hour|day)s?", re.IGNORECASE)


# --- Policies and keys -----------------------------------------------------------------------


@dataclass(frozen=True)
class Policy:
    kind: str  # "reads" or "writes": also the counters' key prefix
    limit: int
    period: int  # seconds

    @property
    def item(self) -> RateLimitItemPerSecond:
        """The policy as a `limits` item: `limit` per `period` seconds."""
        return RateLimitItemPerSecond(self.limit, self.period, namespace="ratelimit")

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

# Redis (and Valkey, which speaks its protocol) waits this long for a connection or an answer:
# a storage that does not answer must not hold every request up.
REDIS_TIMEOUTS = {"socket_connect_timeout": 1.0, "socket_timeout": 1.0}


def make_storage(url: str | None) -> Storage:
    """The counters' storage from a `limits` storage URI (RATE_LIMIT_STORAGE_URL): unset, in
    this process's memory; `redis://host:6379/0` (Redis or Valkey) for counts that every
    process and host using it shares. An unknown scheme is refused at startup."""
    url = url or "memory://"
    options: dict[str, float | str | bool] = {"wrap_exceptions": True}
    if urlsplit(url).scheme in ("redis", "rediss", "redis+unix", "valkey", "valkeys"):
        options.update(REDIS_TIMEOUTS)
    try:
        storage = storage_from_string(url, **options)
    except ConfigurationError as error:
        raise ValueError(f"RATE_LIMIT_STORAGE_URL: {error}") from error
    if not isinstance(storage, Storage):  # an `async+...` scheme
        raise ValueError(f"RATE_LIMIT_STORAGE_URL: {url!r} names an asynchronous storage")
    return storage


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
    """Counts requests against the policies in `storage` (made only when a policy is on).
    `clock` must be the clock the storage's windows expire by (time.time)."""

    def __init__(
        self,
        reads: Policy | None,
        writes: Policy | None,
        storage: Storage | None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.reads = reads
        self.writes = writes
        self.storage = storage
        self.clock = clock

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> RateLimiter:
        reads = parse_policy("reads", config.get("RATE_LIMIT_READS"))
        writes = parse_policy("writes", config.get("RATE_LIMIT_WRITES"))
        storage = None
        if reads is not None or writes is not None:
            storage = make_storage(config.get("RATE_LIMIT_STORAGE_URL"))
        return cls(reads, writes, storage)

    @property
    def enabled(self) -> bool:
        return self.storage is not None and (self.reads is not None or self.writes is not None)

    def hit(self, policy: Policy, client: str) -> Usage:
        """Add one to the client's counter in its current window (the first request opens
        one), and say where it stands."""
        assert self.storage is not None, "a policy is on, so there is a storage"
        item = policy.item
        key = item.key_for(policy.kind, client)
        count = self.storage.incr(key, item.get_expiry())
        ends = self.storage.get_expiry(key)
        return Usage(policy, client, count, max(1, math.ceil(ends - self.clock())))

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
        except StorageError as error:
            logger.warning("rate limit storage failed, not limiting: %s", error.storage_error)
            return None


class RateLimits(BaseStep):
    """Counts every request but preflights and static files (a 304 too), and refuses one over
    its limit with a 429 problem; every counted answer carries the RateLimit headers."""

    def __init__(self, limiter: RateLimiter) -> None:
        self.limiter = limiter

    def before(self) -> Response | None:
        if (
            not self.limiter.enabled
            or request.method == "OPTIONS"
            or request.endpoint in EXEMPT_ENDPOINTS
        ):
            return None
        usage = self.limiter.count(
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
