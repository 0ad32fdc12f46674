"""The status endpoints over HTTP, the `open_at` / `state` filters against the engine, and the
iCalendar feed read back by the `icalendar` package."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from urllib.parse import quote

import icalendar
import pytest
from conftest import get_all

from api.domain.status import status_at
from api.store.db import db
from api.store.models import Unit
from api.store.queries import unit_facts, where_open_at, where_state_at

PRIMARY_PAGE = (
    "https://www.hel.fi/helsinki/en/socia-health/socia-support/employment/rehab-counselling/"
)


def q(instant: str) -> str:
    return quote(instant, safe="")


# --- GET /v1/units/{id}/status ---------------------------------------------------------------


def test_unit_status_with_its_reasons(client):
    response = client.get(
        f"/v1/units/pakila-work-centre/status?at={q('2021-02-25T10:00:00+02:00')}"
    )
    assert response.status_code == 200
    status = response.json
    assert status["unit_id"] == "pakila-work-centre"
    assert status["state"] == "new_clients_admitted"
    assert status["open_to_anyone"] is True
    # Current clients are served (the notice says so); the public: no statement says, and the
    # hours alone never make it true.
    assert (status["open_to_public"], status["open_to_current_clients"]) == (None, True)
    assert status["new_clients_admitted"] is True
    assert status["delivery_mode"] == "partly_distance"
    assert status["since"] == "2021-02-25T08:00:00+02:00"
    assert status["next_change"] == "2021-02-25T16:00:00+02:00"
    assert status["reasons"] == []
    assert status["newest_information_on"] == "2021-02-25"
    assert status["decided_by"] == {
        "notice_ids": ["covid-2021-02-group-activities", "covid-2021-02-work-activities"],
        "exception_ids": [],
        "regular_hours_ids": ["pakila-work-centre-weekdays"],
    }
    texts = {n["id"]: n["text"]["en"] for n in status["notices"]}
    assert texts["covid-2021-02-work-activities"].startswith("Rehabilitating work activities")
    work = next(n for n in status["notices"] if n["id"] == "covid-2021-02-work-activities")
    assert (work["certainty"], work["version_id"], work["said_on"]) == (
        "in_force",
        "covid-2021-02",
        "2021-02-25",
    )
    assert PRIMARY_PAGE in work["source_urls"]


def test_unit_status_defaults_to_now(client):
    before = datetime.now(UTC)
    status = client.get("/v1/units/pakila-work-centre/status").json
    # "Now" is reported to the minute, so that the answer can be cached for that minute.
    assert before - timedelta(minutes=1) < datetime.fromisoformat(status["at"]) <= before
    # No notice after 2021 has an end, but none is trusted for ever: past the horizon nothing
    # is extrapolated from 2021.
    assert status["state"] == "unknown"
    assert status["decided_by"]["notice_ids"] == []
    assert [(n["id"], n["certainty"]) for n in status["notices"]] == [
        ("covid-2021-later-work-activities", "past_horizon")
    ]
    assert [r["code"] for r in status["reasons"]] == ["past_horizon"]


def test_unit_status_is_unknown_where_the_data_is_silent(client):
    status = client.get("/v1/units/social-rehabilitation-office/status").json
    assert status["state"] == "unknown"
    assert status["open_to_public"] is None
    assert status["since"] is None and status["next_change"] is None


def test_unit_status_lang_applies_to_notice_texts(client):
    at = q("2021-02-25T10:00:00+02:00")
    url = f"/v1/units/pakila-shop-and-pick-up-point/status?lang=en&at={at}"
    status = client.get(url).json
    assert status["state"] == "closed"
    assert status["notices"][0]["text"].keys() == {"en"}


@pytest.mark.parametrize(
    "query,field",
    [
        ("at=yesterday", "at"),
        ("at=2021-03-15T10:00:00", "at"),  # no offset
        ("at=2021-13-01T00:00:00Z", "at"),
        ("when=now", "when"),
    ],
)
def test_malformed_instants_are_400_problems(client, query, field):
    response = client.get(f"/v1/units/pakila-work-centre/status?{query}")
    assert response.status_code == 400
    assert response.content_type == "application/problem+json"
    assert response.json["errors"][0]["field"] == field


def test_status_of_an_unknown_unit_is_404(client):
    response = client.get("/v1/units/nowhere/status")
    assert response.status_code == 404
    assert "nowhere" in response.json["detail"]


# --- GET /v1/units/{id}/opening-hours --------------------------------------------------------


def test_opening_hours_day_by_day(client):
    response = client.get("/v1/units/uusix-workshops/opening-hours?start=2021-07-02&end=2021-07-05")
    assert response.status_code == 200
    body = response.json
    assert (body["start"], body["end"], body["timezone"]) == (
        "2021-07-02",
        "2021-07-05",
        "Europe/Helsinki",
    )
    days = {day["date"]: day for day in body["days"]}
    assert list(days) == ["2021-07-02", "2021-07-03", "2021-07-04", "2021-07-05"]
    assert days["2021-07-02"]["spans"] == [
        {"opens": "08:00", "closes": "16:00", "closes_next_day": False}
    ]
    assert days["2021-07-02"]["regular_hours_ids"] == ["uusix-workshops-weekdays"]
    assert days["2021-07-03"]["state"] == "closed"
    assert days["2021-07-05"]["state"] == "closed"
    assert days["2021-07-05"]["new_clients_admitted"] is False
    assert "covid-2021-summer-closure" in days["2021-07-05"]["notice_ids"]


def test_opening_hours_default_to_a_week_from_today(client):
    body = client.get("/v1/units/pakila-work-centre/opening-hours").json
    assert len(body["days"]) == 7
    assert body["days"][0]["date"] == body["start"]


@pytest.mark.parametrize(
    "query",
    [
        "start=2021-01-01&end=2022-01-02",  # 367 days
        "start=2021-03-10&end=2021-03-01",
        "start=10.3.2021",
        "start=2021-02-30",
    ],
)
def test_bad_ranges_are_400_problems(client, query):
    response = client.get(f"/v1/units/pakila-work-centre/opening-hours?{query}")
    assert response.status_code == 400
    assert response.content_type == "application/problem+json"


def test_a_whole_year_is_allowed(client):
    response = client.get(
        "/v1/units/pakila-work-centre/opening-hours?start=2021-01-01&end=2021-12-31"
    )
    assert response.status_code == 200
    assert len(response.json["days"]) == 365


# --- GET /v1/services/{id}/status ------------------------------------------------------------


@pytest.mark.parametrize(
    "instant,admitted",
    [
        ("2021-01-15T10:00:00+02:00", False),
        ("2021-03-15T10:00:00+02:00", True),
        ("2021-02-10T10:00:00+02:00", None),
    ],
)
def test_are_new_clients_admitted_to_rehabilitating_work_activities(client, instant, admitted):
    response = client.get(f"/v1/services/rehabilitating-work-activities/status?at={q(instant)}")
    assert response.status_code == 200
    body = response.json
    assert body["new_clients_admitted"] is admitted
    assert [entry["unit"]["id"] for entry in body["units"]] == [
        "non-institutional-work-activities",
        "pakila-work-centre",
        "uusix-kylasaari",
        "uusix-suvilahti",
        "uusix-workshops",
    ]
    assert all(entry["status"]["new_clients_admitted"] is admitted for entry in body["units"])
    for entry in body["units"]:
        assert "covid-2021-02-group-activities" not in entry["status"]["decided_by"]["notice_ids"]


def test_a_service_offered_nowhere_has_no_units(client):
    body = client.get("/v1/services/group-activities-supporting-rehabilitation/status").json
    assert body["units"] == []
    assert body["new_clients_admitted"] is None


# --- The list filters, against the engine ----------------------------------------------------


def test_which_units_are_open_to_the_public_in_november_2021(client):
    """None that the sources back: the work sites serve clients (no statement opens them to
    the public), and the shops are open by their notices but at hours no source gives. Before,
    the hours alone made the work sites "open to the public", and the shops were listed even
    at 3 a.m. on a Sunday."""
    instant = q("2021-11-15T10:00:00+02:00")  # a Monday
    assert get_all(client, f"/v1/units?open_at={instant}") == []
    night = q("2021-11-14T03:00:00+02:00")  # a Sunday night
    assert get_all(client, f"/v1/units?open_at={night}") == []
    # Who is served: the badge of every unit, in one call.
    url = f"/v1/units?include=status&at={instant}&page_size=500"
    badges = {u["id"]: u["statuses"][0]["open_to_anyone"] for u in get_all(client, url)}
    assert {unit for unit, badge in badges.items() if badge} == {
        "pakila-work-centre",
        "uusix-workshops",
    }
    assert badges["non-institutional-work-activities"] is None  # no hours known


def test_state_filter_closed_in_february_and_march_2021(client):
    url = f"/v1/units?state=closed&at={q('2021-02-25T10:00:00+02:00')}"
    assert [u["id"] for u in get_all(client, url)] == [
        "pakila-shop-and-pick-up-point",
        "uusix-bike-and-computer-recycling",
        "uusix-building-parts-recycling",
    ]
    # From 26.2.2021 the undated later version, which reopens the Kyläsaari shops, may have
    # taken effect: no shop is certainly closed then.
    url = f"/v1/units?state=closed&at={q('2021-03-15T10:00:00+02:00')}"
    assert get_all(client, url) == []
    url = f"/v1/units?state=unknown,open&type=office&at={q('2021-03-15T10:00:00+02:00')}"
    assert [u["id"] for u in get_all(client, url)] == ["social-rehabilitation-office"]


def test_state_filter_rejects_unknown_states(client):
    response = client.get("/v1/units?state=ajar")
    assert response.status_code == 400
    assert response.json["errors"][0]["field"] == "state"


def sample_instants() -> list[datetime]:
    """Every 11 hours from November 2020 to January 2022 (so every hour of the day comes up),
    plus the minutes around each validity boundary and the daylight-saving changes, and days
    past the knowledge horizon up to today."""
    start = datetime(2020, 11, 28, 1, 17, tzinfo=UTC)
    instants = [start + timedelta(hours=11 * n) for n in range(0, 24 * 420 // 11)]
    for day in [
        "2020-12-01",
        "2020-12-24",
        "2021-02-01",
        "2021-02-25",
        "2021-05-01",
        "2021-06-01",
        "2021-07-05",
        "2021-07-31",
        "2022-01-01",
    ]:
        midnight = datetime.fromisoformat(f"{day}T00:00:00+02:00")
        instants += [midnight - timedelta(minutes=1), midnight, midnight + timedelta(hours=8)]
    # Past the knowledge horizon of the 2020–2021 sources, up to today.
    instants += [datetime(2021 + n, 12, 1, 8 + n, 0, tzinfo=UTC) for n in range(6)]
    instants += [datetime.fromisoformat(f"2022-02-2{d}T10:00:00+02:00") for d in (5, 6, 7)]
    instants += [
        datetime.fromisoformat(t)
        for t in (
            "2021-03-29T04:59:00+00:00",
            "2021-03-29T05:00:00+00:00",
            "2021-11-01T05:59:00+00:00",
            "2021-11-01T06:00:00+00:00",
        )
    ]
    return instants


def test_the_sql_filters_agree_with_the_engine_everywhere(app):
    """For every unit and hundreds of instants, `open_at` and `state` select exactly the units
    whose engine status says so."""
    from sqlalchemy import select

    with app.app_context():
        facts = unit_facts(list(db.session.scalars(select(Unit.id))))
        for instant in sample_instants():
            statuses = {
                unit: status_at(f, instant, with_changes=False) for unit, f in facts.items()
            }
            open_now = set(db.session.scalars(where_open_at(select(Unit.id), instant)))
            assert open_now == {u for u, s in statuses.items() if s.open_to_public is True}, instant
            for state in {s.state for s in statuses.values()} | {"closed", "open", "unknown"}:
                selected = set(
                    db.session.scalars(where_state_at(select(Unit.id), [state], instant))
                )
                assert selected == {u for u, s in statuses.items() if s.state == state}, (
                    state,
                    instant,
                )


def test_state_filters_cost_a_fixed_number_of_queries(client, count_queries):
    instant = q("2021-03-15T10:00:00+02:00")
    client.get(f"/v1/units?page_size=1&state=closed,open&at={instant}")
    small = len(count_queries)
    count_queries.clear()
    client.get(f"/v1/units?page_size=500&state=closed,open&at={instant}")
    assert len(count_queries) == small


# --- The iCalendar feed ----------------------------------------------------------------------


def test_the_calendar_feed_parses_and_matches_the_computed_hours(client):
    response = client.get(
        "/v1/units/pakila-work-centre/opening-hours.ics?start=2021-03-26&end=2021-04-02"
    )
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    calendar = icalendar.Calendar.from_ical(response.data)
    events = [component for component in calendar.walk("VEVENT")]
    starts = sorted(event.decoded("DTSTART") for event in events)
    # Weekdays only; 08:00 local on both sides of the 28.3.2021 change.
    assert [s.date() for s in starts] == [
        date(2021, 3, 26),
        date(2021, 3, 29),
        date(2021, 3, 30),
        date(2021, 3, 31),
        date(2021, 4, 1),
        date(2021, 4, 2),
    ]
    assert starts[0] == datetime(2021, 3, 26, 6, 0, tzinfo=UTC)
    assert starts[1] == datetime(2021, 3, 29, 5, 0, tzinfo=UTC)
    assert all(
        event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(hours=8) for event in events
    )
    assert len({str(event["UID"]) for event in events}) == len(events)
    assert "Pakila Work Centre" in str(events[0]["SUMMARY"])


def events_of(response) -> list:
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_data(as_text=True)
    assert body.endswith("\r\n") and "\n" not in body.replace("\r\n", "")
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))
    return list(icalendar.Calendar.from_ical(response.data).walk("VEVENT"))


def test_days_a_notice_closes_are_all_day_closed_events_with_the_notice_text(client):
    response = client.get(
        "/v1/units/uusix-workshops/opening-hours.ics?start=2021-07-05&end=2021-07-30"
    )
    events = events_of(response)
    # Weekdays and weekends alike: the summer closure closes every day of it.
    assert [event.decoded("DTSTART") for event in events] == [
        date(2021, 7, 5) + timedelta(days=n) for n in range(26)
    ]
    notice = client.get("/v1/status-notices/covid-2021-summer-closure").json
    for event in events:
        assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(days=1)
        assert str(event["SUMMARY"]) == "Uusix workshops: Closed"
        description = str(event["DESCRIPTION"])
        assert notice["text"]["en"] in description
        assert "covid-2021-summer-closure" not in description  # the text, not the id


def test_weekends_the_regular_hours_close_have_no_event(client):
    events = events_of(
        client.get("/v1/units/pakila-work-centre/opening-hours.ics?start=2021-03-13&end=2021-03-14")
    )
    assert events == []


@pytest.mark.parametrize(
    "lang, name, closed, in_english",
    [
        ("fi", "Uusix-verstaat", "Suljettu", "(englanniksi) "),
        ("sv", "Uusix-verkstäder", "Stängt", "(på engelska) "),
        ("en", "Uusix workshops", "Closed", ""),
    ],
)
def test_lang_gives_the_feeds_texts_in_that_language(client, lang, name, closed, in_english):
    url = "/v1/units/uusix-workshops/opening-hours.ics?start=2021-07-05&end=2021-07-05"
    response = client.get(f"{url}&lang={lang}")
    calendar = icalendar.Calendar.from_ical(response.data)
    assert str(calendar["X-WR-CALNAME"]) == name
    [event] = events_of(response)
    assert str(event["SUMMARY"]) == f"{name}: {closed}"
    assert event["SUMMARY"].params["LANGUAGE"] == lang
    # The notices are only in English: given in English, marked as such.
    notice = client.get("/v1/status-notices/covid-2021-summer-closure").json["text"]["en"]
    assert f"- {in_english}{notice}" in str(event["DESCRIPTION"])
    assert response.headers["Content-Language"] == lang


def test_a_notice_text_in_the_language_asked_is_given_unmarked():
    from api.domain.status import DayHours, Notice, UnitFacts
    from api.formats.calendar import opening_hours_calendar

    unit = Unit(id="u", name={"fi": "Yksikkö", "sv": None, "en": "Unit"})
    unit.modified_at = datetime(2021, 3, 1, tzinfo=UTC)
    notice = Notice("n", "closed", text={"fi": "Suljettu remontin ajan.", "en": "Closed."})
    facts = UnitFacts("u", "Europe/Helsinki", notices=(notice,))
    day = DayHours(date(2021, 3, 15), "closed", [], ["n"], [], [], None)
    feed = opening_hours_calendar(unit, facts, [day], lang="sv", uid_domain="example.org")
    [event] = icalendar.Calendar.from_ical(feed).walk("VEVENT")
    # No Swedish: the first of en, fi, sv the record has, marked.
    assert str(event["SUMMARY"]) == "(på engelska) Unit: Stängt"
    assert "- (på engelska) Closed." in str(event["DESCRIPTION"])
    feed = opening_hours_calendar(unit, facts, [day], lang="fi", uid_domain="example.org")
    [event] = icalendar.Calendar.from_ical(feed).walk("VEVENT")
    assert str(event["SUMMARY"]) == "Yksikkö: Suljettu"
    assert "- Suljettu remontin ajan." in str(event["DESCRIPTION"])
    assert str(event["UID"]) == "u-20210315-closed@example.org"


def test_event_uids_do_not_depend_on_the_host_that_serves_the_feed(app, client):
    url = "/v1/units/pakila-work-centre/opening-hours.ics?start=2021-03-15&end=2021-03-21"
    here = client.get(url)
    behind_a_proxy = client.get(url, base_url="https://calendar.example.org:8443")
    assert here.data == behind_a_proxy.data
    uids = [str(event["UID"]) for event in events_of(here)]
    assert uids and all(
        uid.endswith(f"@{app.config['CALENDAR_UID_DOMAIN']}") and "localhost" not in uid
        for uid in uids
    )
    assert uids[0] == "pakila-work-centre-20210315-hours-0800@social-services-api.invalid"
    # The same day asked in another window or language keeps its UID.
    other = client.get(
        "/v1/units/pakila-work-centre/opening-hours.ics?start=2021-03-01&end=2021-03-31&lang=fi"
    )
    assert set(uids) <= {str(event["UID"]) for event in events_of(other)}


def test_the_calendars_default_window_is_the_one_its_parameters_document(client, monkeypatch):
    from api.resources import units
    from schemas.status import CALENDAR_DAYS_AFTER, CALENDAR_DAYS_BEFORE, CALENDAR_WINDOW

    spec = client.get("/v1/openapi.json").json
    operation = spec["paths"]["/v1/units/{unit_id}/opening-hours.ics"]["get"]
    described = {p["name"]: p["description"] for p in operation["parameters"]}
    assert f"{CALENDAR_DAYS_BEFORE} days before today" in described["start"]
    assert f"{CALENDAR_DAYS_AFTER} days after today" in described["end"]
    assert f"{CALENDAR_WINDOW} days after `start`" in described["end"]
    assert (
        f"{CALENDAR_DAYS_BEFORE} days back and {CALENDAR_DAYS_AFTER} days ahead"
        in (operation["description"])
    )

    def days(response) -> list[date]:
        starts = [event.decoded("DTSTART") for event in events_of(response)]
        return sorted({s.date() if isinstance(s, datetime) else s for s in starts})

    # A Wednesday whose weeks around have weekday hours: the window shows in the events.
    monkeypatch.setattr(units, "local_today", lambda facts: date(2021, 4, 14))
    url = "/v1/units/uusix-workshops/opening-hours.ics"
    shown = days(client.get(url))
    assert shown[0] == date(2021, 4, 14) - timedelta(days=CALENDAR_DAYS_BEFORE)
    assert shown[-1] <= date(2021, 4, 14) + timedelta(days=CALENDAR_DAYS_AFTER)
    assert shown[-1] >= date(2021, 4, 14) + timedelta(days=CALENDAR_DAYS_AFTER - 3)
    from_start = days(client.get(f"{url}?start=2021-04-07"))
    assert from_start == shown


def test_the_calendar_feed_rejects_bad_ranges(client):
    response = client.get(
        "/v1/units/pakila-work-centre/opening-hours.ics?start=2021-01-01&end=2023-01-01"
    )
    assert response.status_code == 400


def test_the_sql_filters_agree_with_the_engine_on_night_hours_and_exceptions(app, tmp_path):
    """Hours the real data lacks: a span past midnight, two spans a day, an exception period
    with its own hours and one closing a unit all day."""
    import shutil

    import yaml
    from conftest import DATA_DIR
    from sqlalchemy import select

    from api.store.loader import load_dataset

    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    hours = yaml.safe_load((data / "opening_hours.yaml").read_text(encoding="utf-8"))
    source = ["https://example.org/test"]
    hours += [
        {
            "id": "office-regular",
            "unit_id": "social-rehabilitation-office",
            "kind": "regular",
            "verified_on": "2021-03-01",
            "spans": [
                {"weekdays": ["monday", "tuesday"], "opens": "09:00", "closes": "11:30"},
                {"weekdays": ["tuesday"], "opens": "13:00", "closes": "15:00"},
                {"weekdays": ["friday", "saturday"], "opens": "22:00", "closes": "02:30"},
            ],
            "source_urls": source,
        },
        {
            "id": "office-short-week",
            "unit_id": "social-rehabilitation-office",
            "kind": "exception",
            "valid_from": "2021-03-23",
            "valid_until": "2021-03-27",
            "spans": [{"weekdays": ["wednesday", "friday"], "opens": "10:00", "closes": "01:00"}],
            "source_urls": source,
        },
        {
            "id": "suvilahti-closed",
            "unit_id": "uusix-suvilahti",
            "kind": "exception",
            "valid_from": "2021-03-22",
            "valid_until": "2021-03-24",
            "source_urls": source,
        },
    ]
    (data / "opening_hours.yaml").write_text(yaml.safe_dump(hours, allow_unicode=True))
    with app.app_context():
        session = db.new_session()
        load_dataset(session, data)
        session.close()
        facts = unit_facts(list(db.session.scalars(select(Unit.id))))
        start = datetime(2021, 3, 19, 0, 0, tzinfo=UTC)
        for step in range(0, 12 * 24 * 2):
            instant = start + timedelta(minutes=30 * step, seconds=59)
            statuses = {
                unit: status_at(f, instant, with_changes=False) for unit, f in facts.items()
            }
            open_now = set(db.session.scalars(where_open_at(select(Unit.id), instant)))
            assert open_now == {u for u, s in statuses.items() if s.open_to_public is True}, instant
            for state in ("open", "closed", "unknown"):
                selected = set(
                    db.session.scalars(where_state_at(select(Unit.id), [state], instant))
                )
                assert selected == {u for u, s in statuses.items() if s.state == state}, (
                    state,
                    instant,
                )
        office = facts["social-rehabilitation-office"]
        saturday_night = datetime.fromisoformat("2021-03-20T01:00:00+02:00")
        assert status_at(office, saturday_night).state == "open"  # Friday's span runs on


def test_end_alone_makes_the_week_before_it(client):
    body = client.get("/v1/units/pakila-work-centre/opening-hours?end=2021-03-15").json
    assert (body["start"], body["end"]) == ("2021-03-09", "2021-03-15")


def test_instants_outside_the_supported_years_are_400(client):
    response = client.get("/v1/units/pakila-work-centre/status?at=0001-01-01T00:00:00Z")
    assert response.status_code == 400
    assert "1900" in response.json["errors"][0]["message"]


def test_the_status_of_a_deleted_unit_is_gone(app, client, tmp_path):
    import shutil

    import yaml
    from conftest import DATA_DIR

    from api.store.loader import load_dataset

    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    units = yaml.safe_load((data / "units.yaml").read_text(encoding="utf-8"))
    units = [u for u in units if u["id"] != "social-rehabilitation-office"]
    (data / "units.yaml").write_text(yaml.safe_dump(units, allow_unicode=True))
    channels = yaml.safe_load((data / "access_channels.yaml").read_text(encoding="utf-8"))
    for channel in channels:
        channel["unit_ids"] = [
            u for u in channel["unit_ids"] if u != "social-rehabilitation-office"
        ]
    channels = [c for c in channels if c["unit_ids"] or c["service_ids"]]
    (data / "access_channels.yaml").write_text(yaml.safe_dump(channels, allow_unicode=True))
    with app.app_context():
        session = db.new_session()
        load_dataset(session, data)
        session.close()
    for path in ("status", "opening-hours", "opening-hours.ics"):
        response = client.get(f"/v1/units/social-rehabilitation-office/{path}")
        assert response.status_code == 410, path
        assert response.content_type == "application/problem+json"
