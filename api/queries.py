"""Query helpers the endpoints share, so no resource builds these by hand: filters, the
engine's input from the database, and the engine's rules as SQL conditions."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import BigInteger, ColumnElement, Select, and_, cast, false, or_, select
from sqlalchemy.orm import InstrumentedAttribute, selectinload

from api import search
from api.db import db
from api.models import OpeningHours, OpeningSpan, StatusNotice, Unit, notice_targets
from api.status import (
    STATE_ORDER,
    HoursRecord,
    Notice,
    UnitFacts,
    applies_to_service,
    parse_spans,
)


def local_date(instant: datetime) -> date:
    """The calendar day an instant falls on in the dataset's zone (validity days are local)."""
    return instant.astimezone(ZoneInfo(current_app.config["DEFAULT_TIMEZONE"])).date()


def filter_common(statement: Select, model, args: dict) -> Select:
    """Filters every collection takes."""
    if args.get("modified_since") is not None:
        statement = statement.where(model.modified_at >= args["modified_since"])
    return statement


def where_in(statement: Select, column: InstrumentedAttribute, values: list[str] | None) -> Select:
    """`column` is one of `values` (a comma-separated filter); no filter when absent."""
    return statement if values is None else statement.where(column.in_(values))


def where_related(statement: Select, relationship, target_id, values: list[str] | None) -> Select:
    """The record links to at least one of `values` through a many-to-many relationship."""
    return statement if values is None else statement.where(relationship.any(target_id.in_(values)))


def where_valid_on(
    statement: Select,
    start: InstrumentedAttribute,
    end: InstrumentedAttribute,
    instant: datetime | None,
) -> Select:
    """In force on the local day of `instant`; a null bound is open on that side."""
    if instant is None:
        return statement
    day = local_date(instant)
    return statement.where(or_(start.is_(None), start <= day), or_(end.is_(None), end >= day))


# --- Search and geo --------------------------------------------------------------------------


def where_matches(
    statement: Select, model, query: str | None
) -> tuple[Select, ColumnElement | None]:
    """Only records matching the full-text `query` (see api.search), and their relevance rank
    (an integer, lower is better) to order by; no filter and no rank when `query` is absent."""
    if query is None:
        return statement, None
    found = search.matches(db.session, model.__tablename__, query).subquery("search_matches")
    return statement.join(found, found.c.record_id == model.id), found.c.rank


EARTH_RADIUS_M = 6_371_008.8
METRES_PER_DEGREE = EARTH_RADIUS_M * math.pi / 180


def where_near(
    statement: Select, point: tuple[float, float] | None, radius_m: int | None
) -> tuple[Select, ColumnElement | None]:
    """Only units with coordinates within `radius_m` metres of `point` (lat, lon), and the
    squared distance in whole square metres (`squared_distance_m2`) to order by.

    An equirectangular distance, with the cosine of the mean latitude linearised around the
    point's: only + - * in SQL, so it runs on any database, and well within 0.1% of the
    great-circle distance at 100 km. Rows far off in latitude cannot pass, whatever the
    linearised cosine does there, because the latitude term alone exceeds the radius."""
    if point is None:
        return statement, None
    latitude, longitude = point
    cos0, sin0 = math.cos(math.radians(latitude)), math.sin(math.radians(latitude))
    north = Unit.latitude - latitude
    east = (Unit.longitude - longitude) * (cos0 - sin0 * math.radians(1) / 2 * north)
    squared = (north * north + east * east) * (METRES_PER_DEGREE * METRES_PER_DEGREE)
    statement = statement.where(
        Unit.latitude.is_not(None), Unit.longitude.is_not(None), squared <= radius_m * radius_m
    )
    return statement, cast(squared, BigInteger).label("squared_distance_m2")


def where_in_bbox(statement: Select, bbox: tuple[float, float, float, float] | None) -> Select:
    """Only units with coordinates inside `bbox` (west, south, east, north), edges included."""
    if bbox is None:
        return statement
    west, south, east, north = bbox
    return statement.where(Unit.latitude.between(south, north), Unit.longitude.between(west, east))


# --- Opening status --------------------------------------------------------------------------


def unit_facts(unit_ids: list[str], service_id: str | None = None) -> dict[str, UnitFacts]:
    """The engine's input for each unit, in a fixed number of queries. With `service_id`, only
    the notices that concern that service (or name no service) count."""
    if not unit_ids:
        return {}
    session = db.session
    zones = dict(session.execute(select(Unit.id, Unit.timezone).where(Unit.id.in_(unit_ids))).all())
    hours: dict[str, list[HoursRecord]] = {unit_id: [] for unit_id in zones}
    for record in session.scalars(
        select(OpeningHours).where(OpeningHours.unit_id.in_(unit_ids)).order_by(OpeningHours.id)
    ):
        hours[record.unit_id].append(
            HoursRecord(
                record.id,
                record.kind,
                record.valid_from,
                record.valid_until,
                parse_spans(record.spans),
            )
        )
    notices: dict[str, list[Notice]] = {unit_id: [] for unit_id in zones}
    rows = session.execute(
        select(notice_targets.c.unit_id, StatusNotice)
        .join(StatusNotice, StatusNotice.id == notice_targets.c.status_notice_id)
        .where(notice_targets.c.unit_id.in_(unit_ids))
        .options(selectinload(StatusNotice.services))
        .order_by(StatusNotice.id)
    )
    for unit_id, notice in rows:
        if service_id is None or applies_to_service(notice.service_ids, service_id):
            notices[unit_id].append(engine_notice(notice))
    return {
        unit_id: UnitFacts(unit_id, zone, tuple(hours[unit_id]), tuple(notices[unit_id]))
        for unit_id, zone in zones.items()
    }


def engine_notice(notice: StatusNotice) -> Notice:
    return Notice(
        id=notice.id,
        state=notice.state,
        in_force_from=notice.in_force_from,
        in_force_until=notice.in_force_until,
        open_to_public=notice.open_to_public,
        open_to_current_clients=notice.open_to_current_clients,
        new_clients_admitted=notice.new_clients_admitted,
        delivery_mode=notice.delivery_mode,
        text=notice.text,
    )


def _valid_on(start, end, day: date):
    return and_(or_(start.is_(None), start <= day), or_(end.is_(None), end >= day))


class _StatusConditions:
    """The engine's rules (api/status.py) as SQL conditions on `Unit`, for one time zone: the
    units whose local time is `local`. Kept rule for rule beside the engine; tests compare the
    two on every unit and many instants."""

    def __init__(self, local: datetime):
        self.day = local.date()
        self.previous_day = self.day - timedelta(days=1)
        self.weekday = self.day.weekday()
        self.minute = local.hour * 60 + local.minute

    def _exception_on(self, day: date, unit_id):
        # Correlated to the span's unit: a nested subquery does not see the outer `units`.
        return (
            select(OpeningHours.id)
            .where(
                OpeningHours.unit_id == unit_id,
                OpeningHours.kind == "exception",
                _valid_on(OpeningHours.valid_from, OpeningHours.valid_until, day),
            )
            .exists()
        )

    def hours_known(self):
        return (
            select(OpeningHours.id)
            .where(
                OpeningHours.unit_id == Unit.id,
                _valid_on(OpeningHours.valid_from, OpeningHours.valid_until, self.day),
            )
            .exists()
        )

    def hours_open(self):
        def part(carried: bool, day: date):
            return and_(
                OpeningSpan.from_previous_day.is_(carried),
                _valid_on(OpeningSpan.valid_from, OpeningSpan.valid_until, day),
                or_(
                    OpeningSpan.kind == "exception",
                    ~self._exception_on(day, OpeningSpan.unit_id),
                ),
            )

        return (
            select(OpeningSpan.id)
            .where(
                OpeningSpan.unit_id == Unit.id,
                OpeningSpan.weekday == self.weekday,
                OpeningSpan.start_minute <= self.minute,
                OpeningSpan.end_minute > self.minute,
                or_(part(False, self.day), part(True, self.previous_day)),
            )
            .exists()
        )

    def notice(self, *conditions):
        return (
            select(StatusNotice.id)
            .join(notice_targets, notice_targets.c.status_notice_id == StatusNotice.id)
            .where(
                notice_targets.c.unit_id == Unit.id,
                _valid_on(StatusNotice.in_force_from, StatusNotice.in_force_until, self.day),
                *conditions,
            )
            .exists()
        )

    def closed(self):
        return or_(
            self.notice(StatusNotice.state == "closed"),
            and_(self.hours_known(), ~self.hours_open()),
        )

    def state_is(self, state: str):
        if state == "closed":
            return self.closed()
        if state == "unknown":
            return and_(~self.closed(), ~self.notice(), ~self.hours_open())
        stricter = [s for s in STATE_ORDER[: STATE_ORDER.index(state)]]
        by_notice = and_(
            self.notice(StatusNotice.state == state),
            ~self.notice(StatusNotice.state.in_(stricter)),
        )
        if state == "open":
            by_notice = or_(by_notice, and_(~self.notice(), self.hours_open()))
        return and_(~self.closed(), by_notice)

    def open_to_public(self):
        return and_(
            ~self.closed(),
            ~self.notice(StatusNotice.open_to_public.is_(False)),
            or_(self.notice(StatusNotice.open_to_public.is_(True)), self.hours_open()),
        )


def _per_zone(statement: Select, instant: datetime, condition) -> Select:
    """Apply a status condition, read in each unit's own time zone."""
    zones = db.session.scalars(select(Unit.timezone).distinct()).all()
    clauses = [
        and_(
            Unit.timezone == zone, condition(_StatusConditions(instant.astimezone(ZoneInfo(zone))))
        )
        for zone in zones
    ]
    return statement.where(or_(*clauses)) if clauses else statement.where(false())


def where_open_at(statement: Select, instant: datetime | None) -> Select:
    """Units open to the public at `instant`, by the engine's rules."""
    if instant is None:
        return statement
    return _per_zone(statement, instant, lambda c: c.open_to_public())


def where_state_at(statement: Select, states: list[str] | None, instant: datetime) -> Select:
    """Units whose resulting state at `instant` is one of `states`, by the engine's rules."""
    if not states:
        return statement
    return _per_zone(statement, instant, lambda c: or_(*(c.state_is(s) for s in states)))
