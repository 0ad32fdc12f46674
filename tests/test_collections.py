"""Collections as a portal developer uses them: pages, filters, languages and errors."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import get_all

COLLECTIONS = {
    "/v1/units": 10,
    "/v1/services": 4,
    "/v1/organizations": 3,
    "/v1/access-channels": 21,
    "/v1/status-notices": 13,
    "/v1/announcements": 1,
    "/v1/staff-duties": 8,
}


@pytest.mark.parametrize("url,total", COLLECTIONS.items())
def test_paging_through_a_collection_returns_every_record_once(client, url, total):
    first = client.get(f"{url}?page_size=3")
    assert first.status_code == 200
    assert first.json["count"] == total
    assert first.json["previous"] is None
    results = get_all(client, f"{url}?page_size=3")
    ids = [record["id"] for record in results]
    assert len(ids) == total
    assert len(set(ids)) == total
    everything = client.get(f"{url}?page_size=500").json
    assert [record["id"] for record in everything["results"]] == ids
    assert everything["next"] is None


def test_previous_link_returns_the_page_before(client):
    first = client.get("/v1/units?page_size=4").json
    second = client.get(first["next"]).json
    third = client.get(second["next"]).json
    assert third["next"] is None
    assert len(third["results"]) == 2
    back = client.get(third["previous"]).json
    assert [u["id"] for u in back["results"]] == [u["id"] for u in second["results"]]
    back_to_first = client.get(back["previous"]).json
    assert [u["id"] for u in back_to_first["results"]] == [u["id"] for u in first["results"]]
    assert back_to_first["previous"] is None


def test_page_links_keep_the_filters_and_appear_in_the_link_header(client):
    response = client.get("/v1/units?page_size=2&type=shop")
    assert response.json["count"] == 3
    next_url = response.json["next"]
    query = parse_qs(urlsplit(next_url).query)
    assert query["type"] == ["shop"]
    assert query["page_size"] == ["2"]
    assert f'<{next_url}>; rel="next"' in response.headers["Link"]
    rest = client.get(next_url).json
    assert [u["type"] for u in rest["results"]] == ["shop"]


def test_staff_duties_are_in_the_sources_order_across_pages(client):
    duties = get_all(client, "/v1/staff-duties?page_size=3")
    assert [d["position"] for d in duties] == list(range(1, 9))


@pytest.mark.parametrize(
    "query,expected",
    [
        (
            "service_id=rehabilitating-work-activities",
            [
                "non-institutional-work-activities",
                "pakila-work-centre",
                "uusix-kylasaari",
                "uusix-suvilahti",
                "uusix-workshops",
            ],
        ),
        (
            "parent_id=uusix-workshops",
            ["uusix-kylasaari", "uusix-pop-up-shop-hakaniemi", "uusix-suvilahti"],
        ),
        (
            "parent_id=uusix-kylasaari,pakila-work-centre",
            [
                "pakila-shop-and-pick-up-point",
                "uusix-bike-and-computer-recycling",
                "uusix-building-parts-recycling",
            ],
        ),
        ("type=office", ["social-rehabilitation-office"]),
        (
            "type=pop_up_shop,office",
            ["social-rehabilitation-office", "uusix-pop-up-shop-hakaniemi"],
        ),
        ("organization_id=city-of-helsinki", []),
        ("type=shop&parent_id=pakila-work-centre", ["pakila-shop-and-pick-up-point"]),
    ],
)
def test_unit_filters(client, query, expected):
    response = client.get(f"/v1/units?{query}")
    assert response.status_code == 200
    assert [u["id"] for u in response.json["results"]] == expected
    assert response.json["count"] == len(expected)


def test_every_unit_belongs_to_the_team(client):
    response = client.get("/v1/units?organization_id=social-rehabilitation-team")
    assert response.json["count"] == 10


@pytest.mark.parametrize(
    "url,expected",
    [
        ("/v1/access-channels?type=phone", ["pakila-work-centre-phone", "uusix-workshops-phone"]),
        (
            "/v1/access-channels?unit_id=uusix-workshops&type=fax,phone",
            ["uusix-workshops-fax", "uusix-workshops-phone"],
        ),
        (
            "/v1/access-channels?service_id=work-activities-for-people-with-disabilities"
            "&type=referral",
            ["referral-social-rehabilitation-team"],
        ),
        ("/v1/services?unit_id=social-rehabilitation-office", ["social-rehabilitation"]),
        ("/v1/services?organization_id=nobody", []),
        (
            "/v1/organizations?parent_id=city-of-helsinki",
            ["social-services-and-health-care-division"],
        ),
        ("/v1/organizations?type=team", ["social-rehabilitation-team"]),
        # No source links a staff duty to a service.
        ("/v1/staff-duties?service_id=group-activities-supporting-rehabilitation", []),
        (
            "/v1/announcements?organization_id=city-of-helsinki",
            ["face-masks-in-social-and-health-care"],
        ),
        (
            "/v1/status-notices?state=open&unit_id=uusix-pop-up-shop-hakaniemi",
            [
                "covid-2020-12-hakaniemi-pop-up",
                "covid-2021-02-hakaniemi-pop-up",
                "covid-2021-later-hakaniemi-pop-up",
            ],
        ),
        (
            "/v1/status-notices?service_id=group-activities-supporting-rehabilitation",
            [
                "covid-2020-12-group-activities",
                "covid-2021-02-group-activities",
            ],
        ),
    ],
)
def test_collection_filters(client, url, expected):
    response = client.get(url)
    assert response.status_code == 200, response.json
    assert [r["id"] for r in response.json["results"]] == expected


def test_staff_duties_filter_by_organization(client):
    assert (
        client.get("/v1/staff-duties?organization_id=social-rehabilitation-team").json["count"] == 8
    )
    assert client.get("/v1/staff-duties?organization_id=city-of-helsinki").json["count"] == 0


def test_modified_since_keeps_only_later_changes(client):
    unit = client.get("/v1/units/pakila-work-centre").json
    loaded_at = unit["modified_at"]
    for url in COLLECTIONS:
        before = client.get(url, query_string={"modified_since": "2000-01-01T00:00:00+00:00"})
        assert before.json["count"] == COLLECTIONS[url]
        at = client.get(url, query_string={"modified_since": loaded_at})
        assert at.json["count"] == COLLECTIONS[url]
        after = client.get(url, query_string={"modified_since": "2199-01-01T00:00:00+00:00"})
        assert after.json["count"] == 0


def test_announcements_active_at(client):
    # The face-mask recommendation was stated on 2021-02-25, with no start or end given.
    response = client.get("/v1/announcements?active_at=2021-03-01T12:00:00%2B02:00")
    assert response.json["count"] == 1


# --- Languages -------------------------------------------------------------------------------


def test_localized_strings_have_all_three_keys_by_default(client):
    unit = client.get("/v1/units/uusix-pop-up-shop-hakaniemi").json
    assert unit["name"] == {
        "fi": None,
        "sv": "Uusix popup-butiken i Hagnäs saluhall",
        "en": "Uusix pop-up shop in Hakaniemi market hall",
    }
    assert "Content-Language" not in client.get("/v1/units/uusix-pop-up-shop-hakaniemi").headers


def test_lang_keeps_only_the_requested_languages_everywhere(client):
    response = client.get("/v1/units/pakila-work-centre?lang=fi,sv")
    assert response.status_code == 200
    assert response.headers["Content-Language"] == "fi, sv"
    unit = response.json
    assert unit["name"] == {"fi": "Pakilan työkeskus", "sv": "Baggböle arbetscentral"}
    assert unit["services"][0]["name"].keys() == {"fi", "sv"}
    assert unit["visiting_address"]["street_address"] == {"fi": "Jakokunnantie 26-28", "sv": None}
    page = client.get("/v1/services?lang=en").json
    assert all(service["name"].keys() == {"en"} for service in page["results"])


def test_accept_language_does_not_change_the_shape(client):
    plain = client.get("/v1/units/pakila-work-centre").json
    finnish = client.get("/v1/units/pakila-work-centre", headers={"Accept-Language": "fi"}).json
    assert plain == finnish


def test_lang_does_not_leak_into_the_next_request(client):
    client.get("/v1/units/pakila-work-centre?lang=en")
    assert client.get("/v1/units/pakila-work-centre").json["name"].keys() == {"fi", "sv", "en"}


# --- Errors ----------------------------------------------------------------------------------


def assert_problem(response, status):
    assert response.status_code == status
    assert response.content_type == "application/problem+json"
    body = response.json
    assert body["status"] == status
    assert body["title"] and body["detail"] and body["type"]
    assert body["instance"] == urlsplit(response.request.url).path
    assert "Traceback" not in response.get_data(as_text=True)
    return body


@pytest.mark.parametrize(
    "url",
    [
        "/v1/units/no-such-unit",
        "/v1/services/no-such-service",
        "/v1/organizations/nope",
        "/v1/access-channels/nope",
        "/v1/status-notices/nope",
        "/v1/announcements/nope",
        "/v1/staff-duties/nope",
        "/v1/nothing-here",
        "/v1/units/",
    ],
)
def test_unknown_items_are_404_problems(client, url):
    body = assert_problem(client.get(url), 404)
    if "no-such-unit" in url:
        assert "no-such-unit" in body["detail"]


@pytest.mark.parametrize(
    "query,field",
    [
        ("page_size=0", "page_size"),
        ("page_size=501", "page_size"),
        ("page_size=ten", "page_size"),
        ("cursor=not-a-cursor", None),
        ("cursor=WyJ4IixbXV0", None),
        ("lang=de", "lang"),
        ("lang=fi,", "lang"),
        ("modified_since=yesterday", "modified_since"),
        ("modified_since=2021-01-01T00:00:00", "modified_since"),
        ("colour=blue", "colour"),
        ("service_id=", "service_id"),
    ],
)
def test_bad_parameters_are_400_problems_naming_the_parameter(client, query, field):
    body = assert_problem(client.get(f"/v1/units?{query}"), 400)
    if field:
        assert [e["field"] for e in body["errors"]] == [field]
        assert field in body["detail"]


def test_malformed_active_at_is_a_400(client):
    body = assert_problem(client.get("/v1/status-notices?active_at=15.3.2021"), 400)
    assert body["errors"][0]["field"] == "active_at"


def test_item_endpoints_reject_unknown_parameters(client):
    assert_problem(client.get("/v1/units/pakila-work-centre?page_size=2"), 400)


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("post", "/v1/organizations"),
        ("put", "/v1/organizations/city-of-helsinki"),
        ("patch", "/v1/changes"),
        ("delete", "/v1/units"),
        ("put", "/v1/units"),
        ("post", "/v1/units/pakila-work-centre"),
    ],
)
def test_methods_a_resource_does_not_take_are_405_with_allow(client, method, url):
    response = getattr(client, method)(url)
    assert_problem(response, 405)
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "HEAD"}


def test_head_works_where_get_does(client):
    response = client.head("/v1/units/pakila-work-centre")
    assert response.status_code == 200
    assert response.data == b""


def test_root_redirects_to_the_index(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/v1")


def test_unexpected_errors_are_500_problems_without_internals(app, client, monkeypatch):
    from api.resources import units

    def broken(*_args, **_kwargs):
        raise RuntimeError("SELECT secret FROM internals")

    monkeypatch.setattr(units, "paginate", broken)
    response = client.get("/v1/units")
    body = assert_problem(response, 500)
    assert "secret" not in response.get_data(as_text=True)
    assert body["title"] == "Internal Server Error"


# --- Embedding without N+1 -------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    ["/v1/units", "/v1/services", "/v1/access-channels", "/v1/status-notices", "/v1/staff-duties"],
)
def test_statements_per_request_do_not_grow_with_page_size(client, count_queries, url):
    client.get(url)  # the list's count, remembered for the data version, is not measured
    count_queries.clear()
    client.get(f"{url}?page_size=1")
    small = len(count_queries)
    count_queries.clear()
    client.get(f"{url}?page_size=500")
    assert len(count_queries) == small


def test_a_unit_embeds_what_a_portal_needs(client, count_queries):
    unit = client.get("/v1/units/uusix-workshops").json
    assert {s["id"] for s in unit["services"]} == {
        "rehabilitating-work-activities",
        "work-activities-for-people-with-disabilities",
    }
    assert unit["services"][0]["name"]["en"]
    types = {channel["type"] for channel in unit["access_channels"]}
    assert {"visiting_address", "postal_address", "phone", "fax", "web_page"} <= types
    assert unit["opening_hours"][0]["spans"][0]["opens"] == "08:00"


def test_a_service_embeds_its_units_and_access_routes(client):
    service = client.get("/v1/services/rehabilitating-work-activities").json
    assert [u["id"] for u in service["units"]] == service["unit_ids"]
    assert len(service["unit_ids"]) == 5  # the three sites, and Uusix's two sites
    referrals = [c for c in service["access_channels"] if c["type"] == "referral"]
    assert len(referrals) == 3
