"""The spec's response examples are real answers over the shipped data (api/web/examples.py,
`make examples`): every JSON GET operation's 200, the writes that return an item, and the main
problem responses carry one; each validates against its schema, and the API gives the same
answer to the same request today."""

from __future__ import annotations

import json
import re
from http import HTTPStatus
from typing import Any

import pytest
from conftest import POSTGRES, _copy_of_loaded
from jsonschema import Draft202012Validator
from sqlalchemy import make_url

from api import create_app
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


@pytest.fixture(scope="module")
def editor_token(example_client) -> str:
    with example_client.application.app_context():
        return examples.editor_token()


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


def json_operations(spec: dict[str, Any]) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(operationId, method, status, media type object) of every 2xx JSON response."""
    out = []
    for item in spec["paths"].values():
        for method, operation in item.items():
            if not isinstance(operation, dict):
                continue
            for status, response in operation["responses"].items():
                media = response.get("content", {}).get("application/json")
                if status.startswith("2") and media is not None:
                    out.append((operation["operationId"], method, status, media))
    return out


def test_every_json_answer_has_an_example_from_the_shipped_data(spec):
    missing = [
        (operation_id, status)
        for operation_id, _method, status, media in json_operations(spec)
        if "shipped" not in media.get("examples", {})
    ]
    assert not missing
    for name in STORED["errors"]:
        media = spec["components"]["responses"][name]["content"]["application/problem+json"]
        assert shipped_example(spec, media)


def test_every_example_validates_against_its_schema(spec):
    failures = []
    for operation_id, _method, status, media in json_operations(spec):
        errors = list(validator(spec, media["schema"]).iter_errors(shipped_example(spec, media)))
        failures += [(operation_id, status, error.message[:200]) for error in errors]
    for name in STORED["errors"]:
        media = spec["components"]["responses"][name]["content"]["application/problem+json"]
        errors = list(validator(spec, media["schema"]).iter_errors(shipped_example(spec, media)))
        failures += [(name, error.message[:200]) for error in errors]
    assert not failures


def test_the_problem_examples_say_their_own_status(spec):
    """A 400 example is a 400 "Bad Request", and so on: the status its response is for."""
    by_name = {name: status for status, (name, _description) in ERROR_RESPONSES.items()}
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


@pytest.mark.parametrize("name", sorted(STORED["errors"]))
def test_the_api_gives_the_problem_example_today(example_client, editor_token, name):
    stored = STORED["errors"][name]
    response = examples.ask(example_client, stored, editor_token)
    assert response.get_json() == stored["body"], REGENERATE


def test_the_examples_cover_the_main_problems():
    assert {"BadRequest", "NotFound", "UnprocessableContent"} <= set(STORED["errors"])


def test_each_get_operation_answering_json_has_its_own_example(spec):
    """`make examples` asks every JSON GET operation of the spec, so a new one is not missed."""
    operations = examples.json_get_operations(spec)
    assert set(operations) == set(STORED["operations"])
