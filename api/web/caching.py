"""HTTP done once for every GET and HEAD: ETag / Last-Modified from the data version, 304
without building the body, Cache-Control and Vary, CORS for reads, and compression.

The data version is the highest `seq` of the change log (api.store.models.Change): any write moves
it, so an ETag built from it and from what the request asks for is strong and costs one indexed
query, not a rendered body. Responses that depend on the clock (a status "now", "this week's"
hours) add the current minute to their ETag, and report that minute as their instant.

What a process remembers (`Remembered`): the data version for DATA_VERSION_TTL seconds, and the
answers api.web.replay repeats without Flask, which this module offers it (`_offer_for_replay`).
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import threading
import time
import zlib
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from flask import Flask, current_app, request
from sqlalchemy import select
from werkzeug.http import http_date
from werkzeug.wrappers import Response
from werkzeug.wsgi import ClosingIterator

from api.store import queries
from api.store.db import db
from api.store.memory import LRU
from api.store.models import Record
from api.web.pipeline import BaseStep, state
from api.web.ratelimit import EXEMPT_ENDPOINTS
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
    "text/javascript",
    "text/plain",
)
EXPOSED = (
    "ETag, Last-Modified, Link, Content-Language, Location, Retry-After, "
    "RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, RateLimit-Policy, "
    "Idempotent-Replayed, WWW-Authenticate"
)
MIN_COMPRESS = 500
# The WSGI environ key under which a response offers itself to api.web.replay.
REPLAYABLE = "api.replayable"

_F = TypeVar("_F", bound=Callable[..., Any])

if TYPE_CHECKING:
    from api.web.replay import Kept


def now_minute() -> datetime:
    """'Now' as clock-dependent responses report it: to the minute, so that a response and its
    ETag stay the same for a minute and can be cached and revalidated."""
    return datetime.now(UTC).replace(second=0, microsecond=0)


def _marking(**marks: object) -> Callable[[_F], _F]:
    """A decorator that sets `marks` as attributes of the view, read back with getattr."""

    def decorator(func: _F) -> _F:
        for name, value in marks.items():
            setattr(func, name, value)
        return func

    return decorator


def clock_dependent(*params: str, only_with: tuple[str, ...] = ()) -> Callable[[_F], _F]:
    """Mark a view whose answer depends on the clock unless one of `params` is given (and,
    with `only_with`, only when one of those parameters is)."""
    return _marking(clock_params=params, clock_only_with=only_with)


def versioned_by_record(model: type[Record], param: str) -> Callable[[_F], _F]:
    """Mark an item view whose ETag and Last-Modified come from its record (the `param` view
    argument names it) rather than from the data version: it changes only when that record's
    published form does, and it is what `If-Match` on a PUT, PATCH or DELETE is checked
    against."""
    return _marking(etag_record=(model, param))


def versioned_by_content(content: Callable[[], bytes | str]) -> Callable[[_F], _F]:
    """Mark a view whose body is a file shipped with the code (the widget's script): a digest
    of `content()` is part of its ETag, so that a new release is never answered 304 to a client
    holding the old file while the data version stays the same."""
    return _marking(etag_content=content)


@functools.lru_cache(maxsize=16)
def _content_digest(content: bytes | str) -> str:
    data = content.encode() if isinstance(content, str) else content
    return hashlib.sha256(data).hexdigest()[:16]


def varies_by_token(audience: Callable[[], str]) -> Callable[[_F], _F]:
    """Mark a view whose body depends on the bearer token: `audience()` names the body this
    request gets (and answers 401 for a token that is not valid). It is part of the ETag and
    is asked before any 304, so no client gets a 304 for another audience's body, nor with a
    revoked or made-up token."""
    return _marking(token_audience=audience)


def _view() -> Callable[..., object] | None:
    """The view function of this request's endpoint, if it has one."""
    endpoint = request.endpoint
    return current_app.view_functions.get(endpoint) if endpoint is not None else None


class Versioned(Protocol):
    """A record, or a row of its `content_hash` and `modified_at`."""

    @property
    def content_hash(self) -> str | None: ...

    @property
    def modified_at(self) -> datetime: ...


def record_token(record: Versioned) -> str:
    """The part of a record's ETags that names its version (any object or row with
    `content_hash` and `modified_at`); the part after the dot names the representation."""
    seed = f"{record.content_hash}|{record.modified_at.isoformat()}"
    return hashlib.sha256(seed.encode()).hexdigest()[:16]


def record_etag(record: Versioned, path: str, query: str = "", accept: str = "") -> str:
    variant = hashlib.sha256("\n".join((path, query, accept)).encode()).hexdigest()[:12]
    return f'"{record_token(record)}.{variant}"'


def _record_marker() -> tuple[type[Record], str | None] | None:
    """(model, id) of the record whose validators an item view marked `versioned_by_record`
    takes, or None (not such a view, or `as_of`, which is versioned by the data)."""
    view = _view()
    marker = getattr(view, "etag_record", None)
    if marker is None or "as_of" in request.args:
        return None
    model, param = marker
    return model, (request.view_args or {}).get(param)


def _record_validators(model: type[Record], record_id: str | None) -> tuple[str, datetime] | None:
    """ETag and Last-Modified of that record, or None if there is no such record."""
    row = db.session.execute(
        select(model.content_hash, model.modified_at).where(model.id == record_id)
    ).first()
    if row is None:
        return None
    query = request.query_string.decode("latin-1")
    return record_etag(row, request.path, query, request.headers.get("Accept", "")), row[1]


def data_version() -> tuple[int, datetime | None]:
    return queries.data_version(db.session)


class Remembered:
    """What one process remembers between requests: the data version for DATA_VERSION_TTL
    seconds, and recent answers for api.web.replay (RESPONSE_CACHE_MB in all, least recently
    used first out). A remembered version only ever answers a request from here (a 304, or
    an answer replayed under the version it was built with); a body that must be built is
    labelled with a version read afresh, so one strong ETag never names two bodies."""

    def __init__(
        self, ttl: float, capacity_bytes: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl, self.capacity, self.clock = ttl, capacity_bytes, clock
        self.version: tuple[int, datetime | None] | None = None
        self.read_at = 0.0
        self.forgotten = 0  # how many times forget_version ran: a read begun before is stale
        self._answers: LRU[Kept] = LRU(capacity_bytes)
        self.lock = threading.Lock()

    @property
    def answers(self) -> OrderedDict[Hashable, tuple[int, Kept]]:
        return self._answers.entries()

    @property
    def size(self) -> int:
        return self._answers.size

    def recent_version(self) -> tuple[int, datetime | None] | None:
        with self.lock:
            if self.version is not None and self.clock() - self.read_at < self.ttl:
                return self.version
        return None

    def fresh_version(self) -> tuple[int, datetime | None]:
        """The data version read now; remembered unless a write in this process was
        forgotten while it was being read (it may be older than that write)."""
        forgotten = self.forgotten
        version = data_version()
        with self.lock:
            if self.forgotten == forgotten:
                self.version, self.read_at = version, self.clock()
        return version

    def forget_version(self) -> None:
        with self.lock:
            self.version = None
            self.forgotten += 1

    def answer(self, key: tuple) -> Kept | None:
        return self._answers.get(key)

    def keep(self, key: tuple, answer: Kept, size: int) -> None:
        """Keep `answer` under `key` (replacing what was there) if it is at most an eighth of
        the capacity, dropping the least recently used answers to make room."""
        if size <= self.capacity // 8:
            self._answers.put(key, answer, size)


def remembered(app: Flask | None = None) -> Remembered:
    """The process's memory for `app` (default: the current app)."""
    app = app or current_app
    found = app.extensions.get("api.web.caching.remembered")
    if found is None:
        config = app.config
        found = app.extensions["api.web.caching.remembered"] = Remembered(
            float(config["DATA_VERSION_TTL"]), int(config["RESPONSE_CACHE_MB"]) * 1_000_000
        )
    return found


def forget_data_version() -> None:
    """After a write in this process: its next request reads the data version afresh."""
    remembered().forget_version()


def _etag_for_request(version: int) -> str:
    view = _view()
    parts = [
        str(version),
        request.path,
        request.query_string.decode("latin-1"),
        request.headers.get("Accept", ""),
        state().audience,
    ]
    content = getattr(view, "etag_content", None)
    if content is not None:
        parts.append(_content_digest(content()))
    params = getattr(view, "clock_params", None)
    only_with = getattr(view, "clock_only_with", ())
    if (
        params is not None
        and not any(p in request.args for p in params)
        and (not only_with or any(p in request.args for p in only_with))
    ):
        minute = state().clock_minute = now_minute()
        parts.append(minute.isoformat())
    digest = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]
    return f'"{digest}"'


def matches(header: str, etag: str) -> bool:
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


class ConditionalGet(BaseStep):
    """Before the view, a GET's validators from the data version (an item's from its record)
    and a 304 when the client holds them, without building the body. After it, every answer's
    CORS and licence headers, and a GET's ETag, Last-Modified, Cache-Control, Vary and
    compression; an answer another request may get again is offered to api.web.replay."""

    def before(self) -> Response | None:
        return _conditional_get()

    def after(self, response: Response) -> Response:
        return _headers(response)


def _conditional_get() -> Response | None:
    if not _cacheable():
        return None
    view = _view()
    audience = getattr(view, "token_audience", None)
    state().audience = audience() if audience is not None else ""
    memory = remembered()
    # state().version: the data version the answer is valid under, for api.web.replay. An item's
    # validators come from its record, read after that version (so never older than it).
    recent, fresh = memory.recent_version(), None
    record = _record_marker()
    if record is not None:
        if recent is None:
            recent = fresh = memory.fresh_version()
        state().version = recent
        validators = _record_validators(*record)
        if validators is not None:
            state().record_versioned = True
            state().etag, changed_at = validators
            return _not_modified(changed_at)
    if recent is not None and fresh is None:
        state().version = recent
        state().etag = _etag_for_request(recent[0])
        answer = _not_modified(recent[1])
        if answer is not None:
            return answer
    # No such record (a 404 or 410 to come), or a body to build: the version read now
    # (once per request).
    state().version = version = fresh or memory.fresh_version()
    state().etag = _etag_for_request(version[0])
    return _not_modified(version[1])


def _not_modified(changed_at: datetime | None) -> Response | None:
    """A 304 if the client holds this version, else None. A date names a whole second
    (Last-Modified is sent to the second), and another change may follow within it: only
    a change before that second began is older than the client's copy for sure."""
    state().last_modified = changed_at
    etag = state().etag
    assert etag is not None, "the ETag comes first"
    inm = request.headers.get("If-None-Match")
    ims = request.if_modified_since
    fresh = (
        matches(inm, etag)
        if inm is not None
        else (ims is not None and changed_at is not None and changed_at < ims)
    )
    if fresh:
        state().not_modified = True
        return current_app.response_class(status=304)
    return None


def _headers(response: Response) -> Response:
    # Every response passes here, a 304 included: headers that are not there yet are
    # added (cheaper than set, which looks for the old value first).
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
    not_modified = state().not_modified
    if (response.status_code == 200 or not_modified) and _cacheable():
        headers["ETag"] = _sent_etag()
        if state().last_modified is not None:
            headers["Last-Modified"] = _http_date(state().last_modified)
        if state().private:
            headers["Cache-Control"] = "private, no-cache"
        else:
            headers["Cache-Control"] = f"public, max-age={current_app.config['CACHE_MAX_AGE']}"
        if "Vary" in headers:
            response.vary.update(("Accept", "Accept-Encoding"))
        else:
            headers.add("Vary", "Accept, Accept-Encoding")
        if state().vary_authorization:
            response.vary.add("Authorization")
        if response.status_code == 200:
            _compress(response)
        _offer_for_replay(response)
    return response


def _offer_for_replay(response: Response) -> None:
    """Tell api.web.replay that this answer may be replayed to the same request while the data
    version (and, for a clock-dependent answer, the minute) stays the same: a 304, or a GET's
    whole 200 body; and whether it is versioned by its record, so that the version must be
    read afresh, as the record is. Not an answer that depends on who asks, nor a static file
    (which the rate limiter does not count)."""
    version = state().version
    if (
        version is None
        or state().private
        or state().vary_authorization
        or "Authorization" in request.headers
        or request.endpoint in EXEMPT_ENDPOINTS
        or (response.status_code == 200 and (request.method != "GET" or response.is_streamed))
    ):
        return
    request.environ[REPLAYABLE] = (
        version[0],
        state().clock_minute,
        state().etag,
        bool(state().record_versioned),
    )


LICENCE_LINK = f'<{LICENCE_URL}>; rel="license"'


@functools.lru_cache(maxsize=64)
def _http_date(instant: datetime) -> str:
    return http_date(instant)


def _sent_etag() -> str:
    """The ETag a 200 and a 304 to this request both carry: the representation's, and the
    encoding the client accepts, since a 200 is compressed for it (unless it is too small to
    gain, or not text: which a 304, built without the body, cannot know)."""
    etag = state().etag
    assert etag is not None, "a cacheable request's ETag is made before its view"
    encoding = _accepted_encoding()
    return etag if encoding is None else etag[:-1] + f'-{encoding}"'


def _accepted_encoding() -> str | None:
    accepted = request.accept_encodings
    if brotli is not None and accepted["br"]:
        return "br"
    if accepted["gzip"]:
        return "gzip"
    return None


def _compress(response: Response) -> None:
    if response.mimetype not in COMPRESSIBLE or "Content-Encoding" in response.headers:
        return
    encoding = _accepted_encoding()
    if encoding is None:
        return
    # A HEAD gets the headers its GET gets (api.web.replay answers it from the GET's).
    if response.is_streamed:
        if request.method != "HEAD":  # a HEAD's stream is never read
            # A file's stream (send_file) is passed straight to the server, which closes
            # what it gets: closing that closes the file too.
            stream = response.response
            response.response = ClosingIterator(
                _compress_stream(stream, encoding), getattr(stream, "close", None)
            )
        response.headers.pop("Content-Length", None)
    else:
        body = response.get_data()
        if len(body) < MIN_COMPRESS:
            return
        response.set_data(brotli.compress(body) if encoding == "br" else gzip.compress(body, 6))
    response.headers["Content-Encoding"] = encoding


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
