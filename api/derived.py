"""What is derived from the records so that the status filters and search are SQL: every unit
each notice applies to (`status_notice_targets`), opening hours as minute ranges
(`opening_spans`), and the full-text search index. No Flask here.

`refresh_derived` rebuilds all of it (the loader, the generator); `refresh_touched` brings it up
to date after the editor API changed a few records, in time proportional to what they touch
rather than to the dataset. A test compares the two after every kind of write.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from api.models import (
    OpeningHours,
    OpeningSpan,
    StatusNotice,
    Unit,
    notice_services,
    notice_targets,
    notice_units,
    unit_services,
)
from api.search import refresh_search_entries, refresh_search_index
from api.status import minute_rows, parse_spans
from api.status import notice_targets as targets_of_notice

CHUNK = 500


def refresh_derived(session: Session) -> None:
    """Rebuild everything derived. Call inside the writing transaction."""
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
    rows = []
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
    refresh_search_index(session)
    session.flush()


def refresh_touched(session: Session, touched: set[tuple[str, str]]) -> set[str]:
    """Bring what is derived up to date after the records `touched` ((kind, id)) were written
    or deleted; a deleted service touches the units that offered it. Return the units whose
    set of applicable notices changed; not those of a deleted notice, whose targets went with
    it (ask `targets_of` before deleting it)."""
    by_kind: dict[str, set[str]] = {}
    for kind, record_id in touched:
        by_kind.setdefault(kind, set()).add(record_id)
    retargeted = _refresh_targets_of_units(session, by_kind.get("units", set()))
    retargeted |= _refresh_targets_of_notices(session, by_kind.get("status-notices", set()))
    hours = sorted(by_kind.get("opening-hours", set()))
    for start in range(0, len(hours), CHUNK):
        chunk = hours[start : start + CHUNK]
        session.execute(delete(OpeningSpan).where(OpeningSpan.opening_hours_id.in_(chunk)))
        records = session.scalars(select(OpeningHours).where(OpeningHours.id.in_(chunk)))
        _insert_spans(session, records)
    refresh_search_entries(session, by_kind)
    session.flush()
    return retargeted


# --- Notice targets --------------------------------------------------------------------------


def _names(session: Session, notice_ids: Iterable[str] | None):
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


def _chunks(ids: list[str] | None):
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
    chain, node, seen = [], unit_id, {unit_id}
    while True:
        if node not in parent_of:
            parent_of[node] = session.scalar(select(Unit.parent_id).where(Unit.id == node))
        node = parent_of[node]
        if node is None or node in seen:
            return chain
        seen.add(node)
        chain.append(node)


def _refresh_targets_of_units(session: Session, unit_ids: set[str]) -> set[str]:
    """Recompute which notices apply to these units and every unit below them, each by the
    rule of api.status.notice_targets seen from the unit: a notice applies to a unit it names;
    to a unit below one it names, unless it names services the unit does not offer; and, when
    it names no unit, to every unit offering a service it names."""
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
            if not names:
                applies = bool(services[unit] & wanted)
            else:
                applies = unit in names or (
                    bool(names.intersection(chains[unit]))
                    and (not wanted or bool(services[unit] & wanted))
                )
            if applies:
                rows.append({"status_notice_id": notice, "unit_id": unit})
    return _replace_targets(session, notice_targets.c.unit_id, units, rows)


def _refresh_targets_of_notices(session: Session, notice_ids: set[str]) -> set[str]:
    """Recompute every unit these notices apply to."""
    existing = sorted(n for n in notice_ids if session.get(StatusNotice, n) is not None)
    if not existing:
        return set()
    named_units, named_services = _names(session, existing)
    rows = []
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


def _replace_targets(session: Session, column, ids: Iterable[str], rows: list[dict]) -> set[str]:
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
                        "weekday": weekday,
                        "start_minute": start,
                        "end_minute": end,
                        "from_previous_day": carried,
                    }
                )
    if spans:
        session.execute(insert(OpeningSpan), spans)
