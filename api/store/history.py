"""The audit trail: every version of every record, who made it, when and from where, written in
the same transaction as the change and its change-feed row. No Flask here: the loader and the
editor API record through `Recorder`; the endpoints read with `versions_of` and `as_of`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, Text, bindparam, cast, func, insert, select
from sqlalchemy.orm import Bundle, Session

from api.store.collections import PUBLISHED
from api.store.db import AnySession
from api.store.models import Change, RecordVersion

BATCH_SIZE = 500


@dataclass(frozen=True)
class Actor:
    """Who makes a change: a token's name (and id), or the data loader; and from where. Every
    version written for one request or one reload shares its `batch`."""

    name: str
    token_id: int | None = None
    remote_addr: str | None = None
    batch: str = field(default_factory=lambda: str(uuid.uuid4()))


def loader_actor() -> Actor:
    return Actor("data loader")


def diff(before: object, after: object, path: str = "") -> list[dict[str, Any]]:
    """What changed from `before` to `after`: objects are compared key by key (JSON-pointer
    paths), anything else (strings, numbers, lists) as a whole."""
    if isinstance(before, dict) and isinstance(after, dict):
        out = []
        for key in [*before, *(k for k in after if k not in before)]:
            where = f"{path}/{str(key).replace('~', '~0').replace('/', '~1')}"
            if key not in after:
                out.append({"op": "remove", "path": where, "before": before[key], "after": None})
            elif key not in before:
                out.append({"op": "add", "path": where, "before": None, "after": after[key]})
            else:
                out.extend(diff(before[key], after[key], where))
        return out
    if before == after:
        return []
    return [{"op": "replace", "path": path, "before": before, "after": after}]


class Recorder:
    """Collects (kind, id, action, data) while a transaction writes, and writes the change-feed
    rows (published kinds only) and the versions in batches, in the order they were added."""

    def __init__(self, session: Session, actor: Actor, now: datetime) -> None:
        self.session, self.actor, self.now = session, actor, now
        self.pending: list[tuple[str, str, str, dict[str, Any]]] = []
        self.published = {kind.name for kind in PUBLISHED}
        self.changes: list[tuple[str, str, str]] = []
        # What a write reached besides the records it gave a version, and how (api.store.writes):
        # the units whose applicable notices changed, the records it newly refers to.
        self.reached: dict[tuple[str, str], str] = {}

    def add(self, kind: str, record_id: str, action: str, data: dict[str, Any]) -> None:
        self.pending.append((kind, record_id, action, data))
        if len(self.pending) >= BATCH_SIZE:
            self.flush()

    def flush(self) -> None:
        pending, self.pending = self.pending, []
        if not pending:
            return
        latest = self._latest_versions(pending)
        feed = [
            {"kind": kind, "record_id": rid, "action": action, "changed_at": self.now}
            for kind, rid, action, _data in pending
            if kind in self.published
        ]
        seqs = iter(
            self.session.scalars(
                insert(Change).returning(Change.seq, sort_by_parameter_order=True), feed
            ).all()
            if feed
            else ()
        )
        rows = []
        for kind, rid, action, data in pending:
            version, before = latest.get((kind, rid), (0, None))
            rows.append(
                {
                    "kind": kind,
                    "record_id": rid,
                    "version": version + 1,
                    "action": action,
                    "recorded_at": self.now,
                    "batch": self.actor.batch,
                    "actor": self.actor.name,
                    "token_id": self.actor.token_id,
                    "remote_addr": self.actor.remote_addr,
                    "change_seq": next(seqs) if kind in self.published else None,
                    "data": data,
                    "diff": diff(before, data) if action == "update" and before else [],
                }
            )
            latest[(kind, rid)] = (version + 1, data)
            self.changes.append((kind, rid, action))
        self.session.execute(insert(RecordVersion), rows)

    def _latest_versions(
        self, pending: list[tuple[str, str, str, dict[str, Any]]]
    ) -> dict[tuple[str, str], tuple[int, dict]]:
        """(kind, id) -> (its latest version number, that version's data)."""
        by_kind: dict[str, set[str]] = {}
        for kind, rid, _action, _data in pending:
            by_kind.setdefault(kind, set()).add(rid)
        out = {}
        for kind, ids in by_kind.items():
            newest = (
                select(RecordVersion.record_id, func.max(RecordVersion.version).label("version"))
                .where(RecordVersion.kind == kind, RecordVersion.record_id.in_(sorted(ids)))
                .group_by(RecordVersion.record_id)
                .subquery()
            )
            rows = self.session.execute(
                select(RecordVersion.record_id, RecordVersion.version, RecordVersion.data)
                .join(
                    newest,
                    (RecordVersion.record_id == newest.c.record_id)
                    & (RecordVersion.version == newest.c.version),
                )
                .where(RecordVersion.kind == kind)
            )
            out.update({(kind, rid): (version, data) for rid, version, data in rows})
        return out


# --- Reading -------------------------------------------------------------------------------


def versions_of(kind: str, record_id: str) -> Select:
    """A record's versions, oldest first (for the pager: order by `version`)."""
    return select(RecordVersion).where(
        RecordVersion.kind == kind, RecordVersion.record_id == record_id
    )


# A version as stored: its columns, with `data` (the record's published form of that version)
# and `diff` as the JSON text written, not parsed, and no ORM object.
STORED_VERSION: Bundle[Any] = Bundle(
    "version",
    RecordVersion.version,
    RecordVersion.action,
    RecordVersion.recorded_at,
    RecordVersion.batch,
    RecordVersion.actor,
    RecordVersion.remote_addr,
    cast(RecordVersion.diff, Text).label("diff"),
    cast(RecordVersion.data, Text).label("data"),
)


def stored_versions(kind: str, record_id: str) -> Select:
    """A record's versions as stored (`STORED_VERSION` rows), for the pager: order by
    `RecordVersion.version`."""
    return select(STORED_VERSION).where(
        RecordVersion.kind == kind, RecordVersion.record_id == record_id
    )


# The version of a record in force at an instant, as stored: built once (a read costs no
# statement building), its values bound by name.
_IN_FORCE = (
    select(
        RecordVersion.action,
        RecordVersion.recorded_at,
        cast(RecordVersion.data, Text).label("data"),
    )
    .where(
        RecordVersion.kind == bindparam("kind"),
        RecordVersion.record_id == bindparam("record_id"),
        RecordVersion.recorded_at <= bindparam("instant"),
    )
    .order_by(RecordVersion.version.desc())
    .limit(1)
)


def as_of(
    session: AnySession, kind: str, record_id: str, instant: datetime
) -> Row[str, datetime, str] | None:
    """The version of a record in force at `instant` (it may be its deletion), or None: its
    `action`, `recorded_at` and `data` as the JSON text stored."""
    parameters = {"kind": kind, "record_id": record_id, "instant": instant}
    return session.execute(_IN_FORCE, parameters).first()


def deletion(session: AnySession, kind: str, record_id: str) -> RecordVersion | None:
    """The version that deleted a record that is gone, or None."""
    latest = session.scalar(
        versions_of(kind, record_id).order_by(RecordVersion.version.desc()).limit(1)
    )
    return latest if latest is not None and latest.action == "delete" else None
