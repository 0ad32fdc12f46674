"""Issue 14, over HTTP: the API says exactly what the sources say. Each test names the case as it
was (in its docstring) and asserts what the API answers now: links no source makes are gone,
the links the page shows are there without guessed addresses, the face-mask announcement is
active only on days its page backs, a unit tells how to get in, addresses have their Finnish
names, an unencoded `+` in an instant gets a 400 that teaches, and the summer closure reaches
the Uusix sites."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

import pytest
from conftest import DATA_DIR, get_all
from test_facts import UUSIX_PAGE, get_ok, loc

from api import create_app
from api.store.db import db
from api.store.tokens import create_token

S15 = (
    "https://www.hel.fi/fi/sosiaali-ja-terveyspalvelut/sosiaalinen-ja-taloudellinen-tuki/"
    "talous-tyokyky-ja-toimeentulo/tyollistymisen-tuki-ja-sosiaalinen-kuntoutus/"
    "kuntouttava-tyotoiminta"
)
S16 = (
    "https://www.hel.fi/sv/social-och-halsovardstjanster/socialt-och-ekonomiskt-stod/"
    "ekonomi-arbetsformaga-och-utkomst/sysselsattningsstod-och-social-rehabilitering/"
    "arbetsverksamhet-i-rehabiliteringssyfte"
)
REFERRALS_TO_REHAB = [
    "referral-helsinki-typ",
    "referral-regional-social-work",
    "referral-te-services",
]
CONTACTS = ["contact-by-client", "contact-by-professional", "contact-by-relative-or-friend"]
SHOPS = [
    "pakila-shop-and-pick-up-point",
    "uusix-bike-and-computer-recycling",
    "uusix-building-parts-recycling",
    "uusix-pop-up-shop-hakaniemi",
]


def at(instant: str) -> str:
    """An instant as a query-string value, its `+` encoded."""
    return quote(instant, safe="")


# --- Point 7: links no source makes ----------------------------------------------------------


def test_the_office_does_not_offer_work_activities_for_the_disabled(client):
    """Was: the office listed work activities for people with disabilities among its services,
    though the page only says the team is the referral route to them. Now: it offers social
    rehabilitation only, and the team's referral route leads to the service, not to the office."""
    office = get_ok(client, "/v1/units/social-rehabilitation-office")
    assert office["service_ids"] == ["social-rehabilitation"]
    offering = get_all(client, "/v1/units?service_id=work-activities-for-people-with-disabilities")
    assert sorted(unit["id"] for unit in offering) == [
        "non-institutional-work-activities",
        "pakila-work-centre",
        "uusix-workshops",
    ]
    team = get_ok(client, "/v1/access-channels/referral-social-rehabilitation-team")
    assert team["name"]["en"] == "The social rehabilitation team"
    assert team["service_ids"] == ["work-activities-for-people-with-disabilities"]
    assert team["unit_ids"] == []


def test_no_staff_duty_is_linked_to_a_service(client):
    """Was: every staff duty named services (e.g. "coordinate rehabilitating work with inmates"
    -> rehabilitating work activities), a link no source makes. Now: none does, and HSDS
    services carry no duty; the duties stay on the team."""
    duties = get_all(client, "/v1/staff-duties?page_size=500")
    assert len(duties) == 8
    assert [duty["service_ids"] for duty in duties] == [[]] * 8
    for service in get_all(client, "/v1/services?page_size=500"):
        assert get_all(client, f"/v1/staff-duties?service_id={service['id']}") == []
    hsds_services = get_ok(client, "/hsds/services?per_page=500")["contents"]
    for listed in hsds_services:
        full = get_ok(client, f"/hsds/services/{listed['id']}")
        assert all(a.get("link_type") != "staff_duty" for a in full.get("attributes", []))
    team = get_ok(client, "/hsds/organizations?per_page=500")["contents"]
    [team] = [org for org in team if org["name"] == "Social rehabilitation"]
    full = get_ok(client, f"/hsds/organizations/{team['id']}")
    assert sum(a.get("link_type") == "staff_duty" for a in full["attributes"]) == 8


@pytest.mark.parametrize("unit_id", SHOPS)
def test_shops_get_no_client_admission_flag(client, unit_id):
    """Was: a closed shop answered `new_clients_admitted: false`, though no statement about the
    shops says anything about clients. Now: null, at every date a notice covers them."""
    for instant in ("2020-12-15T12:00:00+02:00", "2021-03-15T12:00:00+02:00"):
        status = get_ok(client, f"/v1/units/{unit_id}/status?at={at(instant)}")
        assert status["new_clients_admitted"] is None, (unit_id, instant)


def _inference_lines() -> list[str]:
    text = (DATA_DIR / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Inferences\n", 1)[1].split("\n## ", 1)[0]
    return [line for line in section.splitlines() if line.startswith("- ")]


def test_every_inference_left_is_listed_and_names_records_that_exist(client):
    """data/README.md lists every inference left in the dataset, one line each: a line names the
    records it is about (`id`, or `prefix-*`), which exist, or is a rule for every record; and
    every record whose notes point there for an inference is named."""
    lines = _inference_lines()
    assert lines
    every = {}
    for collection in (
        "units",
        "services",
        "access-channels",
        "staff-duties",
        "organizations",
        "status-notices",
        "notice-versions",
        "opening-hours",
        "announcements",
    ):
        for record in get_all(client, f"/v1/{collection}?page_size=500"):
            every[record["id"]] = record
    listed = set()
    for line in lines:
        names = [name for name in re.findall(r"`([a-z0-9*-]+)`", line) if "-" in name]
        assert names or line.startswith("- Every"), line
        for name in names:
            pattern = re.escape(name).replace(r"\*", ".*")
            matching = {rid for rid in every if re.fullmatch(pattern, rid)}
            assert matching, name
            listed |= matching
    for record_id, record in every.items():
        notes = record.get("notes") or ""
        if re.search(r"\binferen", notes) and "data/README.md" in notes:
            assert record_id in listed, record_id


# --- Point 8: the links the page shows, and the announcement's dates ---------------------------


def test_the_page_links_are_published_with_their_text_and_no_guessed_address(client):
    """Was: the link under the face-mask announcement, the link to the Finnish staff page and the
    link after the duties list were missing. Now: each is on its record with the page's text and
    `url: null` (no source gives the addresses)."""
    [announcement] = get_all(client, "/v1/announcements")
    assert announcement["links"] == [
        {"text": loc(en="Read more here: Coronavirus updates from Helsinki"), "url": None}
    ]
    team = get_ok(client, "/v1/organizations/social-rehabilitation-team")
    assert team["links"] == [
        {
            "text": loc(en="Click here to access the social rehabilitation staff page in Finnish"),
            "url": None,
        },
        {
            "text": loc(
                en="Click here for more information about training and employment work "
                "activities for people with disabilities"
            ),
            "url": None,
        },
    ]
    for org_id in ("city-of-helsinki", "social-services-and-health-care-division"):
        assert get_ok(client, f"/v1/organizations/{org_id}")["links"] == []
    # Only in English: the English page shows them; no other language's text is invented.
    assert get_ok(client, "/v1/organizations/social-rehabilitation-team?lang=fi")["links"] == [
        {"text": {"fi": None}, "url": None},
        {"text": {"fi": None}, "url": None},
    ]


def test_the_spec_describes_links_with_one_schema(client):
    spec = get_ok(client, "/v1/openapi.json")
    schemas = spec["components"]["schemas"]
    link = schemas["Link"]
    assert set(link["required"]) == {"text", "url"}
    assert "null" in str(link["properties"]["url"]) and "no source" in str(link)
    for record in ("Organization", "Announcement"):
        assert schemas[record]["properties"]["links"]["items"] == {
            "$ref": "#/components/schemas/Link"
        }


@pytest.mark.parametrize(
    ("instant", "active"),
    [
        ("2019-03-15T10:00:00+02:00", False),  # was active: years before any source
        ("2021-02-24T23:59:00+02:00", False),  # the day before the page that shows it
        ("2021-02-25T00:00:00+02:00", True),  # stated_on
        ("2021-12-31T12:00:00+02:00", True),
        ("2022-02-25T23:59:00+02:00", True),  # stated_on + 365 days, inclusive
        ("2022-02-26T00:00:00+02:00", False),
        ("2026-03-15T10:00:00+02:00", False),  # was active: years after any source
    ],
)
def test_the_face_mask_announcement_is_active_only_as_long_as_a_source_backs_it(
    client, instant, active
):
    """Was: with no dates of its own it was "active" in 2019 and in 2026. Now: from the day the
    page showed it (25.02.2021, its `stated_on`; no start or end is given) up to the knowledge
    horizon after that day."""
    [announcement] = get_all(client, "/v1/announcements")
    assert (announcement["stated_on"], announcement["valid_from"]) == ("2021-02-25", None)
    assert announcement["valid_until"] is None
    found = get_all(client, f"/v1/announcements?active_at={at(instant)}")
    assert [a["id"] for a in found] == (["face-masks-in-social-and-health-care"] if active else [])


def test_the_announcement_horizon_is_the_setting(database_url):
    app = create_app({"TESTING": True, "DATABASE_URL": database_url, "KNOWLEDGE_HORIZON_DAYS": 30})
    client = app.test_client()
    try:
        url = "/v1/announcements?active_at="
        assert client.get(url + at("2021-03-27T12:00:00+02:00")).json["count"] == 1
        assert client.get(url + at("2021-03-28T12:00:00+02:00")).json["count"] == 0
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_the_active_at_rule_is_documented(client):
    spec = get_ok(client, "/v1/openapi.json")
    [parameter] = [
        p
        for p in spec["paths"]["/v1/announcements"]["get"]["parameters"]
        if p["name"] == "active_at"
    ]
    for phrase in ("stated_on", "valid_from", "valid_until", "KNOWLEDGE_HORIZON_DAYS", "never"):
        assert phrase in parameter["description"]
    readme = (Path(DATA_DIR).parent / "README.md").read_text(encoding="utf-8")
    assert "KNOWLEDGE_HORIZON_DAYS" in readme and "`active_at=<instant>`" in readme


# --- Point 9: ways in from a unit ------------------------------------------------------------


def test_i_was_referred_can_i_start_at_pakila_and_how(client):
    """Was: the unit's answer and /access-channels?unit_id=pakila-work-centre gave no referral
    route; it took three calls and knowing the service. Now two calls: the unit's `ways_in` says
    who refers to each service offered there, and its status on that day says whether new
    clients are admitted."""
    unit = get_ok(client, "/v1/units/pakila-work-centre")
    assert not [c for c in unit["access_channels"] if c["type"] in ("referral", "contact")]
    ways_in = {channel["id"]: channel for channel in unit["ways_in"]}
    assert list(ways_in) == sorted(ways_in)
    assert sorted(ways_in) == sorted([*REFERRALS_TO_REHAB, "referral-social-rehabilitation-team"])
    for channel_id in REFERRALS_TO_REHAB:
        assert ways_in[channel_id]["service_ids"] == ["rehabilitating-work-activities"]
    team = ways_in["referral-social-rehabilitation-team"]
    assert team["name"]["en"] == "The social rehabilitation team"
    assert team["service_ids"] == ["work-activities-for-people-with-disabilities"]
    assert ways_in["referral-helsinki-typ"]["description"]["en"].startswith("The multisectoral")
    status = get_ok(
        client, f"/v1/units/pakila-work-centre/status?at={at('2021-03-01T10:00:00+02:00')}"
    )
    assert status["new_clients_admitted"] is True


@pytest.mark.parametrize(
    ("unit_id", "expected"),
    [
        ("social-rehabilitation-office", CONTACTS),
        ("uusix-kylasaari", REFERRALS_TO_REHAB),
        ("pakila-shop-and-pick-up-point", []),
    ],
)
def test_ways_in_are_the_referral_and_contact_routes_of_the_services_offered(
    client, unit_id, expected
):
    unit = get_ok(client, f"/v1/units/{unit_id}")
    assert [channel["id"] for channel in unit["ways_in"]] == expected
    for channel in unit["ways_in"]:
        assert set(channel["service_ids"]) & set(unit["service_ids"])
    listed = [u for u in get_all(client, "/v1/units?page_size=500") if u["id"] == unit_id]
    assert listed[0]["ways_in"] == unit["ways_in"]


def test_the_unit_filter_on_access_channels_includes_the_ways_in(client):
    """Was: `unit_id=pakila-work-centre` gave Pakila's addresses, phone and web page, and the
    distance service, but no referral route. Now it also gives the unit's ways in."""
    found = get_all(client, "/v1/access-channels?unit_id=pakila-work-centre&page_size=500")
    ids = [channel["id"] for channel in found]
    unit = get_ok(client, "/v1/units/pakila-work-centre")
    own = [channel["id"] for channel in unit["access_channels"]]
    assert ids == sorted([*own, *(channel["id"] for channel in unit["ways_in"])])
    assert "pakila-work-centre-phone" in ids and "referral-te-services" in ids
    # Only the referral and contact routes of its services: not the office's address.
    several = get_all(
        client, "/v1/access-channels?unit_id=pakila-work-centre,uusix-kylasaari&type=referral"
    )
    assert [c["id"] for c in several] == sorted(
        [*REFERRALS_TO_REHAB, "referral-social-rehabilitation-team"]
    )
    office = get_all(client, "/v1/access-channels?unit_id=social-rehabilitation-office")
    assert "referral-social-rehabilitation-team" not in [c["id"] for c in office]


def test_the_spec_documents_ways_in(client):
    spec = get_ok(client, "/v1/openapi.json")
    ways_in = spec["components"]["schemas"]["Unit"]["properties"]["ways_in"]
    assert "referral" in ways_in["description"] and "contact" in ways_in["description"]
    [parameter] = [
        p
        for p in spec["paths"]["/v1/access-channels"]["get"]["parameters"]
        if p["name"] == "unit_id"
    ]
    assert "ways_in" in parameter["description"]


def _token(app, *scopes: str) -> str:
    with app.app_context():
        session = db.new_session()
        with session.begin():
            value = create_token(session, "sources-editor", list(scopes), None)
        session.close()
    return value


def test_editing_a_referral_route_re_versions_the_units_that_embed_it(app, client):
    """A unit's published form embeds its ways in, so renaming the TE services route gives every
    unit offering rehabilitating work activities a new version (new `modified_at`, ETag and
    history), and leaves a unit that does not offer it as it was."""
    pakila_url = "/v1/units/pakila-work-centre"
    before = client.get(pakila_url)
    office_before = get_ok(client, "/v1/units/social-rehabilitation-office")
    offering = [
        u["id"] for u in get_all(client, "/v1/units?service_id=rehabilitating-work-activities")
    ]
    stamps = {u: get_ok(client, f"/v1/units/{u}")["modified_at"] for u in offering}

    url = "/v1/access-channels/referral-te-services"
    headers = {
        "Authorization": f"Bearer {_token(app, 'write:channels')}",
        "If-Match": client.get(url).headers["ETag"],
    }
    response = client.patch(url, json={"name": {"en": "TE Office"}}, headers=headers)
    assert response.status_code == 200, response.json

    for unit_id in offering:
        unit = get_ok(client, f"/v1/units/{unit_id}")
        assert unit["modified_at"] > stamps[unit_id], unit_id
        names = {c["id"]: c["name"]["en"] for c in unit["ways_in"]}
        assert names["referral-te-services"] == "TE Office"
    again = client.get(pakila_url, headers={"If-None-Match": before.headers["ETag"]})
    assert again.status_code == 200
    earlier = get_ok(client, f"{pakila_url}?as_of={at(before.json['modified_at'])}")
    assert {c["id"]: c["name"]["en"] for c in earlier["ways_in"]}["referral-te-services"] == (
        "TE services"
    )
    assert get_ok(client, "/v1/units/social-rehabilitation-office") == office_before


def test_moving_a_referral_route_to_another_service_re_versions_both_sides(app, client):
    """The units that lose the route and those that gain it each get a new version."""
    url = "/v1/access-channels/referral-te-services"
    before = {
        unit_id: get_ok(client, f"/v1/units/{unit_id}")["modified_at"]
        for unit_id in ("pakila-work-centre", "social-rehabilitation-office", "uusix-workshops")
    }
    headers = {
        "Authorization": f"Bearer {_token(app, 'write:channels')}",
        "If-Match": client.get(url).headers["ETag"],
    }
    response = client.patch(url, json={"service_ids": ["social-rehabilitation"]}, headers=headers)
    assert response.status_code == 200, response.json
    for unit_id, stamp in before.items():
        unit = get_ok(client, f"/v1/units/{unit_id}")
        assert unit["modified_at"] > stamp, unit_id
        has_it = "referral-te-services" in [c["id"] for c in unit["ways_in"]]
        assert has_it == (unit_id == "social-rehabilitation-office"), unit_id


# --- Point 12: Finnish addresses -------------------------------------------------------------


@pytest.mark.parametrize(
    ("unit_id", "street", "swedish"),
    [
        ("social-rehabilitation-office", "Hopeatie 6", ("Silvervägen 6", "Helsingfors")),
        ("pakila-work-centre", "Jakokunnantie 26-28", (None, None)),
        ("uusix-workshops", "Kyläsaarenkatu 8 J", (None, None)),
    ],
)
def test_finnish_addresses_have_their_official_finnish_names(client, unit_id, street, swedish):
    """Was: `lang=fi` gave no address at all, the official Finnish street names being stored
    only under `en`. Now they are under `fi` too (and `en`, as the English pages use them); a
    Swedish name only where a source gives it."""
    finnish = get_ok(client, f"/v1/units/{unit_id}?lang=fi")["visiting_address"]
    assert finnish["street_address"] == {"fi": street}
    assert finnish["locality"] == {"fi": "Helsinki"}
    address = get_ok(client, f"/v1/units/{unit_id}")["visiting_address"]
    assert address["street_address"] == loc(street, swedish[0], street)
    assert address["locality"] == loc("Helsinki", swedish[1], "Helsinki")


# --- Errors that teach -----------------------------------------------------------------------


def _instant_parameters(client) -> list[tuple[str, str]]:
    """(url with its path filled in, parameter) for every instant query parameter of a GET."""
    spec = get_ok(client, "/v1/openapi.json")
    found = []
    for path, item in spec["paths"].items():
        operation = item.get("get")
        if not operation:
            continue
        parameters = [*item.get("parameters", []), *operation.get("parameters", [])]
        url = path
        for parameter in parameters:
            if parameter["in"] == "path":
                url = url.replace(f"{{{parameter['name']}}}", str(parameter["example"]))
        prefix = "" if url.startswith("/v1") or url.startswith("/hsds") else "/v1"
        for parameter in parameters:
            if parameter["in"] == "query" and parameter["schema"].get("format") == "date-time":
                found.append((prefix + url, parameter["name"]))
    return found


def test_every_instant_with_an_unencoded_plus_gets_a_400_that_says_how_to_write_it(client):
    """Was: `at=2021-03-15T10:00:00+02:00` arrives as `2021-03-15T10:00:00 02:00` and got "Not
    a valid datetime.". Now every instant parameter answers with what to write instead."""
    parameters = _instant_parameters(client)
    assert {name for _, name in parameters} >= {
        "at",
        "open_at",
        "active_at",
        "modified_since",
        "as_of",
    }
    for url, name in parameters:
        response = client.get(f"{url}?{name}=2021-03-15T10:00:00+02:00")
        assert response.status_code == 400, (url, name)
        assert response.content_type == "application/problem+json"
        [error] = response.json["errors"]
        assert error["field"] == name
        assert "%2B" in error["message"] and "`Z`" in error["message"], error["message"]


@pytest.mark.parametrize(
    "value", ["2021-03-15T10:00:00%2B02:00", "2021-03-15T08:00:00Z", "2021-03-15T10:00:00+0200"]
)
def test_an_instant_written_right_is_read(client, value):
    response = client.get(f"/v1/units/pakila-work-centre/status?at={value}")
    if "+" in value:  # an unencoded `+` with a compact offset: the same teaching 400
        assert response.status_code == 400
        assert "%2B" in response.json["errors"][0]["message"]
        return
    assert response.status_code == 200, response.json
    assert response.json["at"] == "2021-03-15T10:00:00+02:00"


# --- Point 6: the summer closure reaches the Uusix sites -------------------------------------


@pytest.mark.parametrize("unit_id", ["uusix-kylasaari", "uusix-suvilahti"])
def test_the_summer_closure_reaches_the_uusix_sites(client, unit_id):
    """Was: the closure of 5.7.–30.7.2021 closed Uusix but its sites Kyläsaari and Suvilahti,
    which offered no service in the data, stayed `unknown`. Now the sites offer rehabilitating
    work activities (the Uusix page and the service's Finnish and Swedish pages, S15/S16), so the
    closure, which names that service at Uusix, reaches them."""
    unit = get_ok(client, f"/v1/units/{unit_id}")
    assert unit["service_ids"] == ["rehabilitating-work-activities"]
    assert {UUSIX_PAGE, S15, S16} <= set(unit["source_urls"])
    assert "rehabilitative work activities" in unit["notes"]
    status = get_ok(client, f"/v1/units/{unit_id}/status?at={at('2021-07-15T10:00:00+03:00')}")
    assert status["state"] == "closed"
    assert "covid-2021-summer-closure" in status["decided_by"]["notice_ids"]
    closed = get_all(
        client,
        f"/v1/units?state=closed&at={at('2021-07-15T10:00:00+03:00')}&parent_id=uusix-workshops",
    )
    assert unit_id in [u["id"] for u in closed]


def test_the_summer_closure_does_not_reach_the_shops(client):
    """The closure is about the work activities; the shops offer no service and stay as their
    own notices say."""
    for shop in SHOPS:
        assert get_ok(client, f"/v1/units/{shop}")["service_ids"] == []
        status = get_ok(client, f"/v1/units/{shop}/status?at={at('2021-07-15T10:00:00+03:00')}")
        assert "covid-2021-summer-closure" not in status["decided_by"]["notice_ids"]
