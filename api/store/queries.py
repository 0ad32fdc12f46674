"""Query helpers the endpoints share, so no resource builds these by hand: filters, the
engine's input from the database, the engine's rules as SQL conditions, and counts remembered
per data version."""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Exists,
    ScalarSelect,
    Select,
    Subquery,
    Text,
    and_,
    cast,
    distinct,
    false,
    func,
    or_,
    select,
)
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.elements import KeyedColumnElement

from api.domain.status import UnitFacts, zone_named
from api.store import search
from api.store.db import AnySession, db, in_utc
from api.store.facts import unit_facts as facts_of_units
from api.store.memory import LRU
from api.store.models import (
    Announcement,
    Change,
    NoticeVersion,
    OpeningHours,
    OpeningSpan,
    Record,
    StatusNotice,
    StatusPeriod,
    Unit,
)

_T = TypeVar("_T")


def local_date(instant: datetime) -> date:
    """The calendar day an instant falls on in the dataset's zone (validity days are local)."""
    return instant.astimezone(ZoneInfo(current_app.config["DEFAULT_TIMEZONE"])).date()


def filter_common(statement: Select, model: type[Record], args: dict) -> Select:
    """Filters every collection takes."""
    if args.get("modified_since") is not None:
        statement = statement.where(model.modified_at >= args["modified_since"])
    return statement


def where_in(statement: Select, column: InstrumentedAttribute, values: list[str] | None) -> Select:
    """`column` is one of `values` (a comma-separated filter); no filter when absent."""
    return statement if values is None else statement.where(column.in_(values))


def where_related(
    statement: Select,
    relationship: InstrumentedAttribute[Any],
    target_id: InstrumentedAttribute[str],
    values: list[str] | None,
) -> Select:
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
    statement: Select, model: type[Record], query: str | None
) -> tuple[Select, KeyedColumnElement[Any] | None]:
    """Only records matching the full-text `query` (see api.store.search), and their relevance rank
    (an integer, lower is better) to order by; no filter and no rank when `query` is absent."""
    if query is None:
        return statement, None
    found = search.matches(db.session, model.__tablename__, query).subquery("search_matches")
    return statement.join(found, found.c.record_id == model.id), found.c.rank


EARTH_RADIUS_M = 6_371_008.8
METRES_PER_DEGREE = EARTH_RADIUS_M * math.pi / 180


def where_near(
    statement: Select, point: tuple[float, float] | None, radius_m: int | None
) -> tuple[Select, KeyedColumnElement[Any] | None]:
    """Only units with coordinates within `radius_m` metres of `point` (lat, lon), and the
    squared distance in whole square metres (`squared_distance_m2`) to order by.

    An equirectangular distance, with the cosine of the mean latitude linearised around the
    point's: only + - * in SQL, so it runs on any database, and well within 0.1% of the
    great-circle distance at 100 km. Rows far off in latitude cannot pass, whatever the
    linearised cosine does there, because the latitude term alone exceeds the radius."""
    if point is None:
        return statement, None
    assert radius_m is not None, "`near` comes with `radius` (schemas.units)"
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
    box: list[ColumnElement] = [Unit.latitude.between(latitude - reach, latitude + reach)]
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
    """The engine's input for each unit (api.store.facts), in a fixed number of queries. With
    `service_id`, only the notices that concern that service (or name no service) count."""
    return facts_of_units(db.session, unit_ids, service_id)


def _valid_on(
    start: InstrumentedAttribute[Any], end: InstrumentedAttribute[Any], day: date
) -> ColumnElement[bool]:
    return and_(or_(start.is_(None), start <= day), or_(end.is_(None), end >= day))


def _trusted_on(trusted_until: InstrumentedAttribute[Any], day: date) -> ColumnElement[bool]:
    return or_(trusted_until.is_(None), trusted_until >= day)


class _StatusConditions:
    """The engine's answers (api/status.py) as SQL conditions on `Unit`, for one time zone: the
    units whose local time is `local`. The rules are not restated here: what the notices make
    of a day is the engine's own answer, stored per unit as `status_periods` (for an instant
    whose hours say open, and for one with no hours); only the hours are read here, with the
    engine's definition of "the hours say open / closed / nothing". Tests compare the two on
    every unit and many instants.

    Periods are few and are read from their side: the units with a period of a kind are one
    uncorrelated `IN` list (hashed by PostgreSQL, an ephemeral index in SQLite). Hours are per
    unit (every unit has some), so they stay correlated to the unit and its `unit_id` indexes."""

    def __init__(self, local: datetime) -> None:
        self.day = local.date()
        self.previous_day = self.day - timedelta(days=1)
        self.weekday = self.day.weekday()
        self.minute = local.hour * 60 + local.minute

    def _governs(self, model: type[OpeningHours | OpeningSpan], day: date) -> ColumnElement[bool]:
        return and_(
            _valid_on(model.valid_from, model.valid_until, day),
            _trusted_on(model.trusted_until, day),
        )

    def _exception_on(self, day: date, unit_id: InstrumentedAttribute[str]) -> Exists:
        # Correlated to the span's unit: a nested subquery does not see the outer `units`.
        return (
            select(OpeningHours.id)
            .where(
                OpeningHours.unit_id == unit_id,
                OpeningHours.kind == "exception",
                self._governs(OpeningHours, day),
            )
            .exists()
        )

    def hours_known(self) -> Exists:
        """Some valid, trusted hours record sets the day's hours (K)."""
        return (
            select(OpeningHours.id)
            .where(OpeningHours.unit_id == Unit.id, self._governs(OpeningHours, self.day))
            .exists()
        )

    def hours_open(self) -> Exists:
        """The hours say open at this minute (O; implies K)."""

        def part(carried: bool, day: date) -> ColumnElement[bool]:
            return and_(
                OpeningSpan.from_previous_day.is_(carried),
                self._governs(OpeningSpan, day),
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

    def period(self, *conditions: ColumnElement[bool]) -> ColumnElement[bool]:
        """The unit has a status period on this day that meets `conditions`."""
        periods = select(StatusPeriod.unit_id).where(
            _valid_on(StatusPeriod.starts_on, StatusPeriod.ends_on, self.day), *conditions
        )
        return Unit.id.in_(periods)

    # With O = the hours say open now, K = hours known that day, P = the unit's period that day
    # (none where no notice can apply): hours that say closed close the unit; with O the
    # period's `if_open` answer applies (else `open` from the hours alone); without K its
    # `if_no_hours` answer (else `unknown`).

    def state_is(self, state: str) -> ColumnElement[bool]:
        open_now = self.hours_open()
        by_period = and_(open_now, self.period(StatusPeriod.state_if_open == state))
        no_hours = ~self.hours_known()
        if state != "closed":
            by_period = or_(
                by_period,
                and_(no_hours, self.period(StatusPeriod.state_if_no_hours == state)),
            )
        if state == "closed":
            return or_(
                and_(self.hours_known(), ~open_now),
                by_period,
                and_(no_hours, self.period(StatusPeriod.state_if_no_hours == "closed")),
            )
        if state == "open":
            return or_(by_period, and_(open_now, ~self.period()))
        if state == "unknown":
            return or_(by_period, and_(no_hours, ~self.period()))
        return by_period

    def open_to_public(self) -> ColumnElement[bool]:
        return and_(self.hours_open(), self.period(StatusPeriod.public_if_open.is_(True)))


def _zones() -> list[str]:
    """The time zones units are in: a scan of every unit, so remembered per data version."""
    listed: ColumnElement[Any]
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
        known = zone_named(zone)
        if known is None:  # the engine cannot evaluate such a unit: its state is `unknown`
            if states is not None and "unknown" in states:
                clauses.append(Unit.timezone == zone)
            continue
        rules = _StatusConditions(instant.astimezone(known))
        if states is None:
            held = rules.open_to_public()
        else:
            held = or_(*(rules.state_is(state) for state in states))
        clauses.append(and_(Unit.timezone == zone, held))
    return or_(*clauses) if clauses else false()


# --- Values remembered per data version ------------------------------------------------------

REMEMBERED_PER_APP = 256


def _hashable(value: object) -> object:
    if isinstance(value, list | tuple):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    return value


def _statement_key(expression: ScalarSelect[Any]) -> tuple[int, object] | None:
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


def _data_version() -> Subquery:
    """The data version: the highest `seq` of the change log, and its time. Every write moves
    it, in the transaction that writes; ETags are made of it (api.web.caching).

    Each max() is a subquery of its own: SQLite finds a lone max() of an indexed column at the
    end of its index, but two in one SELECT make it read the whole change log (about 50 ms a
    request at 200,000 changes, against microseconds)."""
    return select(
        select(func.max(Change.seq)).scalar_subquery().label("seq"),
        select(func.max(Change.changed_at)).scalar_subquery().label("changed_at"),
    ).subquery("data_version")


_VERSION = _data_version()
# Built once: almost every request reads it, and SQLAlchemy keeps a statement's cache key on the
# statement, so this one is not built, nor its key worked out, again each time.
_VERSION_NOW = select(_VERSION.c.seq, _VERSION.c.changed_at)


def data_version(session: AnySession) -> tuple[int, datetime | None]:
    """The data version now: (0, None) for an empty database."""
    seq, changed_at = session.execute(_VERSION_NOW).one()
    return seq or 0, data_version_time(changed_at)


def data_version_time(changed_at: datetime | None) -> datetime | None:
    """The time of a data version as read (max() of the column loses its type on some
    databases)."""
    if changed_at is None:
        return None
    return in_utc(changed_at)


def per_data_version(
    expression: ScalarSelect[_T], read_version: tuple[int, datetime | None] | None = None
) -> _T | None:
    """The value of the scalar subquery `expression`, computed once per data version.

    The data version is the one ETags are made of (api.web.caching): the highest `seq` of the change
    log, with its time; every write moves it, in the transaction that writes. A value is
    computed in the same statement, so in the same snapshot, as the version it is remembered
    under. A call makes one statement: the value with its version, or, when a value is
    remembered, the version alone; only a remembered value that the data has since moved past
    costs a second statement, which computes it again. `read_version`, when the caller has read the
    data version already (a request's ETag is made of it, read as the request began), is taken
    as the version now, and a remembered value of that version costs no statement at all. The
    value is then that version's, as the ETag is; a write committed while the request runs may
    already be in the rows it reads after (reads hold no snapshot), as it was before."""
    key = _statement_key(expression)
    if key is None:
        return db.session.scalar(select(expression))
    remembered = current_app.extensions.setdefault(
        "api.store.queries.remembered", LRU(REMEMBERED_PER_APP)
    )
    known = remembered.get(key)
    if known is not None:
        # The version alone: a statement that also held `expression`, even in a branch never
        # taken, would be planned (and on PostgreSQL possibly JIT-compiled) as a whole.
        if (read_version or data_version(db.session)) == known[:2]:
            return known[2]
    version = _data_version()
    seq, changed_at, value = db.session.execute(
        select(version.c.seq, version.c.changed_at, expression)
    ).one()
    if seq is not None and changed_at is not None:
        remembered.put(key, (seq, data_version_time(changed_at), value))
    return value


# --- The data's own dates (the catalogue's) ----------------------------------------------------


@dataclass(frozen=True)
class SourceDates:
    """What the data's own dates say: the first and the last day a source said something
    (published a notice version, dated a statement or its hours), and the first and last day
    the data speaks of (those, and every validity bound). None where the data gives no date."""

    first_said: date | None
    last_said: date | None
    first_day: date | None
    last_day: date | None


SAID_ON = (
    NoticeVersion.published_on,
    StatusNotice.stated_on,
    Announcement.stated_on,
    OpeningHours.verified_on,
)
VALIDITY = (
    NoticeVersion.valid_until,
    StatusNotice.valid_from,
    StatusNotice.valid_until,
    Announcement.valid_from,
    Announcement.valid_until,
    OpeningHours.valid_from,
    OpeningHours.valid_until,
)


def source_dates(session: AnySession) -> SourceDates:
    """The first and last of the dates the records give (SAID_ON; with VALIDITY, the days)."""

    def bounds(columns: tuple[InstrumentedAttribute[date | None], ...]) -> list[date]:
        found: list[date] = []
        for column in columns:
            low, high = session.execute(select(func.min(column), func.max(column))).one()
            found += [day for day in (low, high) if day is not None]
        return found

    said, valid = bounds(SAID_ON), bounds(VALIDITY)
    days = said + valid
    return SourceDates(
        min(said, default=None),
        max(said, default=None),
        min(days, default=None),
        max(days, default=None),
    )
