"""Issue 14, over HTTP: the API says exactly what the sources say. Each test names the case as it
was (in its docstring) and asserts what the API answers now: links no source makes are gone,
the links the page shows are there without guessed addresses, the face-mask announcement is
active only on days its page backs, a unit tells how to get in, addresses have their Finnish
names, an unencoded `+` in an instant gets a 400 that teaches, and the summer closure reaches
the Uusix sites."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from test_facts import get_ok

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
