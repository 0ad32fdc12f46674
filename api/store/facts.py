"""The status engine's input (api.domain.status.UnitFacts) read from the database, in a fixed
number of queries however many units are asked for. No Flask here: the endpoints pass their
session, and so does api.store.derived, which builds the status filters' periods from the same
facts."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from api.domain.notices import window_from
from api.domain.status import HoursRecord, Notice, UnitFacts, applies_to_service, parse_spans
from api.store.db import AnySession
from api.store.models import OpeningHours, StatusNotice, Unit, notice_targets

CHUNK = 500


def chunks(ids: Iterable[str], size: int = CHUNK) -> Iterator[list[str]]:
    """`ids` in sorted lists of at most `size` (an IN list every database accepts)."""
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), size):
        yield ordered[start : start + size]


def engine_notice(notice: StatusNotice) -> Notice:
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


def engine_hours(record: OpeningHours) -> HoursRecord:
    return HoursRecord(
        record.id,
        record.kind,
        record.valid_from,
        record.valid_until,
        parse_spans(record.spans),
        trusted_until=record.trusted_until,
        verified_on=record.verified_on,
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
        zones.update(
            session.execute(select(Unit.id, Unit.timezone).where(Unit.id.in_(chunk))).all()
        )
        if with_hours:
            for record in session.scalars(
                select(OpeningHours)
                .where(OpeningHours.unit_id.in_(chunk))
                .order_by(OpeningHours.id)
            ):
                hours.setdefault(record.unit_id, []).append(engine_hours(record))
        rows = session.execute(
            select(notice_targets.c.unit_id, StatusNotice)
            .join(StatusNotice, StatusNotice.id == notice_targets.c.status_notice_id)
            .where(notice_targets.c.unit_id.in_(chunk))
            .options(selectinload(StatusNotice.services))
            .order_by(StatusNotice.id)
        )
        for unit_id, notice in rows:
            if service_id is None or applies_to_service(notice.service_ids, service_id):
                notices.setdefault(unit_id, []).append(engine_notice(notice))
    return {
        unit_id: UnitFacts(
            unit_id, zone, tuple(hours.get(unit_id, ())), tuple(notices.get(unit_id, ()))
        )
        for unit_id, zone in sorted(zones.items())
    }
