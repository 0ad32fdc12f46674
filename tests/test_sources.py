"""Issue 14, over HTTP: the API says exactly what the sources say. Each test names the case as it
was (in its docstring) and asserts what the API answers now: links no source makes are gone,
the links the page shows are there without guessed addresses, the face-mask announcement is
active only on days its page backs, a unit tells how to get in, addresses have their Finnish
names, an unencoded `+` in an instant gets a 400 that teaches, and the summer closure reaches
the Uusix sites."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest
from conftest import DATA_DIR, get_all
from test_facts import get_ok, loc

from api import create_app
from api.db import db

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
