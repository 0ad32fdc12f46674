"""Property-based tests: the engine against a brute-force evaluation written independently of it.

The oracle reads the rules of the module docstring of api/status.py literally, on concrete
timelines: where a version's start is unknown it tries every day the bounds allow (and "long
before" or "never" where a bound is open), and where a statement is past its trust horizon it
tries it both holding and not; on each timeline it evaluates one wall-clock minute with the
plain rules, and keeps what every timeline agrees on. For random weekly schedules (several
spans, spans past midnight, closed days), exception periods, hours past their horizon and
overlapping notices with undated versions, in two time zones and around daylight-saving
changes, the engine must agree with the oracle at random instants, its `since` / `next_change`
must be where stepping minute by minute finds the answer changing, and no answer may claim
what no source backs.
"""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, time, timedelta
from itertools import combinations, product
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st
from status_strategies import draw_notices

from api.domain.notices import Start
from api.domain.status import STATE_ORDER, HoursRecord, Notice, Span, UnitFacts, status_at

WINDOW_START = date(2021, 3, 20)  # a week before the spring change in Europe
WINDOW_DAYS = 16
# Window start -> the day the clocks change in it: EU spring, EU autumn, US spring.
DST_WINDOWS = {
    date(2021, 3, 20): date(2021, 3, 28),
    date(2021, 10, 24): date(2021, 10, 31),
    date(2021, 3, 8): date(2021, 3, 14),
}
SCAN = timedelta(days=2)
LONG_BEFORE, NEVER = date(1900, 1, 1), date(2199, 12, 31)


# --- The oracle ------------------------------------------------------------------------------


def hours_at(facts: UnitFacts, wall: datetime) -> str | None:
    """'open', 'closed' or None (no hours) at a wall-clock minute, by the plain rules."""
    today, now = wall.date(), wall.time()
    yesterday = today - timedelta(days=1)

    def valid(record, day):
        return (
            (record.valid_from is None or record.valid_from <= day)
            and (record.valid_until is None or day <= record.valid_until)
            and (record.trusted_until is None or day <= record.trusted_until)
        )

    def records(day):
        exceptions = [r for r in facts.hours if r.kind == "exception" and valid(r, day)]
        return exceptions or [r for r in facts.hours if r.kind == "regular" and valid(r, day)]

    is_open = False
    for record in records(today):
        for s in record.spans:
            if today.weekday() in s.weekdays:
                if s.closes > s.opens and s.opens <= now < s.closes:
                    is_open = True
                if s.closes <= s.opens and now >= s.opens:
                    is_open = True
    for record in records(yesterday):
        for s in record.spans:
            if yesterday.weekday() in s.weekdays and s.closes <= s.opens and now < s.closes:
                is_open = True
    return "open" if is_open else ("closed" if records(today) else None)


def start_days(start: Start, day: date) -> set[date]:
    """Concrete days a version can have taken effect, enough to tell every case on `day`: every
    day within the bounds near it, the bounds themselves, and "long before" / "never" where a
    bound is open."""
    low = start.earliest or LONG_BEFORE
    high = start.latest or NEVER
    days = {d for d in (low, high) if d not in (LONG_BEFORE, NEVER)}
    days |= {
        day + timedelta(days=n) for n in range(-3, 4) if low <= day + timedelta(days=n) <= high
    }
    if start.earliest is None:
        days.add(LONG_BEFORE)
    if start.latest is None:
        days.add(NEVER)
    return days


def in_force_sets(facts: UnitFacts, day: date) -> set[frozenset]:
    """Every set of notices that can be in force on `day`, over every concrete timeline."""
    starts = {}
    for notice in facts.notices:
        for start in (notice.window.begins, notice.window.replaced):
            if start is not None:
                starts[start.key] = start
    keys = sorted(starts)
    out = set()
    for chosen in product(*(sorted(start_days(starts[k], day)) for k in keys)):
        took_effect = dict(zip(keys, chosen, strict=True))
        present = []
        for notice in facts.notices:
            w = notice.window
            if w.from_day is not None and day < w.from_day:
                continue
            if w.until_day is not None and day > w.until_day:
                continue
            if w.begins is not None and took_effect[w.begins.key] > day:
                continue
            if w.replaced is not None and took_effect[w.replaced.key] <= day:
                continue
            present.append(notice)
        sure = [
            n for n in present if n.window.trusted_until is None or day <= n.window.trusted_until
        ]
        doubtful = [n for n in present if n not in sure]
        for size in range(len(doubtful) + 1):
            for kept in combinations(doubtful, size):
                out.add(frozenset(n.id for n in (*sure, *kept)))
    return out


def one_timeline(notices: list[Notice], schedule: str | None) -> tuple:
    closed_notice = any(n.state == "closed" for n in notices)
    if closed_notice or schedule == "closed":
        state = "closed"
    elif schedule is None:
        state = "unknown"
    elif notices:
        state = sorted((n.state for n in notices), key=STATE_ORDER.index)[0]
    else:
        state = "open"

    def combined(values):
        values = [v for v in values if v is not None]
        if False in values:
            return False
        if True in values:
            return True
        return None

    if state == "closed":
        public = current = False
    elif schedule == "open":
        public = combined(n.open_to_public for n in notices)
        current = combined(n.open_to_current_clients for n in notices)
    else:
        public = current = None
    admitted = combined(n.new_clients_admitted for n in notices)
    modes = [n.delivery_mode for n in notices if n.delivery_mode]
    mode = next((m for m in ("distance", "partly_distance", "on_site") if m in modes), None)
    return (state, public, current, admitted, mode)


@functools.lru_cache(maxsize=4096)
def _sets(facts: UnitFacts, day: date) -> frozenset:
    return frozenset(in_force_sets(facts, day))


def oracle(facts: UnitFacts, instant: datetime) -> tuple:
    wall = instant.astimezone(ZoneInfo(facts.timezone))
    schedule = hours_at(facts, wall)
    by_id = {n.id: n for n in facts.notices}
    answers = {
        one_timeline([by_id[i] for i in sorted(ids)], schedule) for ids in _sets(facts, wall.date())
    }
    answers = list(answers)
    agreed = []
    for position in range(5):
        values = {a[position] for a in answers}
        agreed.append(values.pop() if len(values) == 1 else ("unknown" if position == 0 else None))
    return tuple(agreed)


# --- Random facts ----------------------------------------------------------------------------

# Quarter hours, with extra weight on the hours that daylight saving skips or repeats.
quarter_hours = st.one_of(
    st.integers(0, 95).map(lambda q: time(q // 4, (q % 4) * 15)),
    st.sampled_from([time(0), time(1, 30), time(2, 0), time(2, 30), time(3, 0), time(3, 30)]),
)
weekday_sets = st.frozensets(st.integers(0, 6), min_size=1, max_size=7)
spans = st.builds(Span, weekday_sets, quarter_hours, quarter_hours)


@st.composite
def unit_facts(draw):
    base = draw(st.sampled_from(sorted(DST_WINDOWS)))
    zone = "America/New_York" if base.month == 3 and base.day == 8 else "Europe/Helsinki"

    def day_or_none():
        return draw(
            st.one_of(
                st.none(), st.integers(-3, WINDOW_DAYS + 3).map(lambda n: base + timedelta(n))
            )
        )

    def period():
        start, end = day_or_none(), day_or_none()
        if start and end and end < start:
            start, end = end, start
        return start, end

    hours = []
    for index in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["regular", "regular", "exception"]))
        start, end = period()
        if kind == "exception" and start is None:
            start = base + timedelta(days=draw(st.integers(0, WINDOW_DAYS)))
            end = start + timedelta(days=draw(st.integers(0, 3)))
        trusted = day_or_none() if end is None and draw(st.booleans()) else None
        hours.append(
            HoursRecord(
                f"h{index}",
                kind,
                start,
                end,
                tuple(draw(st.lists(spans, max_size=3))),
                trusted_until=trusted,
            )
        )
    notices = draw_notices(draw, period, day_or_none)
    return UnitFacts("u", zone, tuple(hours), notices), base


@st.composite
def facts_and_instant(draw):
    facts, base = draw(unit_facts())
    if draw(st.booleans()):
        start = datetime.combine(base, time(0), tzinfo=UTC)
        minutes = draw(st.integers(0, WINDOW_DAYS * 24 * 60))
    else:  # within a day and a half of the clock change
        start = datetime.combine(DST_WINDOWS[base], time(0), tzinfo=UTC) - timedelta(hours=36)
        minutes = draw(st.integers(0, 72 * 60))
    seconds = draw(st.sampled_from([0, 0, 0, 30]))
    return facts, start + timedelta(minutes=minutes, seconds=seconds)


def minute_floor(instant: datetime) -> datetime:
    return instant.replace(second=0, microsecond=0)


# --- Properties ------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(facts_and_instant())
def test_the_engine_agrees_with_the_oracle_at_any_instant(case):
    facts, instant = case
    assert status_at(facts, instant, with_changes=False).key() == oracle(facts, instant)


@settings(max_examples=120, deadline=None)
@given(facts_and_instant())
def test_next_change_is_the_first_minute_the_oracle_changes(case):
    facts, instant = case
    status = status_at(facts, instant)
    current = oracle(facts, instant)
    found = None
    step = minute_floor(instant) + timedelta(minutes=1)
    while step <= instant + SCAN:
        if oracle(facts, step) != current:
            found = step
            break
        step += timedelta(minutes=1)
    if found is not None:
        assert status.next_change == found
    else:
        assert status.next_change is None or status.next_change > instant + SCAN


def backed_change(before: tuple, now: tuple) -> bool:
    """A change the sources date: of a known state, or of a flag that was known before."""
    if before[0] == "unknown" or now[0] == "unknown":
        return False
    return before[0] != now[0] or any(
        then is not None and then != value for then, value in zip(before[1:], now[1:], strict=True)
    )


@settings(max_examples=120, deadline=None)
@given(facts_and_instant())
def test_since_is_where_a_change_the_sources_date_began_the_answer(case):
    facts, instant = case
    status = status_at(facts, instant)
    current = oracle(facts, instant)
    began = minute_floor(instant)
    found, settled = None, False
    while began >= instant - SCAN:
        before = oracle(facts, began - timedelta(minutes=1))
        if before != current:
            if before[0] == "unknown" or current[0] == "unknown":
                settled = True  # since is null
                break
            if backed_change(before, current):
                found, settled = began, True
                break
        began -= timedelta(minutes=1)
    if settled:
        assert status.since == found
    else:
        assert status.since is None or status.since < instant - SCAN


@settings(max_examples=200, deadline=None)
@given(facts_and_instant())
def test_no_answer_claims_what_no_source_backs(case):
    """`open` (or any state but closed and unknown) needs hours that say open on every
    timeline; a true flag needs a notice saying so on every timeline; `since` is a change the
    sources date."""
    facts, instant = case
    status = status_at(facts, instant)
    wall = instant.astimezone(ZoneInfo(facts.timezone))
    sets = _sets(facts, wall.date())
    by_id = {n.id: n for n in facts.notices}
    if status.state not in ("closed", "unknown"):
        assert hours_at(facts, wall) == "open"
        assert status.open_to_anyone is True
    for flag in ("open_to_public", "open_to_current_clients", "new_clients_admitted"):
        if getattr(status, flag) is True:
            for ids in sets:
                values = [getattr(by_id[i], flag) for i in ids]
                assert True in values and False not in values, flag
    if status.since is not None:
        before = oracle(facts, status.since - timedelta(seconds=1))
        assert backed_change(before, oracle(facts, status.since))


def test_a_span_opening_in_the_skipped_hour_opens_when_the_clocks_jump():
    """On 28.3.2021 Helsinki skipped 03:00-04:00: a 03:30 opening happens at 04:00 EEST."""
    sunday = Span(frozenset({6}), time(3, 30), time(5, 0))
    facts = UnitFacts("u", "Europe/Helsinki", (HoursRecord("h", "regular", None, None, (sunday,)),))
    saturday_noon = datetime(2021, 3, 27, 10, 0, tzinfo=UTC)
    status = status_at(facts, saturday_noon)
    assert status.state == "closed"
    assert status.next_change == datetime(2021, 3, 28, 1, 0, tzinfo=UTC)
    assert oracle(facts, status.next_change)[0] == "open"
    assert oracle(facts, status.next_change - timedelta(minutes=1))[0] == "closed"
    assert status.in_local_time().next_change.isoformat() == "2021-03-28T04:00:00+03:00"


def test_a_span_closing_in_the_repeated_hour_reopens_when_the_clocks_go_back():
    """On 31.10.2021 Helsinki lived 03:00-04:00 twice; a span to 03:30 is open again from the
    second 03:00 (01:00 UTC) until the second 03:30, read on the wall clock."""
    sunday = Span(frozenset({6}), time(1, 0), time(3, 30))
    facts = UnitFacts("u", "Europe/Helsinki", (HoursRecord("h", "regular", None, None, (sunday,)),))
    first_close = datetime(2021, 10, 31, 0, 30, tzinfo=UTC)  # 03:30 EEST
    assert status_at(facts, first_close - timedelta(minutes=1)).next_change == first_close
    reopened = status_at(facts, first_close)
    assert reopened.state == "closed"
    assert reopened.next_change == datetime(2021, 10, 31, 1, 0, tzinfo=UTC)  # 03:00 EET


def test_a_unit_in_a_zone_no_one_knows_is_unknown_not_an_error():
    facts = UnitFacts("mars", "Mars/Olympus_Mons", (HoursRecord("h", "regular", None, None),))
    status = status_at(facts, datetime(2021, 3, 15, 10, 0, tzinfo=UTC))
    assert (status.state, [r.code for r in status.reasons]) == ("unknown", ["cannot_evaluate"])
