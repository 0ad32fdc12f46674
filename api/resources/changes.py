"""`/v1/changes`: the change feed, for mirroring the data incrementally."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NoReturn

from flask import current_app, request, url_for
from sqlalchemy import func, select

from api.problems import Problem, field_error
from api.store.collections import BY_NAME
from api.store.db import db
from api.store.models import Change
from api.web import cursors
from api.web.http import Blueprint
from api.web.pagination import fits_column
from api.web.published import stored
from schemas.changes import ChangeArgsSchema, ChangePageSchema

blp = Blueprint(
    "changes",
    __name__,
    url_prefix="/v1/changes",
    description="The change feed: every create, update and delete across all collections in "
    "commit order, with tombstones for deletions, and a cursor to resume from.",
)

ACTIONS = {"create": "created", "update": "updated", "delete": "deleted"}
FEED = "feed"  # what the feed's cursors are signed for (api.web.cursors)


def encode_position(seq: int) -> str:
    return cursors.encode(FEED, seq)


def decode_position(cursor: str) -> int:
    """The position in a cursor the feed issued, else a 400 before any query runs."""
    seq = cursors.decode(FEED, cursor)
    if not isinstance(seq, int) or isinstance(seq, bool) or not fits_column(seq, Change.seq.type):
        _bad_since("`since` is not a cursor this feed issued; use a `cursor` it returned as is.")
    return seq


def _bad_since(detail: str) -> NoReturn:
    raise Problem(400, detail, [field_error("since", detail)])


@blp.route("")
@blp.arguments(ChangeArgsSchema, location="query")
@blp.response(200, ChangePageSchema)
@blp.errors(400, 410)
@blp.doc(operationId="listChanges")
def list_changes(args: dict) -> dict[str, Any]:
    """Changes since a cursor

    The latest change of every record changed after `since` (from the beginning without it),
    in the order the changes were committed: `created` and `updated` carry the record as its
    item endpoint returns it now, `deleted` is a tombstone with `deleted_at`. Apply them in
    order to a mirror (upsert, or delete), then keep `cursor` and ask again later. Deleted items
    answer 410 Gone at their own URL.

    Retention: the feed keeps changes for at least `retention_days` (90 by default, setting
    `CHANGES_RETENTION_DAYS`); a cursor from before the oldest kept change answers 410 Gone,
    and the mirror should start again from the dumps (`/v1/dumps`). A `since` the feed did
    not issue (cursors are signed) is a 400.
    """
    since = decode_position(args["since"]) if args.get("since") else 0
    head = _latest_seq()
    if since > head:  # signed, but not by this database's feed (rebuilt since?)
        _bad_since("`since` is past the feed's latest change; start again from /v1/dumps.")
    oldest = db.session.scalar(select(func.min(Change.seq)))
    if oldest is not None and since < oldest - 1 and _pruned():
        raise Problem(
            410, "Changes after this cursor are no longer kept; start again from /v1/dumps."
        )

    latest = (
        select(Change.kind, Change.record_id, func.max(Change.seq).label("seq"))
        .where(Change.seq > since)
        .group_by(Change.kind, Change.record_id)
        .subquery()
    )
    count = db.session.scalar(select(func.count()).select_from(latest))
    page_size = args["page_size"]
    rows = (
        db.session.execute(
            select(Change)
            .join(latest, Change.seq == latest.c.seq)
            .order_by(Change.seq)
            .limit(page_size + 1)
        )
        .scalars()
        .all()
    )
    more = len(rows) > page_size
    rows = rows[:page_size]

    records = _current_records(rows)
    results = [
        {
            "kind": row.kind,
            "id": row.record_id,
            "change": ACTIONS[row.action],
            "changed_at": row.changed_at,
            "deleted_at": row.changed_at if row.action == "delete" else None,
            "record": records.get((row.kind, row.record_id)),
        }
        for row in rows
    ]
    position = rows[-1].seq if rows else max(since, head)
    cursor = encode_position(position)
    assert request.endpoint is not None  # within the view
    next_url = url_for(request.endpoint, _external=True, since=cursor, page_size=page_size)
    return {
        "count": count,
        "next": next_url if more else None,
        "previous": None,
        "cursor": cursor,
        "retention_days": current_app.config["CHANGES_RETENTION_DAYS"],
        "results": results,
    }


def _latest_seq() -> int:
    return db.session.scalar(select(func.max(Change.seq))) or 0


def _pruned() -> bool:
    """Whether the loader has ever dropped changes past the retention (then seq 1 is gone)."""
    return db.session.scalar(select(func.min(Change.seq))) not in (None, 1)


def _current_records(rows: Sequence[Change]) -> dict[tuple[str, str], dict]:
    """The records the page's creates and updates name, as their item endpoints publish them:
    their stored published forms, one query per kind, not one per row."""
    wanted: dict[str, list[str]] = {}
    for row in rows:
        if row.action != "delete":
            wanted.setdefault(row.kind, []).append(row.record_id)
    records = {}
    for kind_name, ids in wanted.items():
        kind = BY_NAME[kind_name]
        model = kind.model
        forms = db.session.execute(
            select(model.id, model.published_form).where(model.id.in_(sorted(set(ids))))
        )
        for record in stored(kind, [(row[0], row[1]) for row in forms]):
            records[(kind_name, record.id)] = record.data()
    return records
