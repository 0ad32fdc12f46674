"""Property-based tests of the whole API from its own OpenAPI document (schemathesis, in-process).

Every operation in the spec is exercised with generated valid and invalid input, and every
response is held to every check schemathesis has: status codes, content types, headers and
bodies as documented, no server errors, invalid input rejected, valid input accepted. New
endpoints are covered as soon as they are in the spec.

Twice: anonymously over the shipped dataset, and with an admin token over a throwaway copy of
it that the writes change (every write reached, following the spec's links from a record's
ETag to its writes in the stateful run).
"""

from __future__ import annotations

import tempfile
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import schemathesis
from conftest import DATA_DIR, empty_database_url
from hypothesis import HealthCheck, settings
from hypothesis.errors import FlakyStrategyDefinition
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.config import SchemathesisConfig

from api import create_app
from api.store.db import db
from api.store.loader import load_dataset
from api.store.tokens import create_token
from api.web.pagination import encode_cursor
from schemas.common import LAST_DAY
from schemas.status import MAX_RANGE_DAYS

load_all_checks()
ALL_CHECKS = CHECKS.get_all()
# A deleted record's history stays readable, by design: the stateful runs name their checks
# themselves, so what WRITE_CONFIG turns off for `/history` is left out here too.
HISTORY_CHECKS = [check for check in ALL_CHECKS if check.__name__ != "use_after_free"]


def _build_app(label: str = "schemathesis"):
    """An app over the shipped dataset, built at import: schemathesis parametrizes at collection."""
    directory = Path(tempfile.mkdtemp(prefix="schemathesis-"))
    app = create_app({"TESTING": True, "DATABASE_URL": empty_database_url(directory, label)})
    with app.app_context():
        db.create_all()
        session = db.new_session()
        load_dataset(session, DATA_DIR)
        session.close()
    return app


APP = _build_app()
schema = schemathesis.openapi.from_wsgi("/v1/openapi.json", APP)


@pytest.fixture(autouse=True)
def _app_database(request):
    """`db` is one per process and every app the other tests build re-points it (at databases
    that are gone by now under PostgreSQL): point it back at this module's, the authenticated
    pass's own for its tests."""
    app = WRITE_APP if request.function.__name__.endswith(ADMIN_TESTS) else APP
    db.configure(app.config["DATABASE_URL"])
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
    - `end` must not be before `start` nor more than a year after it.
    """
    query = case.query or {}
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
    run_state_machine(api_schema, examples=30, steps=6, headers=IDENTITY)


def run_state_machine(api_schema, examples: int, steps: int, headers: dict, repair=None) -> list:
    """Sequences of calls following the spec's links, each response held to every check; the
    (method, path, status) of every call.

    Where the calls change the database, hypothesis may stop the run because a sequence it
    replays (to shrink a failure, or to explore) no longer meets the same records
    (`FlakyStrategyDefinition`): then the first check that failed is raised instead, if any."""
    calls, failures = [], []

    class StateMachine(api_schema.as_state_machine()):
        def get_call_kwargs(self, case):
            return {"headers": headers}

        def after_call(self, response, case):
            super().after_call(response, case)
            calls.append((case.method.upper(), case.operation.path, response.status_code))

        def before_call(self, case):
            repair_what_the_spec_cannot_say(case)
            if repair:
                repair(case)

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            # As the state machine's own, but naming the headers sent, so that the checks know
            # a token was given, not generated.
            try:
                case.validate_response(
                    response,
                    additional_checks=HISTORY_CHECKS
                    if case.operation.path.endswith("/history")
                    else ALL_CHECKS,
                    headers=kwargs.get("headers"),
                    transport_kwargs=kwargs or None,
                    recorder=self.recorder,
                )
            except Exception as failure:
                failures.append(failure)
                raise

    try:
        StateMachine.run(
            settings=settings(
                max_examples=examples,
                stateful_step_count=steps,
                deadline=None,
                suppress_health_check=list(HealthCheck),
            )
        )
    except FlakyStrategyDefinition:
        if failures:
            raise failures[0] from None
        raise
    return calls


# --- With an admin token, on a database the writes may change --------------------------------

WRITE_APP = _build_app("schemathesis-writes")
ADMIN_TESTS = "with_an_admin_token"  # the tests that run on it (`_app_database`)


def _admin_token() -> str:
    with WRITE_APP.app_context():
        session = db.new_session()
        with session.begin():
            token = create_token(session, "schemathesis", ["admin"])
        session.close()
    return token


ADMIN = {**IDENTITY, "Authorization": f"Bearer {_admin_token()}"}
WRITE_METHODS = ["POST", "PUT", "PATCH", "DELETE"]
# What OpenAPI cannot say about a write and the server checks: the records a body names exist,
# dates and hours are in order, the record is not already superseded (422, 409); and, in the
# stateful run, an ETag taken before another write changed the record (412). So a valid-looking
# write may get these. And as RFC 9110 (13.2.1) orders it, a write to a deleted record is 410
# whatever its preconditions, and preconditions are evaluated before the content: an invalid
# body or a missing `If-Match` may get 410 or 412 (or RFC 6585's 428) rather than 400 or 422;
# and a body over MAX_CONTENT_LENGTH is a 413.
WRITE_CONFIG = SchemathesisConfig.from_dict(
    {
        # Text holds no NUL character (PostgreSQL stores none): a body with one is a 400. The
        # token is sent with every request as given, not generated (schemathesis then checks
        # that leaving it out or spoiling it is a 401).
        "generation": {"allow-x00": False, "with-security-parameters": False},
        "checks": {
            "missing_required_header": {"expected-statuses": [400, 401, 403, 406, 415, 422, 428]}
        },
        "operations": [
            {
                "include-method": WRITE_METHODS,
                "checks": {
                    "positive_data_acceptance": {
                        "expected-statuses": ["2xx", 401, 403, 404, 409, 410, 412, 422, 429]
                    },
                    "negative_data_rejection": {
                        "expected-statuses": [400, 401, 403, 404, 405, 406, 409, 410, 412]
                        + [413, 415, 422, 428, 429, "5xx"]
                    },
                    "missing_required_header": {
                        "expected-statuses": [400, 401, 403, 404, 406, 410, 415, 422, 428]
                    },
                },
            },
            # A record the run deleted answers its reads 410 Gone, as documented; its history
            # stays readable, by design (its versions are kept).
            {
                "include-method": ["GET"],
                "checks": {
                    "positive_data_acceptance": {
                        "expected-statuses": ["2xx", "3xx", 401, 403, 404, 409, 410, 429, "5xx"]
                    }
                },
            },
            {"include-path-regex": "/history$", "checks": {"use_after_free": {"enabled": False}}},
        ],
    }
)
write_schema = schemathesis.openapi.from_wsgi("/v1/openapi.json", WRITE_APP, config=WRITE_CONFIG)


@pytest.fixture
def write_api_schema():
    return write_schema


def repair_the_write(case) -> None:
    """A valid-looking write names the record's current ETag in `If-Match` (a made-up one is
    only ever a 412), as a client does after a GET (or, in the stateful run, from the links)."""
    if case.method.upper() not in WRITE_METHODS or not case.headers:
        return
    if (
        not isinstance(case.headers.get("If-Match"), str)
        or not case.meta.generation.mode.is_positive
    ):
        return
    item = case.formatted_path.removesuffix("/supersede")
    response = WRITE_APP.test_client().get(item, headers=IDENTITY)
    if response.status_code == 200:
        case.headers["If-Match"] = response.headers["ETag"]


@write_schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_every_operation_conforms_to_the_spec_with_an_admin_token(case):
    repair_what_the_spec_cannot_say(case)
    repair_the_write(case)
    case.call_and_validate(checks=ALL_CHECKS, headers=ADMIN)


def test_stateful_links_with_an_admin_token(write_api_schema):
    """Creates, reads and writes chained by the links: a record's ETag reaches its writes.

    And some of those writes are done (a 2xx), so that the run cannot pass on 401s, 404s and
    428s alone. A usual run does two or three; in the rare one that happens to do none, the
    machine runs again, five runs at most (three once fell short in a full run). So it does
    when hypothesis stopped a run only because a sequence it replayed met a database changed
    meanwhile (no check failed)."""
    answered, stopped = Counter(), 0
    for _run in range(5):
        try:
            calls = run_state_machine(
                write_api_schema, examples=40, steps=8, headers=ADMIN, repair=repair_the_write
            )
        except FlakyStrategyDefinition:
            stopped += 1
            continue
        answered.update(calls)
        if [call for call in answered if call[0] in ITEM_WRITES and 200 <= call[2] < 300]:
            return
    raise AssertionError(
        f"No replace, update or delete was done ({stopped} runs stopped by a changed database): "
        + str(sorted(answered.items()))
    )


ITEM_WRITES = ("PUT", "PATCH", "DELETE")  # the writes to a record, which need its ETag
