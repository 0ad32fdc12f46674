"""Query helpers the endpoints share, so no resource builds these by hand: filters, the
engine's input from the database, the engine's rules as SQL conditions, and counts remembered
per data version."""

from __future__ import annotations

import functools
import json
import math
import threading
from collections import OrderedDict
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    ScalarSelect,
    Select,
    Text,
    and_,
    cast,
    distinct,
    false,
    func,
    or_,
    select,
)
from sqlalchemy.orm import InstrumentedAttribute, selectinload

from api import search
from api.db import db
from api.models import Change, OpeningHours, OpeningSpan, StatusNotice, Unit, notice_targets
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
        Unit.latitude.is_not(None),
        Unit.longitude.is_not(None),
        *_box_around(latitude, longitude, radius_m),
        squared <= radius_m * radius_m,
    )
    return statement, cast(squared, BigInteger).label("squared_distance_m2")


def _box_around(latitude: float, longitude: float, radius_m: int) -> list[ColumnElement]:
    """Plain column ranges that every unit `where_near` keeps is within: the distance is then
    computed only for units inside the box, and an index on latitude could serve the range.

    The latitude term alone must stay within the radius: |north| <= reach. Within that band the
    longitude factor is at least `cos0 - |sin0| * radians(1) / 2 * reach`, so where that is
    positive, |east| <= reach bounds the longitude too. The margins keep rounding from ever
    excluding a unit the exact test keeps; near the poles only the latitude band is used."""
    reach = radius_m / METRES_PER_DEGREE * (1 + 1e-6) + 1e-9
    box = [Unit.latitude.between(latitude - reach, latitude + reach)]
    factor = (
        math.cos(math.radians(latitude))
        - abs(math.sin(math.radians(latitude))) * math.radians(1) / 2 * reach
    )
    if factor > 0.01:
        spread = reach / factor
        box.append(Unit.longitude.between(longitude - spread, longitude + spread))
    return box


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
    two on every unit and many instants.

    Notices are few and are read from their side: the units a notice in force targets are one
    uncorrelated `IN` list, built once per query (hashed by PostgreSQL, an ephemeral index in
    SQLite). Read from the unit's side instead, SQLite walked every notice of a state for each
    unit, which on 100,000 units took seconds. Hours are per unit (every unit has some), so they
    stay correlated to the unit and its `unit_id` indexes: a page reads only its own units'."""

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
        """The unit is a target of a notice in force that meets `conditions`."""
        targeted = (
            select(notice_targets.c.unit_id)
            .join(StatusNotice, StatusNotice.id == notice_targets.c.status_notice_id)
            .where(
                _valid_on(StatusNotice.in_force_from, StatusNotice.in_force_until, self.day),
                *conditions,
            )
        )
        return Unit.id.in_(targeted)

    # The rules below are the engine's, rewritten so that each hours test appears at most once
    # per state and comes after the cheap notice tests, which SQLite evaluates first and which
    # usually settle the answer. With N = a notice in force (N_s: of state s), K = hours known
    # that day, O = the hours say open now:
    #   closed                 = N_closed or (K and not O)
    #   not closed             = not N_closed and (not K or O)
    #   unknown                = not closed and not N and not O        = not N and not K and not O
    #   s, a notice state      = not closed and N_s and not N_stricter = N_s and not N_stricter
    #                                                                    and (not K or O)
    #   open also, by hours    = not closed and not N and O            = not N and O
    #   open to the public     = not closed and not N_false and (N_true or O)
    #                          = not N_closed and not N_false and (O or (N_true and not K))
    # (N_closed is one of N_stricter for every other state, and one of N.)

    def closed(self):
        return or_(
            self.notice(StatusNotice.state == "closed"),
            and_(self.hours_known(), ~self.hours_open()),
        )

    def state_is(self, state: str):
        if state == "closed":
            return self.closed()
        if state == "unknown":
            return and_(~self.notice(), ~self.hours_known(), ~self.hours_open())
        stricter = [s for s in STATE_ORDER[: STATE_ORDER.index(state)]]
        by_notice = and_(
            self.notice(StatusNotice.state == state),
            ~self.notice(StatusNotice.state.in_(stricter)),
            or_(~self.hours_known(), self.hours_open()),
        )
        if state == "open":
            return or_(by_notice, and_(~self.notice(), self.hours_open()))
        return by_notice

    def open_to_public(self):
        return and_(
            ~self.notice(StatusNotice.state == "closed"),
            ~self.notice(StatusNotice.open_to_public.is_(False)),
            or_(
                and_(self.notice(StatusNotice.open_to_public.is_(True)), ~self.hours_known()),
                self.hours_open(),
            ),
        )


def _zones() -> list[str]:
    """The time zones units are in: a scan of every unit, so remembered per data version."""
    if db.session.get_bind().dialect.name == "sqlite":
        listed = func.json_group_array(distinct(Unit.timezone))
    else:
        listed = cast(func.json_agg(distinct(Unit.timezone)), Text)
    return sorted(json.loads(per_data_version(select(listed).scalar_subquery()) or "[]"))


def where_open_at(statement: Select, instant: datetime | None) -> Select:
    """Units open to the public at `instant`, by the engine's rules."""
    if instant is None:
        return statement
    return statement.where(_status_condition(tuple(_zones()), instant, None))


def where_state_at(statement: Select, states: list[str] | None, instant: datetime) -> Select:
    """Units whose resulting state at `instant` is one of `states`, by the engine's rules."""
    if not states:
        return statement
    return statement.where(_status_condition(tuple(_zones()), instant, tuple(states)))


@functools.lru_cache(maxsize=16)
def _status_condition(
    zones: tuple[str, ...], instant: datetime, states: tuple[str, ...] | None
) -> ColumnElement:
    """Units in one of `states` at `instant` (None: open to the public), each read in its own
    time zone. Built once per (zones, instant, states): a condition is several hundred
    SQLAlchemy elements, and one, immutable, serves every request that asks for it."""
    clauses = []
    for zone in zones:
        rules = _StatusConditions(instant.astimezone(ZoneInfo(zone)))
        if states is None:
            held = rules.open_to_public()
        else:
            held = or_(*(rules.state_is(state) for state in states))
        clauses.append(and_(Unit.timezone == zone, held))
    return or_(*clauses) if clauses else false()


# --- Values remembered per data version ------------------------------------------------------

REMEMBERED_PER_APP = 256


class _Remembered:
    """One app's remembered values: statement key -> (data version, value), the least recently
    used dropped beyond REMEMBERED_PER_APP."""

    def __init__(self) -> None:
        self._values: OrderedDict[Any, tuple[Any, Any, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key) -> tuple[Any, Any, Any] | None:
        with self._lock:
            found = self._values.get(key)
            if found is not None:
                self._values.move_to_end(key)
            return found

    def put(self, key, entry: tuple[Any, Any, Any]) -> None:
        with self._lock:
            self._values[key] = entry
            self._values.move_to_end(key)
            while len(self._values) > REMEMBERED_PER_APP:
                self._values.popitem(last=False)


def _hashable(value):
    if isinstance(value, list | tuple):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    return value


def _statement_key(expression: ScalarSelect):
    """What identifies the SQL of `expression` and its parameter values, or None: SQLAlchemy's
    own statement cache key, its structure by hash (a status filter's is some 100 KB of
    tuples), its parameter values as they are."""
    cache_key = expression._generate_cache_key()
    if cache_key is None:  # an element SQLAlchemy will not cache: do not remember it either
        return None
    try:
        values = _hashable([bind.effective_value for bind in cache_key.bindparams])
        hash(values)
    except TypeError:  # a parameter value that cannot be part of a key
        return None
    return hash(cache_key.key), values


def _data_version():
    return select(
        func.max(Change.seq).label("seq"), func.max(Change.changed_at).label("changed_at")
    ).subquery("data_version")


def per_data_version(expression: ScalarSelect):
    """The value of the scalar subquery `expression`, computed once per data version.

    The data version is the one ETags are made of (api.headers): the highest `seq` of the change
    log, with its time; every write moves it, in the transaction that writes. A value is
    computed in the same statement, so in the same snapshot, as the version it is remembered
    under. A call makes one statement: the value with its version, or, when a value is
    remembered, the version alone; only a remembered value that the data has since moved past
    costs a second statement, which computes it again."""
    key = _statement_key(expression)
    if key is None:
        return db.session.scalar(select(expression))
    remembered = current_app.extensions.setdefault("api.queries.remembered", _Remembered())
    known = remembered.get(key)
    if known is not None:
        # The version alone: a statement that also held `expression`, even in a branch never
        # taken, would be planned (and on PostgreSQL possibly JIT-compiled) as a whole.
        version = _data_version()
        current = db.session.execute(select(version.c.seq, version.c.changed_at)).one()
        if (current.seq, current.changed_at) == known[:2]:
            return known[2]
    version = _data_version()
    seq, changed_at, value = db.session.execute(
        select(version.c.seq, version.c.changed_at, expression)
    ).one()
    if seq is not None and changed_at is not None:
        remembered.put(key, (seq, changed_at, value))
    return value
