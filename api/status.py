"""The opening-status engine: "is it open, for whom, and why?" at any instant, for one unit.

Plain functions over plain data (no Flask, no database): the API, the filters and the tests feed
it `UnitFacts` and read back a `Status` or per-day `DayHours`.

What decides, in this order (the API docs quote this):

1. **Notices in force.** A status notice is in force on the local days from its
   `in_force_from` to its `in_force_until` (both inclusive; null is open on that side). A newer
   version supersedes an older one through those dates: the older ends the day before the newer
   starts (see `api.notices`). A notice applies to the units it names and to their sub-units;
   when it also names services, a sub-unit is included only if it offers one of them. A notice
   that names only services applies to every unit offering one of them.
2. **Exception periods** (`kind: exception`, e.g. a summer closure) replace the regular hours on
   every day they are valid; an exception with no spans means closed all day.
3. **Regular weekly hours** (`kind: regular`): on a day, the spans of every regular record valid
   that day count; a weekday no span covers is closed. A span whose `closes` is at or before
   `opens` runs past midnight into the next day. Times are wall-clock times in the unit's zone,
   so a 08:00 opening is 08:00 local on both sides of a daylight-saving change.

How they combine into the resulting `state`:

- any notice in force says `closed` -> `closed`;
- else the hours say closed at that instant -> `closed`;
- else, if notices are in force -> the most restrictive of their states, in the order
  closed > current_clients_only > new_clients_not_admitted > distance_service >
  new_clients_admitted > open > activity_not_organised;
- else the hours say open -> `open`; with no hours and no notices -> `unknown`.

The three audiences are each true, false or null (unknown):

- `open_to_public` and `open_to_current_clients`: false when the state is `closed`; otherwise
  what the notices in force say (any false wins over true), and where they say nothing, true if
  the hours say open, else null.
- `new_clients_admitted` is an admission policy, not a time of day: what the notices in force
  say (false wins), false under a `closed` notice, else null.
- `delivery_mode`: from the notices in force (distance > partly_distance > on_site), else null.

No data means `unknown`/null, never closed and never open. `since` and `next_change` are the
instants the resulting state (with its flags) began and next changes, searched up to
`HORIZON_DAYS` away; null where the data does not say within that horizon.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

# Most restrictive first. A state not listed here ranks after all of them.
STATE_ORDER = (
    "closed",
    "current_clients_only",
    "new_clients_not_admitted",
    "distance_service",
    "new_clients_admitted",
    "open",
    "activity_not_organised",
)
DELIVERY_ORDER = ("distance", "partly_distance", "on_site")
HORIZON_DAYS = 366


# --- Inputs ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Span:
    """Open from `opens` to `closes` on each of `weekdays` (0 = Monday). `closes <= opens`
    runs past midnight into the next day (`opens == closes` is 24 hours)."""

    weekdays: frozenset[int]
    opens: time
    closes: time

    @property
    def past_midnight(self) -> bool:
        return self.closes <= self.opens

    def covers_same_day(self, weekday: int, at: time) -> bool:
        if weekday not in self.weekdays:
            return False
        return self.opens <= at and (self.past_midnight or at < self.closes)

    def covers_from_previous_day(self, previous_weekday: int, at: time) -> bool:
        return previous_weekday in self.weekdays and self.past_midnight and at < self.closes


@dataclass(frozen=True)
class HoursRecord:
    id: str
    kind: str  # "regular" or "exception"
    valid_from: date | None
    valid_until: date | None
    spans: tuple[Span, ...] = ()

    def valid_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_until is None or day <= self.valid_until
        )


@dataclass(frozen=True)
class Notice:
    id: str
    state: str
    in_force_from: date | None
    in_force_until: date | None
    open_to_public: bool | None = None
    open_to_current_clients: bool | None = None
    new_clients_admitted: bool | None = None
    delivery_mode: str | None = None
    text: dict[str, str | None] = field(default_factory=dict, hash=False, compare=False)

    def in_force_on(self, day: date) -> bool:
        return (self.in_force_from is None or self.in_force_from <= day) and (
            self.in_force_until is None or day <= self.in_force_until
        )


@dataclass(frozen=True)
class UnitFacts:
    """Everything the engine needs about one unit: its zone, its hours records and the notices
    that apply to it (already selected by `notice_targets`)."""

    unit_id: str
    timezone: str
    hours: tuple[HoursRecord, ...] = ()
    notices: tuple[Notice, ...] = ()

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


# --- Outputs ---------------------------------------------------------------------------------


@dataclass
class Status:
    """A unit's status. Instants are in UTC; `in_local_time` gives them in the unit's zone."""

    unit_id: str
    timezone: str
    state: str
    open_to_public: bool | None
    open_to_current_clients: bool | None
    new_clients_admitted: bool | None
    delivery_mode: str | None
    notice_ids: list[str]
    exception_ids: list[str]
    regular_hours_ids: list[str]
    notices: list[Notice]
    at: datetime | None = None
    since: datetime | None = None
    next_change: datetime | None = None

    @property
    def decided_by(self) -> dict[str, list[str]]:
        return {
            "notice_ids": self.notice_ids,
            "exception_ids": self.exception_ids,
            "regular_hours_ids": self.regular_hours_ids,
        }

    def in_local_time(self) -> Status:
        """The same status with its instants in the unit's zone, so their offsets tell the
        local time. (Compare such values in UTC: Python never finds two instants in a repeated
        hour equal across zones.)"""
        zone = ZoneInfo(self.timezone)
        return replace(
            self,
            at=self.at.astimezone(zone) if self.at else None,
            since=self.since.astimezone(zone) if self.since else None,
            next_change=self.next_change.astimezone(zone) if self.next_change else None,
        )

    def key(self) -> tuple:
        """What counts as a change of status."""
        return (
            self.state,
            self.open_to_public,
            self.open_to_current_clients,
            self.new_clients_admitted,
            self.delivery_mode,
        )


@dataclass
class DaySpan:
    opens: time
    closes: time
    closes_next_day: bool


@dataclass
class DayHours:
    date: date
    state: str
    spans: list[DaySpan]
    notice_ids: list[str]
    exception_ids: list[str]
    regular_hours_ids: list[str]
    new_clients_admitted: bool | None


# --- Schedule --------------------------------------------------------------------------------


def governing_records(hours: Iterable[HoursRecord], day: date) -> list[HoursRecord]:
    """The records that set the hours of `day`: its exceptions if any, else its regular ones."""
    valid = [record for record in hours if record.valid_on(day)]
    exceptions = [record for record in valid if record.kind == "exception"]
    return exceptions or [record for record in valid if record.kind == "regular"]


def schedule_at(facts: UnitFacts, local: datetime) -> tuple[str | None, list[HoursRecord]]:
    """('open' | 'closed' | None for unknown, the records that decided) at a local wall time."""
    day, at = local.date(), local.time().replace(tzinfo=None)
    today = governing_records(facts.hours, day)
    yesterday = governing_records(facts.hours, day - timedelta(days=1))
    weekday, previous_weekday = day.weekday(), (day.weekday() - 1) % 7
    deciding = [r for r in today if any(s.covers_same_day(weekday, at) for s in r.spans)]
    deciding += [
        r
        for r in yesterday
        if any(s.covers_from_previous_day(previous_weekday, at) for s in r.spans)
    ]
    if deciding:
        return "open", deciding
    if today:
        return "closed", today
    return None, []


# --- Combining -------------------------------------------------------------------------------


def _rank(state: str) -> int:
    return STATE_ORDER.index(state) if state in STATE_ORDER else len(STATE_ORDER)


def _combine(values: Iterable[bool | None]) -> bool | None:
    """Several notices on one question: any false wins, then any true, else unknown."""
    stated = [value for value in values if value is not None]
    if not stated:
        return None
    return all(stated)


def notices_in_force(facts: UnitFacts, day: date) -> list[Notice]:
    return sorted((n for n in facts.notices if n.in_force_on(day)), key=lambda n: n.id)


def status_at(facts: UnitFacts, instant: datetime, *, with_changes: bool = True) -> Status:
    """The unit's status at `instant` (timezone-aware), with `since` and `next_change`."""
    if instant.tzinfo is None:
        raise ValueError("instant must be timezone-aware")
    status = _evaluate(facts, instant)
    status.at = instant
    if with_changes:
        status.since, status.next_change = _changes_around(facts, instant, status.key())
    return status


def _evaluate(facts: UnitFacts, instant: datetime) -> Status:
    local = instant.astimezone(facts.zone)
    in_force = notices_in_force(facts, local.date())
    schedule, records = schedule_at(facts, local)
    closed_by_notice = any(n.state == "closed" for n in in_force)

    if closed_by_notice or schedule == "closed":
        state = "closed"
    elif in_force:
        state = min((n.state for n in in_force), key=_rank)
    else:
        state = "open" if schedule == "open" else "unknown"

    if state == "closed":
        public = current = False
    else:
        fallback = True if schedule == "open" else None
        public = _combine(n.open_to_public for n in in_force)
        current = _combine(n.open_to_current_clients for n in in_force)
        public = fallback if public is None else public
        current = fallback if current is None else current
    admitted = _combine(n.new_clients_admitted for n in in_force)
    if closed_by_notice and admitted is None:
        admitted = False
    modes = [n.delivery_mode for n in in_force if n.delivery_mode]
    delivery = min(modes, key=DELIVERY_ORDER.index) if modes else None

    return Status(
        unit_id=facts.unit_id,
        timezone=facts.timezone,
        state=state,
        open_to_public=public,
        open_to_current_clients=current,
        new_clients_admitted=admitted,
        delivery_mode=delivery,
        notice_ids=[n.id for n in in_force],
        exception_ids=sorted({r.id for r in records if r.kind == "exception"}),
        regular_hours_ids=sorted({r.id for r in records if r.kind == "regular"}),
        notices=in_force,
    )


# --- When the status changes -----------------------------------------------------------------


def _wall_to_instants(day: date, at: time, zone: ZoneInfo) -> set[datetime]:
    """Every UTC instant a local wall time can denote (two in a repeated hour; in a skipped hour
    a nominal one, harmless because the zone's own transition is a candidate too)."""
    return {
        datetime.combine(day, at, tzinfo=zone).replace(fold=fold).astimezone(UTC) for fold in (0, 1)
    }


def _offset_transitions(day: date, zone: ZoneInfo) -> list[datetime]:
    """Instants near local `day` at which the zone's UTC offset changes (to the second)."""
    start = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC) - timedelta(hours=3)
    low, high = int(start.timestamp()), int(start.timestamp()) + 30 * 3600

    def offset(timestamp: int) -> timedelta | None:
        return datetime.fromtimestamp(timestamp, UTC).astimezone(zone).utcoffset()

    before = offset(low)
    if offset(high) == before:
        return []
    while high - low > 1:
        middle = (low + high) // 2
        if offset(middle) == before:
            low = middle
        else:
            high = middle
    return [datetime.fromtimestamp(high, UTC)]


def candidate_instants(facts: UnitFacts, day: date) -> list[datetime]:
    """Instants during local `day` at which the status can change: midnight, each span's
    opening and closing, and the zone's offset changes. Between two, the status is constant."""
    zone = facts.zone
    walls = {time(0)}
    for record in facts.hours:
        if record.valid_on(day) or record.valid_on(day - timedelta(days=1)):
            for span in record.spans:
                walls.update((span.opens, span.closes))
    instants: set[datetime] = set()
    for wall in walls:
        instants.update(_wall_to_instants(day, wall, zone))
    instants.update(_offset_transitions(day, zone))
    return sorted(i for i in instants if i.astimezone(zone).date() == day)


def _candidates_forward(facts: UnitFacts, after: datetime) -> Iterator[datetime]:
    day = after.astimezone(facts.zone).date()
    for offset in range(HORIZON_DAYS + 1):
        for instant in candidate_instants(facts, day + timedelta(days=offset)):
            if instant > after:
                yield instant


def _candidates_backward(facts: UnitFacts, before: datetime) -> Iterator[datetime]:
    day = before.astimezone(facts.zone).date()
    for offset in range(HORIZON_DAYS + 1):
        for instant in reversed(candidate_instants(facts, day - timedelta(days=offset))):
            if instant <= before:
                yield instant


def _has_no_data(facts: UnitFacts) -> bool:
    return not facts.hours and not facts.notices


def _changes_around(
    facts: UnitFacts, instant: datetime, key: tuple
) -> tuple[datetime | None, datetime | None]:
    if _has_no_data(facts):
        return None, None
    next_change = None
    seen: set[datetime] = set()
    for candidate in _candidates_forward(facts, instant):
        if candidate in seen:
            continue
        seen.add(candidate)
        if _evaluate(facts, candidate).key() != key:
            next_change = candidate
            break
    since = None
    seen.clear()
    for candidate in _candidates_backward(facts, instant):
        if candidate in seen:
            continue
        seen.add(candidate)
        # The status holds from `candidate` to the next candidate; one second earlier is the
        # segment before it.
        if _evaluate(facts, candidate - timedelta(seconds=1)).key() != key:
            since = candidate
            break
    return since, next_change


# --- Per-day hours ---------------------------------------------------------------------------


def day_hours(facts: UnitFacts, day: date) -> DayHours:
    """The hours of one local day as the rules above make them, with the records behind them."""
    records = governing_records(facts.hours, day)
    in_force = notices_in_force(facts, day)
    weekday = day.weekday()
    spans = [
        DaySpan(span.opens, span.closes, span.past_midnight)
        for record in records
        for span in record.spans
        if weekday in span.weekdays
    ]
    spans.sort(key=lambda s: (s.opens, s.closes))
    closed_by_notice = any(n.state == "closed" for n in in_force)
    if closed_by_notice:
        state, spans = "closed", []
    elif records and not spans:
        state = "closed"
    elif in_force:
        state = min((n.state for n in in_force), key=_rank)
    else:
        state = "open" if spans else "unknown"
    admitted = _combine(n.new_clients_admitted for n in in_force)
    if closed_by_notice and admitted is None:
        admitted = False
    return DayHours(
        date=day,
        state=state,
        spans=spans,
        notice_ids=[n.id for n in in_force],
        exception_ids=sorted(r.id for r in records if r.kind == "exception"),
        regular_hours_ids=sorted(r.id for r in records if r.kind == "regular"),
        new_clients_admitted=admitted,
    )


def opening_hours(facts: UnitFacts, start: date, end: date) -> list[DayHours]:
    """`day_hours` for every day from `start` to `end`, inclusive."""
    return [day_hours(facts, start + timedelta(days=n)) for n in range((end - start).days + 1)]


# --- Which notices apply to which unit -------------------------------------------------------


def notice_targets(
    unit_ids: Iterable[str],
    service_ids: Iterable[str],
    children: dict[str, list[str]],
    services_of: dict[str, set[str]],
) -> set[str]:
    """The units a notice applies to (rule 1 above): the units it names and their sub-units,
    a sub-unit only if it offers a named service (when services are named); with no units
    named, every unit offering a named service."""
    named_units, named_services = list(unit_ids), set(service_ids)
    if not named_units:
        return {unit for unit, offered in services_of.items() if offered & named_services}
    targets = set(named_units)
    stack = list(named_units)
    while stack:
        for child in children.get(stack.pop(), []):
            if child in targets:
                continue
            if not named_services or services_of.get(child, set()) & named_services:
                targets.add(child)
            stack.append(child)
    return targets


def applies_to_service(notice_service_ids: Iterable[str], service_id: str) -> bool:
    """A notice that names services concerns only those; one that names none concerns all."""
    named = set(notice_service_ids)
    return not named or service_id in named


def minute_rows(span: Span) -> list[tuple[int, int, int, bool]]:
    """(weekday, start minute, end minute, from previous day) rows covering a span, for the
    database's "open at" condition; a span past midnight continues on the next weekday."""
    opens = span.opens.hour * 60 + span.opens.minute
    closes = span.closes.hour * 60 + span.closes.minute
    rows = []
    for weekday in sorted(span.weekdays):
        if not span.past_midnight:
            rows.append((weekday, opens, closes, False))
            continue
        rows.append((weekday, opens, 24 * 60, False))
        if closes > 0:
            rows.append(((weekday + 1) % 7, 0, closes, True))
    return rows


def parse_spans(raw: Iterable[dict]) -> tuple[Span, ...]:
    """Spans as stored ({"weekdays": ["monday", ...], "opens": "HH:MM", "closes": "HH:MM"})."""
    return tuple(
        Span(
            weekdays=frozenset(WEEKDAYS.index(day) for day in span["weekdays"]),
            opens=time.fromisoformat(span["opens"]),
            closes=time.fromisoformat(span["closes"]),
        )
        for span in raw
    )
