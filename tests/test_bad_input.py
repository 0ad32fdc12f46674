"""Bad input, as an attacker or a fuzzer sends it (issue 13): each gets a 400, 413, 415 or 422
problem naming what was wrong, never a 500, and nothing is written."""

from __future__ import annotations

import gzip
import io
import json
import re
import shutil

import pytest
from conftest import DATA_DIR, edit_yaml, load_data
from test_editor import WRITES, auth, token  # noqa: F401 - `token` is a fixture
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from api.store.loader import LoadError

UNIT_URL, UNIT = WRITES["units"]
DUTY_URL, DUTY = WRITES["staff-duties"]
HOURS_URL, HOURS = WRITES["opening-hours"]
CHANNEL_URL, CHANNEL = WRITES["access-channels"]
SERVICE_URL, SERVICE = WRITES["services"]
NOTICE_URL, NOTICE = WRITES["status-notices"]
AS_OF = "as_of=2030-01-01T00:00:00%2B02:00"


@pytest.fixture
def admin(token):  # noqa: F811 - the fixture imported above
    return token("admin", "admin")


def post_raw(client, editor: str, url: str, data: bytes, **headers):
    headers = {"Content-Type": "application/json", **headers}
    return client.post(url, data=data, headers=auth(editor, **headers))


def assert_problem(response, status: int, *fields: str) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert {"type", "title", "status", "detail", "instance"} <= set(response.json)
    named = {error["field"] for error in response.json.get("errors", [])}
    assert set(fields) <= named, response.json


def assert_not_written(client, url: str, record_id: str) -> None:
    assert client.get(f"{url}/{record_id}").status_code == 404


# --- A unit's time zone ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "zone", ["../../../../etc/passwd", "Mars/Olympus_Mons", "Europe/Helsinki\n", "", "UTC+2"]
)
def test_a_unit_timezone_must_be_a_known_iana_zone(client, admin, zone):
    response = client.post(UNIT_URL, json={**UNIT, "timezone": zone}, headers=auth(admin))
    assert_problem(response, 422, "timezone")
    assert_not_written(client, UNIT_URL, UNIT["id"])


def test_a_unit_may_have_any_known_zone_and_a_patch_cannot_break_it(client, admin):
    response = client.post(
        UNIT_URL, json={**UNIT, "timezone": "Europe/Stockholm"}, headers=auth(admin)
    )
    assert response.status_code == 201, response.json
    assert response.json["timezone"] == "Europe/Stockholm"
    etag = response.headers["ETag"]
    response = client.patch(
        f"{UNIT_URL}/{UNIT['id']}",
        json={"timezone": "Mars/Olympus_Mons"},
        headers=auth(admin, **{"If-Match": etag}),
    )
    assert_problem(response, 422, "timezone")
    assert client.get(f"{UNIT_URL}/{UNIT['id']}/status").status_code == 200


def test_the_loader_rejects_an_unknown_timezone(app, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    edit_yaml(data / "units.yaml", lambda records: records[0].update(timezone="Mars/Olympus_Mons"))
    with pytest.raises(LoadError) as raised:
        load_data(app, data)
    assert [p[2] for p in raised.value.problems] == ["timezone"]
    assert raised.value.problems[0][0] == "units.yaml"


@pytest.mark.parametrize("zone", ["../../../../etc/passwd", "Mars/Olympus_Mons"])
def test_a_zone_stored_before_it_was_checked_never_makes_a_public_read_fail(app, client, zone):
    """A database from before the check may hold any zone name: the unit's own status is
    `unknown` (cannot_evaluate), and no read of it or of a list holding it fails."""
    from sqlalchemy import text

    from api.store.db import db

    with app.app_context():
        db.session.execute(
            text("UPDATE units SET timezone = :zone WHERE id = 'pakila-work-centre'"),
            {"zone": zone},
        )
        db.session.commit()
    unit = "/v1/units/pakila-work-centre"
    at = "2021-03-15T10:00:00%2B02:00"
    reads = [
        f"/v1/units?state=closed,unknown&at={at}",
        f"/v1/units?open_at={at}",
        f"/v1/units?include=status&at={at}",
        f"{unit}/status?at={at}",
        f"{unit}/opening-hours",
        f"{unit}/opening-hours?start=2021-03-15",
        f"{unit}/opening-hours.ics",
        f"{unit}/opening-hours.ics?start=2021-03-15&end=2021-03-21",
        f"/v1/services/rehabilitating-work-activities/status?at={at}",
        "/hsds/services",
        "/hsds/service_at_locations",
        "/hsds/organizations",
    ]
    for url in reads:
        response = client.get(url)
        assert response.status_code == 200, (url, response.get_data(as_text=True)[:300])
    status = client.get(f"{unit}/status?at={at}").json
    assert status["state"] == "unknown"
    assert "cannot_evaluate" in [reason["code"] for reason in status["reasons"]], status
    calendar = client.get(f"{unit}/opening-hours.ics?start=2021-03-15&end=2021-03-21")
    assert b"X-WR-TIMEZONE" not in calendar.data  # wall-clock times in no zone (floating)


# --- Anchored patterns and a trailing newline ------------------------------------------------


def _newline_cases(client) -> list[tuple[str, str, str]]:
    """(url, parameter, value) for every query parameter of a GET whose published pattern
    refuses its example with a newline appended, read as JSON Schema reads it (an ECMA-262
    search, where `$` is only the end of the text), with path parameters from their examples."""
    spec = client.get("/v1/openapi.json").json
    out = []
    for path, item in spec["paths"].items():
        parameters = item.get("get", {}).get("parameters", [])
        url = path
        for parameter in parameters:
            if parameter["in"] == "path":
                url = url.replace(f"{{{parameter['name']}}}", str(parameter["example"]))
        for parameter in parameters:
            schema = parameter.get("schema", {})
            value = f"{parameter.get('example', schema.get('example'))}\n"
            if parameter["in"] == "query" and "pattern" in schema:
                if not re.search(schema["pattern"].replace("$", r"\Z"), value):
                    out.append((url, parameter["name"], value))
    return out


def test_no_query_parameter_takes_what_its_published_pattern_refuses(client):
    cases = _newline_cases(client)
    # `format=` is not a parameter in the spec (generated clients read the JSON): its cases
    # are in test_a_trailing_newline_in_a_query_parameter_is_400_naming_it's list.
    assert {"lang", "state", "near", "bbox"} <= {name for _url, name, _ in cases}
    for url, name, value in cases:
        response = client.get(url, query_string={name: value})
        assert response.status_code == 400, (url, name, response.get_data(as_text=True))
        assert name in {error["field"] for error in response.json["errors"]}, (url, name)


@pytest.mark.parametrize(
    "url, parameter",
    [
        ("/v1/units?format=json%0A", "format"),
        ("/v1/units/pakila-work-centre?format=json%0A", "format"),
        ("/v1/services/rehabilitating-work-activities?format=jsonld%0A", "format"),
        ("/hsds/services?format=ndjson%0A", "format"),
        ("/v1/units?state=closed%0A", "state"),
        ("/v1/units?lang=fi%0A", "lang"),
        (f"/v1/units/pakila-work-centre?lang=fi%0A&{AS_OF}", "lang"),
        ("/v1/units?near=60.2,24.97%0A&radius=2000", "near"),
    ],
)
def test_a_trailing_newline_in_a_query_parameter_is_400_naming_it(client, url, parameter):
    response = client.get(url)
    assert_problem(response, 400, parameter)
    assert "Content-Language" not in response.headers


def test_format_with_a_trailing_newline_is_400_on_every_collection_and_item(client):
    """`format=json%0A` on every collection and on one item of each (issue 13: each was a 500)."""
    from api.store.collections import PUBLISHED

    for kind in PUBLISHED:
        listed = client.get(f"/v1/{kind.name}?page_size=1").json["results"]
        urls = [f"/v1/{kind.name}"] + [f"/v1/{kind.name}/{record['id']}" for record in listed]
        for url in urls:
            response = client.get(f"{url}?format=json%0A")
            assert_problem(response, 400, "format")


def test_lang_still_shapes_as_of_names(client):
    response = client.get(f"/v1/units/pakila-work-centre?lang=fi,sv&{AS_OF}")
    assert response.status_code == 200
    assert set(response.json["name"]) == {"fi", "sv"}


@pytest.mark.parametrize(
    "url, body, field",
    [
        (UNIT_URL, {**UNIT, "id": "x\n"}, "id"),
        (HOURS_URL, {**HOURS, "spans": [{"weekdays": ["monday"], "opens": "08:00\n",
                                        "closes": "16:00"}]}, "spans.0.opens"),
        (CHANNEL_URL, {**CHANNEL, "number": "+358 9 310 12345\n"}, "number"),
        (CHANNEL_URL, {**CHANNEL, "type": "postal_address", "number": None,
                       "address": {"postal_code": "00440\n"}}, "address.postal_code"),
    ],
)  # fmt: skip
def test_a_trailing_newline_in_a_body_value_is_422_naming_it(client, admin, url, body, field):
    response = client.post(url, json=body, headers=auth(admin))
    assert_problem(response, 422, field)
    assert_not_written(client, url, body["id"])


# --- Bodies that answered 500 ----------------------------------------------------------------


def test_deeply_nested_json_is_400(client, admin):
    response = post_raw(client, admin, DUTY_URL, b"[" * 10_000)
    assert_problem(response, 400)
    assert "nest" in response.json["detail"]


def test_nesting_deeper_than_any_record_is_400(client, admin):
    patch = None
    for _ in range(500):
        patch = {"notes": patch}
    response = post_raw(client, admin, DUTY_URL, json.dumps({**DUTY, "x": patch}).encode())
    assert_problem(response, 400)
    assert response.json["errors"][0]["field"].startswith("x.notes.notes")


@pytest.mark.parametrize(
    "text, field",
    [
        ('{"notes": "\\ud800"}', "notes"),
        ('{"id": "\\udfff"}', "id"),
        ('{"text": {"en": "a\\u0000b"}}', "text.en"),
        ('{"notes": "a\\u0000b"}', "notes"),
        ('{"service_ids": ["x\\u0000"]}', "service_ids.0"),
        ('{"\\ud800": 1}', "\\ud800"),
    ],
)
def test_a_string_that_is_not_storable_text_is_400_naming_it(client, admin, text, field):
    body = {**DUTY, **json.loads(text)}
    raw = json.dumps(body).encode()  # ASCII, with the escapes as sent
    response = post_raw(client, admin, DUTY_URL, raw)
    assert_problem(response, 400, field)
    assert_not_written(client, DUTY_URL, DUTY["id"])


@pytest.mark.parametrize("position", [2**70, 2**63, 2**31, 10**7, 0])
def test_a_position_out_of_range_is_422(client, admin, position):
    response = client.post(DUTY_URL, json={**DUTY, "position": position}, headers=auth(admin))
    assert_problem(response, 422, "position")
    assert_not_written(client, DUTY_URL, DUTY["id"])


def test_more_ids_in_one_list_than_a_write_takes_is_422(client, admin):
    ids = [f"s{i}" for i in range(65_536)]
    response = client.post(DUTY_URL, json={**DUTY, "service_ids": ids}, headers=auth(admin))
    assert_problem(response, 422, "service_ids")
    assert [e["field"] for e in response.json["errors"]] == ["service_ids"]
    schemas = client.get("/v1/openapi.json").json["components"]["schemas"]
    limit = schemas["StaffDutyInput"]["properties"]["service_ids"]["maxItems"]
    assert str(limit) in response.json["errors"][0]["message"]
    assert_not_written(client, DUTY_URL, DUTY["id"])


def test_a_filter_with_more_ids_than_a_query_takes_is_400(client):
    ids = ",".join(f"s{i}" for i in range(65_536))
    response = client.get("/v1/units", query_string={"service_id": ids})
    assert_problem(response, 400, "service_id")


def test_text_and_lists_have_published_maximum_sizes(client):
    schemas = client.get("/v1/openapi.json").json["components"]["schemas"]
    duty = schemas["StaffDutyInput"]["properties"]
    assert duty["position"]["maximum"] < 2**31
    assert duty["service_ids"]["maxItems"] < 65_535  # parameters in one PostgreSQL statement
    assert duty["notes"]["maxLength"] > 0
    assert duty["source_urls"]["items"]["maxLength"] > 0
    assert schemas["LocalizedString"]["properties"]["en"]["maxLength"] > 0


def test_text_over_its_maximum_length_is_422(client, admin):
    body = {**DUTY, "text": {"en": "x" * 10_001}, "notes": "x" * 10_001}
    response = client.post(DUTY_URL, json=body, headers=auth(admin))
    assert_problem(response, 422, "text.en", "notes")


# --- The size of a body without Content-Length -----------------------------------------------


def chunked(client, editor: str, data: bytes):
    """A POST whose body has no Content-Length (a chunked one), from a server that ends the
    input stream itself (`wsgi.input_terminated`, as gunicorn and werkzeug's server do)."""
    headers = auth(editor, **{"Content-Type": "application/json", "Transfer-Encoding": "chunked"})
    builder = EnvironBuilder(
        DUTY_URL, method="POST", input_stream=io.BytesIO(data), headers=headers
    )
    environ = builder.get_environ()
    del environ["CONTENT_LENGTH"]  # which the test client takes from the stream
    environ["wsgi.input_terminated"] = True
    return client.open(Request(environ))


def test_a_chunked_body_over_the_limit_is_413(app, client, admin):
    limit = app.config["MAX_CONTENT_LENGTH"]
    padded = json.dumps(DUTY).encode() + b" " * limit  # valid JSON, however much of it is read
    response = chunked(client, admin, padded)
    assert_problem(response, 413)
    assert_not_written(client, DUTY_URL, DUTY["id"])


def test_a_chunked_body_up_to_the_limit_is_read_whole(app, client, admin):
    limit = app.config["MAX_CONTENT_LENGTH"]
    body = json.dumps(DUTY).encode()
    response = chunked(client, admin, body + b" " * (limit - len(body)))
    assert response.status_code == 201, response.json


# --- Lenient bodies --------------------------------------------------------------------------


def test_a_compressed_body_is_415_saying_so(client, admin):
    data = gzip.compress(json.dumps(DUTY).encode())
    response = post_raw(client, admin, DUTY_URL, data, **{"Content-Encoding": "gzip"})
    assert_problem(response, 415)
    assert "Content-Encoding" in response.json["detail"]
    assert response.headers["Accept-Encoding"] == "identity"


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-le", "utf-32"])
def test_a_body_not_in_utf8_or_with_a_bom_is_400(client, admin, encoding):
    response = post_raw(client, admin, DUTY_URL, json.dumps(DUTY).encode(encoding))
    assert_problem(response, 400)
    assert "UTF-8" in response.json["detail"]
    assert_not_written(client, DUTY_URL, DUTY["id"])


def test_a_body_labelled_with_another_charset_is_415(client, admin):
    data = json.dumps(DUTY).encode()
    response = client.post(
        DUTY_URL,
        data=data,
        headers=auth(admin, **{"Content-Type": "application/json; charset=utf-16"}),
    )
    assert_problem(response, 415)
    assert_not_written(client, DUTY_URL, DUTY["id"])


@pytest.mark.parametrize(
    "field, value, key",
    [("position", '1, "position": 2', "position"), ("text", '{"en": "a", "en": "b"}', "en")],
)
def test_a_key_given_twice_is_400_naming_it(client, admin, field, value, key):
    raw = json.dumps({**DUTY, field: "VALUE"}).replace('"VALUE"', value)
    response = post_raw(client, admin, DUTY_URL, raw.encode())
    assert_problem(response, 400, key)
    assert_not_written(client, DUTY_URL, DUTY["id"])


@pytest.mark.parametrize(
    "url, body, field",
    [
        (DUTY_URL, {**DUTY, "position": 1.5}, "position"),
        (DUTY_URL, {**DUTY, "position": "3"}, "position"),
        (DUTY_URL, {**DUTY, "position": True}, "position"),
        (UNIT_URL, {**UNIT, "latitude": "60.2", "longitude": 24.9}, "latitude"),
        (SERVICE_URL, {**SERVICE, "free_of_charge": "yes"}, "free_of_charge"),
        (SERVICE_URL, {**SERVICE, "free_of_charge": 1}, "free_of_charge"),
        (NOTICE_URL, {**NOTICE, "open_to_public": "false"}, "open_to_public"),
    ],
)
def test_a_value_of_another_json_type_is_422_not_coerced(client, admin, url, body, field):
    response = client.post(url, json=body, headers=auth(admin))
    assert_problem(response, 422, field)
    assert_not_written(client, url, body["id"])


def test_numbers_and_booleans_of_the_right_type_are_accepted(client, admin):
    unit = {**UNIT, "latitude": 60, "longitude": 24.9}
    assert client.post(UNIT_URL, json=unit, headers=auth(admin)).status_code == 201
    service = {**SERVICE, "free_of_charge": False}
    response = client.post(SERVICE_URL, json=service, headers=auth(admin))
    assert response.status_code == 201
    assert response.json["free_of_charge"] is False


def test_the_problems_name_no_raw_input_that_cannot_be_encoded(client, admin):
    # A lone surrogate in a key must not make the problem response itself fail to encode.
    response = post_raw(client, admin, DUTY_URL, b'{"\\ud800\\u0000": 1}')
    assert response.status_code == 400
    assert re.search(r"\\\\ud800", response.get_data(as_text=True))


# --- Enumerated filters ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "url, parameter, allowed",
    [
        ("/v1/units?type=shops", "type", "office, work_centre"),
        ("/v1/units?state=opn", "state", "closed, open, current_clients_only"),
        ("/v1/units?state=closed,opn", "state", "closed, open, current_clients_only"),
        ("/v1/access-channels?type=chat", "type", "referral"),
        ("/v1/status-notices?state=shut", "state", "closed, open"),
        ("/v1/organizations?type=club", "type", "city, division, team"),
        ("/v1/opening-hours?kind=weekly", "kind", "regular, exception"),
        ("/v1/units?lang=de", "lang", "fi, sv, en"),
        ("/v1/units?format=xml", "format", "json, geojson, jsonld"),
    ],
)
def test_a_value_outside_an_enumerated_filter_is_400_listing_the_allowed_ones(
    client, url, parameter, allowed
):
    response = client.get(url)
    assert_problem(response, 400, parameter)
    [message] = [e["message"] for e in response.json["errors"] if e["field"] == parameter]
    assert "Must be one of: " in message and allowed in message, message
    assert "^" not in message and "|" not in message  # a list of values, not a regex


def _enumerated_query_parameters(client) -> list[tuple[str, str, list[str]]]:
    """(path, parameter, values) for every query parameter of a GET whose published pattern is
    a closed list of values, one (`^(a|b)$`) or several comma-separated."""
    spec = client.get("/v1/openapi.json").json
    one = re.compile(r"^\^\(([\w|]+)\)\$$")
    several = re.compile(r"^\^\(([\w|]+)\)\(,\(\1\)\)\*\$$")
    out = []
    for path, item in spec["paths"].items():
        if "{" in path:
            continue
        for parameter in item.get("get", {}).get("parameters", []):
            pattern = parameter.get("schema", {}).get("pattern", "")
            if match := one.match(pattern) or several.match(pattern):
                out.append((path, parameter["name"], match.group(1).split("|")))
    return out


def test_every_enumerated_filter_names_its_allowed_values(client):
    cases = _enumerated_query_parameters(client)
    # `format` is described in each operation's text, not as a parameter (the JSON clients
    # negotiate other formats by Accept); its values are checked by the case above.
    assert {"type", "state", "kind", "lang", "include"} <= {c[1] for c in cases}
    for path, name, values in cases:
        response = client.get(path, query_string={name: "no_such_value"})
        assert_problem(response, 400, name)
        messages = [e["message"] for e in response.json["errors"] if e["field"] == name]
        assert any(f"Must be one of: {', '.join(values)}." in m for m in messages), (
            path,
            name,
            messages,
        )
