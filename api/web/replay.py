"""Replay: a process answers a GET or HEAD it has answered before, in front of Flask.

api.web.caching offers an answer for replay when it is the same for everyone who sends the same
request (`_offer_for_replay`): a 304, or a GET's whole 200 body, with neither `Authorization`
nor a private or per-token answer involved. This middleware keeps that answer, with the status
and headers Flask sent and the bytes it sent (compressed if they were), under the request's
path, query string, `Accept`, `Accept-Encoding` and host, together with what it is valid for:
the data version it was built under, the minute too if it depends on the clock, and its ETag.

The same request again, while the data version and the minute are still those, gets the kept
answer without Flask. The data version is the one remembered for DATA_VERSION_TTL seconds, or
read afresh when there is none, and always for an item (whose ETag is its record's, read on
every request) and for a client that holds another ETag (it may be newer than the remembered
version):
- with `If-None-Match` naming the kept ETag, the kept 304;
- else, unless the request is conditional on a date only (`If-Modified-Since`, which Flask
  answers), the kept 200: its body for a GET, its headers alone for a HEAD.

Everything else goes on to Flask. The rate limiter counts a replayed request like any other
(and its RateLimit headers are made afresh, not kept); one over the limit goes to Flask,
marked as counted, to be refused there. Kept answers take up to RESPONSE_CACHE_MB, least
recently used first out (api.web.caching.Remembered).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from flask import Flask
from sqlalchemy.exc import SQLAlchemyError

from api.web import caching as headers
from api.web.ratelimit import COUNTED

if TYPE_CHECKING:
    from _typeshed import OptExcInfo
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

# What a kept answer depends on besides the data version and the minute (`request_key`).
Key = tuple[str | None, ...]

READ_METHODS = ("GET", "HEAD")
# Bytes of Python objects per kept answer beyond its strings (measured: about 1 KB).
OVERHEAD = 1200


@dataclass(frozen=True)
class Kept:
    status: str  # the status line, "200 OK" or "304 NOT MODIFIED"
    headers: tuple[tuple[str, str], ...]
    body: bytes
    seq: int  # the data version it was built under
    minute: datetime | None  # the minute it was built for, if it depends on the clock
    etag: str  # its ETag without an encoding suffix, as If-None-Match is matched against
    exact: bool  # versioned by its record: valid under the data version read afresh only


def request_key(environ: WSGIEnvironment) -> Key:
    """What a kept answer depends on, besides the data version and the minute."""
    return (
        environ.get("wsgi.url_scheme"),
        environ.get("HTTP_HOST"),
        environ.get("SCRIPT_NAME", ""),
        environ.get("PATH_INFO", ""),
        environ.get("QUERY_STRING", ""),
        environ.get("HTTP_ACCEPT", ""),
        environ.get("HTTP_ACCEPT_ENCODING", ""),
    )


class Replay:
    """The WSGI middleware; `app` is the Flask app whose `wsgi_app` it wraps."""

    def __init__(self, app: Flask, wsgi_app: WSGIApplication) -> None:
        self.app = app
        self.wsgi_app = wsgi_app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD")
        if method not in READ_METHODS or "HTTP_AUTHORIZATION" in environ:
            return self.wsgi_app(environ, start_response)
        key = request_key(environ)
        kept = self._choose(environ, key)
        if kept is not None and self._still_valid(kept, environ):
            answer = self._answer(environ, start_response, kept, method)
            if answer is not None:
                return answer
        return self._record(environ, start_response, key)

    def _choose(self, environ: WSGIEnvironment, key: Key) -> Kept | None:
        """The kept answer Flask would give this request, if the version is still the one it
        was built under: with If-None-Match, the 304 if the ETag matches, else the 200 if it
        does not; with If-Modified-Since alone, none (Flask answers); else the 200."""
        memory = headers.remembered(self.app)
        if_none_match = environ.get("HTTP_IF_NONE_MATCH")
        if if_none_match is None:
            return None if "HTTP_IF_MODIFIED_SINCE" in environ else memory.answer((200, key))
        kept = memory.answer((304, key))
        if kept is not None and headers.matches(if_none_match, kept.etag):
            return kept
        kept = memory.answer((200, key))
        if kept is not None and not headers.matches(if_none_match, kept.etag):
            return kept
        return None

    def _still_valid(self, kept: Kept, environ: WSGIEnvironment) -> bool:
        """Whether the data version (and minute) are still those `kept` was built under. The
        version is read afresh, as Flask would, for an answer versioned by its record, and
        when the client holds an ETag other than the kept one (it may be newer); otherwise
        the one remembered within DATA_VERSION_TTL will do."""
        if kept.minute is not None and kept.minute != headers.now_minute():
            return False
        memory = headers.remembered(self.app)
        other_etag = kept.status.startswith("200") and "HTTP_IF_NONE_MATCH" in environ
        version = None if kept.exact or other_etag else memory.recent_version()
        if version is None:
            try:
                with self.app.app_context():
                    version = memory.fresh_version()
            except SQLAlchemyError:  # Flask answers, with a problem response
                return False
        return version[0] == kept.seq

    def _answer(
        self, environ: WSGIEnvironment, start_response: StartResponse, kept: Kept, method: str
    ) -> list[bytes] | None:
        """Send `kept`, counted by the rate limiter; None if the client is over its limit."""
        sent = list(kept.headers)
        limiter = self.app.extensions.get("ratelimit")
        if limiter is not None and limiter.enabled:
            usage = limiter.count(method, environ.get("REMOTE_ADDR"), None, self.app.logger)
            if usage is not None:
                if usage.exceeded:
                    environ[COUNTED] = usage
                    return None
                sent.extend(usage.headers().items())
        start_response(kept.status, sent)
        return [kept.body] if method == "GET" else []

    def _record(
        self, environ: WSGIEnvironment, start_response: StartResponse, key: Key
    ) -> Iterable[bytes]:
        """Let Flask answer, and keep the answer if api.web.caching offered it."""
        captured: list[tuple[str, list[tuple[str, str]]]] = []

        def capture(
            status: str, response_headers: list[tuple[str, str]], exc_info: OptExcInfo | None = None
        ) -> Callable[[bytes], object]:
            captured[:] = [(status, response_headers)]
            return start_response(status, response_headers, exc_info)

        iterable = self.wsgi_app(environ, capture)
        offer = environ.get(headers.REPLAYABLE)
        if offer is None or not captured:
            return iterable
        status, response_headers = captured[0]
        body = b""
        if status.startswith("200"):
            try:
                body = b"".join(iterable)
            finally:
                if hasattr(iterable, "close"):
                    iterable.close()
            iterable = [body]
        kept_headers = tuple(
            (name, value)
            for name, value in response_headers
            if not name.lower().startswith("ratelimit-")
        )
        # What it takes in memory, the key (which the client chooses) and Python's own
        # overhead included, so that RESPONSE_CACHE_MB bounds it.
        size = (
            OVERHEAD
            + len(body)
            + sum(len(name) + len(value) for name, value in kept_headers)
            + sum(len(part or "") for part in key)
        )
        kept = Kept(status, kept_headers, body, *offer)
        headers.remembered(self.app).keep((int(status[:3]), key), kept, size)
        return iterable
