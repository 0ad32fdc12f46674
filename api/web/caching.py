"""HTTP done once for every GET and HEAD: ETag / Last-Modified from the data version, 304
without building the body, Cache-Control and Vary, CORS for reads, and compression (by
Flask-Compress, called here so that a 200 and its 304 carry the same ETag).

The data version is the highest `seq` of the change log (api.store.models.Change): any write moves
it, so an ETag built from it and from what the request asks for is strong and costs one indexed
query, not a rendered body. Responses that depend on the clock (a status "now", "this week's"
hours) add the current minute to their ETag, and report that minute as their instant.

What a process remembers (`Remembered`): the data version, for DATA_VERSION_TTL seconds. It
keeps no answers: repeats and revalidations by many clients belong to an HTTP cache in front
(deploy/nginx.conf), which this module's Cache-Control, Vary and ETags are made for.
"""

from __future__ import annotations

import functools
import hashlib
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from flask import Flask, current_app, request
from flask import Response as FlaskResponse
from flask_compress import Compress
from flask_compress.flask_compress import _choose_algorithm
from sqlalchemy import select
from werkzeug.http import http_date
from werkzeug.wrappers import Response

from api.store import queries
from api.store.db import db
from api.store.models import Record
from api.web.pipeline import BaseStep, state
from schemas.index import LICENCE_URL

COMPRESSIBLE = (
    "application/json",
    "application/problem+json",
    "application/geo+json",
    "application/ld+json",
    "application/x-ndjson",
    "application/yaml",
    "text/csv",
    "text/calendar",
    "text/turtle",
    "text/html",
    "text/javascript",
    "text/plain",
)
EXPOSED = (
    "ETag, Last-Modified, Link, Content-Language, Location, Retry-After, "
    "RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, RateLimit-Policy, "
    "Idempotent-Replayed, WWW-Authenticate"
)
# The encodings offered, in the order preferred when a client accepts several equally.
ENCODINGS = ("br", "gzip")
# Flask-Compress's settings: ConditionalGet calls it itself (not as an after-request hook),
# on a 200 before its ETag is set, with the same encodings for a stream as for a body, and
# never to answer a condition (the 304s are made before the view).
COMPRESSION = {
    "COMPRESS_REGISTER": False,
    "COMPRESS_MIMETYPES": list(COMPRESSIBLE),
    "COMPRESS_ALGORITHM": list(ENCODINGS),
    "COMPRESS_ALGORITHM_STREAMING": list(ENCODINGS),
    "COMPRESS_EVALUATE_CONDITIONAL_REQUEST": False,
    "COMPRESS_MIN_SIZE": 500,
}

_F = TypeVar("_F", bound=Callable[..., Any])


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
    """ETag and Last-Modified of that record, or None if there is no such record. Its stored
    published form comes in the same query, for the view to serve (`RequestState.record_form`):
    one read, and the body is the version its ETag names."""
    row = db.session.execute(
        select(model.content_hash, model.modified_at, model.published_form).where(
            model.id == record_id
        )
    ).first()
    if row is None:
        return None
    state().record_form = (model, record_id, row[2])
    query = request.query_string.decode("latin-1")
    return record_etag(row, request.path, query, request.headers.get("Accept", "")), row[1]


def data_version() -> tuple[int, datetime | None]:
    return queries.data_version(db.session)


class Remembered:
    """What one process remembers between requests: the data version, for DATA_VERSION_TTL
    seconds. A remembered version only ever answers a 304; a body that must be built is
    labelled with a version read afresh, so one strong ETag never names two bodies."""

    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl, self.clock = ttl, clock
        self.version: tuple[int, datetime | None] | None = None
        self.read_at = 0.0
        self.forgotten = 0  # how many times forget_version ran: a read begun before is stale
        self.lock = threading.Lock()

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


def remembered(app: Flask | None = None) -> Remembered:
    """The process's memory for `app` (default: the current app)."""
    app = app or current_app
    found = app.extensions.get("api.web.caching.remembered")
    if found is None:
        found = app.extensions["api.web.caching.remembered"] = Remembered(
            float(app.config["DATA_VERSION_TTL"])
        )
    return found


def forget_data_version() -> None:
    """After a write in this process: its next request reads the data version afresh."""
    remembered().forget_version()


def etag_for_request(version: int) -> str:
    """The ETag of this request's answer at data `version` (the dumps label theirs with it)."""
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
        parts.append(now_minute().isoformat())
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
    CORS and licence headers, and a GET's compression, ETag, Last-Modified, Cache-Control and
    Vary. `app`'s settings get the compression's defaults (COMPRESSION)."""

    def __init__(self, app: Flask) -> None:
        for name, value in COMPRESSION.items():
            app.config.setdefault(name, value)
        self.compress = Compress()
        self.compress.init_app(app)

    def before(self) -> Response | None:
        return _conditional_get()

    def after(self, response: Response) -> Response:
        return _headers(response, self.compress)


def _conditional_get() -> Response | None:
    if not _cacheable():
        return None
    view = _view()
    audience = getattr(view, "token_audience", None)
    state().audience = audience() if audience is not None else ""
    record = _record_marker()
    if record is not None:
        validators = _record_validators(*record)
        if validators is not None:
            state().etag, changed_at = validators
            return _not_modified(changed_at)
    # No such record (a 404 or 410 to come), or not an item: the data version's validators.
    # The one remembered may answer a 304; a body to build is labelled with the version read
    # now (once per request).
    memory = remembered()
    recent = memory.recent_version()
    if recent is not None:
        state().etag = etag_for_request(recent[0])
        answer = _not_modified(recent[1])
        if answer is not None:
            return answer
    state().version = version = memory.fresh_version()
    state().etag = etag_for_request(version[0])
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


def _headers(response: Response, compress: Compress) -> Response:
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
        if response.status_code == 200:
            _compress(response, compress)
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
    return response


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
    encoding = accepted_encoding()
    return etag if encoding is None else etag[:-1] + f'-{encoding}"'


def accepted_encoding() -> str | None:
    """The encoding Flask-Compress chooses for this request's 200, if the body is compressed."""
    return _choose_algorithm(ENCODINGS, request.headers.get("Accept-Encoding", ""))


def _compress(response: Response, compress: Compress) -> None:
    """Compress a 200 for the client (Flask-Compress: not a small body, not a type that is not
    text). A stream is compressed as it is read; what it came from (a file) is closed when the
    response is."""
    if not isinstance(response, FlaskResponse):  # Flask makes every answer one
        return
    if response.is_streamed:
        source = response.response
        close = getattr(source, "close", None)
        if close is not None:
            response.call_on_close(close)
    compress.after_request(response)
