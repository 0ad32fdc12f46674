"""Regression tests for what the fuzzers (tests/test_schemathesis.py, the authenticated pass,
and tests/test_store_then_read.py) found, one focused test each."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from api.store.db import db
from api.store.tokens import create_token


@pytest.fixture
def admin(app) -> dict[str, str]:
    """The Authorization header of an admin token."""
    with app.app_context():
        session = db.new_session()
        with session.begin():
            value = create_token(session, "fuzz-admin", ["admin"])
        session.close()
    return {"Authorization": f"Bearer {value}"}


def renamed(client, admin, url: str) -> tuple[dict, str]:
    """Rename the record at `url`; return it as it was and an instant before the rename."""
    original = client.get(url).json
    before = datetime.now(UTC).isoformat()
    response = client.patch(
        url,
        json={"name": {"en": "Renamed"}},
        headers={**admin, "If-Match": client.get(url).headers["ETag"]},
    )
    assert response.status_code == 200, response.json
    return original, before


@pytest.mark.parametrize(
    ("url", "fmt", "media_type"),
    [
        ("/v1/units/pakila-work-centre", "jsonld", "application/ld+json"),
        ("/v1/units/pakila-work-centre", "geojson", "application/geo+json"),
        ("/v1/services/rehabilitating-work-activities", "jsonld", "application/ld+json"),
    ],
)
def test_as_of_is_served_in_every_format_the_item_offers(client, admin, url, fmt, media_type):
    """`format=jsonld&as_of=…` was a 400 although the spec allows it: the version the history
    stored is shown in that format, as the current record is."""
    original, before = renamed(client, admin, url)
    then = client.get(url, query_string={"as_of": before, "format": fmt})
    assert then.status_code == 200, then.json
    assert then.mimetype == media_type
    now = client.get(url, query_string={"format": fmt})
    assert "Renamed" in now.text and "Renamed" not in then.text
    assert original["name"]["en"] in then.text
    current_shape = client.get(url, query_string={"format": fmt}).json
    assert set(then.json) == set(current_shape)


WRITES = {"put", "patch", "delete"}


def test_every_write_declares_if_match_as_a_required_header(client):
    """A fuzzer's PUT, PATCH or DELETE without `If-Match` got a 428 the spec did not explain:
    each declares the header, required, as does `/supersede`."""
    spec = client.get("/v1/openapi.json").json
    parameter = spec["components"]["parameters"]["IfMatch"]
    assert (parameter["name"], parameter["in"], parameter["required"]) == (
        "If-Match",
        "header",
        True,
    )
    needing = [
        (path, method, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in WRITES or (method == "post" and path.endswith("/supersede"))
    ]
    assert len(needing) == 8 * 3 + 1
    for path, method, operation in needing:
        assert {"$ref": "#/components/parameters/IfMatch"} in operation.get("parameters", []), (
            method,
            path,
        )
        assert "428" in operation["responses"]


def test_a_write_without_if_match_is_the_documented_428(client, admin):
    response = client.delete(
        "/v1/announcements/face-masks-in-social-and-health-care", headers=admin
    )
    assert response.status_code == 428
    assert response.mimetype == "application/problem+json"


def test_each_record_get_links_its_etag_to_the_if_match_of_its_writes(client, admin):
    """OpenAPI links from each item GET (and each write that returns the record) to its writes,
    with the ETag as `If-Match`; followed by hand here, they reach the write."""
    spec = client.get("/v1/openapi.json").json
    items = {
        path: item for path, item in spec["paths"].items() if "put" in item and path.count("/") == 3
    }
    assert len(items) == 8
    for path, item in items.items():
        targets = {item[method]["operationId"] for method in WRITES}
        if f"{path}/supersede" in spec["paths"]:
            targets.add(spec["paths"][f"{path}/supersede"]["post"]["operationId"])
        links = item["get"]["responses"]["200"]["links"]
        assert set(links) == targets, path
        for link in links.values():
            assert link["parameters"]["header.If-Match"] == "$response.header.ETag"
        for method, status in (("put", "200"), ("patch", "200")):
            assert set(item[method]["responses"][status]["links"]) == targets | {
                item["get"]["operationId"]
            }
    # Followed: the GET's ETag is a valid If-Match for the write it links to.
    url = "/v1/staff-duties/duty-assess-work-ability"
    response = client.patch(
        url,
        json={"notes": "Checked."},
        headers={**admin, "If-Match": client.get(url).headers["ETag"]},
    )
    assert response.status_code == 200, response.json


@pytest.mark.parametrize("value", ["", "   "])
def test_an_empty_if_match_is_a_400_not_a_412(client, admin, value):
    """An empty `If-Match` (the spec requires at least one character) was answered 412, as if
    it named an old version: it is malformed, a 400 naming the header."""
    url = "/v1/announcements/face-masks-in-social-and-health-care"
    response = client.delete(url, headers={**admin, "If-Match": value})
    assert response.status_code == 400
    assert response.json["errors"] == [{"field": "If-Match", "message": "Empty."}]
    assert client.get(url).status_code == 200


DUTY_URL = "/v1/staff-duties/duty-assess-work-ability"


@pytest.mark.parametrize(("position", "status"), [(3.0, 200), (True, 422), (3.5, 422), ("3", 422)])
def test_an_integer_is_a_json_integer(client, admin, position, status):
    """`position: 3.0` is the integer 3 in JSON and in the spec's JSON Schema, yet it was a
    422; `true`, `3.5` and `"3"` are still refused."""
    response = client.patch(
        DUTY_URL,
        json={"position": position},
        headers={**admin, "If-Match": client.get(DUTY_URL).headers["ETag"]},
    )
    assert response.status_code == status, response.json
    if status == 200:
        assert response.json["position"] == 3
