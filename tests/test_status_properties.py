"""Property-based tests: the engine against a brute-force, minute-by-minute evaluation.

The oracle below is written independently of api/status.py and as plainly as possible: it
reads the rules of the module docstring literally at one wall-clock minute. For random weekly
schedules (several spans, spans past midnight, closed days), exception periods and overlapping
notices, in two time zones and around daylight-saving changes, the engine must agree with the
oracle at random instants, and its `since` / `next_change` must be exactly where stepping minute
by minute finds the status changing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from api.status import STATE_ORDER, HoursRecord, Notice, Span, UnitFacts, status_at

WINDOW_START = date(2021, 3, 20)  # a week before the spring change in Europe
WINDOW_DAYS = 16
# Window start -> the day the clocks change in it: EU spring, EU autumn, US spring.
DST_WINDOWS = {
    date(2021, 3, 20): date(2021, 3, 28),
    date(2021, 10, 24): date(2021, 10, 31),
    date(2021, 3, 8): date(2021, 3, 14),
}
SCAN = timedelta(days=2)


# --- The oracle ------------------------------------------------------------------------------


def oracle(facts: UnitFacts, instant: datetime) -> tuple:
    wall = instant.astimezone(ZoneInfo(facts.timezone))
    today, now = wall.date(), wall.time()
    yesterday = today - timedelta(days=1)

    def valid(start, end, day):
        return (start is None or start <= day) and (end is None or day <= end)

    def records(day):
        exceptions = [
            r
            for r in facts.hours
            if r.kind == "exception" and valid(r.valid_from, r.valid_until, day)
        ]
        if exceptions:
            return exceptions
        return [
            r
            for r in facts.hours
            if r.kind == "regular" and valid(r.valid_from, r.valid_until, day)
        ]

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
    schedule = "open" if is_open else ("closed" if records(today) else None)

    notices = [n for n in facts.notices if valid(n.in_force_from, n.in_force_until, today)]
    closed_notice = any(n.state == "closed" for n in notices)
    if closed_notice or schedule == "closed":
        state = "closed"
    elif notices:
        state = sorted((n.state for n in notices), key=STATE_ORDER.index)[0]
    elif schedule == "open":
        state = "open"
    else:
        state = "unknown"

    def combined(values):
        values = [v for v in values if v is not None]
        if False in values:
            return False
        if True in values:
            return True
        return None

    if state == "closed":
        public = current = False
    else:
        public = combined(n.open_to_public for n in notices)
        current = combined(n.open_to_current_clients for n in notices)
        if public is None and schedule == "open":
            public = True
        if current is None and schedule == "open":
            current = True
    admitted = combined(n.new_clients_admitted for n in notices)
    if closed_notice and admitted is None:
        admitted = False
    modes = [n.delivery_mode for n in notices if n.delivery_mode]
    mode = None
    for candidate in ("distance", "partly_distance", "on_site"):
        if candidate in modes:
            mode = candidate
            break
    return (state, public, current, admitted, mode)


# --- Random facts ----------------------------------------------------------------------------

# Quarter hours, with extra weight on the hours that daylight saving skips or repeats.
quarter_hours = st.one_of(
    st.integers(0, 95).map(lambda q: time(q // 4, (q % 4) * 15)),
    st.sampled_from([time(0), time(1, 30), time(2, 0), time(2, 30), time(3, 0), time(3, 30)]),
)
weekday_sets = st.frozensets(st.integers(0, 6), min_size=1, max_size=7)
spans = st.builds(Span, weekday_sets, quarter_hours, quarter_hours)
tri = st.sampled_from([None, True, False])


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
        hours.append(
            HoursRecord(f"h{index}", kind, start, end, tuple(draw(st.lists(spans, max_size=3))))
        )
    notices = []
    for index in range(draw(st.integers(0, 3))):
        start, end = period()
        notices.append(
            Notice(
                f"n{index}",
                draw(st.sampled_from(STATE_ORDER)),
                start,
                end,
                draw(tri),
                draw(tri),
                draw(tri),
                draw(st.sampled_from([None, "on_site", "distance", "partly_distance"])),
            )
        )
    return UnitFacts("u", zone, tuple(hours), tuple(notices)), base


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


@settings(max_examples=120, deadline=None)
@given(facts_and_instant())
def test_since_is_where_the_current_run_of_minutes_began(case):
    facts, instant = case
    status = status_at(facts, instant)
    current = oracle(facts, instant)
    began = minute_floor(instant)
    found = None
    while began >= instant - SCAN:
        if oracle(facts, began - timedelta(minutes=1)) != current:
            found = began
            break
        began -= timedelta(minutes=1)
    if found is not None:
        assert status.since == found
    else:
        assert status.since is None or status.since < instant - SCAN


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
