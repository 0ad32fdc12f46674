"""The opening-status engine on the real dataset: the dated COVID-19 notices give the right
answers inside, between and after their validity; hours close weekends; daylight saving is
handled; silence is `unknown`."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from api.domain.notices import Window
from api.domain.status import (
    HoursRecord,
    Notice,
    Span,
    UnitFacts,
    day_hours,
    notice_targets,
    opening_hours,
    status_at,
)
from api.store.queries import unit_facts

HELSINKI = ZoneInfo("Europe/Helsinki")


def local(text: str) -> datetime:
    """A Helsinki wall-clock time: "2021-03-15 10:00"."""
    return datetime.fromisoformat(text).replace(tzinfo=HELSINKI)


@pytest.fixture
def facts(app):
    with app.app_context():
        units = [
            "pakila-work-centre",
            "pakila-shop-and-pick-up-point",
            "uusix-workshops",
            "uusix-building-parts-recycling",
            "uusix-pop-up-shop-hakaniemi",
            "non-institutional-work-activities",
            "social-rehabilitation-office",
            "uusix-suvilahti",
        ]
        yield unit_facts(units)


@pytest.fixture
def rehab_facts(app):
    with app.app_context():
        yield unit_facts(["pakila-work-centre"], service_id="rehabilitating-work-activities")


# --- The dated notice versions ---------------------------------------------------------------


def test_new_clients_not_admitted_in_january_2021(facts):
    status = status_at(facts["pakila-work-centre"], local("2021-01-15 10:00"))
    assert status.state == "current_clients_only"
    assert status.new_clients_admitted is False
    assert status.open_to_current_clients is True
    assert status.delivery_mode == "partly_distance"
    assert "covid-2020-12-work-activities" in status.notice_ids


def test_in_march_2021_both_versions_admit_new_clients_but_disagree_on_the_rest(facts):
    """The 25.02.2021 version may already have been replaced by the undated later one: the state
    both give holds; the delivery mode only the older one gives is unknown."""
    status = status_at(facts["pakila-work-centre"], local("2021-03-15 10:00"))
    assert status.state == "new_clients_admitted"
    assert (status.new_clients_admitted, status.open_to_current_clients) == (True, True)
    assert status.delivery_mode is None
    assert status.open_to_public is None  # no statement says, and hours alone never do
    assert status.notice_ids == []  # none is certainly in force...
    assert {(c.notice.id, c.certainty) for c in status.notices} == {
        ("covid-2021-02-group-activities", "possibly_in_force"),
        ("covid-2021-02-work-activities", "possibly_in_force"),
        ("covid-2021-later-work-activities", "possibly_in_force"),
    }
    assert [r.code for r in status.reasons] == ["versions_disagree"]
    assert status.regular_hours_ids == ["pakila-work-centre-weekdays"]
    assert status.since == local("2021-03-15 08:00")  # the hours open, whatever the version
    assert status.next_change == local("2021-03-15 16:00")


def test_on_the_day_of_the_february_version_it_alone_is_in_force(facts):
    status = status_at(facts["pakila-work-centre"], local("2021-02-25 10:00"))
    assert status.notice_ids == ["covid-2021-02-group-activities", "covid-2021-02-work-activities"]
    assert (status.state, status.delivery_mode) == ("new_clients_admitted", "partly_distance")
    assert status.reasons == []


def test_between_the_versions_the_notices_are_silent(facts):
    """1 February to 24 February 2021 no notice is in force: admission is unknown, and only the
    regular hours speak, for the state alone."""
    status = status_at(facts["pakila-work-centre"], local("2021-02-10 10:00"))
    assert status.notice_ids == []
    assert status.state == "open"
    assert status.open_to_anyone is True
    assert (status.open_to_public, status.new_clients_admitted) == (None, None)
    shop = status_at(facts["pakila-shop-and-pick-up-point"], local("2021-02-10 10:00"))
    assert shop.state == "unknown"
    assert shop.open_to_public is None


def test_the_first_version_ends_with_its_last_day(facts):
    unit = facts["pakila-work-centre"]
    assert status_at(unit, local("2021-01-29 15:59")).new_clients_admitted is False  # a Friday
    assert status_at(unit, local("2021-01-31 23:59")).new_clients_admitted is False
    assert status_at(unit, local("2021-02-01 00:00")).new_clients_admitted is None


def test_pakila_shop_closed_then_in_doubt_then_open_but_without_hours(facts):
    shop = facts["pakila-shop-and-pick-up-point"]
    closed = status_at(shop, local("2021-02-25 10:00"))
    assert (closed.state, closed.open_to_public) == ("closed", False)
    assert closed.notice_ids == ["covid-2021-02-shops"]
    # The closure held to 30.4.2021 unless the later version came first; either way it is in
    # doubt, and no hours are known for the shop at all.
    march = status_at(shop, local("2021-03-15 10:00"))
    assert march.state == "unknown"
    june = status_at(shop, local("2021-06-15 10:00"))
    assert june.state == "unknown"  # open from 1.6.2021, but at which hours no source says
    assert june.notice_ids == ["covid-2021-later-pakila-shop"]
    assert [r.code for r in june.reasons] == ["no_hours"]
    assert june.since is None
    day = day_hours(shop, date(2021, 6, 15))
    assert (day.state, day.hours_known, day.spans) == ("open", False, [])


def test_pakila_shop_is_unknown_between_the_closure_and_the_reopening(facts):
    """The February notice ends 30.4.2021; the shop reopens 1.6.2021; May is not in the data."""
    may = day_hours(facts["pakila-shop-and-pick-up-point"], date(2021, 5, 15))
    assert may.state == "unknown"


def test_hakaniemi_pop_up_open_through_2021_and_unknown_after(facts):
    pop_up = facts["uusix-pop-up-shop-hakaniemi"]
    assert day_hours(pop_up, date(2020, 12, 23)).state == "open"
    assert day_hours(pop_up, date(2020, 12, 24)).state == "unknown"
    november = day_hours(pop_up, date(2021, 11, 15))
    assert november.state == "open"
    assert november.notice_ids == ["covid-2021-later-hakaniemi-pop-up"]
    # The later version says "open" without an end, but the earlier one gave the end of 2021,
    # and a later source's silence does not lift it.
    assert day_hours(pop_up, date(2021, 12, 31)).state == "open"
    assert day_hours(pop_up, date(2022, 1, 1)).state == "unknown"
    # At an instant, no hours are known: even at 3 a.m. on a Sunday it is not "open".
    night = status_at(pop_up, local("2021-08-15 03:00"))
    assert (night.state, night.open_to_anyone, night.open_to_public) == ("unknown", None, None)
    assert night.notices[0].notice.id == "covid-2021-later-hakaniemi-pop-up"


def test_uusix_shops_closed_in_the_first_version_and_on_the_day_of_the_second(facts):
    for instant in ("2020-12-15 12:00", "2021-02-25 12:00"):
        assert status_at(facts["uusix-building-parts-recycling"], local(instant)).state == "closed"
    assert status_at(facts["uusix-building-parts-recycling"], local("2021-04-30 12:00")).state == (
        "unknown"
    )


def test_summer_closure_2021(facts):
    unit = facts["uusix-workshops"]
    before = status_at(unit, local("2021-07-02 10:00"))  # Friday before
    assert before.state == "unknown"  # the later version may not have taken effect yet
    during = status_at(unit, local("2021-07-07 10:00"))
    assert during.state == "closed"
    assert during.new_clients_admitted is False
    assert during.open_to_current_clients is False
    assert "covid-2021-summer-closure" in during.notice_ids
    assert during.since is None  # what it was the Friday before is unknown
    # The closure ends with 30.7: on Saturday 31.7 the site is still closed (weekend), but new
    # clients are admitted again, which is a change of status; it reopens on Monday at 08:00.
    assert during.next_change == local("2021-07-31 00:00")
    saturday = status_at(unit, during.next_change)
    assert (saturday.state, saturday.new_clients_admitted) == ("closed", True)
    assert saturday.next_change == local("2021-08-02 08:00")
    monday = status_at(unit, local("2021-08-02 10:00"))
    assert (monday.state, monday.since) == ("new_clients_admitted", local("2021-08-02 08:00"))
    # The pop-up shop is not part of the work activities' closure.
    assert (
        "covid-2021-summer-closure"
        not in status_at(facts["uusix-pop-up-shop-hakaniemi"], local("2021-07-07 10:00")).notice_ids
    )


def test_a_service_status_ignores_notices_about_other_services(rehab_facts, facts):
    """The group-activities notice concerns the Pakila site, but not its rehabilitating work."""
    unit = rehab_facts["pakila-work-centre"]
    assert (
        "covid-2021-02-group-activities"
        not in status_at(unit, local("2021-02-25 10:00")).notice_ids
    )
    assert (
        "covid-2021-02-group-activities"
        in status_at(facts["pakila-work-centre"], local("2021-02-25 10:00")).notice_ids
    )


# --- Regular hours and daylight saving -------------------------------------------------------


def test_weekends_are_closed_by_the_regular_hours(facts):
    saturday = status_at(facts["uusix-workshops"], local("2021-02-13 12:00"))
    assert saturday.state == "closed"
    assert saturday.open_to_public is False
    assert saturday.regular_hours_ids == ["uusix-workshops-weekdays"]
    assert saturday.since == local("2021-02-12 16:00")
    assert saturday.next_change == local("2021-02-15 08:00")


def test_evenings_are_closed_and_opening_is_at_eight(facts):
    unit = facts["pakila-work-centre"]
    assert status_at(unit, local("2021-02-10 07:59")).state == "closed"
    assert status_at(unit, local("2021-02-10 08:00")).state == "open"
    assert status_at(unit, local("2021-02-10 15:59")).state == "open"
    assert status_at(unit, local("2021-02-10 16:00")).state == "closed"


def test_the_hour_after_the_spring_change(facts):
    """28.3.2021 03:00 EET became 04:00 EEST; Monday 29.3 opens at 08:00 EEST = 05:00 UTC."""
    unit = facts["pakila-work-centre"]
    sunday_night = status_at(unit, datetime.fromisoformat("2021-03-28T01:30:00+00:00"))
    assert sunday_night.state == "closed"
    assert sunday_night.next_change == datetime.fromisoformat("2021-03-29T08:00:00+03:00")
    assert status_at(unit, datetime.fromisoformat("2021-03-29T04:59:00+00:00")).state == "closed"
    assert status_at(unit, datetime.fromisoformat("2021-03-29T05:00:00+00:00")).state != "closed"
    # The week before, 08:00 was 06:00 UTC.
    assert status_at(unit, datetime.fromisoformat("2021-03-26T05:30:00+00:00")).state == "closed"


def test_the_hour_after_the_autumn_change(facts):
    """31.10.2021 04:00 EEST became 03:00 EET; Monday 1.11 opens at 08:00 EET = 06:00 UTC."""
    unit = facts["pakila-work-centre"]
    repeated_hour = status_at(unit, datetime.fromisoformat("2021-10-31T01:30:00+00:00"))
    assert repeated_hour.state == "closed"
    assert repeated_hour.next_change == datetime.fromisoformat("2021-11-01T08:00:00+02:00")
    assert status_at(unit, datetime.fromisoformat("2021-11-01T05:30:00+00:00")).state == "closed"
    assert status_at(unit, datetime.fromisoformat("2021-11-01T06:00:00+00:00")).state != "closed"


# --- Silence ---------------------------------------------------------------------------------


# (Uusix-Suvilahti was silent too until it was given the rehabilitating work activities the
# sources place there: the notices about that service at Uusix now reach it.)
@pytest.mark.parametrize("unit", ["social-rehabilitation-office"])
def test_no_data_means_unknown_never_closed_or_open(facts, unit):
    status = status_at(facts[unit], local("2021-03-15 10:00"))
    assert status.state == "unknown"
    assert (status.open_to_public, status.open_to_current_clients) == (None, None)
    assert status.new_clients_admitted is None
    assert (status.since, status.next_change) == (None, None)


def test_past_the_horizon_nothing_is_extrapolated(facts):
    """The later 2021 version gives no end, and the hours none either: they are trusted for a
    year after a source last said them, not for ever."""
    status = status_at(facts["pakila-work-centre"], local("2026-11-27 10:00"))
    assert status.state == "unknown"
    assert (status.open_to_anyone, status.new_clients_admitted) == (None, None)
    assert [(c.notice.id, c.certainty) for c in status.notices] == [
        ("covid-2021-later-work-activities", "past_horizon")
    ]
    assert [r.code for r in status.reasons] == ["past_horizon"]
    assert "2021-02-26" in status.reasons[0].detail
    assert status.newest_information_on == date(2021, 2, 26)
    # Inside the horizon, the same sources still speak.
    assert status_at(facts["pakila-work-centre"], local("2021-11-15 10:00")).state == (
        "new_clients_admitted"
    )


# --- Per-day hours ---------------------------------------------------------------------------


def test_day_by_day_hours_around_the_summer_closure(facts):
    days = {
        d.date: d
        for d in opening_hours(facts["pakila-work-centre"], date(2021, 7, 2), date(2021, 7, 5))
    }
    assert days[date(2021, 7, 2)].state == "unknown"  # which version was in force then?
    assert [(s.opens, s.closes) for s in days[date(2021, 7, 2)].spans] == [(time(8), time(16))]
    assert days[date(2021, 7, 3)].state == "closed"  # Saturday
    assert days[date(2021, 7, 3)].spans == []
    assert days[date(2021, 7, 5)].state == "closed"
    assert "covid-2021-summer-closure" in days[date(2021, 7, 5)].notice_ids


# --- Synthetic cases the real data lacks -----------------------------------------------------


def span(days: str, opens: str, closes: str) -> Span:
    index = {"mo": 0, "tu": 1, "we": 2, "th": 3, "fr": 4, "sa": 5, "su": 6}
    return Span(
        frozenset(index[d] for d in days.split(",")),
        time.fromisoformat(opens),
        time.fromisoformat(closes),
    )


def test_spans_past_midnight_and_several_spans_a_day():
    unit = UnitFacts(
        "bar",
        "Europe/Helsinki",
        hours=(
            HoursRecord(
                "lunch-and-night",
                "regular",
                None,
                None,
                (
                    span("fr", "11:00", "14:00"),
                    span("fr", "22:00", "02:00"),
                ),
            ),
        ),
    )
    assert status_at(unit, local("2021-03-12 12:00")).state == "open"
    assert status_at(unit, local("2021-03-12 15:00")).state == "closed"
    late = status_at(unit, local("2021-03-13 01:00"))  # Saturday, the Friday span still runs
    assert late.state == "open"
    assert late.since == local("2021-03-12 22:00")
    assert late.next_change == local("2021-03-13 02:00")
    friday = day_hours(unit, date(2021, 3, 12))
    assert [(s.opens, s.closes, s.closes_next_day) for s in friday.spans] == [
        (time(11), time(14), False),
        (time(22), time(2), True),
    ]


def test_an_exception_period_overrides_regular_hours():
    unit = UnitFacts(
        "office",
        "Europe/Helsinki",
        hours=(
            HoursRecord(
                "weekdays", "regular", None, None, (span("mo,tu,we,th,fr", "08:00", "16:00"),)
            ),
            HoursRecord("summer", "exception", date(2021, 7, 5), date(2021, 7, 30)),
            HoursRecord(
                "christmas-eve",
                "exception",
                date(2021, 12, 24),
                date(2021, 12, 24),
                (span("fr", "09:00", "12:00"),),
            ),
        ),
    )
    summer = status_at(unit, local("2021-07-06 10:00"))
    assert (summer.state, summer.exception_ids, summer.regular_hours_ids) == (
        "closed",
        ["summer"],
        [],
    )
    assert summer.next_change == local("2021-08-02 08:00")
    assert status_at(unit, local("2021-12-24 10:00")).state == "open"
    assert status_at(unit, local("2021-12-24 13:00")).state == "closed"


def between(start: date | None, end: date | None) -> Window:
    return Window(start, end)


def test_overlapping_notices_the_more_restrictive_wins():
    unit = UnitFacts(
        "site",
        "Europe/Helsinki",
        hours=(HoursRecord("always", "regular", None, None, (span("mo,tu,we,th,fr,sa,su",
                                                                  "00:00", "00:00"),)),),
        notices=(
            Notice("open", "open", between(date(2021, 1, 1), None), open_to_public=True),
            Notice("closed", "closed", between(date(2021, 2, 1), date(2021, 2, 28))),
            Notice(
                "remote",
                "distance_service",
                between(date(2021, 1, 1), None),
                delivery_mode="distance",
            ),
        ),
    )  # fmt: skip
    assert status_at(unit, local("2021-01-15 10:00")).state == "distance_service"
    february = status_at(unit, local("2021-02-15 10:00"))
    assert (february.state, february.open_to_public, february.new_clients_admitted) == (
        "closed",
        False,
        None,  # the closing notice says nothing about new clients
    )
    assert february.next_change == local("2021-03-01 00:00")


def test_notice_targets_parents_sub_units_and_services():
    children = {"site": ["shop", "workshop"], "workshop": ["corner"]}
    services_of = {
        "site": {"work"},
        "shop": set(),
        "workshop": {"work"},
        "corner": set(),
        "x": {"work"},
    }
    assert notice_targets(["site"], [], children, services_of) == {
        "site",
        "shop",
        "workshop",
        "corner",
    }
    assert notice_targets(["site"], ["work"], children, services_of) == {"site", "workshop"}
    assert notice_targets([], ["work"], children, services_of) == {"site", "workshop", "x"}


def test_instants_must_carry_an_offset():
    with pytest.raises(ValueError):
        status_at(UnitFacts("u", "Europe/Helsinki"), datetime(2021, 1, 1) + timedelta(0))
