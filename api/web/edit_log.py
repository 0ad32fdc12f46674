"""Each record's edit log (`/v1/<collection>/<id>/history`: every version this server
published of it) and `as_of` (a record as it was published at an instant). This server's log,
not the source's history: a notice's own dated versions are `/v1/notice-versions`.
"""

from __future__ import annotations

import json

from flask import current_app
from werkzeug.wrappers import Response

from api.problems import Problem
from api.store import tokens
from api.store.collections import BY_NAME, Collection
from api.store.db import db
from api.store.history import as_of, versions_of
from api.store.models import RecordVersion
from api.web.auth import identity
from api.web.caching import varies_by_token
from api.web.http import Blueprint, get_or_404, published_alternative, requested_languages
from api.web.pagination import paginate
from api.web.pipeline import state
from schemas.common import only_languages
from schemas.history import HistoryArgsSchema, RecordVersionPageSchema


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
    def history(args: dict, **view_args: str) -> dict:
        return history_page(kind, view_args[id_param], args)


def history_reader() -> tokens.Identity | None:
    """Who reads a history: the token's identity (a 401 if it is not valid), or None without
    one; asked once per request, before a 304 too, which then varies by token as the page
    does (private with a token)."""
    current = state()
    if not current.reader_known:
        current.reader, current.reader_known = identity(required=False), True
        current.vary_authorization = True
        current.private = current.reader is not None
    return current.reader


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


def record_as_of(kind: str, record_id: str, args: dict) -> Response:
    """The record as published at `args["as_of"]`, from its history, in the `format` asked
    for (built from the stored version as from a current record)."""
    instant = args["as_of"]
    version = as_of(db.session, kind, record_id, instant)
    noun = BY_NAME[kind].singular
    if version is None:
        raise Problem(404, f"No {noun} with id '{record_id}' existed at {instant.isoformat()}.")
    if version.action == "delete":
        raise Problem(
            410,
            f"The {noun} '{record_id}' had been deleted by {instant.isoformat()} (at "
            f"{version.recorded_at.isoformat()}).",
        )
    languages = requested_languages()
    data = only_languages(version.data, languages) if languages else version.data
    if args.get("format", "json") != "json":
        return published_alternative(kind, args["format"], [data])
    return current_app.response_class(
        json.dumps(data, ensure_ascii=False), mimetype="application/json"
    )
