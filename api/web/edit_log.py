"""Each record's edit log (`/v1/<collection>/<id>/history`: every version this server
published of it) and `as_of` (a record as it was published at an instant). This server's log,
not the source's history: a notice's own dated versions are `/v1/notice-versions`.
"""

from __future__ import annotations

import json

from flask import jsonify
from werkzeug.wrappers import Response

from api.problems import Problem
from api.store import tokens
from api.store.collections import BY_NAME, Collection, form_text
from api.store.db import db
from api.store.history import as_of, stored_versions, versions_of
from api.store.models import RecordVersion
from api.web.auth import identity
from api.web.caching import varies_by_token
from api.web.http import Blueprint, get_or_404, published_alternative
from api.web.pagination import paginate
from api.web.pipeline import state
from api.web.published import Stored
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
    def history(args: dict, **view_args: str) -> Response:
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


def history_page(kind: str, record_id: str, args: dict) -> Response:
    """A page of a record's versions (404 if it never existed), assembled from the versions as
    stored (api.store.history.STORED_VERSION): neither the ORM nor marshmallow makes any of
    them, the envelope alone is dumped by its schema."""
    who = history_reader()
    model = BY_NAME[kind].model
    if args.get("cursor"):  # a record never seen is a 404 before its cursor is read
        seen = versions_of(kind, record_id).with_only_columns(RecordVersion.seq).limit(1)
        if db.session.scalar(seen) is None:
            get_or_404(model, record_id)
    page = paginate(stored_versions(kind, record_id), (RecordVersion.version,), args)
    if not args.get("cursor") and not page["results"]:  # no version: 404 unless it exists
        get_or_404(model, record_id)
    admin = who is not None and who.admin
    body = PAGE_SCHEMA.dump({**page, "results": []})
    body["results"] = [
        {
            "version": v.version,
            "action": v.action,
            "recorded_at": v.recorded_at.isoformat(),
            "batch": v.batch,
            "changed_by": v.actor if admin else None,
            "remote_addr": v.remote_addr if admin else None,
            "diff": json.loads(v.diff),
            "data": json.loads(v.data),
        }
        for v in page["results"]
    ]
    return jsonify(body)


# The envelope of a history page (its versions are not dumped by it: `history_page`).
PAGE_SCHEMA = RecordVersionPageSchema()


def record_as_of(kind: str, record_id: str, args: dict) -> Stored | Response:
    """The record as published at `args["as_of"]`, from its history, in the `format` asked
    for: the stored version served as an item's stored form is (`lang=` trims it)."""
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
    record = Stored(BY_NAME[kind], record_id, form_text(json.loads(version.data)))
    if args.get("format", "json") != "json":
        return published_alternative(kind, args["format"], [record.data()])
    return record
