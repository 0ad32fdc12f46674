"""The status engine's input (api.domain.status.UnitFacts) read from the database, in a fixed
number of queries however many units are asked for. No Flask here: the endpoints pass their
session, and so does api.store.derived, which builds the status filters' periods from the same
facts."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import BindParameter, Row, bindparam, select

from api.domain.notices import window_from
from api.domain.status import HoursRecord, Notice, UnitFacts, applies_to_service, parse_spans
from api.store.db import AnySession
from api.store.models import OpeningHours, StatusNotice, Unit, notice_services, notice_targets

CHUNK = 500


def chunks(ids: Iterable[str], size: int = CHUNK) -> Iterator[list[str]]:
    """`ids` in sorted lists of at most `size` (an IN list every database accepts)."""
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), size):
        yield ordered[start : start + size]


def engine_notice(notice: StatusNotice | Row[Any]) -> Notice:
    """The engine's notice from a notice record, or from a row of its `NOTICE_COLUMNS`."""
    return Notice(
        id=notice.id,
        state=notice.state,
        window=window_from(notice.in_force_window),
        open_to_public=notice.open_to_public,
        open_to_current_clients=notice.open_to_current_clients,
        new_clients_admitted=notice.new_clients_admitted,
        delivery_mode=notice.delivery_mode,
        text=notice.text,
        version_id=notice.version_id,
        source_urls=tuple(notice.source_urls or ()),
    )


def engine_hours(record: OpeningHours | Row[Any]) -> HoursRecord:
    """The engine's hours from an hours record, or from a row of its `HOURS_COLUMNS`."""
    return HoursRecord(
        record.id,
        record.kind,
        record.valid_from,
        record.valid_until,
        parse_spans(record.spans),
        trusted_until=record.trusted_until,
        verified_on=record.verified_on,
    )


# What the engine reads, as plain columns: rows, not records, so that no record is built.
HOURS_COLUMNS = (
    OpeningHours.unit_id,
    OpeningHours.id,
    OpeningHours.kind,
    OpeningHours.valid_from,
    OpeningHours.valid_until,
    OpeningHours.spans,
    OpeningHours.trusted_until,
    OpeningHours.verified_on,
)
NOTICE_COLUMNS = (
    StatusNotice.id,
    StatusNotice.state,
    StatusNotice.in_force_window,
    StatusNotice.open_to_public,
    StatusNotice.open_to_current_clients,
    StatusNotice.new_clients_admitted,
    StatusNotice.delivery_mode,
    StatusNotice.text,
    StatusNotice.version_id,
    StatusNotice.source_urls,
)
# The queries, built once: each request only binds its ids.
_IDS: BindParameter[list[str]] = bindparam("ids", expanding=True)
ZONES = select(Unit.id, Unit.timezone).where(Unit.id.in_(_IDS))
HOURS = select(*HOURS_COLUMNS).where(OpeningHours.unit_id.in_(_IDS)).order_by(OpeningHours.id)
NOTICES = (
    select(notice_targets.c.unit_id, *NOTICE_COLUMNS)
    .join(StatusNotice, StatusNotice.id == notice_targets.c.status_notice_id)
    .where(notice_targets.c.unit_id.in_(_IDS))
    .order_by(StatusNotice.id)
)
NAMED_SERVICES = select(notice_services.c.status_notice_id, notice_services.c.service_id).where(
    notice_services.c.status_notice_id.in_(_IDS)
)


def unit_facts(
    session: AnySession,
    unit_ids: Iterable[str],
    service_id: str | None = None,
    *,
    with_hours: bool = True,
) -> dict[str, UnitFacts]:
    """The engine's input for each unit that exists. With `service_id`, only the notices that
    concern that service (or name no service) count; `with_hours=False` leaves hours out (the
    status periods need only the notices)."""
    zones: dict[str, str] = {}
    hours: dict[str, list[HoursRecord]] = {}
    notices: dict[str, list[Notice]] = {}
    for chunk in chunks(unit_ids):
        zones.update(session.execute(ZONES, {"ids": chunk}).all())
        if with_hours:
            for row in session.execute(HOURS, {"ids": chunk}):
                hours.setdefault(row.unit_id, []).append(engine_hours(row))
        rows = session.execute(NOTICES, {"ids": chunk}).all()
        services = services_of(session, {row.id for row in rows}) if service_id is not None else {}
        built: dict[str, Notice] = {}
        for row in rows:
            if service_id is None or applies_to_service(services.get(row.id, ()), service_id):
                notice = built.get(row.id) or built.setdefault(row.id, engine_notice(row))
                notices.setdefault(row.unit_id, []).append(notice)
    return {
        unit_id: UnitFacts(
            unit_id, zone, tuple(hours.get(unit_id, ())), tuple(notices.get(unit_id, ()))
        )
        for unit_id, zone in sorted(zones.items())
    }


def services_of(session: AnySession, notice_ids: Iterable[str]) -> dict[str, list[str]]:
    """The services each notice names."""
    named: dict[str, list[str]] = {}
    for chunk in chunks(notice_ids):
        for notice_id, service_id in session.execute(NAMED_SERVICES, {"ids": chunk}):
            named.setdefault(notice_id, []).append(service_id)
    return named
