"""The spec's response examples are real answers over the shipped data (api/web/examples.py,
`make examples`): every answer the spec declares carries one (every operation's 200 in each of
its media types, the writes that return an item, the problem responses), but the few
`WITHOUT_EXAMPLE` names with a reason; each validates against its schema, parses in its format,
and the API gives the same answer to the same request today."""

from __future__ import annotations

import csv
import io
import json
import re
from http import HTTPStatus
from typing import Any

import icalendar
import pytest
import rdflib
from conftest import POSTGRES, _copy_of_loaded
from jsonschema import Draft202012Validator
from sqlalchemy import make_url

from api import create_app
from api.formats.exports import csv_columns
from api.store.collections import collection
from api.store.db import db
from api.web import examples
from api.web.http import ERROR_RESPONSES

STORED = examples.load()
REGENERATE = "the answer changed: run `make examples` (and review the diff of openapi.yaml)"


@pytest.fixture(scope="module")
def example_client(request, tmp_path_factory):
    """The shipped data, asked as `make examples` asks it (same cursor key)."""
    url = _copy_of_loaded(request, tmp_path_factory.mktemp("examples"), "examples")
    app = create_app(
        {"TESTING": True, "DATABASE_URL": url, "CURSOR_SECRET": examples.CURSOR_SECRET}
    )
    yield app.test_client()
    db.session.remove()
    db.engine.dispose()
    if POSTGRES is not None:
        POSTGRES.drop(make_url(url).database)


@pytest.fixture
def error_client(request, tmp_path):
    """A fresh copy of the shipped data (some problem examples change it: the 410 deletes a
    record), under the settings `make examples` asks it with (the default rate limits)."""
    url = _copy_of_loaded(request, tmp_path, "problems")
    app = create_app({"TESTING": True, "DATABASE_URL": url, **examples.SETTINGS})
    yield app.test_client()
    db.session.remove()
    db.engine.dispose()
    if POSTGRES is not None:
        POSTGRES.drop(make_url(url).database)


@pytest.fixture(scope="module")
def spec(example_client) -> dict[str, Any]:
    return example_client.get("/v1/openapi.json").get_json()


def resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        *_, kind, name = node["$ref"].split("/")
        node = spec["components"][kind][name]
    return node


def shipped_example(spec: dict[str, Any], media: dict[str, Any]) -> Any:  # noqa: ANN401
    return resolve(spec, media["examples"]["shipped"])["value"]


def validator(spec: dict[str, Any], schema: dict[str, Any]) -> Draft202012Validator:
    """The media type's schema, its `$ref`s resolved within the spec."""
    return Draft202012Validator({**schema, "components": spec["components"]})


def normalized(body: Any, loaded_at: str) -> Any:  # noqa: ANN401 - any JSON
    """The parts that differ by the load, not by the data: when it was loaded (each load stamps
    its records with its own instant) and the load's batch id in the edit log."""
    instant = re.escape(loaded_at[:19]) + r"(?:\.\d+)?(?:\+00:00|Z)"
    text = re.sub(instant, "<loaded>", json.dumps(body, sort_keys=True))
    text = re.sub(r'"batch": "[0-9a-f-]{36}"', '"batch": "<batch>"', text)
    return json.loads(text)


def problem_normalized(body: dict[str, Any]) -> dict[str, Any]:
    """A problem less what depends on when it was asked: the instant a record was deleted (a
    410), the seconds until a rate-limit window ends (a 429). A 409's `errors` keep their
    order: the records that refer to one come in id order (api.store.writes)."""
    text = json.dumps(body, sort_keys=True)
    text = re.sub(r"\d{4}-\d\d-\d\dT[\d:.]+(?:\+00:00|Z)", "<instant>", text)
    text = re.sub(r"Try again in \d+ seconds", "Try again in <n> seconds", text)
    return json.loads(text)


def responses(spec: dict[str, Any]) -> list[tuple[str, str, str | None, str, dict[str, Any]]]:
    """(operationId, status, component response name or None, media type, media type object)
    of every answer with a body that any operation of the spec declares."""
    out = []
    for item in spec["paths"].values():
        for operation in (op for op in item.values() if isinstance(op, dict)):
            for status, response in operation["responses"].items():
                name = response["$ref"].split("/")[-1] if "$ref" in response else None
                for media_type, media in resolve(spec, response).get("content", {}).items():
                    out.append((operation["operationId"], status, name, media_type, media))
    return out


def exempt(operation_id: str, status: str, name: str | None, media_type: str) -> str | None:
    """The `WITHOUT_EXAMPLE` entry that excuses an answer from having an example, if any."""
    for key in (media_type, name, f"{operation_id} {status}"):
        if key in examples.WITHOUT_EXAMPLE:
            return key
    return None


def test_every_answer_the_spec_declares_has_an_example_or_a_reason(spec):
    """Every operation's every answer with a body, in each of its media types, and each
    problem response: an example from the shipped data, unless `WITHOUT_EXAMPLE` says why not
    (and each of its reasons still excuses something)."""
    missing, used = [], set()
    for operation_id, status, name, media_type, media in responses(spec):
        reason = exempt(operation_id, status, name, media_type)
        if reason:
            used.add(reason)
            assert "shipped" not in media.get("examples", {}), (operation_id, status, reason)
        elif "shipped" not in media.get("examples", {}):
            missing.append((operation_id, status, name, media_type))
    assert not missing
    assert used == set(examples.WITHOUT_EXAMPLE)


def test_every_example_validates_against_its_schema(spec):
    failures = []
    for operation_id, status, _name, media_type, media in responses(spec):
        if "shipped" not in media.get("examples", {}) or "schema" not in media:
            continue
        errors = list(validator(spec, media["schema"]).iter_errors(shipped_example(spec, media)))
        failures += [(operation_id, status, media_type, e.message[:200]) for e in errors]
    assert not failures


def parses(media_type: str, body: Any, answer: dict[str, Any]) -> None:  # noqa: ANN401
    """`body` is a well-formed example of `media_type` (an excerpt: of its first lines)."""
    if media_type == "text/calendar":
        calendar = icalendar.Calendar.from_ical(body)
        assert calendar.walk("VEVENT"), "a week of a unit's hours has events"
    elif media_type == "text/csv":
        rows = list(csv.reader(io.StringIO(body)))
        name = answer["request"].split("/")[-1].split(".")[0]
        assert rows[0] == [column for column, _path in csv_columns(collection(name))]
        assert len(rows) > 1 and all(len(row) == len(rows[0]) for row in rows)
    elif media_type == "application/x-ndjson":
        lines = body.splitlines()
        assert lines and all(isinstance(json.loads(line), dict) for line in lines)
    elif media_type == "text/turtle":
        assert len(rdflib.Graph().parse(data=body, format="turtle")) > 0
    elif media_type == "application/ld+json":
        assert len(rdflib.Graph().parse(data=json.dumps(body), format="json-ld")) > 0
    elif media_type == "application/geo+json":
        one = not answer["request"].split("?")[0].endswith("/units")
        assert body["type"] == ("Feature" if one else "FeatureCollection")
        features = [body] if one else body["features"]
        assert features and all(f["type"] == "Feature" for f in features)
    elif media_type == "text/markdown":
        assert body.startswith("# ")
    elif media_type == "application/octet-stream":  # the first bytes of a dump
        assert 0 < len(body.encode()) <= 300
    else:
        raise AssertionError(f"no check for {media_type}: add one")


@pytest.mark.parametrize("name", sorted(STORED["media"]))
def test_each_example_in_another_media_type_parses_in_it(spec, name):
    answer = STORED["media"][name]
    operation = next(
        item["get"]
        for item in spec["paths"].values()
        if item.get("get", {}).get("operationId") == answer["operation"]
    )
    media = operation["responses"][answer["status"]]["content"]
    assert shipped_example(spec, media[answer["media_type"]]) == answer["body"]
    parses(answer["media_type"], answer["body"], answer)


def test_an_excerpt_says_it_is_one(spec):
    excerpts = [a for a in STORED["media"].values() if a["excerpt_lines"]]
    assert excerpts, "the long NDJSON and Markdown answers are excerpts"
    for name, answer in STORED["media"].items():
        summary = spec["components"]["examples"][name]["summary"]
        assert ("an excerpt" in summary) == bool(answer["excerpt_lines"]), name
        if answer["excerpt_lines"]:
            assert answer["body"].count("\n") == answer["excerpt_lines"] == examples.EXCERPT_LINES


def test_the_problem_examples_say_their_own_status(spec):
    """A 400 example is a 400 "Bad Request", and so on: the status its response is for."""
    by_name = {name: status for status, (name, _description) in ERROR_RESPONSES.items()}
    by_name["TooManyRequests"] = 429  # declared by api.web.ratelimit
    for name, stored in STORED["errors"].items():
        body = stored["body"]
        assert body["status"] == by_name[name], name
        assert body["title"] == HTTPStatus(body["status"]).phrase, name
        assert body["instance"] == stored["request"].split("?")[0]


def test_a_status_example_is_coherent(spec):
    """Real answers cannot contradict themselves: a closed unit is not open to the public, and
    the notices named are notices."""
    status = STORED["operations"]["getUnitStatus"]["body"]
    if status["state"] == "closed":
        assert status["open_to_public"] is not True
    notice_ids = {n["id"] for n in STORED["operations"]["listStatusNotices"]["body"]["results"]}
    unit_ids = {u["id"] for u in STORED["operations"]["listUnits"]["body"]["results"]}
    assert not {n["id"] for n in status["notices"]} & (unit_ids - notice_ids)
    assert status["at"].startswith(examples.AT[:19])


@pytest.mark.parametrize("operation_id", sorted(STORED["operations"]))
def test_the_api_gives_the_example_answer_today(example_client, operation_id):
    stored = STORED["operations"][operation_id]
    response = example_client.get(stored["request"], base_url=examples.BASE_URL)
    assert response.status_code == 200, response.get_data(as_text=True)
    loaded_at = example_client.get("/v1").get_json()["last_modified"]
    live = normalized(response.get_json(force=True), loaded_at)
    assert live == normalized(stored["body"], STORED["loaded_at"]), REGENERATE


@pytest.mark.parametrize("name", sorted(STORED["media"]))
def test_the_api_gives_the_media_example_today(example_client, name):
    stored = STORED["media"][name]
    response = examples.ask_media(example_client, stored)
    assert str(response.status_code) == stored["status"], response.get_data(as_text=True)
    body, lines = examples.media_body(response, stored["media_type"])
    assert lines == stored["excerpt_lines"]
    loaded_at = example_client.get("/v1").get_json()["last_modified"]
    live = normalized(undated(body), loaded_at)
    assert live == normalized(undated(stored["body"]), STORED["loaded_at"]), REGENERATE


def undated(body: Any) -> Any:  # noqa: ANN401 - any example
    """A calendar less its DTSTAMPs: each event says when the feed was written (RFC 5545)."""
    if isinstance(body, str):
        return re.sub(r"^DTSTAMP:\d{8}T\d{6}Z\r$", "DTSTAMP:<now>\r", body, flags=re.M)
    return body


@pytest.mark.parametrize("name", sorted(STORED["errors"]))
def test_the_api_gives_the_problem_example_today(error_client, name):
    stored = STORED["errors"][name]
    response = examples.ask(error_client, stored)
    assert response.status_code == stored["body"]["status"]
    assert response.mimetype == "application/problem+json"
    assert problem_normalized(response.get_json()) == problem_normalized(stored["body"]), REGENERATE


def test_the_examples_cover_every_problem_a_request_can_cause(spec):
    named = set(spec["components"]["responses"])
    assert set(STORED["errors"]) == named - set(examples.WITHOUT_EXAMPLE)


def test_each_get_operation_answering_json_has_its_own_example(spec):
    """`make examples` asks every JSON GET operation of the spec, so a new one is not missed."""
    operations = examples.json_get_operations(spec)
    assert set(operations) == set(STORED["operations"])
