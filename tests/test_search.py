"""Search (`q=`) on units and services, and geo queries (`near=`, `radius=`, `bbox=`) on units."""

from __future__ import annotations

import math
import shutil
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml
from conftest import DATA_DIR, get_all, load_data

from api.store.db import db
from api.store.generate import generate
from api.web.pagination import encode_cursor

# Where a few units are, roughly; the shipped dataset has no coordinates.
PLACES = {
    "social-rehabilitation-office": (60.1699, 24.9384),
    "pakila-work-centre": (60.2446, 24.9475),
    "uusix-kylasaari": (60.1912, 24.9786),
    "uusix-suvilahti": (60.1869, 24.9708),
    "uusix-pop-up-shop-hakaniemi": (60.1792, 24.9509),
}
WITHOUT_COORDINATES = "uusix-workshops"


def haversine_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    (lat1, lon1), (lat2, lon2) = (map(math.radians, point) for point in (a, b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6_371_008.8 * math.asin(math.sqrt(h))


def ids(client, url: str) -> list[str]:
    return [record["id"] for record in get_all(client, url)]


@pytest.fixture
def placed(app, tmp_path):
    """The shipped data with coordinates for a few units and a description naming Uusix on a
    unit whose name does not."""
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    path = target / "units.yaml"
    records = yaml.safe_load(path.read_text(encoding="utf-8"))
    for record in records:
        if record["id"] in PLACES:
            record["latitude"], record["longitude"] = PLACES[record["id"]]
        if record["id"] == "uusix-building-parts-recycling":
            record["description"] = {"fi": None, "sv": None, "en": "Part of the Uusix workshops."}
    path.write_text(yaml.safe_dump(records, allow_unicode=True, sort_keys=False), "utf-8")
    load_data(app, target)
    return app


# --- Search ----------------------------------------------------------------------------------


def test_a_prefix_finds_the_uusix_units(client):
    found = get_all(client, "/v1/units?q=uusi")
    assert {unit["id"] for unit in found} == {
        "uusix-workshops",
        "uusix-kylasaari",
        "uusix-suvilahti",
        "uusix-pop-up-shop-hakaniemi",
    }
    assert all("Uusix" in unit["name"]["en"] for unit in found)


@pytest.mark.parametrize("query", ["kylasaari", "Kyläsaari", "KYLÄ", "byholmen", "uusix kyla"])
def test_search_ignores_case_and_accents_in_every_language(client, query):
    assert ids(client, f"/v1/units?q={query}") == ["uusix-kylasaari"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("verstas", {"uusix-kylasaari", "uusix-suvilahti"}),  # Finnish
        ("verkstäderna", {"uusix-kylasaari", "uusix-suvilahti"}),  # Swedish
        ("baggbole", {"pakila-work-centre", "pakila-shop-and-pick-up-point"}),
        ("uusix suvi", {"uusix-suvilahti"}),  # every word must match
        ("uusix zebra", set()),
    ],
)
def test_every_word_must_match_as_a_prefix(client, query, expected):
    assert set(ids(client, f"/v1/units?q={query}")) == expected


def test_services_are_searched_too_and_names_rank_before_descriptions(client):
    found = ids(client, "/v1/services?q=work")
    # "social-rehabilitation" says "work" only in its description; by id it would be second.
    assert set(found[:2]) == {
        "rehabilitating-work-activities",
        "work-activities-for-people-with-disabilities",
    }
    assert found[2:] == ["social-rehabilitation"]
    assert ids(client, "/v1/services?q=kuntouttava") == ["rehabilitating-work-activities"]


def test_a_unit_named_uusix_ranks_before_one_that_only_says_it_in_its_description(placed):
    client = placed.test_client()
    found = ids(client, "/v1/units?q=uusix")
    assert found[-1] == "uusix-building-parts-recycling"
    assert len(found) == 5


def test_search_pages_miss_nothing_and_go_back(client):
    everything = ids(client, "/v1/units?q=uusix&page_size=500")
    assert ids(client, "/v1/units?q=uusix&page_size=1") == everything
    first = client.get("/v1/units?q=uusix&page_size=2").json
    second = client.get(first["next"]).json
    assert [u["id"] for u in first["results"] + second["results"]] == everything
    back = client.get(second["previous"]).json
    assert back["results"] == first["results"]
    assert second["count"] == len(everything) == 4


def test_search_combines_with_filters(client):
    assert ids(client, "/v1/units?q=uusix&type=pop_up_shop") == ["uusix-pop-up-shop-hakaniemi"]


def test_the_index_follows_the_data(app, tmp_path):
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    path = target / "units.yaml"
    records = yaml.safe_load(path.read_text(encoding="utf-8"))
    for record in records:
        if record["id"] == "uusix-kylasaari":
            record["name"] = {"fi": "Uusix Kalasatama", "sv": None, "en": "Uusix Fish Port"}
    path.write_text(yaml.safe_dump(records, allow_unicode=True, sort_keys=False), "utf-8")
    load_data(app, target)
    client = app.test_client()
    assert ids(client, "/v1/units?q=fish") == ["uusix-kylasaari"]
    assert ids(client, "/v1/units?q=kylasaari") == []  # the old names are gone


@pytest.mark.parametrize("query", ["", "!!!", "-", "x" * 201])
def test_a_search_without_letters_or_too_long_is_a_400(client, query):
    response = client.get("/v1/units", query_string={"q": query})
    assert response.status_code == 400
    assert response.json["errors"][0]["field"] == "q"
    assert client.get("/v1/services", query_string={"q": query}).status_code == 400


def test_a_cursor_of_another_ordering_is_a_400(app, client):
    plain = client.get("/v1/units?page_size=1").json["next"]
    cursor = parse_qs(urlsplit(plain).query)["cursor"][0]
    assert client.get(f"/v1/units?q=uusix&cursor={cursor}").status_code == 400
    with app.app_context():
        forged = encode_cursor("n", ("uusix", "uusix-kylasaari"))
        huge = encode_cursor("n", (10**30, "uusix-kylasaari"))
    assert client.get(f"/v1/units?q=uusix&cursor={forged}").status_code == 400
    assert client.get(f"/v1/units?q=uusix&cursor={huge}").status_code == 400


# --- Geo -------------------------------------------------------------------------------------


def test_near_orders_by_distance_and_gives_it(placed):
    client = placed.test_client()
    here = (60.1841, 24.9521)  # Hakaniemi-ish
    found = get_all(client, f"/v1/units?near={here[0]},{here[1]}&radius=20000")
    assert [u["id"] for u in found] == sorted(PLACES, key=lambda i: haversine_m(here, PLACES[i]))
    for unit in found:
        expected = haversine_m(here, PLACES[unit["id"]])
        assert abs(unit["distance_m"] - expected) <= max(0.01 * expected, 1)
    assert "distance_m" not in client.get("/v1/units").json["results"][0]


def test_radius_limits_and_units_without_coordinates_never_match(placed):
    client = placed.test_client()
    here = PLACES["uusix-kylasaari"]
    near = ids(client, f"/v1/units?near={here[0]},{here[1]}&radius=1500")
    assert near == ["uusix-kylasaari", "uusix-suvilahti"]  # about 0 and 630 m; Hakaniemi ~2 km
    assert WITHOUT_COORDINATES not in ids(client, "/v1/units?near=60.2,24.95&radius=100000")
    assert len(ids(client, "/v1/units?near=60.2,24.95&radius=100000")) == len(PLACES)


def test_near_pages_miss_nothing(placed):
    client = placed.test_client()
    url = "/v1/units?near=60.2,24.95&radius=100000"
    assert ids(client, url + "&page_size=1") == ids(client, url + "&page_size=500")
    uusix = [i for i in PLACES if i.startswith("uusix")]
    by_distance = sorted(uusix, key=lambda i: haversine_m((60.2, 24.95), PLACES[i]))
    assert ids(client, url + "&page_size=2&q=uusix") == by_distance


def test_bbox_includes_inside_and_excludes_outside(placed):
    client = placed.test_client()
    # Around the Uusix sites and Hakaniemi, not the centre (60.1699) nor Pakila (60.2446).
    found = set(ids(client, "/v1/units?bbox=24.94,60.175,24.99,60.2"))
    assert found == {"uusix-kylasaari", "uusix-suvilahti", "uusix-pop-up-shop-hakaniemi"}
    assert set(ids(client, "/v1/units?bbox=-180,-90,180,90")) == set(PLACES)
    assert ids(client, "/v1/units?bbox=24.9,60.3,25,60.4") == []


@pytest.mark.parametrize(
    "query",
    [
        "near=60.2,24.95",  # no radius
        "radius=1000",  # no near
        "near=60.2,24.95&radius=0",
        "near=60.2,24.95&radius=100001",
        "near=91,24.95&radius=1000",
        "near=60.2,181&radius=1000",
        "near=60.2&radius=1000",
        "near=north,east&radius=1000",
        "bbox=25,60,24,61",  # west > east
        "bbox=24,61,25,60",  # south > north
        "bbox=24,60,25",
        "bbox=24,60,181,61",
    ],
)
def test_bad_geo_parameters_are_400s(client, query):
    response = client.get(f"/v1/units?{query}")
    assert response.status_code == 400, query
    assert response.json["errors"]


def test_geo_on_generated_data_matches_haversine(app):
    """Hundreds of synthetic units with coordinates: the radius keeps exactly the units a
    great-circle distance would, except within 1% of the edge."""
    with app.app_context():
        session = db.new_session()
        try:
            generate(session, units=400, seed=7)
        finally:
            session.close()
    client = app.test_client()
    here, radius = (60.2, 24.97), 5000
    found = get_all(client, f"/v1/units?near={here[0]},{here[1]}&radius={radius}&page_size=37")
    everything = [u for u in get_all(client, "/v1/units?page_size=500") if u["latitude"]]
    distance = {u["id"]: haversine_m(here, (u["latitude"], u["longitude"])) for u in everything}
    got = {u["id"] for u in found}
    assert {i for i, d in distance.items() if d <= radius * 0.99} <= got
    assert got <= {i for i, d in distance.items() if d <= radius * 1.01}
    assert len(got) > 20
    for unit in found:
        assert abs(unit["distance_m"] - distance[unit["id"]]) <= 0.01 * distance[unit["id"]] + 1
    assert [u["distance_m"] for u in found] == sorted(u["distance_m"] for u in found)
    assert ids(client, "/v1/units?q=kallion&page_size=500")  # generated names are searchable
