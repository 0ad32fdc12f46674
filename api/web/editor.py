"""The editor API's writes over HTTP: If-Match, Idempotency-Key, the one transaction each write
runs in, and the routes every editable collection registers with `register_editing` (in its own
module, e.g. api/resources/units.py). Who may write is api/web/auth.py, bodies are
api/web/bodies.py, the writes themselves api/store/writes.py, and each record's edit log
api/web/edit_log.py.

Statuses: 401 and 403 (api/web/auth.py), 400, 413 and 415 for a body (api/web/bodies.py), 422
listing every invalid field, 428 for an update or delete without `If-Match`, 412 when it no
longer matches, 409 for a create over an existing id or a delete of a record others refer to,
503 when the database stays locked.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apispec import APISpec
from flask import current_app, request
from sqlalchemy import delete as sql_delete
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from api.problems import Problem, field_error
from api.store import tokens
from api.store import writes as editing
from api.store.collections import BY_MODEL, BY_NAME, EDITABLE, Collection
from api.store.db import db, lock_for_writing, utcnow
from api.store.history import Actor, Recorder
from api.store.models import IdempotencyKey, Record
from api.web.auth import identity, require_organization, require_reach, require_scope
from api.web.bodies import read_body
from api.web.caching import forget_data_version, record_etag, record_token
from api.web.edit_log import register_history
from api.web.http import ERROR_RESPONSES, Blueprint, raise_not_found

IDEMPOTENCY_HOURS = 24


def check_if_match(obj: Record) -> None:
    header = request.headers.get("If-Match")
    if header is None:
        raise Problem(
            428,
            "Send `If-Match` with the record's ETag (from a GET), so that a change made "
            "meanwhile by someone else is not overwritten.",
        )
    if not header.strip():
        detail = "`If-Match` is empty: send the record's ETag (from a GET), or `*`."
        raise Problem(400, detail, [field_error("If-Match", "Empty.")])
    current = record_token(obj)
    for candidate in header.split(","):
        value = candidate.strip()
        if value == "*" or (
            not value.startswith("W/") and value.strip('"').split(".", 1)[0] == current
        ):
            return
    raise Problem(
        412,
        "The record changed since that ETag was issued; GET it again and reapply the change.",
        headers={"ETag": record_etag(obj, _item_path(obj))},
    )


def _item_path(obj: Record) -> str:
    return f"/v1/{BY_MODEL[type(obj)].name}/{obj.id}"


def record_response(kind: str, obj: Record, status: int) -> Response:
    body = json.dumps(BY_NAME[kind].dump(obj), ensure_ascii=False)
    response = current_app.response_class(body, status=status, mimetype="application/json")
    path = f"/v1/{kind}/{obj.id}"
    response.headers["ETag"] = record_etag(obj, path)
    response.headers["Cache-Control"] = "no-store"
    if status == 201:
        response.headers["Location"] = request.host_url.rstrip("/") + path
    return response


def write(
    who: tokens.Identity,
    work: Callable[[Session, Recorder, datetime], Response],
    idempotent: bool = False,
) -> Response:
    """Run `work(session, recorder, now)` in one transaction holding the write lock, and
    return its response; with `Idempotency-Key` (creates), replay the stored response of an
    earlier identical request."""
    key = request.headers.get("Idempotency-Key") if idempotent else None
    if key is not None and not 1 <= len(key) <= 255:
        raise Problem(400, "`Idempotency-Key` must be 1 to 255 characters.")
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
                        raise Problem(
                            422,
                            "This Idempotency-Key was used for a different request; use a new "
                            "key for a new request.",
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
    except OperationalError as error:
        if "locked" not in str(error):
            raise
        raise Problem(
            503, "The database is busy; try again shortly.", headers={"Retry-After": "5"}
        ) from None
    finally:
        session.close()


def current_record(session: Session, collection: Collection, record_id: str) -> Record:
    """The record to change, locked in this transaction; 404 or 410 as for a GET."""
    obj = session.get(collection.model, record_id)
    if obj is None:
        raise_not_found(collection.model, record_id)
    return obj


def today() -> date:
    return datetime.now(ZoneInfo(current_app.config["DEFAULT_TIMEZONE"])).date()


def policy() -> editing.Policy:
    """What writes keep to, from the settings."""
    return editing.Policy(
        retention_days=current_app.config["CHANGES_RETENTION_DAYS"],
        horizon_days=current_app.config["KNOWLEDGE_HORIZON_DAYS"],
    )


# --- Routes ----------------------------------------------------------------------------------


def document_writes(spec: APISpec) -> None:
    """Say in the spec what a write needs: the `If-Match` header parameter (required by every
    operation that answers 428 without it), the `ETag` header of each record response, and
    OpenAPI links from every response that gives a record's ETag (its GET, its create, replace,
    update and supersede) to the writes that take it as `If-Match`, and from each list to its
    first record, so that a client, or a stateful fuzzer, can follow a read to a write. Called
    on the apispec `APISpec` once every blueprint is registered."""
    spec.components.parameter(
        "IfMatch",
        "header",
        {
            "name": "If-Match",
            "required": True,
            "description": "The record's `ETag` from a GET (or from the write that made this "
            "version). Without it the write answers 428; with one that no longer matches, "
            "412 and the current ETag, so that a change made meanwhile is not overwritten.",
            "schema": {
                "type": "string",
                "minLength": 1,
                "example": '"3f2a9c41d0e7b5a8.0c1d2e3f4a5b"',
            },
        },
    )
    spec.components.header(
        "ETag",
        {
            "description": "The version of this record as shown: send it as `If-Match` to change "
            "or delete the record (see the operation's links).",
            "schema": {"type": "string"},
        },
    )
    paths: dict[str, dict[str, Any]] = spec._paths
    for operations in paths.values():
        for operation in operations.values():
            if isinstance(operation, dict) and "428" in operation.get("responses", {}):
                operation.setdefault("parameters", []).append(
                    {"$ref": "#/components/parameters/IfMatch"}
                )
    for collection in EDITABLE.values():
        param = collection.id_param
        item_path = f"/v1/{collection.name}/{{{param}}}"
        item = paths[item_path]
        read = item["get"]
        writes = [item["put"], item["patch"], item["delete"]]
        sources = [
            (read, "200", f"$request.path.{param}"),
            (paths[f"/v1/{collection.name}"]["post"], "201", "$response.body#/id"),
            (item["put"], "200", "$response.body#/id"),
            (item["patch"], "200", "$response.body#/id"),
        ]
        if f"{item_path}/supersede" in paths:  # status notices: the new version is a record
            writes.append(paths[f"{item_path}/supersede"]["post"])
            sources.append((writes[-1], "201", "$response.body#/id"))
        listed = paths[f"/v1/{collection.name}"]["get"]["responses"]["200"]
        listed.setdefault("links", {})[read["operationId"]] = {
            "operationId": read["operationId"],
            "parameters": {f"path.{param}": "$response.body#/results/0/id"},
            "description": "The first record of the page.",
        }
        for source, status, record_id in sources:
            response = source["responses"][status]
            response.setdefault("headers", {})["ETag"] = {"$ref": "#/components/headers/ETag"}
            links = response.setdefault("links", {})
            if source is not read:
                links[read["operationId"]] = {
                    "operationId": read["operationId"],
                    "parameters": {f"path.{param}": record_id},
                    "description": "The record as published.",
                }
            for target in writes:
                links[target["operationId"]] = {
                    "operationId": target["operationId"],
                    "parameters": {
                        f"path.{param}": record_id,
                        "header.If-Match": "$response.header.ETag",
                    },
                    "description": "A write to this version of the record, with its ETag as "
                    "`If-Match`.",
                }


def editor_docs(
    operation_id: str, statuses: tuple[int, ...], body: str | None = None, **extra: Any
) -> dict[str, Any]:
    """The spec of a write operation: its id, its problem responses, its request body."""
    responses = {
        str(status): {"$ref": f"#/components/responses/{ERROR_RESPONSES[status][0]}"}
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


def register_editing(blp: Blueprint, collection: Collection) -> None:
    """Add to a collection's blueprint: POST (create), PUT (replace), PATCH (merge patch),
    DELETE, and GET `/<id>/history`."""
    kind, id_param, schema = collection.name, collection.id_param, collection.schema
    noun = collection.component
    text = collection.indefinite
    scope = collection.scope
    security: list[dict[str, list[str]]] = [{"bearerAuth": []}]
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
    def create() -> Response:
        who = identity()
        require_scope(who, kind)
        body = read_body()
        record_id = body.get("id") if isinstance(body, dict) else None
        if not isinstance(record_id, str):
            missing = [field_error("id", "Missing data for required field.")]
            raise Problem(422, "The record needs an `id`.", missing)

        def work(session: Session, recorder: Recorder, now: datetime) -> Response:
            if session.get(collection.model, record_id) is not None:
                raise Problem(409, f"A record with id '{record_id}' exists; PUT replaces it.")
            record = editing.validate(session, collection, body, record_id)
            editing.keep_set_elsewhere(collection, None, record)
            require_organization(session, who, collection, record)
            record = editing.dated(collection, record, today())
            obj = editing.save(session, collection, record, recorder, now, policy())
            return record_response(kind, obj, 201)

        return write(who, work, idempotent=True)

    def update(record_id: str, patch: bool) -> Response:
        who = identity()
        require_scope(who, kind)
        body = read_body()

        def work(session: Session, recorder: Recorder, now: datetime) -> Response:
            obj = current_record(session, collection, record_id)
            check_if_match(obj)
            before = editing.input_of(collection, obj)
            require_organization(session, who, collection, before)
            merged = editing.merge_patch(before, body) if patch else body
            record = editing.validate(session, collection, merged, record_id)
            editing.keep_set_elsewhere(collection, before, record)
            require_organization(session, who, collection, record)
            record = editing.dated(collection, record, today())
            obj = editing.save(session, collection, record, recorder, now, policy())
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
    def replace(**view_args: str) -> Response:
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
    def patch(**view_args: str) -> Response:
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
    def remove(**view_args: str) -> Response:
        record_id = view_args[id_param]
        who = identity()
        require_scope(who, kind)

        def work(session: Session, recorder: Recorder, now: datetime) -> Response:
            obj = current_record(session, collection, record_id)
            check_if_match(obj)
            require_organization(session, who, collection, editing.input_of(collection, obj))
            editing.delete(session, collection, obj, recorder, now, policy())
            return current_app.response_class(status=204)

        return write(who, work)

    register_history(blp, collection)
