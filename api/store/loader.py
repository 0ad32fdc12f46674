"""Load `data/` into the database: validate everything first, then replace the content in one
transaction. No Flask here; `flask data load` (api/cli.py) is a thin wrapper.

- Every record is validated with the same marshmallow input schemas the API uses; every id it
  refers to must exist in the dataset; ids are unique per collection; parent chains have no loops.
- A bad file is rejected with its file name, record id and field, and nothing is written.
- A record keeps its `created_at`; `modified_at` moves only when its content changed, so loading
  the same files twice changes nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from marshmallow import ValidationError
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from api.domain.notices import hours_trusted_until
from api.store.collections import Collection, form_text, iter_records, load_order, stamp_order
from api.store.db import lock_for_writing, utcnow
from api.store.derived import DEFAULT_HORIZON_DAYS, refresh_derived, refresh_notice_windows
from api.store.history import Actor, Recorder, loader_actor
from api.store.models import Change, OpeningHours, Record, RecordVersion
from schemas.common import every_language, flatten_errors


class LoadError(Exception):
    """The dataset was rejected; `problems` lists every (file, record, field, message)."""

    def __init__(self, problems: list[tuple[str, str, str, str]]) -> None:
        self.problems = problems
        lines = [
            f"{file}: record {record}: field {fld}: {message}"
            for file, record, fld, message in problems
        ]
        super().__init__("the dataset was rejected, nothing was changed:\n  " + "\n  ".join(lines))


@dataclass
class LoadReport:
    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deleted)


Dataset = dict[str, list[dict[str, Any]]]


# --- Reading and validating ----------------------------------------------------------------


def read_dataset(directory: str | Path) -> Dataset:
    """Read and validate every collection file; raise LoadError listing every problem."""
    directory = Path(directory)
    if not directory.is_dir():
        raise LoadError([(str(directory), "-", "-", "not a directory")])
    problems: list[tuple[str, str, str, str]] = []
    dataset: Dataset = {}
    for collection in load_order():
        path = directory / collection.file_name
        records, file_problems = _read_file(path, collection)
        problems.extend(file_problems)
        dataset[collection.name] = records
    if not problems:
        problems.extend(_check_references(dataset))
    if problems:
        raise LoadError(problems)
    return dataset


def _read_file(
    path: Path, collection: Collection
) -> tuple[list[dict[str, Any]], list[tuple[str, str, str, str]]]:
    problems: list[tuple[str, str, str, str]] = []
    if not path.is_file():
        return [], [(path.name, "-", "-", "file is missing (an empty collection is `[]`)")]
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        return [], [(path.name, "-", "-", f"not valid YAML: {error}")]
    if raw is None:
        raw = []
    if not isinstance(raw, list):
        return [], [(path.name, "-", "-", "must be a list of records")]
    schema = collection.input_schema()
    records = []
    seen: set[str] = set()
    for index, item in enumerate(raw, start=1):
        label = f"#{index}"
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            label = f"'{item['id']}'"
        if not isinstance(item, dict):
            problems.append((path.name, label, "-", "must be a mapping of fields"))
            continue
        try:
            record = schema.load(item)
        except ValidationError as error:
            for fld, message in flatten_errors(error.messages):
                problems.append((path.name, label, fld, message))
            continue
        if record["id"] in seen:
            problems.append((path.name, label, "id", "duplicate id in this file"))
            continue
        seen.add(record["id"])
        records.append(record)
    return records, problems


def _check_references(dataset: Dataset) -> list[tuple[str, str, str, str]]:
    problems = []
    ids = {name: {r["id"] for r in records} for name, records in dataset.items()}
    for collection in load_order():
        for record in dataset[collection.name]:
            label = f"'{record['id']}'"
            for fld, target in collection.refs.items():
                value = record.get(fld)
                if value is not None and value not in ids[target]:
                    problems.append(
                        (collection.file_name, label, fld, f"no {target} record with id '{value}'")
                    )
            for fld, (_attr, target) in collection.links.items():
                for value in record.get(fld, []):
                    if value not in ids[target]:
                        problems.append(
                            (
                                collection.file_name,
                                label,
                                fld,
                                f"no {target} record with id '{value}'",
                            )
                        )
        if collection.self_ref:
            problems.extend(
                _check_cycles(collection, collection.self_ref, dataset[collection.name])
            )
    return problems


def _check_cycles(
    collection: Collection, self_ref: str, records: list[dict]
) -> list[tuple[str, str, str, str]]:
    parent = {r["id"]: r.get(self_ref) for r in records}
    problems = []
    for start in parent:
        seen, node = set(), start
        while node is not None:
            if node in seen:
                problems.append(
                    (
                        collection.file_name,
                        f"'{start}'",
                        self_ref,
                        "refers to itself in a loop",
                    )
                )
                break
            seen.add(node)
            node = parent.get(node)
    return problems


# --- Writing -------------------------------------------------------------------------------


def _json_default(value: object) -> str:
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"cannot hash {type(value).__name__}")


def content_hash(record: dict[str, Any]) -> str:
    canonical = json.dumps(record, sort_keys=True, ensure_ascii=False, default=_json_default)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def load_dataset(
    session: Session,
    directory: str | Path,
    progress: Callable[[int], None] | None = None,
    retention_days: int = 90,
    actor: Actor | None = None,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
) -> LoadReport:
    """Validate `directory`, then make the database hold exactly its content, in one transaction."""
    dataset = read_dataset(directory)
    return write_dataset(session, dataset, progress, retention_days, actor, horizon_days)


def write_dataset(
    session: Session,
    dataset: Dataset,
    progress: Callable[[int], None] | None = None,
    retention_days: int = 90,
    actor: Actor | None = None,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
) -> LoadReport:
    """Make the database hold exactly `dataset`, in one transaction audited as one batch (by
    `actor`, the data loader unless given). `horizon_days`: how long open-ended statements are
    trusted (api.domain.notices); a load under another horizon than the last one re-derives them
    even when the files did not change."""
    report = LoadReport()
    now = utcnow()
    loaded: dict[str, dict[str, Record]] = {}
    stale: dict[str, list[Record]] = {}
    deleted: list[tuple[str, str, dict]] = []
    with session.begin():
        lock_for_writing(session)
        recorder = Recorder(session, actor or loader_actor(), now)
        if session.scalar(select(RecordVersion.seq).limit(1)) is None:
            # A database from before the audit trail: its records' present form is version 1.
            stamp_representations(session, now, recorder, baseline=True)
        # Creates and updates, collection by collection in dependency order.
        for collection in load_order():
            existing = {obj.id: obj for obj in session.scalars(select(collection.model))}
            loaded[collection.name] = existing
            self_refs: list[tuple[Record, str | None]] = []
            for record in dataset[collection.name]:
                digest = content_hash(record)
                obj = existing.get(record["id"])
                if obj is not None and obj.input_hash == digest:
                    report.unchanged += 1
                else:
                    if obj is None:
                        obj = collection.model(id=record["id"], created_at=now, modified_at=now)
                        session.add(obj)
                        existing[obj.id] = obj
                        report.created += 1
                    else:
                        report.updated += 1
                    with session.no_autoflush:
                        _assign(obj, record, collection, loaded)
                    obj.input_hash = digest
                    if collection.self_ref:
                        # Set once every row of the collection exists: foreign keys are immediate.
                        self_refs.append((obj, record[collection.self_ref]))
                if progress:
                    progress(1)
            session.flush()
            if self_refs and collection.self_ref:
                for obj, value in self_refs:
                    setattr(obj, collection.self_ref, value)
                session.flush()
            keep = {record["id"] for record in dataset[collection.name]}
            stale[collection.name] = [obj for key, obj in existing.items() if key not in keep]

        # Deletes, dependants first, once nothing that stays refers to what goes.
        for collection in reversed(load_order()):
            gone = stale[collection.name]
            if gone and collection.self_ref:
                for obj in gone:
                    setattr(obj, collection.self_ref, None)
                session.flush()
            for obj in gone:
                if obj.content_hash is not None:
                    deleted.append((collection.name, obj.id, collection.dump(obj)))
                session.delete(obj)
                report.deleted += 1
            session.flush()

        rederive = report.changed or _horizon_moved(session, horizon_days)
        if rederive:
            refresh_derived(session, horizon_days)
            session.expire_all()
            stamp_representations(session, now, recorder)
            for kind, record_id, data in deleted:
                recorder.add(kind, record_id, "delete", data)
            prune_changes(session, now, retention_days)
        else:
            # Forms not stored yet (a database migrated to stored forms, or forms a migration
            # cleared because the published form changed): stamped, as versions if changed.
            missing = {kind.name: missing_forms(session, kind) for kind in stamp_order()}
            if any(missing.values()):
                stamp_representations(session, now, recorder, only=missing)
        recorder.flush()
    return report


def _horizon_moved(session: Session, horizon_days: int) -> bool:
    """Whether deriving the notices' and hours' trust under `horizon_days` changes anything."""
    moved = bool(refresh_notice_windows(session, horizon_days))
    for hours in session.scalars(select(OpeningHours)):
        trusted = hours_trusted_until(
            hours.valid_until, hours.verified_on, hours.valid_from, horizon_days
        )
        moved = moved or hours.trusted_until != trusted
    return moved


def prune_changes(session: Session, now: datetime, retention_days: int) -> None:
    """The change feed's retention: older changes (and tombstones) are dropped. The history
    (api.store.models.RecordVersion) keeps everything."""
    session.execute(delete(Change).where(Change.changed_at < now - timedelta(days=retention_days)))


def stamp_representations(
    session: Session,
    now: datetime,
    recorder: Recorder,
    only: dict[str, set[str]] | None = None,
    baseline: bool = False,
) -> None:
    """Give `modified_at = now` to every record whose published form changed (its own fields or
    anything it embeds), store that form (`Record.published_form`) and record the new version;
    `only` limits the check to those ids per kind. A record whose form is not stored yet gets
    it stored too. `baseline` records every record's present form as a version and changes
    nothing. What is stored is dumped in every language, whatever the request asked for."""
    with every_language():
        for kind in stamp_order():
            if only is not None and not only.get(kind.name):
                continue
            ids = None if only is None else sorted(only[kind.name])
            missing = set() if baseline else missing_forms(session, kind, ids)
            for obj in iter_records(session, kind, ids=ids):
                if baseline:
                    if obj.content_hash is not None:
                        recorder.add(kind.name, obj.id, "create", kind.dump(obj))
                    continue
                data = kind.dump(obj)
                digest = content_hash(_without_timestamps(data))
                if obj.content_hash == digest:
                    if obj.id in missing:
                        obj.published_form = form_text(data)
                    continue
                action = "create" if obj.content_hash is None else "update"
                obj.content_hash = digest
                obj.modified_at = now
                data = kind.dump(obj)
                obj.published_form = form_text(data)
                recorder.add(kind.name, obj.id, action, data)
            # Later collections embed these records' timestamps.
            session.flush()


def _without_timestamps(data: dict[str, Any]) -> dict[str, Any]:
    """A published form without its own timestamps (which follow from it): what is hashed."""
    return {k: v for k, v in data.items() if k not in ("created_at", "modified_at")}


def missing_forms(session: Session, kind: Collection, ids: list[str] | None = None) -> set[str]:
    """The ids (of `ids`, default all) of the records of `kind` whose form is not stored."""
    model = kind.model
    query = select(model.id).where(model.published_form.is_(None))
    if ids is None:
        return set(session.scalars(query))
    found: set[str] = set()
    for start in range(0, len(ids), FORM_BATCH):
        found.update(session.scalars(query.where(model.id.in_(ids[start : start + FORM_BATCH]))))
    return found


FORM_BATCH = 500


def store_missing_forms(session: Session) -> int:
    """Store the published form of every record that has none (a generated dataset), changing
    nothing else; return how many."""
    stored = 0
    for kind in stamp_order():
        ids = sorted(missing_forms(session, kind))
        rows: list[dict[str, str]] = []
        for obj in iter_records(session, kind, ids=ids):
            rows.append({"id": obj.id, "published_form": kind.form(obj)})
            if len(rows) == FORM_BATCH:
                session.execute(update(kind.model), rows)  # by primary key, in one statement
                stored, rows = stored + len(rows), []
        if rows:
            session.execute(update(kind.model), rows)
            stored += len(rows)
    return stored


def _assign(
    obj: Record,
    record: dict[str, Any],
    collection: Collection,
    loaded: dict[str, dict[str, Record]],
) -> None:
    for key, value in record.items():
        if key == "id" or key == collection.self_ref:
            continue
        if key in collection.links:
            attribute, target = collection.links[key]
            setattr(obj, attribute, [loaded[target][ref] for ref in sorted(set(value))])
        else:
            setattr(obj, key, value)
