"""Signed cursors: the API accepts back only positions it issued itself.

A cursor is `<payload>.<tag>`, both base64url without padding: the tag is HMAC-SHA256 over
what the cursor is for (`purpose`: a page of a list, the change feed) and the payload,
truncated to 16 bytes. A forged or altered cursor fails the check and is refused before any
query runs; the decoders (api.web.http, api.resources.changes) still check every value they take
from a genuine one.

The key is the setting CURSOR_SECRET or, when it is unset, a random one kept in the Flask
instance folder (`cursor-secret`, mode 0600), created by the first process that needs it: the
workers of one server share it. Instances on several hosts must share CURSOR_SECRET. Changing
the key makes every cursor given out so far a 400, the change feed's `since` included.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import re
import secrets
import tempfile
from pathlib import Path
from typing import Any

from flask import Flask, current_app

KEY_FILE = "cursor-secret"
TAG_BYTES = 16
BASE64URL = re.compile(r"[A-Za-z0-9_-]+")


def secret(app: Flask | None = None) -> bytes:
    """The key of `app` (default: the current app), read or created once per process."""
    app = app or current_app
    key = app.extensions.get("api.web.cursors.secret")
    if key is None:
        configured = app.config.get("CURSOR_SECRET")
        key = configured.encode() if configured else instance_secret(Path(app.instance_path))
        app.extensions["api.web.cursors.secret"] = key
    return key


def instance_secret(folder: Path) -> bytes:
    """The key kept in `folder`, made if there is none. It is written whole to a file of its
    own and then linked into place, which fails if another process got there first: processes
    starting together all end up with the one key that was linked."""
    path = folder / KEY_FILE
    try:
        if not path.exists():
            _make_key_file(folder, path)
        key = path.read_text(encoding="ascii").strip()
    except OSError as error:
        message = f"cannot keep the cursor key in {path} ({error}); set CURSOR_SECRET"
        raise RuntimeError(message) from error
    if not key:
        raise RuntimeError(f"{path} is empty: delete it, or set CURSOR_SECRET")
    return key.encode()


def _make_key_file(folder: Path, path: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    handle, draft = tempfile.mkstemp(dir=folder, prefix=f".{KEY_FILE}.")  # mode 0600
    try:
        with os.fdopen(handle, "w", encoding="ascii") as file:
            file.write(secrets.token_hex(32) + "\n")
            file.flush()
            os.fsync(file.fileno())
        try:
            os.link(draft, path)
        except FileExistsError:
            pass  # another process made it meanwhile: theirs is the key
    finally:
        os.unlink(draft)


def _tag(purpose: str, payload: bytes) -> bytes:
    message = purpose.encode() + b"\x00" + payload
    return hmac.new(secret(), message, hashlib.sha256).digest()[:TAG_BYTES]


def _encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _decode(text: str) -> bytes:
    if not BASE64URL.fullmatch(text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def seal(purpose: str, payload: bytes) -> str:
    """A cursor carrying `payload`, signed for `purpose`."""
    return f"{_encode(payload)}.{_encode(_tag(purpose, payload))}"


def unseal(purpose: str, cursor: str) -> bytes | None:
    """The payload of a cursor this API issued for `purpose`, else None."""
    body, _dot, tag = cursor.partition(".")
    try:
        payload, given = _decode(body), _decode(tag)
    except (ValueError, binascii.Error):
        return None
    return payload if hmac.compare_digest(given, _tag(purpose, payload)) else None


def encode(purpose: str, value: object) -> str:
    """A cursor carrying `value` (anything JSON holds), signed for `purpose`."""
    return seal(purpose, json.dumps(value, separators=(",", ":"), default=str).encode())


def decode(purpose: str, cursor: str) -> Any:  # noqa: ANN401 - any JSON value
    """The value of a cursor this API issued for `purpose`, else `INVALID`. The caller still
    checks every part it uses."""
    payload = unseal(purpose, cursor)
    if payload is None:
        return INVALID
    try:
        return json.loads(payload)
    except ValueError:
        return INVALID


INVALID = object()  # what `decode` gives for a cursor this API did not issue
