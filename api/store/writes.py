"""The editor API's writes, without Flask: one record created, replaced or deleted, validated
with the loader's own schemas and reference checks, with what depends on it refreshed, its
published form and that of every record embedding it re-stamped, and every new version recorded
in the audit trail and the change feed: all in the caller's transaction, which must have begun
with `api.store.db.lock_for_writing`. api/editor.py is the HTTP side.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from marshmallow import ValidationError
from sqlalchemy import Column, Table, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from api.problems import Problem, field_error
from api.store.collections import BY_NAME, COLLECTIONS, EDITABLE, Collection
from api.store.derived import DEFAULT_HORIZON_DAYS, refresh_touched, targets_of
from api.store.history import Recorder, deletion
from api.store.loader import content_hash, prune_changes, stamp_representations
from api.store.models import (
    WAYS_IN_TYPES,
    AccessChannel,
    Organization,
    Record,
    Service,
    StatusNotice,
    Unit,
    channel_services,
    notice_services,
    notice_units,
    unit_services,
)
from schemas.common import every_language, flatten_errors

MODEL_OF = {c.name: c.model for c in COLLECTIONS}


@dataclass(frozen=True)
class Policy:
    """What a write keeps to: how long the change feed keeps changes, and how long open-ended
    statements are trusted (the settings CHANGES_RETENTION_DAYS, KNOWLEDGE_HORIZON_DAYS)."""

    retention_days: int = 90
    horizon_days: int = DEFAULT_HORIZON_DAYS


# --- Reading the record as input -----------------------------------------------------------


def input_of(collection: Collection, obj: Record) -> dict[str, Any]:
    """A stored record in the form the loader and the API take it (to apply a PATCH to)."""
    return collection.input_schema().dump(obj)


def merge_patch(target: object, patch: object) -> object:
    """RFC 7396 JSON Merge Patch: objects merge key by key, null removes, the rest replaces."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


# --- Validating ----------------------------------------------------------------------------


def validate(session: Session, collection: Collection, body: object, record_id: str) -> dict:
    """The record `body` describes, validated as the loader validates a file's record (schema,
    references that must exist, no loop of parents); raise a 422 problem listing every field."""
    if not isinstance(body, dict):
        raise Problem(
            422, "The body must be a JSON object.", [field_error("(body)", "Not an object.")]
        )
    if body.get("id", record_id) != record_id:
        raise Problem(
            422,
            "The id in the body differs from the id in the URL.",
            [field_error("id", f"Must be '{record_id}' (as in the URL) or left out.")],
        )
    try:
        record = collection.input_schema().load({**body, "id": record_id})
    except ValidationError as error:
        errors = [field_error(f, m) for f, m in flatten_errors(error.messages)]
        raise Problem(422, f"The {_noun(collection)} is not valid.", errors) from None
    errors = []
    for fld, target in collection.refs.items():
        value = record.get(fld)
        if value is not None and session.get(MODEL_OF[target], value) is None:
            errors.append(field_error(fld, f"No {BY_NAME[target].singular} with id '{value}'."))
    for fld, (_attr, target) in collection.links.items():
        wanted = set(record.get(fld, []))
        model = MODEL_OF[target]
        found = set(session.scalars(select(model.id).where(model.id.in_(sorted(wanted)))))
        for value in sorted(wanted - found):
            errors.append(field_error(fld, f"No {BY_NAME[target].singular} with id '{value}'."))
    if (
        collection.self_ref
        and not errors
        and _makes_a_loop(session, collection, collection.self_ref, record)
    ):
        errors.append(field_error(collection.self_ref, "Refers back to this record in a loop."))
    if errors:
        raise Problem(422, f"The {_noun(collection)} refers to what does not exist.", errors)
    return record


# Fields that only an operation of their own sets: a create, PUT or PATCH may only keep the
# value the record has.
SET_ELSEWHERE = {
    "status-notices": {
        "supersedes_id": "POST /v1/status-notices/{id}/supersede (with the id and ETag of the "
        "notice it supersedes)"
    }
}


def keep_set_elsewhere(collection: Collection, before: dict | None, record: dict) -> None:
    """Refuse (422) a create (`before` None), PUT or PATCH that sets or changes a field that
    only its own operation sets."""
    errors = [
        field_error(fld, f"Set only by {operation}; a PUT or PATCH keeps the value the record has.")
        for fld, operation in SET_ELSEWHERE.get(collection.name, {}).items()
        if record.get(fld) != (before or {}).get(fld)
    ]
    if errors:
        raise Problem(
            422, f"The {_noun(collection)} sets what only its own operation sets.", errors
        )


# What an editor's write says about when a source said it: the fields that, left empty, mean
# "said today" (the editor is the source; api.domain.notices trusts open-ended records from then).
DATED_TODAY = {"status-notices": "stated_on", "opening-hours": "verified_on"}


def dated(collection: Collection, record: dict, today: date) -> dict:
    """The record with its source date (`DATED_TODAY`) today where the editor left it empty; a
    statement of a notice version takes its version's date instead."""
    fld = DATED_TODAY.get(collection.name)
    if fld is None or record.get(fld) is not None or record.get("version_id"):
        return record
    return {**record, fld: today}


def _makes_a_loop(session: Session, collection: Collection, self_ref: str, record: dict) -> bool:
    column = getattr(collection.model, self_ref)
    seen, node = {record["id"]}, record.get(self_ref)
    while node is not None:
        if node in seen:
            return True
        seen.add(node)
        node = session.scalar(select(column).where(collection.model.id == node))
    return False


def _noun(collection: Collection) -> str:
    return collection.singular


# --- Who may write what --------------------------------------------------------------------


def organizations_of(session: Session, collection: Collection, record: dict) -> set[str | None]:
    """The organizations a record (as input or as published) belongs to: its own, or those of
    the units and services it is about. None stands for "no organization"."""
    if "organization_id" in record:
        return {record["organization_id"]}
    about = {
        "units": set(record.get("unit_ids", []))
        | ({record["unit_id"]} if "unit_id" in record else set()),
        "services": set(record.get("service_ids", [])),
    }
    owners: set[str | None] = set()
    for kind, ids in about.items():
        model = Unit if kind == "units" else Service
        query = select(model.id, model.organization_id).where(model.id.in_(sorted(ids)))
        found: dict[str, str] = dict(session.execute(query).all()) if ids else {}
        owners |= set(found.values())
        for gone in ids - found.keys():  # deleted in this transaction
            owners |= organizations_of_record(session, kind, gone)
    return owners or {None}


def organizations_of_record(session: Session, kind: str, record_id: str) -> set[str | None]:
    """The organizations of a stored record (an organization is its own), or of one deleted in
    this transaction, as it was last published."""
    if kind == "organizations":
        return {record_id}
    collection = EDITABLE[kind]
    obj = session.get(collection.model, record_id)
    if obj is None:
        gone = deletion(session, kind, record_id)
        return organizations_of(session, collection, gone.data if gone else {})
    if hasattr(obj, "organization_id"):
        return {obj.organization_id}
    return organizations_of(session, collection, input_of(collection, obj))


# How a write reaches a record it changes (besides giving it a new version, NEW_VERSION).
NEW_VERSION = "a new version"
NOTICES = "the notices that apply to it"
REFERRED_TO = "referred to"


def outside(session: Session, organization_id: str, recorder: Recorder) -> list[str]:
    """The records a write (recorded by `recorder`) changed that are not all of the organization
    or those below it, each as "<kind> '<id>' of <organizations> (<how>)": every record it gave
    a new version; every unit whose set of applicable notices changed, or that a notice it gave
    a new version applies to; every record it made a record refer to."""
    recorder.flush()
    reached = {(kind, rid): NEW_VERSION for kind, rid, _action in recorder.changes}
    notices = {rid for kind, rid, _action in recorder.changes if kind == "status-notices"}
    for unit in targets_of(session, notices):
        reached.setdefault(("units", unit), NOTICES)
    for key, how in recorder.reached.items():
        reached.setdefault(key, how)
    allowed = within(session, organization_id)
    out = []
    for (kind, rid), how in sorted(reached.items()):
        owners = organizations_of_record(session, kind, rid)
        if not owners <= allowed:
            names = ", ".join(repr(o) for o in sorted(owners, key=str))
            out.append(f"{kind} '{rid}' of {names} ({how})")
    return out


def within(session: Session, organization_id: str) -> set[str]:
    """An organization and every organization below it."""
    children: dict[str | None, list[str]] = {}
    for oid, parent in session.execute(select(Organization.id, Organization.parent_id)):
        children.setdefault(parent, []).append(oid)
    out, todo = set(), [organization_id]
    while todo:
        node = todo.pop()
        if node not in out:
            out.add(node)
            todo.extend(children.get(node, []))
    return out


# --- Writing -------------------------------------------------------------------------------

# Which records embed which, from the declarations: link tables (both sides publish them) and
# the single references whose target publishes the way back. A record's published form can
# also change when a record two steps away changes, through what it embeds whole (a unit embeds
# its channels, which list their services, and its opening hours), so re-stamping takes a
# second step from those.
LINKS: tuple[tuple[Table, str, str], ...] = tuple(
    (getattr(c.model, attribute).property.secondary, c.name, target)
    for c in COLLECTIONS
    for attribute, target in c.links.values()
)
REFERENCES = tuple(
    (c.model.id, getattr(c.model, fld), c.name, c.refs[fld])
    for c in COLLECTIONS
    for fld in c.mirrored_refs
)


def _related(session: Session, records: set[tuple[str, str]]) -> set[tuple[str, str]]:
    by_kind: dict[str, list[str]] = {}
    for kind, rid in records:
        by_kind.setdefault(kind, []).append(rid)
    out: set[tuple[str, str]] = set()

    def follow(
        source: Column[Any] | InstrumentedAttribute[Any],
        target: Column[Any] | InstrumentedAttribute[Any],
        ids: list[str],
        kind: str,
    ) -> None:
        out.update((kind, v) for v in session.scalars(select(target).where(source.in_(ids))) if v)

    for table, left, right in LINKS:
        left_column, right_column = table.columns
        if by_kind.get(left):
            follow(left_column, right_column, by_kind[left], right)
        if by_kind.get(right):
            follow(right_column, left_column, by_kind[right], left)
    for own, ref, kind, target in REFERENCES:
        if by_kind.get(kind):
            follow(own, ref, by_kind[kind], target)
        if by_kind.get(target):
            follow(ref, own, by_kind[target], kind)
    return out


EMBEDDED_WHOLE = {name for c in COLLECTIONS for name in c.embeds}


def _ways_in_to(session: Session, channel_ids: list[str]) -> set[tuple[str, str]]:
    """The units offering a service that these channels, where they are referral or contact
    channels, lead to: a unit embeds those whole (`ways_in`). A write computes this before and
    after it, so a channel that stops or starts being one is covered."""
    if not channel_ids:
        return set()
    found = (
        select(unit_services.c.unit_id)
        .join(channel_services, channel_services.c.service_id == unit_services.c.service_id)
        .join(AccessChannel, AccessChannel.id == channel_services.c.access_channel_id)
        .where(AccessChannel.id.in_(channel_ids), AccessChannel.type.in_(WAYS_IN_TYPES))
    )
    return {("units", unit_id) for unit_id in session.scalars(found)}


def neighbourhood(session: Session, records: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """The records whose published form may change when `records` change."""
    one_step = records | _related(session, records)
    embedded = {(kind, rid) for kind, rid in one_step if kind in EMBEDDED_WHOLE}
    channels = sorted(rid for kind, rid in embedded if kind == "access-channels")
    return one_step | _related(session, embedded) | _ways_in_to(session, channels)


def save(
    session: Session,
    collection: Collection,
    record: dict,
    recorder: Recorder,
    now: datetime,
    policy: Policy,
) -> Record:
    """Create or replace the record (validated by `validate`) and publish the consequences."""
    key = (collection.name, record["id"])
    touched = neighbourhood(session, {key})
    model = collection.model
    obj = session.get(model, record["id"])
    _note_references(collection, obj, record, recorder)
    if obj is None:
        obj = model(id=record["id"], created_at=now, modified_at=now)
        session.add(obj)
    with session.no_autoflush:
        for fld, value in record.items():
            if fld == "id":
                continue
            if fld in collection.links:
                attribute, target = collection.links[fld]
                target_model = MODEL_OF[target]
                linked = session.scalars(
                    select(target_model)
                    .where(target_model.id.in_(sorted(set(value))))
                    .order_by(target_model.id)
                )
                setattr(obj, attribute, list(linked))
            else:
                setattr(obj, fld, value)
    obj.input_hash = content_hash(record)
    session.flush()
    touched |= neighbourhood(session, {key})
    _publish(session, {key}, touched, recorder, now, policy)
    return obj


def _note_references(
    collection: Collection, obj: Record | None, record: dict, recorder: Recorder
) -> None:
    """Note every record `record` refers to that the stored `obj` (None: none yet) did not."""
    before = input_of(collection, obj) if obj is not None else {}
    for fld, target in collection.refs.items():
        value = record.get(fld)
        if value is not None and value != before.get(fld):
            recorder.reached.setdefault((target, value), REFERRED_TO)
    for fld, (_attr, target) in collection.links.items():
        for value in set(record.get(fld, [])) - set(before.get(fld, [])):
            recorder.reached.setdefault((target, value), REFERRED_TO)


def delete(
    session: Session,
    collection: Collection,
    obj: Record,
    recorder: Recorder,
    now: datetime,
    policy: Policy,
) -> None:
    """Delete the record, unless another record still depends on it (409); a unit's opening
    hours go with it. The history keeps its last version; the item answers 410 from then on."""
    blockers = _dependants(session, collection, obj.id)
    if blockers:
        raise Problem(
            409,
            f"The {_noun(collection)} '{obj.id}' is still referred to; change or delete those "
            "records first.",
            [field_error(fld, f"Referred to by {kind} '{rid}'.") for kind, rid, fld in blockers],
        )
    touched = neighbourhood(session, {(collection.name, obj.id)})
    written = {(collection.name, obj.id)}
    if collection.name == "status-notices":  # its targets go with it, before refresh_touched
        for unit in targets_of(session, [obj.id]):
            recorder.reached.setdefault(("units", unit), NOTICES)
            written.add(("units", unit))  # their status periods are derived again
    if collection.name == "services":  # the units offering it no longer do
        written |= {(kind, rid) for kind, rid in touched if kind == "units"}
    gone: list[tuple[str, Record]] = [(collection.name, obj)]
    if isinstance(obj, Unit):  # a unit's opening hours go with it
        gone += [("opening-hours", hours) for hours in obj.opening_hours]
    for kind, record in gone:
        written.add((kind, record.id))
        if record.content_hash is not None:  # as last published: in every language
            with every_language():
                recorder.add(kind, record.id, "delete", BY_NAME[kind].dump(record))
    session.delete(obj)
    session.flush()
    _publish(session, written, touched, recorder, now, policy)


def _dependants(
    session: Session, collection: Collection, record_id: str
) -> list[tuple[str, str, str]]:
    """Records that name this one in a single reference (a parent, an organization); the
    notices naming it: a notice is a dated statement, not edited behind its editor's back; and
    the access channels about it alone, which would be left about nothing and no one's."""
    out = []
    for other in COLLECTIONS:
        for fld, target in other.refs.items():
            if target != collection.name or (other is collection and fld == "supersedes_id"):
                continue
            if other.name == "opening-hours":
                continue  # a unit's hours are deleted with it
            column = getattr(other.model, fld)
            for rid in session.scalars(
                select(other.model.id).where(column == record_id).order_by(other.model.id)
            ):
                out.append((other.name, rid, fld))
    for table, fld, kind in (
        (notice_units, "unit_ids", "units"),
        (notice_services, "service_ids", "services"),
    ):
        if collection.name == kind:
            notice_column, other_column = table.columns
            for rid in session.scalars(
                select(notice_column).where(other_column == record_id).order_by(notice_column)
            ):
                out.append(("status-notices", rid, fld))
    if collection.name in ("units", "services"):
        about = getattr(AccessChannel, collection.name)
        for channel in session.scalars(
            select(AccessChannel).where(about.any(id=record_id)).order_by(AccessChannel.id)
        ):
            if len(channel.units) + len(channel.services) == 1:
                out.append(("access-channels", channel.id, f"{collection.name[:-1]}_ids"))
    return out


def _publish(
    session: Session,
    written: set[tuple[str, str]],
    touched: set[tuple[str, str]],
    recorder: Recorder,
    now: datetime,
    policy: Policy,
) -> None:
    """After `written` changed: refresh what is derived from them, re-stamp every record in
    `touched` (those and the records embedding them, and the notices and versions whose
    derived dates moved) and record the new versions."""
    refreshed = refresh_touched(session, written, policy.horizon_days)
    for unit in refreshed.retargeted_units:
        recorder.reached.setdefault(("units", unit), NOTICES)
    touched = touched | written | refreshed.records
    session.expire_all()
    only: dict[str, set[str]] = {}
    for kind, rid in touched:
        only.setdefault(kind, set()).add(rid)
    stamp_representations(session, now, recorder, only=only)
    recorder.flush()
    prune_changes(session, now, policy.retention_days)


def supersede(
    session: Session,
    old: StatusNotice,
    record: dict,
    recorder: Recorder,
    now: datetime,
    today: date,
    policy: Policy,
) -> StatusNotice:
    """Publish `record` as the new version of the notice `old`: it supersedes `old` and, when
    no start is given, starts today; `old` ends the day before (api.domain.notices)."""
    if old.superseded_by:
        raise Problem(
            409,
            f"The notice '{old.id}' was already superseded by "
            f"{', '.join(repr(n.id) for n in old.superseded_by)}; supersede the newest version.",
        )
    record = {**record, "supersedes_id": old.id}
    if record.get("valid_from") is None:
        record["valid_from"] = today
    if old.valid_from and record["valid_from"] <= old.valid_from:
        raise Problem(
            422,
            "A new version must start after the version it supersedes.",
            [field_error("valid_from", f"Must be after {old.valid_from.isoformat()}.")],
        )
    if record.get("valid_until") and record["valid_until"] < record["valid_from"]:
        raise Problem(
            422, "Ends before it starts.", [field_error("valid_until", "Ends before it starts.")]
        )
    saved = save(session, EDITABLE["status-notices"], record, recorder, now, policy)
    return cast(StatusNotice, saved)  # the model of "status-notices"
