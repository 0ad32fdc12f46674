"""The search for `since` and `next_change` passes over runs of days whose inputs cannot change
the answer (api/domain/status.py, `input_breaks` and `DayInputs`). Here it is held to the plain
search it replaced, kept below as the oracle: every candidate instant of every day, a year each
way, each evaluated in full. On generated facts (hours with spans past midnight and round the
clock, exceptions, hours and notices crossing their trust horizon, notices with windows and
undated versions) in zones with daylight saving and one that skipped a whole day, at instants
near and far from every date they name, both must give the same answers.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from unittest.mock import patch
from zoneinfo import ZoneInfo

from hypothesis import example, given, settings
from hypothesis import strategies as st
from status_strategies import draw_notices

from api.domain.notices import Window
from api.domain.status import (
    SEARCH_DAYS,
    DayNotices,
    HoursRecord,
    Notice,
    Span,
    Status,
    UnitFacts,
    _evaluate,
    candidate_instants,
    status_at,
)

# --- The oracle: the search as it was, every candidate of every day --------------------------


def _forward(facts: UnitFacts, after: datetime, zone: ZoneInfo) -> Iterator[datetime]:
    day = after.astimezone(zone).date()
    for offset in range(SEARCH_DAYS + 1):
        for instant in candidate_instants(facts, day + timedelta(days=offset), zone):
            if instant > after:
                yield instant


def _backward(facts: UnitFacts, before: datetime, zone: ZoneInfo) -> Iterator[datetime]:
    day = before.astimezone(zone).date()
    for offset in range(SEARCH_DAYS + 1):
        for instant in reversed(candidate_instants(facts, day - timedelta(days=offset), zone)):
            if instant <= before:
                yield instant


def plain_changes_around(
    facts: UnitFacts, instant: datetime, status: Status
) -> tuple[datetime | None, datetime | None]:
    zone = facts.zone
    memo: dict[date, DayNotices] = {}
    if not facts.hours and not facts.notices:
        return None, None
    key = status.key()
    next_change = None
    for candidate in _forward(facts, instant, zone):
        if _evaluate(facts, candidate, zone, memo).key() != key:
            next_change = candidate
            break
    since = None
    if status.state == "unknown":
        return since, next_change
    for candidate in _backward(facts, instant, zone):
        before = _evaluate(facts, candidate - timedelta(seconds=1), zone, memo).key()
        if before == key:
            continue
        if before[0] == "unknown":
            break
        if before[0] != key[0] or any(
            then is not None and then != now for then, now in zip(before[1:], key[1:], strict=True)
        ):
            since = candidate
            break
    return since, next_change


# --- Generated facts -------------------------------------------------------------------------

# Zone -> days the search must get right around: its clock changes (and the day Samoa skipped).
ZONES = {
    "Europe/Helsinki": (date(2021, 3, 28), date(2021, 10, 31)),
    "America/New_York": (date(2021, 3, 14), date(2021, 11, 7)),
    "Pacific/Apia": (date(2011, 12, 30), date(2011, 9, 24)),
}
quarter_hours = st.one_of(
    st.integers(0, 95).map(lambda q: time(q // 4, (q % 4) * 15)),
    st.sampled_from([time(0), time(2, 0), time(3, 0), time(3, 30), time(23, 45)]),
)
weekday_sets = st.one_of(
    st.just(frozenset(range(7))), st.frozensets(st.integers(0, 6), min_size=1, max_size=7)
)
spans = st.builds(Span, weekday_sets, quarter_hours, quarter_hours)
round_the_clock = st.builds(Span, st.just(frozenset(range(7))), quarter_hours).map(
    lambda s: Span(s.weekdays, s.opens, s.opens)
)


@st.composite
def facts_and_instant(draw: st.DrawFn) -> tuple[UnitFacts, datetime]:
    zone = draw(st.sampled_from(sorted(ZONES)))
    base = draw(st.sampled_from(ZONES[zone]))

    drawn: list[date] = []  # every day the facts name: the instants are aimed at them

    def day() -> date:
        near = st.integers(-10, 10)
        far = st.integers(-SEARCH_DAYS - 40, SEARCH_DAYS + 40)
        drawn.append(base + timedelta(days=draw(st.one_of(near, far))))
        return drawn[-1]

    def day_or_none() -> date | None:
        return draw(st.one_of(st.none(), st.builds(day)))

    def period() -> tuple[date | None, date | None]:
        start, end = day_or_none(), day_or_none()
        if start and end and end < start:
            start, end = end, start
        return start, end

    hours = []
    for index in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["regular", "regular", "exception"]))
        start, end = period()
        if kind == "exception" and start is None:
            start = day()
            end = start + timedelta(days=draw(st.integers(0, 20)))
        trusted = day_or_none() if end is None and draw(st.booleans()) else None
        record_spans = draw(
            st.one_of(
                st.lists(spans, max_size=3), st.lists(round_the_clock, min_size=1, max_size=1)
            )
        )
        hours.append(
            HoursRecord(f"h{index}", kind, start, end, tuple(record_spans), trusted_until=trusted)
        )
    notices = draw_notices(draw, period, day_or_none)
    # Near one of the days the facts name (drawn here, not asked of the search under test),
    # near the clock change, or anywhere in the two years.
    named = sorted(set(drawn)) or [base]
    around = draw(st.one_of(st.sampled_from(named), st.just(base), st.builds(day)))
    start = datetime.combine(around, time(0), tzinfo=UTC) - timedelta(hours=36)
    minutes = draw(st.integers(0, 72 * 60))
    seconds = draw(st.sampled_from([0, 0, 0, 30]))
    instant = start + timedelta(minutes=minutes, seconds=seconds)
    return UnitFacts("u", zone, tuple(hours), notices), instant


# --- The properties --------------------------------------------------------------------------


def assert_same_search(facts: UnitFacts, instant: datetime) -> None:
    status = status_at(facts, instant)
    expected = plain_changes_around(facts, instant, status_at(facts, instant, with_changes=False))
    assert (status.since, status.next_change) == expected


HELSINKI = ZoneInfo("Europe/Helsinki")
# Weekdays 8-16 and Saturday night 22-02, trusted to the end of September; closed in August.
SUMMER_CLOSURE = UnitFacts(
    "u",
    "Europe/Helsinki",
    (
        HoursRecord(
            "h",
            "regular",
            None,
            None,
            (Span(frozenset(range(5)), time(8), time(16)), Span(frozenset({5}), time(22), time(2))),
            trusted_until=date(2021, 9, 30),
        ),
    ),
    (Notice("n", "closed", Window(from_day=date(2021, 8, 1), until_day=date(2021, 8, 31))),),
)


# Every night 22-02, trusted to the end of June: on 1 July only the night from 30 June is known.
NIGHTS_UNTIL_JUNE = UnitFacts(
    "u",
    "Europe/Helsinki",
    (
        HoursRecord(
            "h",
            "regular",
            None,
            None,
            (Span(frozenset(range(7)), time(22), time(2)),),
            trusted_until=date(2021, 6, 30),
        ),
    ),
)


# Open round the clock; closed from 30.12.2011, the day Samoa skipped: the closure began at the
# first instant of 31 December, one second after 29 December ended.
SAMOA_CLOSURE = UnitFacts(
    "u",
    "Pacific/Apia",
    (HoursRecord("h", "regular", None, None, (Span(frozenset(range(7)), time(0), time(0)),)),),
    (Notice("n", "closed", Window(from_day=date(2011, 12, 30))),),
)


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=HELSINKI)  # type: ignore[misc]


@settings(max_examples=400, deadline=None)
@given(facts_and_instant())
@example((SUMMER_CLOSURE, local(2021, 8, 15, 12)))
@example((SUMMER_CLOSURE, local(2021, 10, 15, 12)))
@example((SUMMER_CLOSURE, local(2021, 9, 30, 23)))
@example((SUMMER_CLOSURE, local(2021, 3, 28, 3, 30)))
@example((NIGHTS_UNTIL_JUNE, local(2021, 7, 1, 12)))
@example((SAMOA_CLOSURE, datetime(2012, 1, 5, tzinfo=UTC)))
def test_the_search_finds_what_the_plain_search_finds(case: tuple[UnitFacts, datetime]) -> None:
    assert_same_search(*case)


@settings(max_examples=150, deadline=None)
@given(facts_and_instant())
def test_the_search_agrees_where_too_many_unknowns_make_a_day_uncertain(
    case: tuple[UnitFacts, datetime],
) -> None:
    """The same, with so low a limit of unknowns (api.domain.status.MAX_UNKNOWNS) that the
    generated notices often pass it and a day's notices are only possibly in force."""
    import api.domain.status as engine

    with patch.object(engine, "MAX_UNKNOWNS", 0):
        assert_same_search(*case)


def test_runs_of_days_that_cannot_change_the_answer_are_passed_over(monkeypatch) -> None:
    """In the August closure, the answer began when the Saturday night span was cut at
    midnight and changes when the hours open on 1 September; past the hours' horizon it is
    unknown for good. Finding that takes the candidates of a few days, not of every day."""
    import api.domain.status as engine

    days: list[date] = []

    def counted(facts: UnitFacts, day: date, zone: ZoneInfo | None = None) -> list[datetime]:
        days.append(day)
        return candidate_instants(facts, day, zone)

    monkeypatch.setattr(engine, "candidate_instants", counted)
    closed = status_at(SUMMER_CLOSURE, local(2021, 8, 15, 12))
    assert (closed.state, closed.since, closed.next_change) == (
        "closed",
        local(2021, 8, 1, 0, 0),
        local(2021, 9, 1, 8, 0),
    )
    assert len(days) < 10, days
    days.clear()
    unknown = status_at(SUMMER_CLOSURE, local(2021, 10, 15, 12))
    assert (unknown.state, unknown.since, unknown.next_change) == ("unknown", None, None)
    assert len(days) < 10, days
