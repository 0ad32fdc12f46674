"""Request bodies of the editor API, read strictly: JSON in UTF-8 (RFC 8259) of the media
types a write takes, within MAX_CONTENT_LENGTH; 400, 413 or 415 problems otherwise."""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from typing import Any

from flask import request
from werkzeug.exceptions import RequestEntityTooLarge

from api.problems import Problem, field_error

BODY_TYPES = ("application/json", "application/merge-patch+json")

MAX_DEPTH = 32  # a record nests four levels deep at most
_NOT_TEXT = re.compile(r"[\x00\ud800-\udfff]")  # NUL, and halves of a surrogate pair


def read_body() -> object:
    """The request's JSON body, read strictly (RFC 8259): UTF-8 without a byte order mark or a
    content coding, no key twice in one object, no NaN or Infinity, no string that is not
    Unicode text or holds a NUL character, nested at most MAX_DEPTH deep; and over
    MAX_CONTENT_LENGTH a 413 whether or not it came with a Content-Length."""
    if request.mimetype not in BODY_TYPES:
        raise Problem(415, f"Send the record as {' or '.join(BODY_TYPES)}.")
    if request.mimetype_params.get("charset", "utf-8").lower() not in ("utf-8", "utf8"):
        raise Problem(415, "Send the record in UTF-8, the only encoding of JSON (RFC 8259).")
    if request.headers.get("Content-Encoding", "identity").strip().lower() not in ("", "identity"):
        raise Problem(
            415,
            "Send the body uncompressed: a request body takes no `Content-Encoding`.",
            headers={"Accept-Encoding": "identity"},
        )
    raw = _body_bytes()
    try:
        if raw.startswith(codecs.BOM_UTF8) or b"\x00" in raw:  # a BOM, UTF-16 or UTF-32
            raise UnicodeError
        text = raw.decode("utf-8")
    except UnicodeError:
        raise Problem(400, "The body must be JSON in UTF-8, without a byte order mark.") from None
    try:
        body = json.loads(text, object_pairs_hook=_object, parse_constant=_not_a_number)
    except _RepeatedKey as error:
        raise Problem(
            400, "A key is given twice in one object.", [_error(error.key, "Twice.")]
        ) from None
    except RecursionError:
        raise Problem(400, f"The body nests deeper than {MAX_DEPTH} levels.") from None
    except ValueError as error:
        raise Problem(400, f"The body is not valid JSON: {error}.") from None
    errors = list(_unreadable(body))
    if errors:
        raise Problem(400, "The body holds what no record can; see `errors`.", errors)
    return body


def _body_bytes() -> bytes:
    limit = request.max_content_length
    try:
        raw = request.get_data(cache=True)  # a Content-Length over the limit raises at once
        # Without a Content-Length (a chunked body) werkzeug stops reading at the limit and
        # says nothing: anything left unread makes the body too large.
        if request.content_length is None and limit is not None and len(raw) >= limit:
            if request.environ["wsgi.input"].read(1):
                raise RequestEntityTooLarge()
    except RequestEntityTooLarge:
        raise Problem(413, f"The body is larger than the {limit} bytes a write may send.") from None
    return raw


class _RepeatedKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = _printable(key)


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object, refusing a key given twice (json.loads would keep the last silently)."""
    obj = dict(pairs)
    if len(obj) < len(pairs):
        seen: set[str] = set()
        for key, _value in pairs:
            if key in seen:
                raise _RepeatedKey(key)
            seen.add(key)
    return obj


def _not_a_number(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def _unreadable(value: object, path: str = "", depth: int = 0) -> Iterator[dict[str, str]]:
    """Field errors for what no record can hold: a string with a lone surrogate (not Unicode
    text) or a NUL character (PostgreSQL stores none), nesting deeper than MAX_DEPTH."""
    if isinstance(value, str):
        if _NOT_TEXT.search(value):
            yield _error(path, "Not text: holds a NUL character or a lone surrogate.")
    elif depth >= MAX_DEPTH:
        yield _error(path, f"Nested deeper than {MAX_DEPTH} levels.")
    elif isinstance(value, dict | list):
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            inner = f"{path}.{_printable(key)}" if path else _printable(key)
            if isinstance(key, str) and _NOT_TEXT.search(key):
                yield _error(inner, "Not a field: holds a NUL character or a lone surrogate.")
            yield from _unreadable(item, inner, depth + 1)


def _printable(key: str | int) -> str:
    return str(key).encode("utf-8", "backslashreplace").decode("utf-8")


def _error(field: str, message: str) -> dict[str, str]:
    return field_error(field or "(body)", message)
