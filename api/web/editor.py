"""The editor API over HTTP: bearer tokens and scopes, request bodies, If-Match, Idempotency-Key
and the write routes every editable collection registers with `register_editing` (in its own
module, e.g. api/resources/units.py); plus each record's history and `as_of`. The writes
themselves are api/editing.py.

Statuses: 401 without a valid token (with `WWW-Authenticate`), 403 for a missing scope or a
record of another organization, 400 for a body that is not JSON, 413 for a body over
MAX_CONTENT_LENGTH, 415 for another media type, 422 listing every invalid field, 428 for an
update or delete without `If-Match`, 412 when it no longer matches, 409 for a create over an
existing id or a delete of a record others refer to, 503 when the database stays locked.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, g, request
from sqlalchemy import delete as sql_delete
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge, abort

from api.store import tokens
from api.store import writes as editing
from api.store.collections import BY_MODEL, BY_NAME, Collection
from api.store.db import db, lock_for_writing, utcnow
from api.store.history import Actor, Recorder, as_of, versions_of
from api.store.models import IdempotencyKey, RecordVersion
from api.web.caching import forget_data_version, record_etag, record_token, varies_by_token
from api.web.http import Blueprint, get_or_404, paginate, problem, requested_languages
from schemas.common import LANGUAGES
from schemas.history import HistoryArgsSchema, RecordVersionPageSchema

REALM = 'Bearer realm="social-services-api"'
BODY_TYPES = ("application/json", "application/merge-patch+json")
IDEMPOTENCY_HOURS = 24


# --- Who is asking -------------------------------------------------------------------------


def identity(required: bool = True) -> tokens.Identity | None:
    """The request's token identity; without a valid one, a 401 (or None if not `required`
    and no Authorization header was sent at all)."""
    header = request.headers.get("Authorization")
    if header is None and not required:
        return None
    scheme, _, token = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        abort(
            problem(
                401,
                "This needs a bearer token: `Authorization: Bearer <token>`.",
                WWW_Authenticate=REALM,
            )
        )
    found = tokens.authenticate(db.session, token.strip())
    db.session.rollback()  # end the read transaction before a write begins
    if found is None:
        abort(
            problem(
                401,
                "The bearer token is not valid (unknown, malformed or revoked).",
                WWW_Authenticate=f'{REALM}, error="invalid_token"',
            )
        )
    return found


def require_scope(who: tokens.Identity, kind: str) -> None:
    if not who.may_write(kind):
        scope = tokens.SCOPE_OF_KIND[kind]
        abort(
            problem(
                403,
                f"The token '{who.name}' lacks the scope `{scope}` that writes {kind}.",
                WWW_Authenticate=f'{REALM}, error="insufficient_scope", scope="{scope}"',
            )
        )


def require_organization(session, who: tokens.Identity, collection, record: dict) -> None:
    """The record a request names, before and after the change, is of the token's
    organizations (with `require_reach`, the organization rule)."""
    if who.organization_id is None or who.admin:
        return
    allowed = editing.within(session, who.organization_id)
    owners = editing.organizations_of(session, collection, record)
    if not owners <= allowed:
        raise editing.Forbidden(
            f"The token '{who.name}' may only change records of the organization "
            f"'{who.organization_id}' and those below it; {collection.name} '{record['id']}' "
            f"belongs to {', '.join(repr(o) for o in sorted(owners, key=str))}."
        )


def require_reach(session, who: tokens.Identity, recorder: Recorder) -> None:
    """The organization rule on everything a write changed, derived effects included
    (api.store.writes.outside); checked in the transaction, before the commit."""
    if who.organization_id is None or who.admin:
        return
    beyond = editing.outside(session, who.organization_id, recorder)
    if beyond:
        raise editing.Forbidden(
            f"The token '{who.name}' may only change records of the organization "
            f"'{who.organization_id}' and those below it; this write would also change "
            f"{'; '.join(beyond)}."
        )


# --- The request -----------------------------------------------------------------------------


MAX_DEPTH = 32  # a record nests four levels deep at most
_NOT_TEXT = re.compile(r"[\x00\ud800-\udfff]")  # NUL, and halves of a surrogate pair


def read_body() -> Any:
    """The request's JSON body, read strictly (RFC 8259): UTF-8 without a byte order mark or a
    content coding, no key twice in one object, no NaN or Infinity, no string that is not
    Unicode text or holds a NUL character, nested at most MAX_DEPTH deep; and over
    MAX_CONTENT_LENGTH a 413 whether or not it came with a Content-Length."""
    if request.mimetype not in BODY_TYPES:
        abort(problem(415, f"Send the record as {' or '.join(BODY_TYPES)}."))
    if request.mimetype_params.get("charset", "utf-8").lower() not in ("utf-8", "utf8"):
        abort(problem(415, "Send the record in UTF-8, the only encoding of JSON (RFC 8259)."))
    if request.headers.get("Content-Encoding", "identity").strip().lower() not in ("", "identity"):
        abort(
            problem(
                415,
                "Send the body uncompressed: a request body takes no `Content-Encoding`.",
                Accept_Encoding="identity",
            )
        )
    raw = _body_bytes()
    try:
        if raw.startswith(codecs.BOM_UTF8) or b"\x00" in raw:  # a BOM, UTF-16 or UTF-32
            raise UnicodeError
        text = raw.decode("utf-8")
    except UnicodeError:
        raise BadRequest("The body must be JSON in UTF-8, without a byte order mark.") from None
    try:
        body = json.loads(text, object_pairs_hook=_object, parse_constant=_not_a_number)
    except _RepeatedKey as error:
        abort(problem(400, "A key is given twice in one object.", [_error(error.key, "Twice.")]))
    except RecursionError:
        raise BadRequest(f"The body nests deeper than {MAX_DEPTH} levels.") from None
    except ValueError as error:
        raise BadRequest(f"The body is not valid JSON: {error}.") from None
    errors = list(_unreadable(body))
    if errors:
        abort(problem(400, "The body holds what no record can; see `errors`.", errors))
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
        abort(problem(413, f"The body is larger than the {limit} bytes a write may send."))
    return raw


class _RepeatedKey(ValueError):
    def __init__(self, key: str):
        super().__init__(key)
        self.key = _printable(key)


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object, refusing a key given twice (json.loads would keep the last silently)."""
    obj = dict(pairs)
    if len(obj) < len(pairs):
        seen: set[str] = set()
        raise _RepeatedKey(next(key for key, _ in pairs if key in seen or seen.add(key)))
    return obj


def _not_a_number(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def _unreadable(value: Any, path: str = "", depth: int = 0):
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
    return {"field": field or "(body)", "message": message}


def check_if_match(obj) -> None:
    header = request.headers.get("If-Match")
    if header is None:
        abort(
            problem(
                428,
                "Send `If-Match` with the record's ETag (from a GET), so that a change made "
                "meanwhile by someone else is not overwritten.",
            )
        )
    current = record_token(obj)
    for candidate in header.split(","):
        value = candidate.strip()
        if value == "*" or (
            not value.startswith("W/") and value.strip('"').split(".", 1)[0] == current
        ):
            return
    abort(
        problem(
            412,
            "The record changed since that ETag was issued; GET it again and reapply the change.",
            ETag=record_etag(obj, _item_path(obj)),
        )
    )


def _item_path(obj) -> str:
    return f"/v1/{BY_MODEL[type(obj)].name}/{obj.id}"


def record_response(kind: str, obj, status: int):
    body = json.dumps(BY_NAME[kind].dump(obj), ensure_ascii=False)
    response = current_app.response_class(body, status=status, mimetype="application/json")
    path = f"/v1/{kind}/{obj.id}"
    response.headers["ETag"] = record_etag(obj, path)
    response.headers["Cache-Control"] = "no-store"
    if status == 201:
        response.headers["Location"] = request.host_url.rstrip("/") + path
    return response


def write(who: tokens.Identity, work: Callable, idempotent: bool = False):
    """Run `work(session, recorder, now)` in one transaction holding the write lock, and
    return its response; with `Idempotency-Key` (creates), replay the stored response of an
    earlier identical request."""
    key = request.headers.get("Idempotency-Key") if idempotent else None
    if key is not None and not 1 <= len(key) <= 255:
        raise BadRequest("`Idempotency-Key` must be 1 to 255 characters.")
    fingerprint = hashlib.sha256(
        request.method.encode() + request.path.encode() + b"\n" + request.get_data(cache=True)
    ).hexdigest()
    actor = Actor(who.name, who.token_id, request.remote_addr)
    session = db.new_session()
    try:
        with session.begin():
            lock_for_writing(session)
            now = utcnow()
            if key is not None:
                session.execute(
                    sql_delete(IdempotencyKey).where(
                        IdempotencyKey.created_at < now - timedelta(hours=IDEMPOTENCY_HOURS)
                    )
                )
                earlier = session.get(IdempotencyKey, (who.token_id, key))
                if earlier is not None:
                    if earlier.request_hash != fingerprint:
                        raise editing.Invalid(
                            "This Idempotency-Key was used for a different request; use a new "
                            "key for a new request."
                        )
                    replay = current_app.response_class(earlier.body, status=earlier.status)
                    replay.headers.update(earlier.headers)
                    replay.headers["Idempotent-Replayed"] = "true"
                    return replay
            recorder = Recorder(session, actor, now)
            response = work(session, recorder, now)
            require_reach(session, who, recorder)
            if key is not None:
                session.add(
                    IdempotencyKey(
                        token_id=who.token_id,
                        key=key,
                        request_hash=fingerprint,
                        status=response.status_code,
                        headers={
                            name: value
                            for name, value in response.headers.items()
                            if name in ("Content-Type", "Location", "ETag", "Cache-Control")
                        },
                        body=response.get_data(as_text=True),
                        created_at=now,
                    )
                )
        forget_data_version()  # this process's next read sees the write at once
        return response
    except editing.EditError as error:
        return problem(error.status, error.detail, error.errors)
    except OperationalError as error:
        if "locked" not in str(error):
            raise
        return problem(503, "The database is busy; try again shortly.", Retry_After="5")
    finally:
        session.close()


def current_record(session, collection, record_id: str):
    """The record to change, locked in this transaction; 404 or 410 as for a GET."""
    obj = session.get(collection.model, record_id)
    if obj is None:
        get_or_404(collection.model, record_id)  # raises the 404 or 410 problem
    return obj


def today() -> Any:
    return datetime.now(ZoneInfo(current_app.config["DEFAULT_TIMEZONE"])).date()


# --- Routes ----------------------------------------------------------------------------------


def editor_docs(
    operation_id: str, statuses: tuple[int, ...], body: str | None = None, **extra
) -> dict:
    responses = {
        str(status): {"$ref": f"#/components/responses/{RESPONSE_NAMES[status]}"}
        for status in (*statuses, 500)
    }
    doc: dict[str, Any] = {"operationId": operation_id, "responses": responses, **extra}
    if body:
        doc["requestBody"] = {
            "required": True,
            "content": {
                media: {"schema": {"$ref": f"#/components/schemas/{body}"}}
                for media in (
                    ("application/merge-patch+json", "application/json")
                    if body.endswith("Patch")
                    else ("application/json",)
                )
            },
        }
    return doc


RESPONSE_NAMES = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    409: "Conflict",
    410: "Gone",
    412: "PreconditionFailed",
    413: "ContentTooLarge",
    415: "UnsupportedMediaType",
    422: "UnprocessableContent",
    428: "PreconditionRequired",
    500: "InternalServerError",
    503: "ServiceUnavailable",
}


def register_editing(blp: Blueprint, collection: Collection) -> None:
    """Add to a collection's blueprint: POST (create), PUT (replace), PATCH (merge patch),
    DELETE, and GET `/<id>/history`."""
    kind, id_param, schema = collection.name, collection.id_param, collection.schema
    noun = collection.component
    text = collection.indefinite
    scope = collection.scope
    security = [{"bearerAuth": []}]
    common = (400, 401, 403, 413, 415, 422, 503)
    item = f"/<{id_param}>"
    item_statuses = (*common, 404, 410, 412, 428)

    @blp.route("", methods=["POST"], endpoint=f"create_{collection.key}")
    @blp.response(201, schema, headers={"Location": {"$ref": "#/components/headers/Location"}})
    @blp.doc(
        summary=f"Create {text}",
        description=f"Needs a token with `{scope}`. With `Idempotency-Key`, a retry of the "
        "same request returns the first response instead of creating twice.",
        security=security,
        **editor_docs(f"create{noun}", (*common, 409), f"{noun}Input"),
    )
    def create():
        who = identity()
        require_scope(who, kind)
        body = read_body()
        record_id = body.get("id") if isinstance(body, dict) else None
        if not isinstance(record_id, str):
            missing = [{"field": "id", "message": "Missing data for required field."}]
            return problem(422, "The record needs an `id`.", missing)

        def work(session, recorder, now):
            if session.get(collection.model, record_id) is not None:
                raise editing.Conflict(f"A record with id '{record_id}' exists; PUT replaces it.")
            record = editing.validate(session, collection, body, record_id)
            editing.keep_set_elsewhere(collection, None, record)
            require_organization(session, who, collection, record)
            record = editing.dated(collection, record, today())
            obj = editing.save(
                session, collection, record, recorder, now, retention_days(), horizon_days()
            )
            return record_response(kind, obj, 201)

        return write(who, work, idempotent=True)

    def update(record_id: str, patch: bool):
        who = identity()
        require_scope(who, kind)
        body = read_body()

        def work(session, recorder, now):
            obj = current_record(session, collection, record_id)
            check_if_match(obj)
            before = editing.input_of(collection, obj)
            require_organization(session, who, collection, before)
            merged = editing.merge_patch(before, body) if patch else body
            record = editing.validate(session, collection, merged, record_id)
            editing.keep_set_elsewhere(collection, before, record)
            require_organization(session, who, collection, record)
            record = editing.dated(collection, record, today())
            obj = editing.save(
                session, collection, record, recorder, now, retention_days(), horizon_days()
            )
            return record_response(kind, obj, 200)

        return write(who, work)

    @blp.route(item, methods=["PUT"], endpoint=f"replace_{collection.key}")
    @blp.response(200, schema)
    @blp.doc(
        summary=f"Replace {text}",
        description=f"The whole record, as for a create. Needs `{scope}` and `If-Match` with "
        "the ETag from a GET.",
        security=security,
        **editor_docs(f"replace{noun}", item_statuses, f"{noun}Input"),
    )
    def replace(**view_args):
        return update(view_args[id_param], patch=False)

    @blp.route(item, methods=["PATCH"], endpoint=f"update_{collection.key}")
    @blp.response(200, schema)
    @blp.doc(
        summary=f"Change part of {text}",
        description="A JSON Merge Patch (RFC 7396): the fields given replace the record's, "
        f"objects merge, null resets a field. Needs `{scope}` and `If-Match`.",
        security=security,
        **editor_docs(f"update{noun}", item_statuses, f"{noun}Patch"),
    )
    def patch(**view_args):
        return update(view_args[id_param], patch=True)

    @blp.route(item, methods=["DELETE"], endpoint=f"delete_{collection.key}")
    @blp.response(204)
    @blp.doc(
        summary=f"Delete {text}",
        description="From then on the item answers 410 Gone, the change feed has its "
        f"tombstone and its history keeps every version. Needs `{scope}` and `If-Match`.",
        security=security,
        **editor_docs(f"delete{noun}", (400, 401, 403, 404, 409, 410, 412, 428, 503)),
    )
    def remove(**view_args):
        record_id = view_args[id_param]
        who = identity()
        require_scope(who, kind)

        def work(session, recorder, now):
            obj = current_record(session, collection, record_id)
            check_if_match(obj)
            require_organization(session, who, collection, editing.input_of(collection, obj))
            editing.delete(
                session, collection, obj, recorder, now, retention_days(), horizon_days()
            )
            return current_app.response_class(status=204)

        return write(who, work)

    register_history(blp, collection)


def register_history(blp: Blueprint, collection: Collection) -> None:
    """Add GET `/<id>/history` to a collection's blueprint."""
    kind, id_param = collection.name, collection.id_param

    @blp.route(f"/<{id_param}>/history", endpoint=f"history_{collection.key}")
    @varies_by_token(history_audience)
    @blp.arguments(HistoryArgsSchema, location="query")
    @blp.response(200, RecordVersionPageSchema)
    @blp.errors(400, 404)
    @blp.doc(
        operationId=f"list{collection.component}History",
        summary=f"This server's edit log of {collection.indefinite}",
        description="Every version this server published of the record (each load of the data "
        "and each editor write that changed it), oldest first, also after a delete: what each "
        "version published and what it changed. Who made each change, and from where, is shown "
        "to admin tokens only. This is not the history of the source: a notice's own dated "
        "versions are at `/v1/notice-versions`.",
    )
    def history(args, **view_args):
        return history_page(kind, view_args[id_param], args)


def retention_days() -> int:
    return current_app.config["CHANGES_RETENTION_DAYS"]


def horizon_days() -> int:
    return current_app.config["KNOWLEDGE_HORIZON_DAYS"]


# --- History and as_of -----------------------------------------------------------------------


def history_reader() -> tokens.Identity | None:
    """Who reads a history: the token's identity (a 401 if it is not valid), or None without
    one; asked once per request, before a 304 too, which then varies by token as the page
    does (private with a token)."""
    if "history_reader" not in g:
        g.history_reader = identity(required=False)
        g.vary_authorization = True
        if g.history_reader is not None:
            g.private = True
    return g.history_reader


def history_audience() -> str:
    """Which history body a request gets: with who made each change, or without."""
    who = history_reader()
    return "admin" if who is not None and who.admin else "public"


def history_page(kind: str, record_id: str, args: dict) -> dict:
    """A page of a record's versions (404 if it never existed)."""
    who = history_reader()
    statement = versions_of(kind, record_id)
    exists = db.session.scalar(versions_of(kind, record_id).with_only_columns(RecordVersion.seq))
    if exists is None:
        get_or_404(BY_NAME[kind].model, record_id)
    page = paginate(statement, (RecordVersion.version,), args)
    admin = who is not None and who.admin
    page["results"] = [
        {
            "version": v.version,
            "action": v.action,
            "recorded_at": v.recorded_at,
            "batch": v.batch,
            "changed_by": v.actor if admin else None,
            "remote_addr": v.remote_addr if admin else None,
            "diff": v.diff,
            "data": v.data,
        }
        for v in page["results"]
    ]
    return page


def record_as_of(kind: str, record_id: str, args: dict):
    """The record as published at `args["as_of"]`, from its history."""
    instant = args["as_of"]
    if args.get("format", "json") != "json":
        raise BadRequest("`as_of` gives the JSON form only; leave out `format`.")
    version = as_of(db.session, kind, record_id, instant)
    noun = BY_NAME[kind].singular
    if version is None:
        abort(problem(404, f"No {noun} with id '{record_id}' existed at {instant.isoformat()}."))
    if version.action == "delete":
        abort(
            problem(
                410,
                f"The {noun} '{record_id}' had been deleted by {instant.isoformat()} (at "
                f"{version.recorded_at.isoformat()}).",
            )
        )
    languages = requested_languages()
    data = _only_languages(version.data, languages) if languages else version.data
    return current_app.response_class(
        json.dumps(data, ensure_ascii=False), mimetype="application/json"
    )


def _only_languages(value: Any, languages: tuple[str, ...]) -> Any:
    """What `lang=` does to a published record, applied to a stored one."""
    if isinstance(value, dict):
        if set(value) == set(LANGUAGES):
            return {lang: value.get(lang) for lang in languages}
        return {key: _only_languages(item, languages) for key, item in value.items()}
    if isinstance(value, list):
        return [_only_languages(item, languages) for item in value]
    return value
