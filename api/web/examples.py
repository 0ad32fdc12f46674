"""Response examples in the spec, taken from the shipped dataset: real answers, not examples
stitched together from field examples.

`make examples` loads data/ into a throwaway database, asks this app every GET operation of the
spec that answers JSON (a small page of a list; statuses and opening hours at fixed instants,
`AT`), the same operations in each of their other media types (`media_answers`: GeoJSON,
JSON-LD, Turtle, iCalendar, CSV, NDJSON, Markdown, a byte range of a dump), and the requests in
`ERRORS` for the problem responses, and writes the answers to `examples.json` beside this
module. Long line-based answers (CSV, NDJSON, Markdown) are kept as an excerpt, their first
`EXCERPT_LINES` lines, and their example's summary says so. Building the spec (`document`) puts
each answer in as its response's example, the item's answer also as the example of the writes
that return the item, and the problems as the examples of the shared error responses. Only the
answers in `WITHOUT_EXAMPLE` have none, each for the reason given there.
tests/test_examples.py checks each example against its schema, parses it in its format, and
compares it with what the API answers to the same request.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from apispec import APISpec
from flask import Flask, current_app
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from api.config import Config
from api.store.db import db
from api.store.loader import load_dataset
from api.store.tokens import create_token

EXAMPLES_FILE = Path(__file__).with_name("examples.json")
# The answers are asked for at this address, and with this cursor key, so that regenerating
# them gives the same links.
BASE_URL = "https://api.example.org"
CURSOR_SECRET = "spec-examples"
# The settings the answers are asked under: that cursor key, and the default rate limits
# (whatever the environment says), which the 429's example quotes.
SETTINGS = {
    "CURSOR_SECRET": CURSOR_SECRET,
    "RATE_LIMIT_READS": Config.RATE_LIMIT_READS,
    "RATE_LIMIT_WRITES": Config.RATE_LIMIT_WRITES,
}
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
# Path parameters other than the spec's own examples (smaller dumps than all units).
PATH_VALUES = {
    name: {"collection": "organizations"} for name in ("getDumpJson", "getDumpCsv", "getDumpNdjson")
}
JSON = "application/json"
PROBLEM_JSON = "application/problem+json"
# How an operation is asked for a media type that `Accept` does not choose (`format=`).
FORMAT_OF = {
    "application/x-ndjson": "ndjson",
    "application/geo+json": "geojson",
    "application/ld+json": "jsonld",
    "text/turtle": "ttl",
}
# Line-based answers longer than this many lines are kept as an excerpt of their first lines.
EXCERPT_LINES = 4
EXCERPTED = ("text/csv", "application/x-ndjson", "text/markdown", "application/octet-stream")
# A partial answer (206) is asked for these bytes of the file.
RANGE = "bytes=0-299"
# A write body one byte larger than any server setting accepts by default (MAX_CONTENT_LENGTH).
TOO_LARGE = 1_000_001
# The answers the spec declares that have no example, and why.
WITHOUT_EXAMPLE = {
    "application/zip": "a binary archive: an example would be bytes, not readable text",
    "InternalServerError": "answers only a fault of the server, which no request can cause",
    "ServiceUnavailable": "answers only while another write holds the database",
    "getDumpCsv 503": "answers only while the dump of a new data version is being built",
    "getDumpJson 503": "answers only while the dump of a new data version is being built",
    "getDumpNdjson 503": "answers only while the dump of a new data version is being built",
    "getDatasetArchive 503": "answers only while the dump of a new data version is being built",
}
# The problem responses' examples: a component response name and a request that answers it.
# A write is sent with a token made for the purpose, of `scopes` (admin unless given; none
# with `"scopes": []`); `if_match: "current"` first GETs the record for its ETag; `delete_first`
# deletes the record (with its ETag) before the request; `until_refused` repeats the request
# (from its own client address) until it is refused. Unit ids from data/units.yaml.
UNIT = "/v1/units/pakila-work-centre"
NEW_UNIT = {"id": "pakila-annex", "type": "shops", "name": {"fi": "Pakilan annex"}}
ERRORS: dict[str, dict[str, Any]] = {
    "BadRequest": {"method": "GET", "request": "/v1/units?page_size=0"},
    "NotFound": {"method": "GET", "request": "/v1/units/no-such-unit"},
    "Gone": {
        "method": "GET",
        "request": "/v1/announcements/face-masks-in-social-and-health-care",
        "delete_first": True,
    },
    "NotAcceptable": {
        "method": "GET",
        "request": "/v1/catalog",
        "headers": {"Accept": "image/png"},
    },
    "UnprocessableContent": {"method": "POST", "request": "/v1/units", "json": NEW_UNIT},
    "Unauthorized": {"method": "POST", "request": "/v1/units", "json": NEW_UNIT, "scopes": []},
    "Forbidden": {
        "method": "POST",
        "request": "/v1/units",
        "json": NEW_UNIT,
        "scopes": ["write:duties"],
    },
    "Conflict": {"method": "DELETE", "request": UNIT, "if_match": "current"},
    "PreconditionFailed": {"method": "DELETE", "request": UNIT, "headers": {"If-Match": '"0"'}},
    "PreconditionRequired": {"method": "DELETE", "request": UNIT},
    "ContentTooLarge": {"method": "POST", "request": "/v1/units", "size": TOO_LARGE},
    "UnsupportedMediaType": {
        "method": "POST",
        "request": "/v1/units",
        "data": "id=pakila-annex",
        "headers": {"Content-Type": "application/x-www-form-urlencoded"},
    },
    "TooManyRequests": {"method": "GET", "request": "/v1", "until_refused": True},
}
# The client address the rate-limited example is asked from (a documentation address).
REFUSED_CLIENT = "192.0.2.1"


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


def media_name(operation_id: str, status: str, media: str) -> str:
    """The component example's name of one answer: `getCatalog_turtle`, `getDumpCsv_206_...`."""
    kind = media.split("/")[1].removeprefix("x-").replace("+", "_").replace("-", "_")
    return f"{operation_id}_{kind}" if status == "200" else f"{operation_id}_{status}_{kind}"


def media_operations(spec: dict[str, Any]) -> dict[str, tuple[str, dict, dict, str, str]]:
    """Every GET answer in a media type other than JSON that has an example, by its
    `media_name`: (path, path item, operation, status, media type)."""
    out = {}
    for path, item in spec["paths"].items():
        operation = item.get("get")
        for status, response in (operation or {}).get("responses", {}).items():
            for media in response.get("content", {}) if status.startswith("2") else ():
                if media != JSON and media not in WITHOUT_EXAMPLE:
                    name = media_name(operation["operationId"], status, media)
                    out[name] = (path, item, operation, status, media)
    return out


def media_body(response: TestResponse, media: str) -> tuple[Any, int | None]:
    """An answer's body as its example (JSON parsed; text as text, the first `EXCERPT_LINES`
    lines of a longer line-based one) and the number of lines kept, if an excerpt."""
    if media.endswith("+json"):
        return response.get_json(force=True), None
    text = response.get_data(as_text=True)
    lines = text.splitlines(keepends=True)
    if media in EXCERPTED and len(lines) > EXCERPT_LINES:
        return "".join(lines[:EXCERPT_LINES]), EXCERPT_LINES
    return text, None


def ask_media(client: FlaskClient, answer: dict[str, Any]) -> TestResponse:
    """Send one of `media_answers`' requests."""
    headers = {"Accept": answer["media_type"]}
    if answer["status"] == "206":
        headers["Range"] = RANGE
    return client.get(answer["request"], headers=headers, base_url=BASE_URL)


def media_answers(client: FlaskClient, spec: dict[str, Any]) -> dict[str, Any]:
    """Ask `client` for every `media_operations` answer."""
    answers = {}
    for name, (path, item, operation, status, media) in sorted(media_operations(spec).items()):
        answer = {
            "operation": operation["operationId"],
            "status": status,
            "media_type": media,
            "request": example_request(path, item, operation),
        }
        response = ask_media(client, answer)
        if response.mimetype != media and media in FORMAT_OF:
            # Where `Accept` does not choose the media type, `format=` does (it is left out of
            # the spec's parameters: api.web.http.Api.negotiate_other_representations).
            query = urlencode({"format": FORMAT_OF[media]})
            answer["request"] += ("&" if "?" in answer["request"] else "?") + query
            response = ask_media(client, answer)
        assert str(response.status_code) == status, (name, response.get_data(as_text=True))
        # A range of a dump is declared as bytes; it is answered in the file's own type.
        assert response.mimetype == media or status == "206", (name, response.mimetype)
        body, lines = media_body(response, media)
        answers[name] = {**answer, "body": body, "excerpt_lines": lines}
    return answers


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
    media = media_answers(client, spec)
    loaded_at = client.get("/v1", base_url=BASE_URL).get_json()["last_modified"]
    errors = {}
    # Last, and the one that deletes a record last of all: they change what the others answer.
    for name, error in sorted(ERRORS.items(), key=lambda e: bool(e[1].get("delete_first"))):
        response = ask(client, error)
        assert response.status_code >= 400, (name, response.status_code)
        errors[name] = {**error, "body": response.get_json(force=True)}
    return {"loaded_at": loaded_at, "operations": answers, "media": media, "errors": errors}


def editor_token(scopes: list[str] | None = None) -> str:
    """A token of `scopes` (admin unless given) in the current app's database, made once (its
    name, which answers may quote, is the same on every run)."""
    scopes = scopes or ["admin"]
    made = current_app.extensions.setdefault("spec example tokens", {})
    name = f"spec examples {' '.join(scopes)}"
    if name not in made:
        session = db.new_session()
        try:
            with session.begin():
                made[name] = create_token(session, name, scopes)
        finally:
            session.close()
    return str(made[name])


def ask(client: FlaskClient, error: dict[str, Any]) -> TestResponse:
    """Send one of `ERRORS`' requests (and those it needs first)."""
    scopes = error.get("scopes", ["admin"])
    with client.application.app_context():
        token = editor_token(scopes) if scopes else None
    headers = dict(error.get("headers", {}))
    if token is not None and error["method"] != "GET":
        headers["Authorization"] = f"Bearer {token}"
    if error.get("if_match") == "current" or error.get("delete_first"):
        etag = client.get(error["request"], base_url=BASE_URL).headers["ETag"]
        headers["If-Match"] = etag
    if error.get("delete_first"):
        with client.application.app_context():
            admin = {"Authorization": f"Bearer {editor_token()}", "If-Match": etag}
        deleted = client.delete(error["request"], headers=admin, base_url=BASE_URL)
        assert deleted.status_code == 204, deleted.get_data(as_text=True)
    data = "x" * error["size"] if "size" in error else error.get("data")
    if "size" in error:
        headers["Content-Type"] = JSON
    environ = {"REMOTE_ADDR": REFUSED_CLIENT} if error.get("until_refused") else {}
    for _attempt in range(100_000):
        response = client.open(
            error["request"],
            method=error["method"],
            json=error.get("json"),
            data=data,
            headers=headers,
            base_url=BASE_URL,
            environ_base=environ,
        )
        if not error.get("until_refused") or response.status_code != 200:
            return response
    raise AssertionError(f"{error['request']} was never refused: are the rate limits off?")


def write(create_app: Callable[[dict[str, Any]], Flask]) -> None:
    """`make examples`: the shipped dataset into a throwaway SQLite file, then `generate`.
    `create_app` is the app factory (api.create_app), which this layer may not import."""
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite:///{directory}/examples.sqlite3"
        app = create_app({"DATABASE_URL": url, **SETTINGS})
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
        return {"operations": {}, "media": {}, "errors": {}}
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
    for name, answer in examples.get("media", {}).items():
        spec.components.example(name, {"summary": _media_summary(answer), "value": answer["body"]})
        operation = next(
            op
            for item in spec._paths.values()
            for op in item.values()
            if isinstance(op, dict) and op.get("operationId") == answer["operation"]
        )
        content = operation["responses"][answer["status"]]["content"][answer["media_type"]]
        content["examples"] = {"shipped": {"$ref": f"#/components/examples/{name}"}}
    for name in examples["errors"]:
        content = spec.components.responses[name]["content"][PROBLEM_JSON]
        content["examples"] = {"shipped": {"$ref": f"#/components/examples/{name}"}}


def _media_summary(answer: dict[str, Any]) -> str:
    ranged = f", Range: {RANGE}" if answer["status"] == "206" else ""
    summary = f"GET {answer['request']} (Accept: {answer['media_type']}{ranged}; the shipped data)"
    if answer["excerpt_lines"]:
        summary += f"; an excerpt: the answer's first {answer['excerpt_lines']} lines"
    return summary


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
