"""The opening-status engine: "is it open, for whom, since when, and says who?" at any instant,
for one unit. Plain functions over plain data (no Flask, no database): the API, the derived
tables behind the status filters and the tests feed it `UnitFacts` and read back a `Status`,
per-day `DayHours` or the per-day `Period`s the SQL filters read.

The rules are `STATUS_RULES` below, as the README and the API docs state them; when each notice
statement is in force and trusted comes from api.domain.notices. How they are worked out here: each
day, `notices_on` lists every set of notices that can be in force (a *world*: one per
possibility the sources leave open, an undated version having taken effect or not, a statement
past its horizon holding or not); `verdict` applies the rules of one world with what the hours
say at the instant (`schedule_at`); `agreed` keeps what every world says, `unknown` / null
elsewhere; `_reasons` says why.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from itertools import combinations, product
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from api.domain.notices import Window

_T = TypeVar("_T")

STATUS_RULES = """\
1. **Versions.** A published notice comes in versions (`/v1/notice-versions`): each a dated
   publication of the whole notice, made of statements (`/v1/status-notices`). A version takes
   effect on the day the source dates it, and replaces the whole earlier version from then on.
   Where no source dates a version, none is invented: the bounds the sources imply are
   recorded instead (`published_not_before`, `published_not_after`, with `notes` saying how),
   and between them both possibilities are kept.
2. **A statement's days.** A statement is in force from its own `valid_from` (a dated claim
   speaks for its own days) or else from the day its version took effect, until its own
   `valid_until`, else the end the statement it repeats gave (a later source's silence does not
   lift an end an earlier one gave for the same units), else its version's `valid_until`; and
   never after the next version took effect. Statements publish `in_force_from` /
   `in_force_until` only where the sources fix the day, and `in_force_bounds` always.
3. **The knowledge horizon.** A statement or a set of opening hours with no end is trusted for
   `KNOWLEDGE_HORIZON_DAYS` (365 by default) after a source last said it (`stated_on`,
   `verified_on`, or its version's date; for an undated version, the earliest day it can have
   been published). Past its `trusted_until`, what it says is unknown
   (`reasons: past_horizon`, "no source newer than …").
4. **Where the sources leave a day open** (an undated version, a statement past its horizon),
   the answer is worked out for every possibility: what they agree on is the answer, and the
   rest is `unknown` or null (`reasons: versions_disagree`).
5. **At an instant.** A `closed` notice in force, or hours that say closed, close the unit.
   Otherwise the hours must say open: at an instant with no known hours the state is `unknown`
   (`reasons: no_hours`; a notice that a unit operates does not say when — the notice still
   shows). Otherwise the most restrictive state of the notices in force (closed >
   current_clients_only > new_clients_not_admitted > distance_service > new_clients_admitted >
   open > activity_not_organised), or `open` from the hours alone. A day in
   `/opening-hours` takes a notice's state for the whole day even without hours
   (`hours_known: false`).
6. **Flags come only from what statements say.** `open_to_public` and `open_to_current_clients`
   are `false` when closed; while the hours say open, what the notices in force say (any false
   wins); otherwise `null` — never `true` from opening hours alone. `new_clients_admitted` is an
   admission policy, not a time of day: what the notices say, else `null` (a shop's closure
   says nothing about clients, so it leaves this `null`). `open_to_anyone` (the badge) is
   `false` when closed, `null` when unknown, else `true`: someone is served at that instant.
7. **Hours.** Exception periods (holidays, summer closures) replace the regular weekly hours on
   their days. Hours may have several spans a day and spans past midnight; a weekday no span
   covers is closed. Times are wall-clock in the unit's `timezone`, across daylight-saving
   changes. A unit whose `timezone` cannot be evaluated answers `unknown`
   (`reasons: cannot_evaluate`) and never breaks a list.
8. **Who a notice concerns.** A notice for a parent unit applies to its sub-units (only those
   offering a service it names, if it names any); a notice naming only services applies to every
   unit offering them.
9. **Since and next change.** `since` is when the present answer began: the last change of the
   state, or of a flag that was known before it; `null` where the state before it, or now, is
   unknown. `next_change` is the next instant the answer changes, possibly to `unknown` where
   the sources run out. Both are searched a year each way.
"""
"""The rules as the README and the API docs state them (a test keeps the README the same).
The code below implements them; its docstrings say how."""

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
SEARCH_DAYS = 366
# More unknowns than this on one day (undated versions and statements past their horizon) and
# the day is not worked out world by world: its answer is `unknown`.
MAX_UNKNOWNS = 8

# Why an answer, or part of it, is unknown.
REASONS = {
    "no_information": "No opening hours and no notice cover this time.",
    "no_hours": "Notices say the unit operates, but no opening hours are known for this time.",
    "past_horizon": "The newest source is older than the knowledge horizon.",
    "versions_disagree": "The sources do not say which version of a notice was in force then, "
    "and the versions disagree.",
    "cannot_evaluate": "The unit's data cannot be evaluated.",
}


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
    trusted_until: date | None = None  # None: trusted while valid
    verified_on: date | None = None

    def valid_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_until is None or day <= self.valid_until
        )

    def trusted_on(self, day: date) -> bool:
        return self.trusted_until is None or day <= self.trusted_until


@dataclass(frozen=True)
class Notice:
    """A notice statement as the engine reads it; `window` says when it is in force."""

    id: str
    state: str
    window: Window = field(default_factory=Window)
    open_to_public: bool | None = None
    open_to_current_clients: bool | None = None
    new_clients_admitted: bool | None = None
    delivery_mode: str | None = None
    text: dict[str, str | None] = field(default_factory=dict, hash=False, compare=False)
    version_id: str | None = None
    source_urls: tuple[str, ...] = field(default=(), hash=False, compare=False)

    @property
    def said_on(self) -> date | None:
        """When a source last said it (its own date, else its version's, else the earliest
        day its undated version can have been published)."""
        return self.window.said_on

    @property
    def trusted_until(self) -> date | None:
        return self.window.trusted_until


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

    def zone_or_none(self) -> ZoneInfo | None:
        """The unit's zone, or None if its name is not a zone this platform knows (a stored
        value must never make a read fail: such a unit's status is `unknown`)."""
        return zone_named(self.timezone)


def zone_named(name: str) -> ZoneInfo | None:
    """The time zone of that IANA name, or None where this platform knows no such zone."""
    try:
        return ZoneInfo(name)
    except (ValueError, OSError, KeyError):
        return None


# --- Outputs ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """An answer: the state and the flags."""

    state: str
    open_to_public: bool | None = None
    open_to_current_clients: bool | None = None
    new_clients_admitted: bool | None = None
    delivery_mode: str | None = None

    @property
    def open_to_anyone(self) -> bool | None:
        return {"closed": False, "unknown": None}.get(self.state, True)

    def key(self) -> tuple:
        return (
            self.state,
            self.open_to_public,
            self.open_to_current_clients,
            self.new_clients_admitted,
            self.delivery_mode,
        )


UNKNOWN = Verdict("unknown")


@dataclass(frozen=True)
class Reason:
    code: str
    detail: str


@dataclass(frozen=True)
class NoticeConsidered:
    """A notice behind an answer, and how sure the sources are that it was in force:
    `in_force`, `possibly_in_force` (only in some of the possible worlds) or `past_horizon`."""

    notice: Notice
    certainty: str

    def __getattr__(self, name: str) -> Any:  # noqa: ANN401 - whatever the notice's field holds
        # The notice's own fields (id, state, text, ...) read through, for the output schemas.
        return getattr(self.notice, name)


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
    notices: list[NoticeConsidered]
    reasons: list[Reason] = field(default_factory=list)
    newest_information_on: date | None = None
    at: datetime | None = None
    since: datetime | None = None
    next_change: datetime | None = None

    @property
    def open_to_anyone(self) -> bool | None:
        return self.verdict.open_to_anyone

    @property
    def verdict(self) -> Verdict:
        return Verdict(
            self.state,
            self.open_to_public,
            self.open_to_current_clients,
            self.new_clients_admitted,
            self.delivery_mode,
        )

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
        zone = zone_named(self.timezone)
        if zone is None:
            return self
        return replace(
            self,
            at=self.at.astimezone(zone) if self.at else None,
            since=self.since.astimezone(zone) if self.since else None,
            next_change=self.next_change.astimezone(zone) if self.next_change else None,
        )

    def key(self) -> tuple:
        """What counts as a change of status."""
        return self.verdict.key()


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
    hours_known: bool = False
    reasons: list[Reason] = field(default_factory=list)


@dataclass(frozen=True)
class Period:
    """Days (`starts_on` to `ends_on`, inclusive; None: unbounded) over which the notices give
    a unit the same answer, for the SQL filters: the state and `open_to_public` at an instant
    whose hours say open (`if_open`), and at one with no hours (`if_no_hours`). Where the hours
    say closed, the answer is always closed."""

    starts_on: date | None
    ends_on: date | None
    if_open: tuple[str, bool | None]
    if_no_hours: tuple[str, bool | None]


# --- Schedule --------------------------------------------------------------------------------


def governing_records(hours: Iterable[HoursRecord], day: date) -> list[HoursRecord]:
    """The records that set the hours of `day`: its exceptions if any, else its regular ones;
    only records valid and trusted that day."""
    valid = [record for record in hours if record.valid_on(day) and record.trusted_on(day)]
    exceptions = [record for record in valid if record.kind == "exception"]
    return exceptions or [record for record in valid if record.kind == "regular"]


def stale_records(hours: Iterable[HoursRecord], day: date) -> list[HoursRecord]:
    """Records valid on `day` that are past their trust horizon."""
    return [record for record in hours if record.valid_on(day) and not record.trusted_on(day)]


def schedule_at(facts: UnitFacts, local: datetime) -> tuple[str | None, list[HoursRecord]]:
    """('open' | 'closed' | None for unknown, the records that decided) at a local wall time."""
    day, at = local.date(), local.time().replace(tzinfo=None)
    today = governing_records(facts.hours, day)
    yesterday = governing_records(facts.hours, day - timedelta(days=1))
    return _schedule(today, yesterday, day.weekday(), at)


def _schedule(
    today: list[HoursRecord], yesterday: list[HoursRecord], weekday: int, at: time
) -> tuple[str | None, list[HoursRecord]]:
    """`schedule_at` from the records governing the day and the day before."""
    previous_weekday = (weekday - 1) % 7
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


# --- The notices of a day, world by world ------------------------------------------------------


@dataclass(frozen=True)
class DayNotices:
    """The notices that may be in force on a day: each possible set (`worlds`), and each notice
    with how sure the sources are of it. `worlds` is empty when there are too many unknowns to
    work out (the day's answer is then unknown)."""

    worlds: tuple[tuple[Notice, ...], ...]
    considered: tuple[NoticeConsidered, ...]
    undecided_versions: bool
    too_uncertain: bool = False

    @property
    def certain(self) -> list[Notice]:
        return [c.notice for c in self.considered if c.certainty == "in_force"]

    @property
    def any_notice(self) -> bool:
        return bool(self.considered)


def notices_on(facts: UnitFacts, day: date) -> DayNotices:
    """The possible sets of notices in force on a local `day` (see the module docstring)."""
    candidates = [
        n
        for n in facts.notices
        if (n.window.from_day is None or n.window.from_day <= day)
        and (n.window.until_day is None or day <= n.window.until_day)
    ]
    keys = sorted(set().union(*(n.window.unknowns_on(day) for n in candidates)))
    stale = [n for n in candidates if not n.window.trusted_on(day)]
    if len(keys) + len(stale) > MAX_UNKNOWNS:
        possibly = tuple(NoticeConsidered(n, "possibly_in_force") for n in candidates)
        return DayNotices((), possibly, bool(keys), too_uncertain=True)
    worlds: set[tuple[Notice, ...]] = set()
    for bits in product((False, True), repeat=len(keys)):
        assumed = dict(zip(keys, bits, strict=True))
        present = [n for n in candidates if n.window.in_force_on(day, assumed)]
        trusted = [n for n in present if n.window.trusted_on(day)]
        doubtful = [n for n in present if not n.window.trusted_on(day)]
        for size in range(len(doubtful) + 1):
            for kept in combinations(doubtful, size):
                worlds.add(tuple(sorted((*trusted, *kept), key=lambda n: n.id)))
    ordered = sorted(worlds, key=lambda w: [n.id for n in w])
    in_every = set.intersection(*(set(w) for w in ordered)) if ordered else set()
    in_some = set().union(*(set(w) for w in ordered)) if ordered else set()
    considered: list[NoticeConsidered] = []
    for notice in sorted(in_some, key=lambda n: n.id):
        if not notice.window.trusted_on(day):
            certainty = "past_horizon"
        elif notice in in_every:
            certainty = "in_force"
        else:
            certainty = "possibly_in_force"
        considered.append(NoticeConsidered(notice, certainty))
    return DayNotices(tuple(ordered), tuple(considered), bool(keys))


# --- One world -------------------------------------------------------------------------------


def _rank(state: str) -> int:
    return STATE_ORDER.index(state) if state in STATE_ORDER else len(STATE_ORDER)


def _combine(values: Iterable[bool | None]) -> bool | None:
    """Several notices on one question: any false wins, then any true, else unknown."""
    stated = [value for value in values if value is not None]
    if not stated:
        return None
    return all(stated)


def verdict(notices: Iterable[Notice], hours: str | None, *, whole_day: bool = False) -> Verdict:
    """Rules 2–3 in one world: the notices in force and what the hours say (`open`, `closed`,
    None). `whole_day`: for a day rather than an instant, a notice's state needs no hours."""
    notices = list(notices)
    closed_by_notice = any(n.state == "closed" for n in notices)
    if closed_by_notice or hours == "closed":
        state = "closed"
    elif hours is None and not (whole_day and notices):
        state = "unknown"
    elif notices:
        state = min((n.state for n in notices), key=_rank)
    else:
        state = "open"
    public: bool | None
    current: bool | None
    if state == "closed":
        public = current = False
    elif hours == "open":
        public = _combine(n.open_to_public for n in notices)
        current = _combine(n.open_to_current_clients for n in notices)
    else:
        public = current = None
    admitted = _combine(n.new_clients_admitted for n in notices)
    modes = [n.delivery_mode for n in notices if n.delivery_mode in DELIVERY_ORDER]
    delivery = min(modes, key=DELIVERY_ORDER.index) if modes else None
    return Verdict(state, public, current, admitted, delivery)


def agreed(verdicts: list[Verdict]) -> tuple[Verdict, bool]:
    """What every world agrees on, field by field (`unknown` / null elsewhere), and whether
    they disagreed at all."""
    if not verdicts:
        return UNKNOWN, True
    first = verdicts[0]
    if all(v == first for v in verdicts[1:]):
        return first, False

    def same(values: Iterable[_T]) -> _T | None:
        values = list(values)
        return values[0] if all(v == values[0] for v in values) else None

    return (
        Verdict(
            same(v.state for v in verdicts) or "unknown",
            same(v.open_to_public for v in verdicts),
            same(v.open_to_current_clients for v in verdicts),
            same(v.new_clients_admitted for v in verdicts),
            same(v.delivery_mode for v in verdicts),
        ),
        True,
    )


def day_verdict(
    day_notices: DayNotices, hours: str | None, *, whole_day: bool = False
) -> tuple[Verdict, bool]:
    """The answer over every world of a day, and whether the worlds disagreed."""
    if day_notices.too_uncertain:
        return UNKNOWN, True
    worlds = day_notices.worlds or ((),)
    return agreed([verdict(world, hours, whole_day=whole_day) for world in worlds])


# --- At an instant ---------------------------------------------------------------------------


def status_at(facts: UnitFacts, instant: datetime, *, with_changes: bool = True) -> Status:
    """The unit's status at `instant` (timezone-aware), with `since` and `next_change`."""
    if instant.tzinfo is None:
        raise ValueError("instant must be timezone-aware")
    zone = facts.zone_or_none()
    if zone is None:
        return _cannot_evaluate(facts, instant)
    memo: dict[date, DayNotices] = {}
    status = _evaluate(facts, instant, zone, memo)
    status.at = instant
    if with_changes:
        status.since, status.next_change = _changes_around(facts, instant, status, zone)
    return status


def _cannot_evaluate(facts: UnitFacts, instant: datetime) -> Status:
    detail = f"The unit's time zone '{facts.timezone}' is not one this server knows."
    return Status(
        unit_id=facts.unit_id,
        timezone=facts.timezone,
        state="unknown",
        open_to_public=None,
        open_to_current_clients=None,
        new_clients_admitted=None,
        delivery_mode=None,
        notice_ids=[],
        exception_ids=[],
        regular_hours_ids=[],
        notices=[],
        reasons=[Reason("cannot_evaluate", detail)],
        at=instant,
    )


def _evaluate(
    facts: UnitFacts,
    instant: datetime,
    zone: ZoneInfo | None = None,
    memo: dict[date, DayNotices] | None = None,
) -> Status:
    """The status at `instant` without `since` / `next_change`; `memo` keeps each day's
    notices for the evaluations of one search."""
    local = instant.astimezone(zone or facts.zone)
    day = local.date()
    schedule, records = schedule_at(facts, local)
    if memo is None:
        day_notices = notices_on(facts, day)
    else:
        day_notices = memo.get(day) or memo.setdefault(day, notices_on(facts, day))
    result, disagreed = day_verdict(day_notices, schedule)
    stale_hours = stale_records(facts.hours, day) if schedule is None else []
    reasons = _reasons(day_notices, schedule, result, disagreed, stale_hours)
    said = [c.notice.said_on for c in day_notices.considered if c.notice.said_on]
    said += [r.verified_on for r in (*records, *stale_hours) if r.verified_on]
    return Status(
        unit_id=facts.unit_id,
        timezone=facts.timezone,
        state=result.state,
        open_to_public=result.open_to_public,
        open_to_current_clients=result.open_to_current_clients,
        new_clients_admitted=result.new_clients_admitted,
        delivery_mode=result.delivery_mode,
        notice_ids=[n.id for n in day_notices.certain],
        exception_ids=sorted({r.id for r in records if r.kind == "exception"}),
        regular_hours_ids=sorted({r.id for r in records if r.kind == "regular"}),
        notices=list(day_notices.considered),
        reasons=reasons,
        newest_information_on=max((d for d in said if d <= day), default=None),
    )


def _reasons(
    day_notices: DayNotices,
    schedule: str | None,
    result: Verdict,
    disagreed: bool,
    stale_hours: list[HoursRecord],
) -> list[Reason]:
    """Why the answer, or part of it, is unknown."""
    out = []
    stale = [c.notice for c in day_notices.considered if c.certainty == "past_horizon"]
    if stale or stale_hours:
        dates = [n.said_on for n in stale if n.said_on] + [
            r.verified_on for r in stale_hours if r.verified_on
        ]
        newest = max(dates, default=None)
        names = ", ".join([n.id for n in stale] + [r.id for r in stale_hours])
        detail = (
            f"No source newer than {newest.isoformat()} says whether {names} still hold(s)."
            if newest
            else f"No dated source says whether {names} still hold(s)."
        )
        out.append(Reason("past_horizon", detail))
    if (disagreed or day_notices.too_uncertain) and day_notices.undecided_versions:
        out.append(Reason("versions_disagree", REASONS["versions_disagree"]))
    if result.state == "unknown" and schedule is None and not stale_hours:
        code = "no_hours" if day_notices.any_notice else "no_information"
        if not (code == "no_hours" and stale):
            out.append(Reason(code, REASONS[code]))
    return out


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


def candidate_instants(facts: UnitFacts, day: date, zone: ZoneInfo | None = None) -> list[datetime]:
    """Instants during local `day` at which the status can change: midnight, each span's
    opening and closing, and the zone's offset changes. Between two, the status is constant."""
    zone = zone or facts.zone
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


def input_breaks(facts: UnitFacts) -> list[date]:
    """The days on which what a day's answer depends on (`DayInputs`) can change: where a
    record's validity or trust, or a notice's window, trust or undated start begins or ends
    (each date comparison in `governing_records` and `notices_on` flips on one of these days),
    and the day after each for the records (the day before governs spans past midnight)."""
    breaks: set[date | None] = set()
    for record in facts.hours:
        for day in (record.valid_from, _day_after(record.valid_until)):
            breaks.update((day, _day_after(day)))
        trust_ends = _day_after(record.trusted_until)
        breaks.update((trust_ends, _day_after(trust_ends)))
    for notice in facts.notices:
        window = notice.window
        breaks.update(
            (window.from_day, _day_after(window.until_day), _day_after(window.trusted_until))
        )
        for start in (window.begins, window.replaced):
            if start is not None:
                breaks.update((start.earliest, start.latest))
    return sorted(day for day in breaks if day is not None)


def _day_after(day: date | None) -> date | None:
    """The next day; None for None, and for the last day there is (nothing changes after it)."""
    if day is None or day == date.max:
        return None
    return day + timedelta(days=1)


@dataclass
class DayInputs:
    """What the answer on a local day depends on besides its weekday and the time of day: the
    hours records governing it and the day before, and its notices. Between two `input_breaks`
    these are the same every day, so the answer repeats week after week."""

    today: list[HoursRecord]
    yesterday: list[HoursRecord]
    notices: DayNotices
    _keys: dict[str | None, tuple] = field(default_factory=dict)
    _all_keys: set[tuple] | None = None

    def key(self, weekday: int, at: time) -> tuple:
        """The answer's `key()` at `at` on a day of this weekday (as `_evaluate` gives it)."""
        schedule = _schedule(self.today, self.yesterday, weekday, at)[0]
        if schedule not in self._keys:
            self._keys[schedule] = day_verdict(self.notices, schedule)[0].key()
        return self._keys[schedule]

    def all_keys(self) -> set[tuple]:
        """Every answer such a day gives at some time on some weekday: the hours change only at
        midnight and at their spans' opening and closing times, so those walls on each weekday
        show every answer."""
        if self._all_keys is None:
            walls = {time(0)}
            for record in (*self.today, *self.yesterday):
                for span in record.spans:
                    walls.update((span.opens, span.closes))
            self._all_keys = {self.key(weekday, wall) for weekday in range(7) for wall in walls}
        return self._all_keys


class _Timeline:
    """One unit's `DayInputs` day by day, worked out once per run of days between two
    `input_breaks`, for one search."""

    def __init__(self, facts: UnitFacts, zone: ZoneInfo) -> None:
        self.facts, self.zone = facts, zone
        self.breaks = input_breaks(facts)
        self.runs: dict[int, DayInputs] = {}

    def run(self, day: date) -> tuple[DayInputs, date | None, date | None]:
        """The inputs of `day`, and the first and the last day of its run (None: unbounded)."""
        index = bisect_right(self.breaks, day)
        if index not in self.runs:
            self.runs[index] = DayInputs(
                governing_records(self.facts.hours, day),
                governing_records(self.facts.hours, day - timedelta(days=1)),
                notices_on(self.facts, day),
            )
        first = self.breaks[index - 1] if index > 0 else None
        last = self.breaks[index] - timedelta(days=1) if index < len(self.breaks) else None
        return self.runs[index], first, last

    def key_at(self, instant: datetime) -> tuple:
        """`_evaluate(facts, instant).key()`, from the inputs of the instant's local day."""
        local = instant.astimezone(self.zone)
        day = local.date()
        return self.run(day)[0].key(day.weekday(), local.time().replace(tzinfo=None))


def _changes_around(
    facts: UnitFacts, instant: datetime, status: Status, zone: ZoneInfo
) -> tuple[datetime | None, datetime | None]:
    """(`since`, `next_change`): the candidate instants of each day are evaluated in turn, a
    year each way; a run of days whose inputs give no answer that would stop the search at any
    time of any weekday is passed over whole."""
    if not facts.hours and not facts.notices:
        return None, None
    timeline = _Timeline(facts, zone)
    key = status.key()
    next_change = _next_change(timeline, instant, key)
    if status.state == "unknown":
        return None, next_change
    return _since(timeline, instant, key), next_change


def _next_change(timeline: _Timeline, after: datetime, key: tuple) -> datetime | None:
    """The first candidate instant after `after` whose answer differs from `key`."""
    day = after.astimezone(timeline.zone).date()
    end = day + timedelta(days=SEARCH_DAYS)
    while day <= end:
        inputs, _first, last = timeline.run(day)
        if inputs.all_keys() == {key}:  # nothing changes before the run ends
            if last is None:
                return None
            day = last + timedelta(days=1)
            continue
        for candidate in candidate_instants(timeline.facts, day, timeline.zone):
            if candidate > after and timeline.key_at(candidate) != key:
                return candidate
        day += timedelta(days=1)
    return None


def _since(timeline: _Timeline, before: datetime, key: tuple) -> datetime | None:
    """The last candidate instant up to `before` where the answer `key` began (rule 9): going
    back, the first whose previous answer was unknown (None) or differs in what was known."""

    def stops(then: tuple) -> bool:
        return then != key and (
            then[0] == "unknown"
            or then[0] != key[0]
            or any(
                old is not None and old != now for old, now in zip(then[1:], key[1:], strict=True)
            )
        )

    day = before.astimezone(timeline.zone).date()
    end = day - timedelta(days=SEARCH_DAYS)
    while day >= end:
        inputs, first, _last = timeline.run(day)
        # The answer just before a day's first instant is the previous local day's (two days
        # back where a zone skipped a whole day): the run must hold those days too.
        if not any(stops(then) for then in inputs.all_keys()) and (
            first is None or first + timedelta(days=2) <= day
        ):
            if first is None:
                return None
            day = first + timedelta(days=1)
            continue
        for candidate in reversed(candidate_instants(timeline.facts, day, timeline.zone)):
            if candidate > before:
                continue
            # The status holds from `candidate` to the next candidate; one second earlier is the
            # segment before it.
            then = timeline.key_at(candidate - timedelta(seconds=1))
            if stops(then):
                # Where what it was before is not known, neither is when this began.
                return None if then[0] == "unknown" else candidate
            # Otherwise, at most what was unknown before became known: it began earlier.
        day -= timedelta(days=1)
    return None


# --- Per-day hours ---------------------------------------------------------------------------


def day_hours(facts: UnitFacts, day: date) -> DayHours:
    """The hours of one local day as the rules above make them, with the records behind them."""
    records = governing_records(facts.hours, day)
    day_notices = notices_on(facts, day)
    weekday = day.weekday()
    spans = [
        DaySpan(span.opens, span.closes, span.past_midnight)
        for record in records
        for span in record.spans
        if weekday in span.weekdays
    ]
    spans.sort(key=lambda s: (s.opens, s.closes))
    hours = ("open" if spans else "closed") if records else None
    result, disagreed = day_verdict(day_notices, hours, whole_day=True)
    if result.state == "closed":
        spans = []
    stale_hours = stale_records(facts.hours, day) if not records else []
    return DayHours(
        date=day,
        state=result.state,
        spans=spans,
        notice_ids=[n.id for n in day_notices.certain],
        exception_ids=sorted(r.id for r in records if r.kind == "exception"),
        regular_hours_ids=sorted(r.id for r in records if r.kind == "regular"),
        new_clients_admitted=result.new_clients_admitted,
        hours_known=bool(records),
        reasons=_reasons(day_notices, hours, result, disagreed, stale_hours),
    )


def opening_hours(facts: UnitFacts, start: date, end: date) -> list[DayHours]:
    """`day_hours` for every day from `start` to `end`, inclusive."""
    return [day_hours(facts, start + timedelta(days=n)) for n in range((end - start).days + 1)]


# --- For the SQL filters ---------------------------------------------------------------------


def notice_periods(facts: UnitFacts) -> list[Period]:
    """The unit's notices as `Period`s: for each run of days over which they give the same
    answer, what they make of an instant whose hours say open and of one with no hours. Days no
    notice can cover have no period (the hours alone decide)."""
    breaks: set[date] = set()
    for notice in facts.notices:
        window = notice.window
        if window.from_day:
            breaks.add(window.from_day)
        for day in (window.until_day, window.trusted_until):
            if day:
                breaks.add(day + timedelta(days=1))
        for start in (window.begins, window.replaced):
            if start is not None:
                breaks.update(d for d in (start.earliest, start.latest) if d)
    ordered = sorted(breaks)
    starts: list[date | None] = [None, *ordered]
    periods: list[Period] = []
    for index, starts_on in enumerate(starts):
        ends_on = ordered[index] - timedelta(days=1) if index < len(ordered) else None
        if starts_on is not None:
            probe = starts_on
        else:
            probe = ordered[0] - timedelta(days=1) if ordered else date(2000, 1, 1)
        day_notices = notices_on(facts, probe)
        if not day_notices.any_notice and not day_notices.too_uncertain:
            continue
        if_open = day_verdict(day_notices, "open")[0]
        if_no_hours = day_verdict(day_notices, None)[0]
        period = Period(
            starts_on,
            ends_on,
            (if_open.state, if_open.open_to_public),
            (if_no_hours.state, if_no_hours.open_to_public),
        )
        last = periods[-1] if periods else None
        if (
            last is not None
            and last.if_open == period.if_open
            and last.if_no_hours == period.if_no_hours
            and last.ends_on is not None
            and starts_on is not None
            and last.ends_on + timedelta(days=1) == starts_on
        ):
            periods[-1] = replace(last, ends_on=ends_on)
        else:
            periods.append(period)
    return periods


# --- Which notices apply to which unit -------------------------------------------------------


def notice_applies(
    unit_id: str,
    ancestors: Iterable[str],
    offered: set[str],
    named_units: set[str],
    named_services: set[str],
) -> bool:
    """Whether a notice naming `named_units` and `named_services` applies to a unit (with its
    `ancestors` and the services it has `offered`): the rule, seen from the unit. A notice
    applies to the units it names and to their sub-units, a sub-unit only if it offers a named
    service (when services are named); with no units named, to every unit offering a named
    service."""
    if not named_units:
        return bool(offered & named_services)
    if unit_id in named_units:
        return True
    return bool(named_units.intersection(ancestors)) and (
        not named_services or bool(offered & named_services)
    )


def notice_targets(
    unit_ids: Iterable[str],
    service_ids: Iterable[str],
    children: dict[str, list[str]],
    services_of: dict[str, set[str]],
) -> set[str]:
    """The units a notice applies to (`notice_applies`), seen from the notice: the units it
    names and every unit below them the rule keeps; with no units named, every unit offering a
    named service."""
    named_units, named_services = set(unit_ids), set(service_ids)
    if not named_units:
        return {unit for unit, offered in services_of.items() if offered & named_services}
    targets = set(named_units)
    ancestors_of: dict[str, tuple[str, ...]] = {unit: () for unit in named_units}
    stack = list(named_units)
    while stack:
        parent = stack.pop()
        for child in children.get(parent, []):
            if child in ancestors_of:
                continue
            ancestors_of[child] = (*ancestors_of[parent], parent)
            offered = services_of.get(child, set())
            if notice_applies(child, ancestors_of[child], offered, named_units, named_services):
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
