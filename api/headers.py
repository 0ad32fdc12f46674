"""HTTP done once for every GET and HEAD: ETag / Last-Modified from the data version, 304
without building the body, Cache-Control and Vary, CORS for reads, and compression.

The data version is the highest `seq` of the change log (api.models.Change): any write moves
it, so an ETag built from it and from what the request asks for is strong and costs one indexed
query, not a rendered body. Responses that depend on the clock (a status "now", "this week's"
hours) add the current minute to their ETag, and report that minute as their instant.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import threading
import time
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime

from flask import Flask, current_app, g, request
from sqlalchemy import func, select
from werkzeug.http import http_date

from api.db import db
from api.models import Change
from schemas.index import LICENCE_URL

try:  # brotli is optional: used when installed and the client accepts it
    import brotli
except ImportError:  # pragma: no cover - depends on the environment
    brotli = None

COMPRESSIBLE = (
    "application/json",
    "application/problem+json",
    "application/geo+json",
    "application/ld+json",
    "application/x-ndjson",
    "application/yaml",
    "text/csv",
    "text/calendar",
    "text/html",
    "text/plain",
)
EXPOSED = (
    "ETag, Last-Modified, Link, Content-Language, Location, Retry-After, "
    "RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, RateLimit-Policy, "
    "Idempotent-Replayed, WWW-Authenticate"
)
MIN_COMPRESS = 500


def now_minute() -> datetime:
    """'Now' as clock-dependent responses report it: to the minute, so that a response and its
    ETag stay the same for a minute and can be cached and revalidated."""
    return datetime.now(UTC).replace(second=0, microsecond=0)


def clock_dependent(*params: str, only_with: tuple[str, ...] = ()) -> Callable:
    """Mark a view whose answer depends on the clock unless one of `params` is given (and,
    with `only_with`, only when one of those parameters is)."""

    def decorator(func):
        func.clock_params = params
        func.clock_only_with = only_with
        return func

    return decorator


def versioned_by_record(model, param: str) -> Callable:
    """Mark an item view whose ETag and Last-Modified come from its record (the `param` view
    argument names it) rather than from the data version: it changes only when that record's
    published form does, and it is what `If-Match` on a PUT, PATCH or DELETE is checked
    against."""

    def decorator(func):
        func.etag_record = (model, param)
        return func

    return decorator


def record_token(record) -> str:
    """The part of a record's ETags that names its version (any object or row with
    `content_hash` and `modified_at`); the part after the dot names the representation."""
    seed = f"{record.content_hash}|{record.modified_at.isoformat()}"
    return hashlib.sha256(seed.encode()).hexdigest()[:16]


def record_etag(record, path: str, query: str = "", accept: str = "") -> str:
    variant = hashlib.sha256("\n".join((path, query, accept)).encode()).hexdigest()[:12]
    return f'"{record_token(record)}.{variant}"'


def _record_validators() -> tuple[str, datetime] | None:
    """ETag and Last-Modified of an item view marked `versioned_by_record`, or None."""
    view = current_app.view_functions.get(request.endpoint)
    marker = getattr(view, "etag_record", None)
    if marker is None or "as_of" in request.args:
        return None
    model, param = marker
    row = db.session.execute(
        select(model.content_hash, model.modified_at).where(
            model.id == (request.view_args or {}).get(param)
        )
    ).first()
    if row is None:
        return None
    query = request.query_string.decode("latin-1")
    return record_etag(row, request.path, query, request.headers.get("Accept", "")), row[1]


def data_version() -> tuple[int, datetime | None]:
    seq, changed_at = db.session.execute(
        select(func.max(Change.seq), func.max(Change.changed_at))
    ).one()
    if changed_at is not None:
        changed_at = Change.__table__.c.changed_at.type.process_result_value(changed_at, None)
    return seq or 0, changed_at


class _Remembered:
    """What one process remembers between requests: the data version for DATA_VERSION_TTL
    seconds, and recent 200 bodies by ETag (RESPONSE_CACHE_MB in all, least recently used
    first out). A remembered version only ever answers from here (a 304, or a body stored
    under the ETag it makes); a body that must be built is labelled with a version read
    afresh, so one strong ETag never names two bodies."""

    def __init__(self, ttl: float, capacity_bytes: int, clock=time.monotonic):
        self.ttl, self.capacity, self.clock = ttl, capacity_bytes, clock
        self.version: tuple[int, datetime | None] | None = None
        self.read_at = 0.0
        self.bodies: OrderedDict[tuple, tuple] = OrderedDict()
        self.size = 0
        self.lock = threading.Lock()

    def recent_version(self) -> tuple[int, datetime | None] | None:
        with self.lock:
            if self.version is not None and self.clock() - self.read_at < self.ttl:
                return self.version
        return None

    def fresh_version(self) -> tuple[int, datetime | None]:
        version = data_version()
        with self.lock:
            self.version, self.read_at = version, self.clock()
        return version

    def forget_version(self) -> None:
        with self.lock:
            self.version = None

    def body(self, key: tuple) -> tuple | None:
        with self.lock:
            found = self.bodies.get(key)
            if found is not None:
                self.bodies.move_to_end(key)
            return found

    def keep(self, key: tuple, entry: tuple, size: int) -> None:
        if size > self.capacity // 8:
            return
        with self.lock:
            if key in self.bodies:
                return
            self.bodies[key] = entry
            self.size += size
            while self.size > self.capacity and self.bodies:
                _old, dropped = self.bodies.popitem(last=False)
                self.size -= len(dropped[0])


def _remembered() -> _Remembered:
    found = current_app.extensions.get("api.headers.remembered")
    if found is None:
        config = current_app.config
        found = current_app.extensions["api.headers.remembered"] = _Remembered(
            float(config["DATA_VERSION_TTL"]), int(config["RESPONSE_CACHE_MB"]) * 1_000_000
        )
    return found


def forget_data_version() -> None:
    """After a write in this process: its next request reads the data version afresh."""
    _remembered().forget_version()


def _body_key() -> tuple:
    return (g.etag, request.host_url)


def _etag_for_request(version: int) -> str:
    view = current_app.view_functions.get(request.endpoint)
    parts = [
        str(version),
        request.path,
        request.query_string.decode("latin-1"),
        request.headers.get("Accept", ""),
        "authorized" if "Authorization" in request.headers else "",
    ]
    params = getattr(view, "clock_params", None)
    only_with = getattr(view, "clock_only_with", ())
    if (
        params is not None
        and not any(p in request.args for p in params)
        and (not only_with or any(p in request.args for p in only_with))
    ):
        parts.append(now_minute().isoformat())
    digest = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]
    return f'"{digest}"'


def _matches(header: str, etag: str) -> bool:
    """If-None-Match against our ETag, whatever encoding suffix the client saw."""
    if header.strip() == "*":
        return True
    base = etag.strip('"')
    for candidate in header.split(","):
        value = candidate.strip().removeprefix("W/").strip('"')
        if value.split("-", 1)[0] == base:
            return True
    return False


def _cacheable() -> bool:
    return request.method in ("GET", "HEAD") and request.endpoint not in (None, "static")


def init_app(app: Flask) -> None:
    @app.before_request
    def _conditional_get():
        if not _cacheable():
            return None
        remembered = _remembered()
        validators = _record_validators()
        if validators is not None:
            g.etag, changed_at = validators
            return _answer_from_memory(remembered, changed_at)
        recent = remembered.recent_version()
        if recent is not None:
            g.etag, g.last_modified = _etag_for_request(recent[0]), recent[1]
            answer = _answer_from_memory(remembered, recent[1])
            if answer is not None:
                return answer
        version, changed_at = remembered.fresh_version()
        g.etag = _etag_for_request(version)
        return _answer_from_memory(remembered, changed_at)

    def _answer_from_memory(remembered: _Remembered, changed_at):
        """A 304 if the client holds this version, the body stored under its ETag if this
        process has it, else None."""
        g.last_modified = changed_at
        inm = request.headers.get("If-None-Match")
        ims = request.if_modified_since
        fresh = (
            _matches(inm, g.etag)
            if inm is not None
            else (
                ims is not None
                and changed_at is not None
                and changed_at.replace(microsecond=0) <= ims
            )
        )
        if fresh:
            g.not_modified = True
            return current_app.response_class(status=304)
        stored = remembered.body(_body_key())
        if stored is not None:
            body, mimetype, headers, page_links = stored
            g.page_links = page_links
            g.from_memory = True
            response = current_app.response_class(body, mimetype=mimetype)
            response.headers.extend(headers)
            return response
        return None

    @app.after_request
    def _headers(response):
        # Every response passes here, a 304 answered from memory included: headers that are
        # not there yet are added (cheaper than set, which looks for the old value first).
        headers = response.headers
        headers.add("Access-Control-Allow-Origin", "*")
        headers.add("Access-Control-Expose-Headers", EXPOSED)
        if request.method == "OPTIONS":
            headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS, POST, PUT, PATCH, DELETE"
            requested = request.headers.get("Access-Control-Request-Headers")
            headers["Access-Control-Allow-Headers"] = requested or (
                "Accept, Accept-Encoding, If-None-Match, If-Modified-Since, Authorization, "
                "Content-Type, If-Match, Idempotency-Key"
            )
            headers["Access-Control-Max-Age"] = "86400"
        existing = headers.get("Link")
        if existing:
            headers["Link"] = f"{existing}, {LICENCE_LINK}"
        else:
            headers.add("Link", LICENCE_LINK)
        not_modified = g.get("not_modified")
        if (response.status_code == 200 or not_modified) and _cacheable():
            headers["ETag"] = g.etag
            if g.last_modified is not None:
                headers["Last-Modified"] = _http_date(g.last_modified)
            if g.get("private"):
                headers["Cache-Control"] = "private, no-cache"
            else:
                headers["Cache-Control"] = f"public, max-age={current_app.config['CACHE_MAX_AGE']}"
            if "Vary" in headers:
                response.vary.update(("Accept", "Accept-Encoding"))
            else:
                headers.add("Vary", "Accept, Accept-Encoding")
            if g.get("vary_authorization"):
                response.vary.add("Authorization")
            if response.status_code == 200:
                _remember(response)
                _compress(response)
        return response


LICENCE_LINK = f'<{LICENCE_URL}>; rel="license"'


@functools.lru_cache(maxsize=64)
def _http_date(instant: datetime) -> str:
    return http_date(instant)


KEPT_HEADERS = ("Content-Language", "Content-Disposition")


def _remember(response) -> None:
    """Keep a GET's 200 body under its ETag (and host: its links are absolute), uncompressed,
    for the next request that would build the same one."""
    if (
        request.method != "GET"
        or g.get("from_memory")
        or g.get("private")
        or g.get("vary_authorization")
        or response.is_streamed
        or "Content-Encoding" in response.headers
    ):
        return
    remembered = _remembered()
    if remembered.capacity <= 0:
        return
    body = response.get_data()
    headers = [(name, response.headers[name]) for name in KEPT_HEADERS if name in response.headers]
    remembered.keep(_body_key(), (body, response.mimetype, headers, g.get("page_links")), len(body))


def _accepted_encoding() -> str | None:
    accepted = request.accept_encodings
    if brotli is not None and accepted["br"]:
        return "br"
    if accepted["gzip"]:
        return "gzip"
    return None


def _compress(response) -> None:
    if response.mimetype not in COMPRESSIBLE or "Content-Encoding" in response.headers:
        return
    encoding = _accepted_encoding()
    if encoding is None or request.method == "HEAD":
        return
    if response.is_streamed:
        response.response = _compress_stream(response.response, encoding)
        response.headers.pop("Content-Length", None)
    else:
        body = response.get_data()
        if len(body) < MIN_COMPRESS:
            return
        response.set_data(brotli.compress(body) if encoding == "br" else gzip.compress(body, 6))
    response.headers["Content-Encoding"] = encoding
    # A strong ETag names one representation: the compressed bytes get their own.
    response.headers["ETag"] = response.headers["ETag"][:-1] + f'-{encoding}"'


def _compress_stream(chunks: Iterable[bytes | str], encoding: str) -> Iterator[bytes]:
    if encoding == "br":
        compressor = brotli.Compressor()
        for chunk in chunks:
            data = compressor.process(chunk.encode() if isinstance(chunk, str) else chunk)
            if data:
                yield data
        yield compressor.finish()
        return
    compressor = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    for chunk in chunks:
        data = compressor.compress(chunk.encode() if isinstance(chunk, str) else chunk)
        if data:
            yield data
    yield compressor.flush()
