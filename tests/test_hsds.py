"""The HSDS 3.1 profile: every response validated against Open Referral's own compiled schemas,
every record of ours found in it, and status/alert as docs/hsds.md says, on the real data."""

from __future__ import annotations

import json
import uuid
from datetime import date
from functools import cache
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from sqlalchemy import event

from api import create_app
from api.formats import hsds
from api.store.db import db
from api.store.generate import generate

COMPILED = Path("/work/shared/hsds-3.1/compiled")
# The day of the 25.02.2021 version: the undated later version cannot have replaced it yet.
FEBRUARY = "2021-02-25T10:00:00+02:00"
JULY = "2021-07-15T10:00:00+03:00"
INSTANTS = (FEBRUARY, JULY, "2020-12-10T10:00:00+02:00", None)


@cache
def validator(name: str) -> Draft202012Validator:
    schema = json.loads((COMPILED / f"{name}.json").read_text(encoding="utf-8"))
    return Draft202012Validator(schema, format_checker=FormatChecker())


def assert_valid(name: str, instance: dict) -> None:
    errors = [
        f"{list(e.absolute_path)}: {e.message[:200]}" for e in validator(name).iter_errors(instance)
    ]
    assert not errors, f"not a valid HSDS {name}: {errors}"


def get(client, path: str, at: str | None = None, **params):
    if at:
        params["at"] = at
    response = client.get(path, query_string=params or None)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json


def v1_all(client, path: str) -> list[dict]:
    results, url = [], f"{path}{'&' if '?' in path else '?'}page_size=500"
    while url:
        page = get(client, url)
        results.extend(page["results"])
        url = page["next"]
    return results


# --- The mapping, directly -------------------------------------------------------------------


def test_ids_are_stable_uuid5_of_kind_and_our_id():
    value = hsds.hsds_id("service", "rehabilitating-work-activities")
    assert uuid.UUID(value).version == 5
    assert value == str(uuid.uuid5(hsds.NAMESPACE, "service/rehabilitating-work-activities"))
    assert value != hsds.hsds_id("location", "rehabilitating-work-activities")


def test_an_iri_becomes_the_same_address_as_a_uri():
    label = "xn--" + "pakilantyökeskus".encode("punycode").decode()
    assert hsds.as_uri("https://www.pakilantyökeskus.fi/") == f"https://www.{label}.fi/"
    assert hsds.as_uri("https://example.org/a b?q=ä") == "https://example.org/a%20b?q=%C3%A4"


def test_text_takes_the_first_language_given_and_tags_the_others():
    name = {"fi": "Kuntouttava työtoiminta", "sv": "Arbetsverksamhet", "en": None}
    assert hsds.text(name) == "Arbetsverksamhet"
    assert hsds.other_languages(name) == "fi: Kuntouttava työtoiminta"
    assert hsds.text({"fi": None, "sv": None, "en": None}) is None


def test_hours_become_weekly_rrule_entries_and_exceptions_extra_entries():
    unit = SimpleNamespace(
        timezone="Europe/Helsinki",
        opening_hours=[
            SimpleNamespace(
                id="a-regular",
                kind="regular",
                name=None,
                valid_from=date(2021, 1, 1),
                valid_until=None,
                spans=[
                    {"weekdays": ["friday", "monday"], "opens": "08:00", "closes": "16:00"},
                    {"weekdays": ["saturday"], "opens": "22:00", "closes": "02:00"},
                ],
            ),
            SimpleNamespace(
                id="b-summer",
                kind="exception",
                name={"fi": None, "sv": None, "en": "Summer closure"},
                valid_from=date(2021, 7, 5),
                valid_until=date(2021, 7, 30),
                spans=[],
            ),
        ],
    )
    regular_1, regular_2, summer = hsds.schedules(unit, "location", "x")
    assert regular_1["freq"] == "WEEKLY" and regular_1["byday"] == "MO,FR"
    assert (regular_1["opens_at"], regular_1["closes_at"]) == ("08:00", "16:00")
    assert regular_1["valid_from"] == "2021-01-01" and "valid_to" not in regular_1
    assert regular_2["byday"] == "SA" and regular_2["closes_at"] == "02:00"
    assert summer["description"] == "Closed: Summer closure"
    assert (summer["valid_from"], summer["valid_to"]) == ("2021-07-05", "2021-07-30")
    assert "freq" not in summer and "opens_at" not in summer
    assert len({regular_1["id"], regular_2["id"], summer["id"]}) == 3
    for entry in (regular_1, regular_2, summer):
        assert entry["location_id"] == hsds.hsds_id("location", "x")
        assert_valid_schedule(entry)


def assert_valid_schedule(entry: dict) -> None:
    schema = json.loads(Path("/work/shared/hsds-3.1/schedule.json").read_text(encoding="utf-8"))
    errors = list(Draft202012Validator(schema, format_checker=FormatChecker()).iter_errors(entry))
    assert not errors, errors


@pytest.mark.parametrize(
    ("total", "page_number", "per_page", "expected"),
    [
        (5, 1, 2, (3, 2, True, False, False)),
        (5, 3, 2, (3, 1, False, True, False)),
        (5, 4, 2, (3, 0, False, True, True)),
        (0, 1, 50, (0, 0, True, True, True)),
    ],
)
def test_the_page_envelope(total, page_number, per_page, expected):
    page = hsds.page(list(range(total)), page_number, per_page, lambda n: {"n": n})
    got = (page["total_pages"], page["size"], page["first_page"], page["last_page"], page["empty"])
    assert got == expected
    assert page["total_items"] == total and page["page_number"] == page_number
    assert [c["n"] for c in page["contents"]] == list(range(total))[
        (page_number - 1) * per_page : page_number * per_page
    ]


# --- Every response validates against HSDS's compiled schemas --------------------------------


def test_the_index_says_version_profile_and_openapi(client):
    body = get(client, "/hsds/")
    assert body["version"] == "3.1"
    assert client.get(body["profile"]).status_code == 200
    assert "Status and alert" in client.get(body["profile"]).get_data(as_text=True)
    assert client.get(body["openapi_url"]).json["openapi"] == "3.1.0"


@pytest.mark.parametrize("at", INSTANTS)
def test_services_validate_as_a_full_page_and_each_fully_nested(client, at):
    page = get(client, "/hsds/services", at, per_page=500)
    assert page["total_items"] == len(page["contents"]) == len(v1_all(client, "/v1/services"))
    assert (page["first_page"], page["last_page"], page["empty"]) == (True, True, False)
    for item in page["contents"]:
        assert_valid("service_list", item)
        full = get(client, f"/hsds/services/{item['id']}", at)
        assert_valid("service", full)
        assert {k: full[k] for k in item} == item


@pytest.mark.parametrize("at", INSTANTS)
def test_organizations_validate_in_the_list_and_each_fully_nested(client, at):
    page = get(client, "/hsds/organizations")
    assert page["total_items"] == len(v1_all(client, "/v1/organizations"))
    for item in page["contents"]:
        assert_valid("organization_list", item)
        full = get(client, f"/hsds/organizations/{item['id']}", at)
        assert_valid("organization", full)


@pytest.mark.parametrize("at", INSTANTS)
def test_service_at_locations_validate_in_the_list_and_each_fully_nested(client, at):
    page = get(client, "/hsds/service_at_locations", at, per_page=500)
    units = v1_all(client, "/v1/units")
    assert page["total_items"] == sum(len(unit["service_ids"]) for unit in units)
    for item in page["contents"]:
        assert_valid("service_at_location_list", item)
        full = get(client, f"/hsds/service_at_locations/{item['id']}", at)
        assert_valid("service_at_location", full)


def test_pages_partition_the_results(client):
    everything = get(client, "/hsds/service_at_locations", per_page=500)["contents"]
    seen, number = [], 1
    while True:
        page = get(client, "/hsds/service_at_locations", page=number, per_page=3)
        assert page["page_number"] == number and page["size"] == len(page["contents"])
        assert page["total_pages"] == -(-len(everything) // 3)
        seen.extend(item["id"] for item in page["contents"])
        if page["last_page"]:
            break
        number += 1
    assert seen == [item["id"] for item in everything]
    beyond = get(client, "/hsds/service_at_locations", page=number + 1, per_page=3)
    assert beyond["empty"] is True and beyond["contents"] == []


@pytest.mark.parametrize(
    ("path", "schema"),
    [
        ("/hsds/services", "service_list"),
        ("/hsds/organizations", "organization_list"),
        ("/hsds/service_at_locations", "service_at_location_list"),
    ],
)
def test_ndjson_streams_every_result_unpaginated(client, path, schema):
    response = client.get(path, query_string={"format": "ndjson", "per_page": 1, "page": 2})
    assert response.status_code == 200
    assert response.mimetype == "application/x-ndjson"
    lines = [json.loads(line) for line in response.get_data(as_text=True).splitlines()]
    page = get(client, path, per_page=500)
    assert lines == page["contents"] and len(lines) == page["total_items"] > 1
    for line in lines:
        assert_valid(schema, line)


# --- Parameters ------------------------------------------------------------------------------


def test_search_finds_any_language_and_filters_combine(client):
    rehab = hsds.hsds_id("service", "rehabilitating-work-activities")
    found = get(client, "/hsds/services", search="kuntouttava TYÖ")["contents"]
    assert [s["id"] for s in found] == [rehab]
    team = hsds.hsds_id("organization", "social-rehabilitation-team")
    city = hsds.hsds_id("organization", "city-of-helsinki")
    of_team = [
        s
        for s in v1_all(client, "/v1/services")
        if s["organization_id"] == "social-rehabilitation-team"
    ]
    assert get(client, "/hsds/services", organization_id=team)["total_items"] == len(of_team) > 0
    assert get(client, "/hsds/services", organization_id=city)["total_items"] == 0
    # Extension: our own id works too, and an unknown one matches nothing.
    by_own_id = get(client, "/hsds/services", organization_id="social-rehabilitation-team")
    assert by_own_id["total_items"] == len(of_team)
    assert get(client, "/hsds/services", organization_id="not-a-uuid")["total_items"] == 0
    assert get(client, "/hsds/organizations", search="helsingfors")["contents"][0]["id"] == city
    pairs = get(client, "/hsds/service_at_locations", search="pakila", per_page=500)["contents"]
    assert {p["location"]["name"] for p in pairs} == {"Pakila Work Centre"} and len(pairs) == 2
    future = "2199-01-01T00:00:00+02:00"
    assert get(client, "/hsds/services", modified_after=future)["total_items"] == 0
    everything = get(client, "/hsds/services", modified_after="1999-01-01T00:00:00Z")
    assert everything["size"] == len(v1_all(client, "/v1/services"))


@pytest.mark.parametrize(
    "query",
    [
        "unknown=1",
        "per_page=501",
        "page=0",
        "format=xml",
        "organization_id=",
        "modified_after=2021-01-01",
        "at=yesterday",
        "full=true",
    ],
)
def test_bad_parameters_are_problems(client, query):
    response = client.get(f"/hsds/services?{query}")
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert response.json["errors"]


@pytest.mark.parametrize("kind", ["services", "organizations", "service_at_locations"])
def test_unknown_ids_are_404_problems(client, kind):
    for value in (str(uuid.uuid4()), "pakila-work-centre"):
        response = client.get(f"/hsds/{kind}/{quote(value)}")
        assert response.status_code == 404
        assert response.mimetype == "application/problem+json"


# --- Round trip: everything of ours is in the HSDS view --------------------------------------


def hsds_view(client, at: str | None = None) -> dict:
    """Every fully nested service and organization, and every service_at_location."""
    services = [
        get(client, f"/hsds/services/{s['id']}", at)
        for s in get(client, "/hsds/services", at, per_page=500)["contents"]
    ]
    organizations = [
        get(client, f"/hsds/organizations/{o['id']}", at)
        for o in get(client, "/hsds/organizations", per_page=500)["contents"]
    ]
    locations = {
        location["external_identifier"]: location
        for org in organizations
        for location in org["locations"]
    }
    sals = [
        get(client, f"/hsds/service_at_locations/{s['id']}", at)
        for s in get(client, "/hsds/service_at_locations", at, per_page=500)["contents"]
    ]
    return {
        "services": {s["id"]: s for s in services},
        "organizations": {o["id"]: o for o in organizations},
        "locations": locations,
        "sals": {(s["location_id"], s["service_id"]): s for s in sals},
    }


def test_every_unit_service_and_organization_appears(client):
    view = hsds_view(client)
    for unit in v1_all(client, "/v1/units"):
        location = view["locations"][unit["id"]]
        assert location["id"] == hsds.hsds_id("location", unit["id"])
        assert location["name"] == hsds.text(unit["name"])
        assert location["organization_id"] == hsds.hsds_id("organization", unit["organization_id"])
        for service_id in unit["service_ids"]:
            key = (location["id"], hsds.hsds_id("service", service_id))
            assert view["sals"][key]["location"]["id"] == location["id"]
    for service in v1_all(client, "/v1/services"):
        hsds_service = view["services"][hsds.hsds_id("service", service["id"])]
        assert hsds_service["name"] == hsds.text(service["name"])
        located = {sal["location_id"] for sal in hsds_service["service_at_locations"]}
        assert located == {hsds.hsds_id("location", u) for u in service["unit_ids"]}
    for org in v1_all(client, "/v1/organizations"):
        assert view["organizations"][hsds.hsds_id("organization", org["id"])]["name"]


def test_every_access_channel_appears_where_the_profile_puts_it(client):
    view = hsds_view(client)
    channels = v1_all(client, "/v1/access-channels")
    assert {c["type"] for c in channels} >= {"referral", "contact", "phone", "fax", "web_page"}
    for channel in channels:
        services = [view["services"][hsds.hsds_id("service", s)] for s in channel["service_ids"]]
        locations = [view["locations"][u] for u in channel["unit_ids"]]
        kind = channel["type"]
        if kind in ("referral", "contact"):
            assert services
            for service in services:
                assert hsds.text(channel["name"]) in service["application_process"]
        elif kind in ("visiting_address", "postal_address"):
            address_type = "physical" if kind == "visiting_address" else "postal"
            for location in locations:
                (address,) = [a for a in location["addresses"] if a["address_type"] == address_type]
                assert address["postal_code"] == channel["address"]["postal_code"]
                assert (address["country"], address["state_province"]) == ("FI", "Uusimaa")
                if channel["address"]["po_box"]:
                    assert address["address_1"] == f"PO Box {channel['address']['po_box']}"
                else:
                    assert address["address_1"] == hsds.text(channel["address"]["street_address"])
        elif kind in ("phone", "fax"):
            expected_type = "voice" if kind == "phone" else "fax"
            for owner in [*locations, *services]:
                assert {"number": channel["number"], "type": expected_type} in [
                    {"number": p["number"], "type": p["type"]} for p in owner["phones"]
                ]
        elif kind == "web_page":
            urls = {hsds.as_uri(u) for u in channel["url"].values() if u}
            for location in locations:
                org = view["organizations"][location["organization_id"]]
                assert urls <= {w["url"] for w in org["additional_websites"]}
            for service in services:
                assert urls == {service["url"]} | {u["url"] for u in service["additional_urls"]}
        elif kind == "distance_service":
            for location in locations:
                for service_id in channel["service_ids"]:
                    key = (location["id"], hsds.hsds_id("service", service_id))
                    if key in view["sals"]:
                        text = hsds.text(channel["description"])
                        assert text in view["sals"][key]["description"]
        else:
            pytest.fail(f"channel type {kind} has no place in the profile")


def test_staff_duties_are_attributes_of_the_organization_and_their_services(client):
    view = hsds_view(client)
    duties = v1_all(client, "/v1/staff-duties")
    assert duties
    for duty in duties:
        org = view["organizations"][hsds.hsds_id("organization", duty["organization_id"])]
        assert hsds.text(duty["text"]) in [a["value"] for a in org["attributes"]]
        assert org["contacts"] == []
        for service_id in duty["service_ids"]:
            service = view["services"][hsds.hsds_id("service", service_id)]
            assert hsds.text(duty["text"]) in [a["value"] for a in service["attributes"]]


# --- Status and alert, as docs/hsds.md says --------------------------------------------------


def closed_by_notice(status: dict) -> bool:
    return status["state"] == "closed" and any(
        n["state"] == "closed" and n["certainty"] == "in_force" for n in status["notices"]
    )


@pytest.mark.parametrize("at", [FEBRUARY, JULY])
def test_status_follows_the_documented_rule_against_the_v1_engine(client, at):
    """The rule of docs/hsds.md, checked against /v1's own status endpoints at each instant."""
    view = hsds_view(client, at)
    for service in v1_all(client, "/v1/services"):
        hsds_service = view["services"][hsds.hsds_id("service", service["id"])]
        per_unit = get(client, f"/v1/services/{service['id']}/status", at)["units"]
        if per_unit:
            closed = all(closed_by_notice(entry["status"]) for entry in per_unit)
        else:
            closed = False  # no service offered nowhere is named by a closed notice in the data
        assert hsds_service["status"] == ("temporarily closed" if closed else "active")
        for entry in per_unit:
            sal = view["sals"][(hsds.hsds_id("location", entry["unit"]["id"]), hsds_service["id"])]
            expected = "temporarily closed" if closed_by_notice(entry["status"]) else "active"
            assert sal["status"] == expected
            for notice in entry["status"]["notices"]:
                assert hsds.text(notice["text"]) in sal["alert"]
                assert hsds.text(notice["text"]) in hsds_service["alert"]
    for unit_id, location in view["locations"].items():
        status = get(client, f"/v1/units/{unit_id}/status", at)
        expected = "temporarily closed" if closed_by_notice(status) else "active"
        assert location["status"] == expected
        assert location.get("alert") == (
            "\n\n".join(hsds.text(n["text"]) for n in status["notices"]) or None
        )


def test_the_notice_in_force_on_2021_02_25_closes_the_shops_not_a_service(client):
    notices = v1_all(client, f"/v1/status-notices?active_at={quote(FEBRUARY)}")
    closing = [n for n in notices if n["state"] == "closed"]
    assert [n["id"] for n in closing] == ["covid-2021-02-shops"]
    (shops_notice,) = closing
    assert shops_notice["service_ids"] == []

    view = hsds_view(client, FEBRUARY)
    for unit_id in shops_notice["unit_ids"]:
        location = view["locations"][unit_id]
        assert location["status"] == "temporarily closed"
        assert hsds.text(shops_notice["text"]) in location["alert"]
    # The shops offer no service, so the notice closes none: every service stays active, and the
    # work activities carry their own notice (current clients, new clients admitted) as alert.
    assert {s["status"] for s in view["services"].values()} == {"active"}
    work = [n for n in notices if n["id"] == "covid-2021-02-work-activities"][0]
    for service_id in work["service_ids"]:
        service = view["services"][hsds.hsds_id("service", service_id)]
        assert hsds.text(work["text"]) in service["alert"]
        assert hsds.text(shops_notice["text"]) not in service["alert"]
    groups = view["services"][hsds.hsds_id("service", "group-activities-supporting-rehabilitation")]
    assert "not organised" in groups["alert"] and groups["status"] == "active"
    pakila = view["locations"]["pakila-work-centre"]
    assert pakila["status"] == "active"


def test_the_summer_closure_temporarily_closes_rehabilitating_work_activities(client):
    view = hsds_view(client, JULY)
    summer = get(client, "/v1/status-notices/covid-2021-summer-closure")
    summer_text = hsds.text(summer["text"])
    rehab = view["services"][hsds.hsds_id("service", "rehabilitating-work-activities")]
    assert rehab["status"] == "temporarily closed"
    assert summer_text in rehab["alert"]
    # Closed wherever it is offered: at the three sites and at Uusix's two sites below them.
    rows = {
        sal["location"]["external_identifier"]: sal["status"]
        for sal in rehab["service_at_locations"]
    }
    assert rows == {
        unit_id: "temporarily closed"
        for unit_id in (
            "pakila-work-centre",
            "non-institutional-work-activities",
            "uusix-workshops",
            "uusix-kylasaari",
            "uusix-suvilahti",
        )
    }
    # Work activities for the disabled are offered at the three sites only (not at the office,
    # which no source says offers them), so they are closed too.
    disabled = view["services"][
        hsds.hsds_id("service", "work-activities-for-people-with-disabilities")
    ]
    assert disabled["status"] == "temporarily closed" and summer_text in disabled["alert"]
    rows = {
        sal["location"]["external_identifier"]: sal["status"]
        for sal in disabled["service_at_locations"]
    }
    assert rows == {
        "pakila-work-centre": "temporarily closed",
        "non-institutional-work-activities": "temporarily closed",
        "uusix-workshops": "temporarily closed",
    }
    before = get(client, f"/hsds/services/{rehab['id']}", "2021-07-02T10:00:00+03:00")
    assert before["status"] == "active" and summer_text not in before.get("alert", "")


# --- At scale: paged in the database --------------------------------------------------------


def with_generated_units(app, units: int) -> None:
    """Add `units` synthetic units (api.store.generate: 200 services, 51 organizations, a
    notice for every hundred units) beside the data the app has."""
    with app.app_context():
        session = db.new_session()
        try:
            generate(session, units=units, seed=11)
        finally:
            session.close()


# An instant at which generated notices are in force at some of the units offering each page's
# services, so that the engine runs for them.
GENERATED_AT = "2021-01-20T10:00:00+02:00"


@pytest.mark.parametrize(
    ("path", "at"),
    [
        ("/hsds/services", GENERATED_AT),
        ("/hsds/service_at_locations", GENERATED_AT),
        ("/hsds/organizations", None),
    ],
)
def test_a_page_costs_a_fixed_number_of_queries_whatever_its_size(fresh_database_url, path, at):
    """The same number of SQL statements for a page of 1 and of 50, on 1,000 and on 3,000
    generated units (the engine runs on both pages: notices are in force at `at`)."""
    counts = []
    for units in (1000, 3000):
        app = create_app({"TESTING": True, "DATABASE_URL": fresh_database_url(f"g{units}")})
        with_generated_units(app, units)
        client = app.test_client()
        statements: list[str] = []

        def count(_conn, _cursor, statement, *_args, statements=statements):
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            get(client, path, at)  # the count is remembered per data version from here on
            for per_page in (1, 50):
                before = len(statements)
                page = get(client, path, at, per_page=per_page)
                assert page["size"] == per_page
                counts.append(len(statements) - before)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
            db.session.remove()
            db.engine.dispose()
    assert len(set(counts)) == 1 and counts[0] <= 20, counts


def test_paging_visits_every_service_and_service_at_location_once(app):
    with_generated_units(app, 3000)
    client = app.test_client()
    services = [hsds.hsds_id("service", s["id"]) for s in v1_all(client, "/v1/services")]
    units = v1_all(client, "/v1/units")
    pairs = [
        hsds.hsds_id("service_at_location", f"{unit['id']}/{service_id}")
        for unit in units
        for service_id in unit["service_ids"]
    ]
    for path, expected, per_page in (
        ("/hsds/services", services, 17),
        ("/hsds/service_at_locations", pairs, 500),
    ):
        seen, number = [], 1
        while True:
            page = get(client, path, at=GENERATED_AT, page=number, per_page=per_page)
            assert page["total_items"] == len(expected)
            seen.extend(item["id"] for item in page["contents"])
            if page["last_page"]:
                break
            number += 1
        assert len(expected) >= 200
        assert len(seen) == len(set(seen)) == len(expected)
        assert set(seen) == set(expected)
        for item in page["contents"][:3]:
            assert_valid(f"{path.rsplit('/', 1)[1][:-1]}_list", item)


# --- The spec --------------------------------------------------------------------------------


def test_the_hsds_operations_are_in_our_spec_tagged_hsds(client):
    spec = client.get("/v1/openapi.json").json
    hsds_paths = {p: item for p, item in spec["paths"].items() if p.startswith("/hsds")}
    assert set(hsds_paths) >= {
        "/hsds/",
        "/hsds/services",
        "/hsds/services/{id}",
        "/hsds/organizations",
        "/hsds/organizations/{id}",
        "/hsds/service_at_locations",
        "/hsds/service_at_locations/{id}",
    }
    for item in hsds_paths.values():
        assert item["get"]["tags"] == ["HSDS"]
    listing = hsds_paths["/hsds/services"]["get"]
    assert listing["operationId"] == "getPaginatedListOfServices"
    assert set(listing["responses"]["200"]["content"]) == {
        "application/json",
        "application/x-ndjson",
    }
    names = {p["name"] for p in listing["parameters"]}
    assert "format=" in listing["description"]
    assert names == {
        "search",
        "page",
        "per_page",
        # `format=ndjson` is taken but not a parameter in the spec (generated clients read the
        # JSON); the operation's description and its 200 media types say it.
        "organization_id",
        "modified_after",
        "at",
    }
    assert "HSDS" in {tag["name"] for tag in spec["tags"]}
