"""What is derived from the records: when each notice statement and version is in force and
how long it is trusted (api.domain.notices), how long opening hours are trusted; and, so that
the status filters and search are SQL, every unit each notice applies to
(`status_notice_targets`), opening hours as minute ranges (`opening_spans`), each unit's notices
as periods of one answer (`status_periods`, from api.domain.status.notice_periods) and the
full-text search index. No Flask here.

`refresh_derived` rebuilds all of it (the loader, the generator); `refresh_touched` brings it up
to date after the editor API changed a few records, in time proportional to what they touch
rather than to the dataset. A test compares the two after every kind of write.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, overload

from sqlalchemy import Column, delete, insert, select
from sqlalchemy.orm import Session

from api.config import Config
from api.domain.notices import (
    StatementDates,
    VersionDates,
    derive,
    hours_trusted_until,
    possible_days,
    window_json,
)
from api.domain.status import minute_rows, notice_applies, notice_periods, parse_spans
from api.domain.status import notice_targets as targets_of_notice
from api.store.facts import unit_facts
from api.store.models import (
    NoticeVersion,
    OpeningHours,
    OpeningSpan,
    StatusNotice,
    StatusPeriod,
    Unit,
    notice_services,
    notice_targets,
    notice_units,
    unit_services,
)
from api.store.search import refresh_search_entries, refresh_search_index

CHUNK = 500
DEFAULT_HORIZON_DAYS = Config.KNOWLEDGE_HORIZON_DAYS


@dataclass(frozen=True)
class Refreshed:
    """What an incremental refresh changed besides what was written: the notices and versions
    whose derived dates moved (their published form with them), and the units whose set of
    applicable notices changed."""

    records: set[tuple[str, str]]
    retargeted_units: set[str]


def refresh_derived(session: Session, horizon_days: int = DEFAULT_HORIZON_DAYS) -> None:
    """Rebuild everything derived. Call inside the writing transaction."""
    refresh_notice_windows(session, horizon_days)
    _trust_hours(session, session.scalars(select(OpeningHours)), horizon_days)
    children: dict[str, list[str]] = {}
    for unit_id, parent_id in session.execute(select(Unit.id, Unit.parent_id)):
        if parent_id:
            children.setdefault(parent_id, []).append(unit_id)
    services_of: dict[str, set[str]] = {}
    for unit_id, service_id in session.execute(select(unit_services)):
        services_of.setdefault(unit_id, set()).add(service_id)
    for unit_id in session.scalars(select(Unit.id)):
        services_of.setdefault(unit_id, set())
    named_units, named_services = _names(session, None)

    session.execute(delete(notice_targets))
    rows: list[dict[str, str]] = []
    for notice_id in session.scalars(select(StatusNotice.id)):
        targets = targets_of_notice(
            named_units.get(notice_id, []), named_services.get(notice_id, set()), children,
            services_of,
        )  # fmt: skip
        rows.extend({"status_notice_id": notice_id, "unit_id": unit} for unit in sorted(targets))
    if rows:
        session.execute(insert(notice_targets), rows)

    session.execute(delete(OpeningSpan))
    _insert_spans(session, session.scalars(select(OpeningHours).order_by(OpeningHours.id)))
    session.flush()
    session.execute(delete(StatusPeriod))
    _insert_periods(session, set(session.scalars(select(notice_targets.c.unit_id).distinct())))
    refresh_search_index(session)
    session.flush()


def refresh_touched(
    session: Session, touched: set[tuple[str, str]], horizon_days: int = DEFAULT_HORIZON_DAYS
) -> Refreshed:
    """Bring what is derived up to date after the records `touched` ((kind, id)) were written
    or deleted; a deleted service touches the units that offered it, a deleted notice the units
    it applied to (ask `targets_of` before deleting it: its targets go with it)."""
    by_kind: dict[str, set[str]] = {}
    for kind, record_id in touched:
        by_kind.setdefault(kind, set()).add(record_id)
    changed = refresh_notice_windows(session, horizon_days)
    notices = by_kind.get("status-notices", set()) | {
        record_id for kind, record_id in changed if kind == "status-notices"
    }
    units = targets_of(session, notices) | by_kind.get("units", set())
    retargeted = _refresh_targets_of_units(session, by_kind.get("units", set()))
    retargeted |= _refresh_targets_of_notices(session, notices)
    units |= retargeted | targets_of(session, notices)
    hours = sorted(by_kind.get("opening-hours", set()))
    for start in range(0, len(hours), CHUNK):
        chunk = hours[start : start + CHUNK]
        session.execute(delete(OpeningSpan).where(OpeningSpan.opening_hours_id.in_(chunk)))
        records = list(session.scalars(select(OpeningHours).where(OpeningHours.id.in_(chunk))))
        _trust_hours(session, records, horizon_days)
        _insert_spans(session, records)
    session.flush()
    for chunk in _chunks(sorted(units)):
        session.execute(delete(StatusPeriod).where(StatusPeriod.unit_id.in_(chunk)))
    _insert_periods(session, units)
    refresh_search_entries(session, by_kind)
    session.flush()
    return Refreshed(changed, retargeted)


# --- When notices are in force, and how long hours are trusted ---------------------------------


def refresh_notice_windows(session: Session, horizon_days: int) -> set[tuple[str, str]]:
    """Derive every statement's and version's days in force and trust again (api.domain.notices);
    return the (kind, id) of those whose derived fields changed. Notices are few: all of them,
    every time."""
    statements = list(session.scalars(select(StatusNotice)))
    versions = list(session.scalars(select(NoticeVersion)))
    derived = derive(
        [
            StatementDates(
                s.id, s.state, s.valid_from, s.valid_until, s.stated_on, s.version_id,
                s.supersedes_id,
            )
            for s in statements
        ],
        [
            VersionDates(
                v.id, v.published_on, v.published_not_before, v.published_not_after,
                v.valid_until, v.replaces_id,
            )
            for v in versions
        ],
        horizon_days,
    )  # fmt: skip
    changed: set[tuple[str, str]] = set()
    for statement in statements:
        window = derived.windows[statement.id]
        bounds = derived.statement_bounds[statement.id]
        values = {
            "in_force_from": bounds.in_force_from,
            "in_force_until": bounds.in_force_until,
            "in_force_bounds": bounds.as_dict(),
            "trusted_until": window.trusted_until,
            "in_force_window": window_json(window),
        }
        values["possibly_from"], values["possibly_until"] = possible_days(window)
        if _assign(statement, values):
            changed.add(("status-notices", statement.id))
    for version in versions:
        bounds = derived.version_bounds[version.id]
        values = {
            "in_force_from": bounds.in_force_from,
            "in_force_until": bounds.in_force_until,
            "in_force_bounds": bounds.as_dict(),
        }
        if _assign(version, values):
            changed.add(("notice-versions", version.id))
    session.flush()
    return changed


def _assign(obj: object, values: dict[str, Any]) -> bool:
    """Set `values` on `obj`; whether any changed."""
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


def _trust_hours(session: Session, records: Iterable[OpeningHours], horizon_days: int) -> None:
    for record in records:
        record.trusted_until = hours_trusted_until(
            record.valid_until, record.verified_on, record.valid_from, horizon_days
        )
    session.flush()


# --- Status periods --------------------------------------------------------------------------


def _insert_periods(session: Session, unit_ids: set[str]) -> None:
    """The status periods of these units, from their notices (api.domain.status.notice_periods)."""
    rows = []
    for facts in unit_facts(session, unit_ids, with_hours=False).values():
        for period in notice_periods(facts):
            rows.append(
                {
                    "unit_id": facts.unit_id,
                    "starts_on": period.starts_on,
                    "ends_on": period.ends_on,
                    "state_if_open": period.if_open[0],
                    "public_if_open": period.if_open[1],
                    "state_if_no_hours": period.if_no_hours[0],
                    "public_if_no_hours": period.if_no_hours[1],
                }
            )
    for start in range(0, len(rows), CHUNK):
        session.execute(insert(StatusPeriod), rows[start : start + CHUNK])


# --- Notice targets --------------------------------------------------------------------------


def _names(
    session: Session, notice_ids: Iterable[str] | None
) -> tuple[dict[str, list[str]], dict[str, set[str]]]:
    """notice id -> the unit ids it names (in order) and the service ids it names."""
    named_units: dict[str, list[str]] = {}
    named_services: dict[str, set[str]] = {}
    ids = None if notice_ids is None else sorted(notice_ids)
    for table, out, add in (
        (notice_units, named_units, lambda out, k, v: out.setdefault(k, []).append(v)),
        (notice_services, named_services, lambda out, k, v: out.setdefault(k, set()).add(v)),
    ):
        notice_column, other_column = table.columns
        statement = select(notice_column, other_column).order_by(notice_column, other_column)
        for chunk in _chunks(ids):
            query = statement if chunk is None else statement.where(notice_column.in_(chunk))
            for notice_id, other in session.execute(query):
                add(out, notice_id, other)
    return named_units, named_services


@overload
def _chunks(ids: list[str]) -> Iterator[list[str]]: ...
@overload
def _chunks(ids: list[str] | None) -> Iterator[list[str] | None]: ...
def _chunks(ids: list[str] | None) -> Iterator[list[str] | None]:
    if ids is None:
        yield None
        return
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def _services_of(session: Session, unit_ids: Iterable[str]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {unit: set() for unit in unit_ids}
    for chunk in _chunks(sorted(out)):
        for unit_id, service_id in session.execute(
            select(unit_services).where(unit_services.c.unit_id.in_(chunk))
        ):
            out[unit_id].add(service_id)
    return out


def _subtree(session: Session, roots: Iterable[str]) -> set[str]:
    """The units and every unit below them."""
    found, frontier = set(roots), sorted(set(roots))
    while frontier:
        below = set()
        for chunk in _chunks(frontier):
            below |= set(session.scalars(select(Unit.id).where(Unit.parent_id.in_(chunk))))
        frontier = sorted(below - found)
        found |= below
    return found


def _ancestors(session: Session, unit_id: str, parent_of: dict[str, str | None]) -> list[str]:
    chain: list[str] = []
    node, seen = unit_id, {unit_id}
    while True:
        if node not in parent_of:
            parent_of[node] = session.scalar(select(Unit.parent_id).where(Unit.id == node))
        parent = parent_of[node]
        if parent is None or parent in seen:
            return chain
        node = parent
        seen.add(node)
        chain.append(node)


def _refresh_targets_of_units(session: Session, unit_ids: set[str]) -> set[str]:
    """Recompute which notices apply to these units and every unit below them, each by the
    rule seen from the unit (api.domain.status.notice_applies)."""
    units = _subtree(session, {u for u in unit_ids if session.get(Unit, u) is not None})
    if not units:
        return set()
    services = _services_of(session, units)
    parent_of: dict[str, str | None] = {}
    chains = {unit: _ancestors(session, unit, parent_of) for unit in units}
    mentioned_units = set(units).union(*chains.values())
    mentioned_services = set().union(*services.values())
    candidates: set[str] = set()
    for chunk in _chunks(sorted(mentioned_units)):
        candidates |= set(
            session.scalars(
                select(notice_units.c.status_notice_id).where(notice_units.c.unit_id.in_(chunk))
            )
        )
    for chunk in _chunks(sorted(mentioned_services)):
        candidates |= set(
            session.scalars(
                select(notice_services.c.status_notice_id).where(
                    notice_services.c.service_id.in_(chunk)
                )
            )
        )
    named_units, named_services = _names(session, candidates)
    rows = []
    for unit in sorted(units):
        for notice in sorted(candidates):
            names, wanted = set(named_units.get(notice, [])), named_services.get(notice, set())
            if notice_applies(unit, chains[unit], services[unit], names, wanted):
                rows.append({"status_notice_id": notice, "unit_id": unit})
    return _replace_targets(session, notice_targets.c.unit_id, units, rows)


def _refresh_targets_of_notices(session: Session, notice_ids: set[str]) -> set[str]:
    """Recompute every unit these notices apply to."""
    existing = sorted(n for n in notice_ids if session.get(StatusNotice, n) is not None)
    if not existing:
        return set()
    named_units, named_services = _names(session, existing)
    rows: list[dict[str, str]] = []
    for notice in existing:
        names, wanted = named_units.get(notice, []), named_services.get(notice, set())
        if names:
            below = _subtree(session, names) - set(names)
            services = _services_of(session, below)
            targets = set(names) | {u for u in below if not wanted or services[u] & wanted}
        else:
            targets = set()
            for chunk in _chunks(sorted(wanted)):
                targets |= set(
                    session.scalars(
                        select(unit_services.c.unit_id).where(unit_services.c.service_id.in_(chunk))
                    )
                )
        rows.extend({"status_notice_id": notice, "unit_id": unit} for unit in sorted(targets))
    return _replace_targets(session, notice_targets.c.status_notice_id, existing, rows)


def _replace_targets(
    session: Session, column: Column[Any], ids: Iterable[str], rows: list[dict[str, str]]
) -> set[str]:
    """Put `rows` in place of the targets whose `column` is one of `ids`; return the units whose
    set of applicable notices this changed."""
    before: set[tuple[str, str]] = set()
    for chunk in _chunks(sorted(ids)):
        where = column.in_(chunk)
        before |= {(n, u) for n, u in session.execute(select(*notice_targets.columns).where(where))}
        session.execute(delete(notice_targets).where(where))
    if rows:
        session.execute(insert(notice_targets), rows)
    after = {(row["status_notice_id"], row["unit_id"]) for row in rows}
    return {unit for _notice, unit in before ^ after}


def targets_of(session: Session, notice_ids: Iterable[str]) -> set[str]:
    """The units these notices apply to."""
    out: set[str] = set()
    notice_column, unit_column = notice_targets.columns
    for chunk in _chunks(sorted(notice_ids)):
        out |= set(session.scalars(select(unit_column).where(notice_column.in_(chunk))))
    return out


# --- Opening spans ---------------------------------------------------------------------------


def _insert_spans(session: Session, records: Iterable[OpeningHours]) -> None:
    spans = []
    for hours in records:
        for span in parse_spans(hours.spans):
            for weekday, start, end, carried in minute_rows(span):
                spans.append(
                    {
                        "opening_hours_id": hours.id,
                        "unit_id": hours.unit_id,
                        "kind": hours.kind,
                        "valid_from": hours.valid_from,
                        "valid_until": hours.valid_until,
                        "trusted_until": hours.trusted_until,
                        "weekday": weekday,
                        "start_minute": start,
                        "end_minute": end,
                        "from_previous_day": carried,
                    }
                )
    if spans:
        session.execute(insert(OpeningSpan), spans)
