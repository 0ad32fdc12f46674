"""Property-based tests of the whole API from its own OpenAPI document (schemathesis, in-process).

Every operation in the spec is exercised with generated valid and invalid input, and every
response is held to every check schemathesis has: status codes, content types, headers and
bodies as documented, no server errors, invalid input rejected, valid input accepted. New
endpoints are covered as soon as they are in the spec.
"""

from __future__ import annotations

import tempfile
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import schemathesis
from conftest import DATA_DIR, empty_database_url
from hypothesis import HealthCheck, settings
from schemathesis.checks import CHECKS, load_all_checks

from api import create_app
from api.store.db import db
from api.store.loader import load_dataset
from api.web.pagination import encode_cursor
from schemas.common import LAST_DAY
from schemas.status import MAX_RANGE_DAYS

load_all_checks()
ALL_CHECKS = CHECKS.get_all()


def _build_app():
    """An app over the shipped dataset, built at import: schemathesis parametrizes at collection."""
    directory = Path(tempfile.mkdtemp(prefix="schemathesis-"))
    app = create_app(
        {"TESTING": True, "DATABASE_URL": empty_database_url(directory, "schemathesis")}
    )
    with app.app_context():
        db.create_all()
        session = db.new_session()
        load_dataset(session, DATA_DIR)
        session.close()
    return app


APP = _build_app()
schema = schemathesis.openapi.from_wsgi("/v1/openapi.json", APP)


@pytest.fixture(autouse=True)
def _app_database():
    """`db` is one per process and every app the other tests build re-points it (at databases
    that are gone by now under PostgreSQL): point it back at this module's."""
    db.configure(APP.config["DATABASE_URL"])
    yield
    db.session.remove()


@pytest.fixture
def api_schema():
    return schema


def _issued_cursors() -> dict[str, str]:
    """A genuine cursor for each collection, from its first page's `next` link."""
    client = APP.test_client()
    cursors = {}
    for path, item in schema.raw_schema["paths"].items():
        parameters = {p["name"] for p in item.get("get", {}).get("parameters", [])}
        if "cursor" not in parameters:
            continue
        url = path
        for parameter in item.get("parameters", []):
            if parameter["in"] == "path":
                url = url.replace(f"{{{parameter['name']}}}", parameter["example"])
        page = client.get(url, query_string={"page_size": 1}).json
        if page["next"]:
            cursors[path] = parse_qs(urlsplit(page["next"]).query)["cursor"][0]
        else:  # a one-record collection issues no cursor; make the one it would issue
            first = page["results"][0]
            with APP.app_context():
                cursors[path] = encode_cursor(
                    "n", (first["id"] if "id" in first else first["version"],)
                )
    return cursors


CURSORS = _issued_cursors()
FEED_CURSOR = APP.test_client().get("/v1/changes?page_size=1").json["cursor"]
# Compression is tested on its own (test_http_caching); here bodies are read as sent.
IDENTITY = {"Accept-Encoding": "identity"}


def repair_what_the_spec_cannot_say(case) -> None:
    """Constraints OpenAPI cannot express, repaired in generated valid-looking requests
    (out-of-shape values, the negative tests, are left alone):

    - a cursor (or the feed's `since`) is opaque: only one the API issued (for the same
      ordering, with `q` or `near`) is valid, so a made-up one becomes a real one;
    - `near` and `radius` go together; a bbox's west is less than its east, south than north;
    - `end` must not be before `start` nor more than a year after it;
    - `as_of` gives the JSON form only, so it goes without `format`;
    - `bom` and `nulls` shape the CSV dumps only, so the other formats go without them.
    """
    query = case.query or {}
    if "as_of" in query:
        query.pop("format", None)
    if (case.path_parameters or {}).get("fmt") != "csv":
        bom = query.get("bom")
        if isinstance(bom, bool) or bom in ("true", "false"):
            del query["bom"]
        if query.get("nulls") in ("empty", "marked"):
            del query["nulls"]
    _repair_geo(query)
    cursor = query.get("cursor")
    if isinstance(cursor, str) and 1 <= len(cursor) <= 1000:
        if ORDERINGS & set(query):
            _cursor_for_this_ordering(case.operation.path, query)
        else:
            query["cursor"] = CURSORS[case.operation.path]
    since = query.get("since")
    if isinstance(since, str) and 1 <= len(since) <= 100:
        query["since"] = FEED_CURSOR
    start, end = _as_day(query.get("start")), _as_day(query.get("end"))
    if start and end and not start <= end < start + timedelta(days=MAX_RANGE_DAYS):
        query["end"] = min(start + timedelta(days=6), LAST_DAY).isoformat()
        if _as_day(query["end"]) < start:
            query["start"] = query["end"]


# A cursor belongs to the order it was issued for: searches and `near` order differently.
ORDERINGS = {"q", "near"}


def _repair_geo(query: dict) -> None:
    """`near` and `radius` go together, and a bbox has west < east and south < north."""
    if "near" in query and "radius" not in query:
        query["radius"] = 1000
    if "radius" in query and "near" not in query:
        query["near"] = "60.2,24.95"
    bbox = query.get("bbox")
    if isinstance(bbox, str) and bbox.count(",") == 3:
        try:
            west, south, east, north = (float(part) for part in bbox.split(","))
        except ValueError:
            return
        if not (west < east and south < north):
            query["bbox"] = "24.5,59.9,25.5,60.5"


def _cursor_for_this_ordering(path: str, query: dict) -> None:
    """A cursor the API issues for this very query, or none when it issues none."""
    first = {key: value for key, value in query.items() if key != "cursor"}
    response = APP.test_client().get(path, query_string={**first, "page_size": 1})
    link = response.json.get("next") if response.status_code == 200 else None
    if link:
        query["cursor"] = parse_qs(urlsplit(link).query)["cursor"][0]
    elif response.status_code == 200:
        del query["cursor"]


def _as_day(value):
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


@schema.parametrize()
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_every_operation_conforms_to_the_spec(case):
    repair_what_the_spec_cannot_say(case)
    case.call_and_validate(checks=ALL_CHECKS, headers=IDENTITY)


def test_stateful_links_between_operations(api_schema):
    class StateMachine(api_schema.as_state_machine()):
        def get_call_kwargs(self, case):
            return {"headers": IDENTITY}

        def before_call(self, case):
            repair_what_the_spec_cannot_say(case)

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            super().validate_response(response, case, additional_checks=ALL_CHECKS, **kwargs)

    StateMachine.run(
        settings=settings(
            max_examples=30,
            stateful_step_count=6,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
    )
