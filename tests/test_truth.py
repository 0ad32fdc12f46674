"""Issue "Say exactly what the sources say", point by point over HTTP on the shipped data: each
test names what the API answered before and checks what it answers now. The rules are the
README's ("Is it open, for whom, and why?")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
from conftest import DATA_DIR, get_all

from api.store.db import db
from api.store.loader import load_dataset

UNITS = [
    "non-institutional-work-activities",
    "pakila-shop-and-pick-up-point",
    "pakila-work-centre",
    "social-rehabilitation-office",
    "uusix-bike-and-computer-recycling",
    "uusix-building-parts-recycling",
    "uusix-kylasaari",
    "uusix-pop-up-shop-hakaniemi",
    "uusix-suvilahti",
    "uusix-workshops",
]
SHOPS = [
    "pakila-shop-and-pick-up-point",
    "uusix-bike-and-computer-recycling",
    "uusix-building-parts-recycling",
    "uusix-pop-up-shop-hakaniemi",
]


def q(instant: str) -> str:
    return quote(instant, safe="")


def status(client, unit: str, at: str) -> dict:
    response = client.get(f"/v1/units/{unit}/status?at={q(at)}")
    assert response.status_code == 200, response.json
    return response.json


def notice(client, notice_id: str) -> dict:
    return client.get(f"/v1/status-notices/{notice_id}").json


# --- 1. It extrapolates forever ----------------------------------------------------------------

TODAY = "2026-11-30T10:00:00+02:00"  # a Monday, five years after the newest source


def test_1_nothing_is_extrapolated_past_the_horizon(client):
    """Before: Pakila admitted new clients in 2026 and the shops were open, from 2021 notices
    and hours that give no end. Now the sources are trusted for a year after they last spoke."""
    for unit in UNITS:
        answer = status(client, unit, TODAY)
        assert answer["state"] == "unknown", unit
        assert answer["open_to_anyone"] is None, unit
        assert (answer["new_clients_admitted"], answer["open_to_public"]) == (None, None), unit
    pakila = status(client, "pakila-work-centre", TODAY)
    (reason,) = pakila["reasons"]
    assert reason["code"] == "past_horizon"
    assert "no source newer than 2021-02-26" in reason["detail"].lower()
    assert pakila["newest_information_on"] == "2021-02-26"
    assert get_all(client, f"/v1/units?state=new_clients_admitted,open&at={q(TODAY)}") == []
    unknown = get_all(client, f"/v1/units?state=unknown&at={q(TODAY)}&page_size=500")
    assert sorted(u["id"] for u in unknown) == UNITS
    assert get_all(client, f"/v1/status-notices?active_at={q(TODAY)}") == []


def test_1_the_horizon_is_a_setting(app, tmp_path):
    """KNOWLEDGE_HORIZON_DAYS: with ten years of trust the same sources still speak in 2026."""
    from api import create_app

    url = f"sqlite:///{tmp_path / 'long-horizon.sqlite3'}"
    long = create_app({"TESTING": True, "DATABASE_URL": url, "KNOWLEDGE_HORIZON_DAYS": 3650})
    with long.app_context():
        db.create_all()
        session = db.new_session()
        load_dataset(session, DATA_DIR, horizon_days=3650)
        session.close()
        answer = status(long.test_client(), "pakila-work-centre", TODAY)
        db.session.remove()
        db.engine.dispose()
    assert answer["state"] == "new_clients_admitted"
    assert answer["reasons"] == []


# --- 2. The pop-up is inverted -----------------------------------------------------------------


def test_2_the_pop_up_keeps_the_end_its_source_gave(client):
    """Before: the later version's "open" started on 1.1.2022 (the day after the earlier end),
    so the shop was open for ever after the end the source gave. Now the later statement keeps
    that end, and starts when its version took effect."""
    later = notice(client, "covid-2021-later-hakaniemi-pop-up")
    assert later["in_force_from"] is None
    assert later["in_force_until"] == "2021-12-31"
    assert later["in_force_bounds"]["from_earliest"] == "2021-02-26"
    days = client.get(
        "/v1/units/uusix-pop-up-shop-hakaniemi/opening-hours?start=2021-12-30&end=2022-01-02"
    ).json["days"]
    assert [d["state"] for d in days] == ["open", "open", "unknown", "unknown"]
    january = get_all(client, f"/v1/status-notices?active_at={q('2022-01-15T12:00:00+02:00')}")
    assert "covid-2021-later-hakaniemi-pop-up" not in [n["id"] for n in january]


# --- 3. Invented dates --------------------------------------------------------------------------


def test_3_no_date_is_published_that_no_source_gives(client):
    """Before: the later 2021 version was in force from 2021-05-01, a date no source gives. Now
    it has no start, and the bounds the sources imply."""
    work = notice(client, "covid-2021-later-work-activities")
    assert work["in_force_from"] is None
    assert work["in_force_bounds"] == {
        "from_earliest": "2021-02-26",
        "from_latest": "2021-07-05",
        "until_earliest": None,
        "until_latest": None,
    }
    assert work["trusted_until"] == "2022-02-26"
    invented = {"2021-05-01", "2022-01-01"}
    for record in get_all(client, "/v1/status-notices?page_size=500"):
        assert record["in_force_from"] not in invented, record["id"]
    # The days the later version may have taken effect are not a change the sources date.
    may = status(client, "pakila-work-centre", "2021-05-17T10:00:00+03:00")
    assert may["state"] == "unknown"
    assert may["since"] is None
    assert [r["code"] for r in may["reasons"]] == ["versions_disagree"]
    version = client.get("/v1/notice-versions/covid-2021-later").json
    assert version["published_on"] is None
    assert (version["published_not_before"], version["published_not_after"]) == (
        "2021-02-26",
        "2021-07-05",
    )
    assert "inference" in version["notes"]


# --- 4. "Open" at 3 a.m. -------------------------------------------------------------------------


def test_4_a_notice_that_a_shop_operates_does_not_make_it_open_at_3_am(client):
    """Before: the pop-up (no known hours) was `open` at Sunday 03:00 and `open_at` listed it."""
    night = "2021-08-15T03:00:00+03:00"
    answer = status(client, "uusix-pop-up-shop-hakaniemi", night)
    assert (answer["state"], answer["open_to_anyone"], answer["open_to_public"]) == (
        "unknown",
        None,
        None,
    )
    assert [r["code"] for r in answer["reasons"]] == ["no_hours"]
    assert [n["id"] for n in answer["notices"]] == ["covid-2021-later-hakaniemi-pop-up"]
    for filters in (f"open_at={q(night)}", f"state=open&at={q(night)}"):
        assert get_all(client, f"/v1/units?{filters}") == []
    # The day itself is open, without hours: a notice says what the day is.
    day = client.get(
        "/v1/units/uusix-pop-up-shop-hakaniemi/opening-hours?start=2021-08-15&end=2021-08-15"
    ).json["days"][0]
    assert (day["state"], day["hours_known"], day["spans"]) == ("open", False, [])


# --- 5. Flags from nowhere ----------------------------------------------------------------------


def test_5_flags_come_only_from_what_statements_say(client):
    """Before: `open_to_public: true` came from opening hours alone, even beside a statement
    that says current clients only, while a site of the same statement without hours got null.
    Now every site of the statement gets what the statement says, and null where it is silent."""
    monday = "2021-08-16T10:00:00+03:00"
    sites = ["pakila-work-centre", "uusix-workshops", "non-institutional-work-activities"]
    answers = {unit: status(client, unit, monday) for unit in sites}
    for unit, answer in answers.items():
        assert answer["open_to_public"] is None, unit
        assert answer["new_clients_admitted"] is True, unit
    # With hours that say open, current clients are served, as the statement says; without
    # hours, when is unknown.
    assert answers["pakila-work-centre"]["open_to_current_clients"] is True
    assert answers["non-institutional-work-activities"]["open_to_current_clients"] is None
    # Every combination of flags the data holds, through the notices that give them.
    closed = status(client, "uusix-building-parts-recycling", "2021-02-25T12:00:00+02:00")
    assert (closed["open_to_public"], closed["open_to_current_clients"]) == (False, False)
    # A closing notice silent on clients (a shop's) leaves admission unknown, not false.
    assert closed["new_clients_admitted"] is None
    january = status(client, "pakila-work-centre", "2021-01-15T10:00:00+02:00")
    assert (january["open_to_current_clients"], january["new_clients_admitted"]) == (True, False)
    assert january["open_to_public"] is None


# --- 8. Missing content -------------------------------------------------------------------------


def test_8_the_section_heading_and_the_full_text_of_a_version(client):
    version = client.get("/v1/notice-versions/covid-2021-02").json
    assert version["heading"]["en"] == "Work activities during corona time"
    assert version["text"]["en"].startswith("Rehabilitating work activities and work activities")
    assert version["text"]["en"].endswith("The changes are valid until 30.4.2021.")


# --- 10. Versions are invisible -----------------------------------------------------------------


def test_10_the_versions_when_each_was_in_force_and_what_changed(client):
    versions = get_all(client, "/v1/notice-versions")
    assert [(v["id"], v["in_force_from"], v["in_force_until"]) for v in versions] == [
        ("covid-2020-12", "2020-12-01", "2021-01-31"),
        ("covid-2021-02", "2021-02-25", None),
        ("covid-2021-later", None, None),
    ]
    assert versions[1]["in_force_bounds"]["until_latest"] == "2021-04-30"
    assert versions[1]["replaces_id"] == "covid-2020-12"
    assert versions[1]["replaced_by_id"] == "covid-2021-later"
    assert len(versions[1]["statement_ids"]) == 4
    changes = client.get("/v1/notice-versions/covid-2021-02/changes").json
    assert changes["since_version"] == "covid-2020-12"
    assert [c["before_id"] for c in changes["changed"]] == [
        "covid-2020-12-group-activities",
        "covid-2020-12-hakaniemi-pop-up",
        "covid-2020-12-shops",
        "covid-2020-12-work-activities",
    ]
    work = next(c for c in changes["changed"] if c["after_id"] == "covid-2021-02-work-activities")
    fields = {f["field"]: (f["before"], f["after"]) for f in work["fields_changed"]}
    assert fields["state"] == ("current_clients_only", "new_clients_admitted")
    assert fields["new_clients_admitted"] == (False, True)
    assert (changes["added"], changes["removed"]) == ([], [])
    later = client.get("/v1/notice-versions/covid-2021-later/changes").json
    assert [s["id"] for s in later["removed"]] == ["covid-2021-02-group-activities"]
    assert [s["id"] for s in later["added"]] == ["covid-2021-summer-closure"]
    # Across two versions: what the later version changed since December 2020.
    across = client.get(
        "/v1/notice-versions/covid-2021-later/changes?since_version=covid-2020-12"
    ).json
    assert "covid-2020-12-shops" in [c["before_id"] for c in across["changed"]]
    # This server's edit log is not the source's versions, and says so.
    spec = client.get("/v1/openapi.json").json
    history = spec["paths"]["/v1/status-notices/{notice_id}/history"]["get"]
    assert "edit log" in history["summary"].lower()
    assert "/v1/notice-versions" in history["description"]


def test_10_the_first_version_against_nothing_and_a_version_against_itself(client):
    first = client.get("/v1/notice-versions/covid-2020-12/changes").json
    assert first["since_version"] is None
    assert [s["id"] for s in first["added"]] == [
        "covid-2020-12-group-activities",
        "covid-2020-12-hakaniemi-pop-up",
        "covid-2020-12-shops",
        "covid-2020-12-work-activities",
    ]
    same = client.get("/v1/notice-versions/covid-2021-02/changes?since_version=covid-2021-02")
    assert (same.json["added"], same.json["removed"], same.json["changed"]) == ([], [], [])
    assert len(same.json["unchanged_ids"]) == 4
    assert client.get("/v1/notice-versions/nope/changes").status_code == 404
    assert (
        client.get("/v1/notice-versions/covid-2021-02/changes?since_version=x").status_code == 404
    )


# --- 11. A portal needs one call per unit -------------------------------------------------------


def test_11_badges_for_every_unit_on_several_instants_in_one_call(client):
    instants = ["2021-01-15T10:00:00+02:00", "2021-07-07T10:00:00+03:00", TODAY]
    url = f"/v1/units?include=status&page_size=500&at={','.join(q(i) for i in instants)}"
    units = get_all(client, url)
    assert [u["id"] for u in units] == UNITS
    badges = {u["id"]: [s["open_to_anyone"] for s in u["statuses"]] for u in units}
    assert badges["pakila-work-centre"] == [True, False, None]
    assert badges["uusix-building-parts-recycling"] == [False, None, None]
    for unit in units:
        for at, answer in zip(instants, unit["statuses"], strict=True):
            assert answer == status(client, unit["id"], at), (unit["id"], at)
    # Without `include`, no statuses; `state` is read at the first instant.
    assert "statuses" not in client.get("/v1/units").json["results"][0]
    closed = get_all(client, f"/v1/units?state=closed&at={q(instants[0])},{q(instants[1])}")
    assert [u["id"] for u in closed] == [u for u, b in badges.items() if b[0] is False]


def list_instants() -> list[datetime]:
    """Hundreds of instants from November 2020 to 2027, every hour of the day coming up, with
    the minutes around the validity boundaries and past the horizon."""
    start = datetime(2020, 11, 28, 1, 17, tzinfo=UTC)
    instants = [start + timedelta(hours=37 * n) for n in range(0, 24 * 450 // 37)]
    instants += [
        datetime(2022, 2, 26, 21, 59, tzinfo=UTC),
        datetime(2022, 2, 26, 22, 0, tzinfo=UTC),
    ]
    instants += [datetime(2023 + n, 6, 5, 8, 0, tzinfo=UTC) for n in range(4)]
    return instants


@pytest.mark.parametrize("chunk", range(0, 340, 10))
def test_11_the_list_with_statuses_equals_each_units_status(client, chunk):
    """For every unit, at hundreds of instants (ten per list call), `include=status` answers
    exactly what the unit's own `/status` does."""
    instants = [i.isoformat() for i in list_instants()[chunk : chunk + 10]]
    if not instants:
        return
    url = f"/v1/units?include=status&page_size=500&at={','.join(q(i) for i in instants)}"
    for unit in get_all(client, url):
        for at, answer in zip(instants, unit["statuses"], strict=True):
            assert answer == status(client, unit["id"], at), (unit["id"], at)


def test_11_a_page_of_statuses_costs_a_fixed_number_of_queries(client, count_queries):
    at = q("2021-03-15T10:00:00+02:00")
    client.get(f"/v1/units?include=status&at={at}")  # the count, remembered, is not measured
    count_queries.clear()
    client.get(f"/v1/units?include=status&page_size=1&at={at}")
    small = len(count_queries)
    count_queries.clear()
    client.get(f"/v1/units?include=status&page_size=500&at={at}")
    assert len(count_queries) == small


# --- The rules, in one place ----------------------------------------------------------------


def squeeze(text: str) -> str:
    return " ".join(text.split())


def test_the_readme_and_the_api_docs_state_the_same_rules(client):
    from api.config import PROJECT_ROOT
    from api.domain.status import STATUS_RULES

    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    assert squeeze(STATUS_RULES) in squeeze(readme)
    spec = client.get("/v1/openapi.json").json
    described = spec["paths"]["/v1/units/{unit_id}/status"]["get"]["description"]
    assert squeeze(STATUS_RULES) in squeeze(described)
