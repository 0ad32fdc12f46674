"""Response examples in the spec, taken from the shipped dataset: real answers, not examples
stitched together from field examples.

`make examples` loads data/ into a throwaway database, asks this app every GET operation of the
spec that answers JSON (a small page of a list; statuses and opening hours at fixed instants,
`AT`), and the requests in `ERRORS` for the problem responses, and writes the answers to
`examples.json` beside this module. Building the spec (`document`) puts each answer in as the
200 response's example, the item's answer also as the example of the writes that return the
item, and the problems as the examples of the shared error responses. tests/test_examples.py
checks each example against its schema and against what the API answers to the same request.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from apispec import APISpec
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from api.store.db import db
from api.store.loader import load_dataset
from api.store.tokens import create_token

EXAMPLES_FILE = Path(__file__).with_name("examples.json")
# The answers are asked for at this address, and with this cursor key, so that regenerating
# them gives the same links.
BASE_URL = "https://api.example.org"
CURSOR_SECRET = "spec-examples"
# The instant statuses and in-force notices are computed at; a date within the sources' time.
AT = "2021-02-25T10:00:00+02:00"
# Query parameters added to an operation's example request, when the operation takes them.
QUERY = {
    "page_size": "2",
    "per_page": "2",
    "at": AT,
    "start": "2021-02-22",
    "end": "2021-02-28",
}
# Path parameters other than the spec's own examples (a smaller dump than all units).
PATH_VALUES = {"getDumpJson": {"collection": "organizations"}}
# The problem responses' examples: a component response name and a request that answers it
# (a write is sent with an editor token made for the purpose).
ERRORS: dict[str, dict[str, Any]] = {
    "BadRequest": {"method": "GET", "request": "/v1/units?page_size=0"},
    "NotFound": {"method": "GET", "request": "/v1/units/no-such-unit"},
    "UnprocessableContent": {
        "method": "POST",
        "request": "/v1/units",
        "json": {"id": "pakila-annex", "type": "shops", "name": {"fi": "Pakilan annex"}},
    },
}
JSON = "application/json"
PROBLEM_JSON = "application/problem+json"


def example_request(path: str, item: dict[str, Any], operation: dict[str, Any]) -> str:
    """The URL path and query an operation's example answers."""
    values = PATH_VALUES.get(operation["operationId"], {})
    for parameter in [*item.get("parameters", []), *operation.get("parameters", [])]:
        if parameter["in"] == "path":
            value = values.get(parameter["name"], parameter["example"])
            path = path.replace(f"{{{parameter['name']}}}", str(value))
    names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
    query = {name: value for name, value in QUERY.items() if name in names}
    return f"{path}?{urlencode(query)}" if query else path


def json_get_operations(spec: dict[str, Any]) -> dict[str, tuple[str, dict, dict]]:
    """Every GET operation whose 200 answers JSON, by operationId: (path, path item, op)."""
    out = {}
    for path, item in spec["paths"].items():
        operation = item.get("get")
        if operation and JSON in operation["responses"]["200"].get("content", {}):
            out[operation["operationId"]] = (path, item, operation)
    return out


def generate(app: Flask) -> dict[str, Any]:
    """Ask `app` (over the shipped dataset) for every example's answer."""
    client = app.test_client()
    spec = client.get("/v1/openapi.json").get_json()
    answers: dict[str, Any] = {}
    for operation_id, (path, item, operation) in sorted(json_get_operations(spec).items()):
        request = example_request(path, item, operation)
        response = client.get(request, base_url=BASE_URL)
        assert response.status_code == 200, (request, response.get_data(as_text=True))
        answers[operation_id] = {"request": request, "body": response.get_json(force=True)}
    with app.app_context():
        token = editor_token()
    errors = {}
    for name, error in ERRORS.items():
        response = ask(client, error, token)
        errors[name] = {**error, "body": response.get_json(force=True)}
    loaded_at = client.get("/v1", base_url=BASE_URL).get_json()["last_modified"]
    return {"loaded_at": loaded_at, "operations": answers, "errors": errors}


def editor_token() -> str:
    """An admin token in the current app's database, for the write in `ERRORS`."""
    session = db.new_session()
    try:
        with session.begin():
            return create_token(session, "spec examples", ["admin"])
    finally:
        session.close()


def ask(client: FlaskClient, error: dict[str, Any], token: str) -> TestResponse:
    """Send one of `ERRORS`' requests."""
    headers = {} if error["method"] == "GET" else {"Authorization": f"Bearer {token}"}
    return client.open(
        error["request"],
        method=error["method"],
        json=error.get("json"),
        headers=headers,
        base_url=BASE_URL,
    )


def write(create_app: Callable[[dict[str, Any]], Flask]) -> None:
    """`make examples`: the shipped dataset into a throwaway SQLite file, then `generate`.
    `create_app` is the app factory (api.create_app), which this layer may not import."""
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite:///{directory}/examples.sqlite3"
        app = create_app({"DATABASE_URL": url, "CURSOR_SECRET": CURSOR_SECRET})
        with app.app_context():
            db.create_all()
            session = db.new_session()
            load_dataset(session, app.config["DATA_DIR"])
            session.close()
            examples = generate(app)
            db.session.remove()
            db.configured_engine().dispose()
    text = json.dumps(examples, ensure_ascii=False, indent=1, sort_keys=True)
    EXAMPLES_FILE.write_text(text + "\n", encoding="utf-8")


def load() -> dict[str, Any]:
    if not EXAMPLES_FILE.exists():
        return {"operations": {}, "errors": {}}
    return json.loads(EXAMPLES_FILE.read_text(encoding="utf-8"))


def document(spec: APISpec) -> None:
    """Put the examples in the spec, each once in `components/examples` (named for its
    operation or error response) and referred to: each GET's answer, the item's answer for the
    writes that return the record, and the problems for the shared error responses."""
    examples = load()
    answers = examples["operations"]
    for name, answer in [*answers.items(), *examples["errors"].items()]:
        spec.components.example(
            name,
            {
                "summary": f"{answer.get('method', 'GET')} {answer['request']} (the shipped data)",
                "value": answer["body"],
            },
        )
    # A write answers the record it wrote: the example of the GET answering the same schema.
    by_schema: dict[str, str] = {}
    for item in spec._paths.values():
        get = item.get("get")
        ref = _schema_ref(get, "200") if get and get["operationId"] in answers else None
        if get and ref:
            by_schema.setdefault(ref, get["operationId"])
    for item in spec._paths.values():
        for operation in (op for op in item.values() if isinstance(op, dict)):
            for status in operation.get("responses", {}):
                ref = _schema_ref(operation, status)
                if operation["operationId"] in answers and str(status) == "200":
                    _attach(operation, status, operation["operationId"])
                elif str(status).startswith("2") and ref in by_schema:
                    _attach(operation, status, by_schema[ref])
    for name in examples["errors"]:
        content = spec.components.responses[name]["content"][PROBLEM_JSON]
        content["examples"] = {"shipped": {"$ref": f"#/components/examples/{name}"}}


def _schema_ref(operation: dict[str, Any], status: str | int) -> str | None:
    response = operation["responses"].get(status)
    if not isinstance(response, dict):
        return None
    schema = response.get("content", {}).get(JSON, {}).get("schema", {})
    return schema.get("$ref") if isinstance(schema, dict) else None


def _attach(operation: dict[str, Any], status: str | int, name: str) -> None:
    response = operation["responses"].get(status)
    if isinstance(response, dict) and JSON in response.get("content", {}):
        response["content"][JSON]["examples"] = {
            "shipped": {"$ref": f"#/components/examples/{name}"}
        }
