"""Generated SDKs work the first time: a Python client (openapi-python-client) and TypeScript
types (openapi-typescript, `tsc --strict`) are generated from the committed openapi.yaml and
used against a live server on 127.0.0.1.

The TypeScript half needs Node and npm; without them it is skipped, or fails when
REQUIRE_SYSTEM_TESTS=1. The npm tools are pinned in tests/sdk/package-lock.json.
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import re
import shutil
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import yaml
from conftest import PROJECT_ROOT, sdk_node_modules
from live_server import live_server
from readme_examples import example, run_python

OPENAPI = PROJECT_ROOT / "openapi.yaml"
SDK_DIR = PROJECT_ROOT / "tests" / "sdk"
PACKAGE = "social_services_client"
VENV_BIN = Path(sys.executable).parent
# The same flags `make sdk` uses.
TSC_FLAGS = (
    "--strict",
    "--target",
    "es2022",
    "--module",
    "commonjs",
    "--types",
    "node",
    "--typeRoots",
    str(SDK_DIR / "node_modules" / "@types"),
)
HELSINKI = timezone(timedelta(hours=2))


@pytest.fixture(scope="module")
def server(loaded_database, tmp_path_factory):
    with live_server(loaded_database, tmp_path_factory.mktemp("sdk-server")) as url:
        yield url


@pytest.fixture(scope="module")
def spec() -> dict:
    return yaml.safe_load(OPENAPI.read_text(encoding="utf-8"))


def snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def run(command: list, cwd: Path | None = None, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        **kwargs,
    )


# --- Python: openapi-python-client -----------------------------------------------------------


@pytest.fixture(scope="module")
def generated_package(tmp_path_factory) -> Path:
    output = tmp_path_factory.mktemp("python-sdk") / PACKAGE
    # The generator formats its output with ruff, which lives beside this Python.
    env = {**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = run(
        [
            VENV_BIN / "openapi-python-client",
            "generate",
            "--path",
            OPENAPI,
            "--config",
            SDK_DIR / "openapi-python-client.yaml",
            "--output-path",
            output,
            "--meta",
            "none",
            "--fail-on-warning",
        ],
        env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return output


@pytest.fixture(scope="module")
def sdk(generated_package):
    sys.path.insert(0, str(generated_package.parent))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(generated_package.parent))
        for name in [name for name in sys.modules if name.partition(".")[0] == PACKAGE]:
            del sys.modules[name]


@pytest.fixture
def api_client(sdk, server):
    with sdk.Client(base_url=server, raise_on_unexpected_status=True) as client:
        yield client


def test_every_operation_is_a_function_named_for_its_operation_id(generated_package, spec):
    operation_ids = {
        operation["operationId"]
        for item in spec["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict) and "operationId" in operation
    }
    modules = {path.stem for path in (generated_package / "api").glob("*/*.py")} - {"__init__"}
    assert modules == {snake(operation_id) for operation_id in operation_ids}


def test_every_model_is_named_for_a_component_schema(generated_package, spec):
    """An anonymous inline schema would come out as e.g. `ListUnitsResponse200`."""
    components = sorted((snake(name) for name in spec["components"]["schemas"]), key=len)
    models = {path.stem for path in (generated_package / "models").glob("*.py")} - {"__init__"}
    unnamed = {
        model
        for model in models
        if not any(model == name or model.startswith(f"{name}_") for name in components)
    }
    assert not unnamed


def test_the_python_client_pages_through_every_unit(sdk, api_client):
    from social_services_client.api.units import list_units
    from social_services_client.models import Unit, UnitPage
    from social_services_client.types import UNSET

    ids, cursor, pages = [], UNSET, 0
    while True:
        page = list_units.sync(client=api_client, page_size=3, cursor=cursor)
        assert isinstance(page, UnitPage)
        assert all(isinstance(unit, Unit) for unit in page.results)
        ids.extend(unit.id for unit in page.results)
        pages += 1
        if page.next_ is None:
            break
        # The `next` link is followed as is; its opaque cursor is all the client needs.
        (cursor,) = parse_qs(urlsplit(page.next_).query)["cursor"]
    assert pages > 1
    assert len(ids) == page.count
    assert ids == sorted(set(ids))
    assert "pakila-work-centre" in ids


def test_the_python_client_reads_a_unit_with_typed_access_channels(sdk, api_client):
    from social_services_client.api.units import get_unit
    from social_services_client.models import (
        PhoneChannel,
        PostalAddressChannel,
        Unit,
        VisitingAddressChannel,
        WebPageChannel,
    )

    unit = get_unit.sync("pakila-work-centre", client=api_client)
    assert isinstance(unit, Unit)
    assert unit.id == "pakila-work-centre"
    assert unit.name.fi == "Pakilan työkeskus"
    assert unit.type_ == "work_centre"  # an extensible enum arrives as a plain string
    assert isinstance(unit.modified_at, datetime) and unit.modified_at.tzinfo is not None
    channels = {channel.type_.value: channel for channel in unit.access_channels}
    assert isinstance(channels["phone"], PhoneChannel)
    assert channels["phone"].number == unit.phone
    assert isinstance(channels["visiting_address"], VisitingAddressChannel)
    assert isinstance(channels["postal_address"], PostalAddressChannel)
    assert isinstance(channels["web_page"], WebPageChannel)


def test_the_python_client_reads_a_status(sdk, api_client, server):
    from social_services_client.api.units import get_unit_status
    from social_services_client.models import UnitStatus

    at = datetime(2021, 2, 25, 10, tzinfo=HELSINKI)
    status = get_unit_status.sync("pakila-work-centre", client=api_client, at=at)
    assert isinstance(status, UnitStatus)
    assert status.unit_id == "pakila-work-centre"
    assert status.at == at
    assert status.state == "new_clients_admitted"
    assert (status.open_to_anyone, status.open_to_public) == (True, None)
    assert status.since is not None and status.since <= at < status.next_change
    assert status.decided_by.regular_hours_ids == ["pakila-work-centre-weekdays"]
    # The typed model says what the wire says.
    raw = httpx.get(
        f"{server}/v1/units/pakila-work-centre/status", params={"at": at.isoformat()}
    ).json()
    assert status.state == raw["state"]
    assert [notice.id for notice in status.notices] == [n["id"] for n in raw["notices"]]


def test_the_python_client_gets_a_typed_problem_for_a_missing_unit(sdk, api_client):
    from social_services_client.api.units import get_unit
    from social_services_client.models import Problem

    response = get_unit.sync_detailed("no-such-unit", client=api_client)
    assert response.status_code == 404
    problem = response.parsed
    assert isinstance(problem, Problem)
    assert problem.status == 404
    assert problem.title == "Not Found"
    assert problem.type_ == "about:blank"
    assert problem.instance == "/v1/units/no-such-unit"
    assert "no-such-unit" in problem.detail


def test_the_python_client_keeps_values_added_after_it_was_generated(sdk, server):
    """A new unit type, channel type (`chat`), state or delivery mode must not fail a page."""
    from social_services_client.models import (
        OtherChannel,
        PhoneChannel,
        StatusNotice,
        Unit,
        UnitPage,
        UnitStatus,
    )

    raw = httpx.get(f"{server}/v1/units/pakila-work-centre").json()
    (phone,) = [channel for channel in raw["access_channels"] if channel["type"] == "phone"]
    chat = {**phone, "id": "pakila-chat", "type": "chat", "handle": "@pakila"}
    del chat["number"]
    raw = {**raw, "type": "drop_in_centre", "access_channels": [*raw["access_channels"], chat]}

    unit = Unit.from_dict(raw)
    assert unit.type_ == "drop_in_centre"
    parsed = {channel.id: channel for channel in unit.access_channels}
    assert isinstance(parsed["pakila-chat"], OtherChannel)
    assert parsed["pakila-chat"].type_ == "chat"
    assert parsed["pakila-chat"]["handle"] == "@pakila"  # kept, as an additional property
    assert parsed["pakila-chat"].to_dict() == chat
    # The known types still come out typed.
    assert isinstance(parsed[phone["id"]], PhoneChannel)
    page = UnitPage.from_dict({**httpx.get(f"{server}/v1/units").json(), "results": [raw]})
    assert page.results[0].access_channels[-1].type_ == "chat"

    at = "2021-02-25T10:00:00+02:00"
    status = httpx.get(f"{server}/v1/units/pakila-work-centre/status", params={"at": at}).json()
    assert status["notices"], "the example needs a notice in force"
    notices = [
        {**n, "state": "by_appointment_only", "delivery_mode": "hybrid"} for n in status["notices"]
    ]
    status = {**status, "state": "by_appointment_only", "notices": notices}
    parsed_status = UnitStatus.from_dict(status)
    assert parsed_status.state == "by_appointment_only"
    assert {notice.state for notice in parsed_status.notices} == {"by_appointment_only"}
    raw_notice = httpx.get(f"{server}/v1/status-notices/{notices[0]['id']}").json()
    notice = StatusNotice.from_dict(
        {**raw_notice, "state": "by_appointment_only", "delivery_mode": "hybrid"}
    )
    assert (notice.state, notice.delivery_mode) == ("by_appointment_only", "hybrid")


def test_downloads_come_out_of_the_python_client_as_bytes(sdk, api_client, server):
    """NDJSON and CSV dumps and the iCalendar feed are files; the JSON dump is parsed."""
    from social_services_client.api.dumps import get_dump_csv, get_dump_json, get_dump_ndjson
    from social_services_client.api.units import get_unit_opening_hours_calendar
    from social_services_client.types import File

    ndjson = get_dump_ndjson.sync("units", client=api_client)
    assert isinstance(ndjson, File)
    body = ndjson.payload.read()
    assert body == httpx.get(f"{server}/v1/dumps/units.ndjson").content
    head, *lines = body.decode().splitlines()  # where the dump stands, then the records
    cursor = json.loads(head)["dump"]["change_feed_cursor"]
    ids = [json.loads(line)["id"] for line in lines]
    assert "pakila-work-centre" in ids

    csv = get_dump_csv.sync("units", client=api_client)
    assert isinstance(csv, File)
    assert csv.payload.read() == httpx.get(f"{server}/v1/dumps/units.csv").content

    dump = get_dump_json.sync("units", client=api_client)
    assert dump.change_feed_cursor == cursor
    assert [record["id"] for record in dump.results] == ids

    calendar = get_unit_opening_hours_calendar.sync(
        "pakila-work-centre", client=api_client, start=date(2021, 3, 1), end=date(2021, 3, 7)
    )
    assert isinstance(calendar, File)
    assert calendar.payload.read().startswith(b"BEGIN:VCALENDAR")


def test_other_representations_are_negotiated_outside_the_python_client(
    sdk, api_client, server, spec
):
    """GeoJSON, JSON-LD and NDJSON pages are asked for by `Accept` (or `format=`), which the
    spec leaves out of the operations, so no generated function can ask for a body it would
    then fail to parse (`list_units(format_="geojson")` raised KeyError 'results')."""
    from social_services_client.api.hsds import get_paginated_list_of_services
    from social_services_client.api.units import get_unit, list_units
    from social_services_client.models import Unit, UnitPage

    for function in (list_units.sync, get_unit.sync, get_paginated_list_of_services.sync):
        assert "format_" not in inspect.signature(function).parameters
    for item in spec["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict):
                assert "format" not in {p.get("name") for p in operation.get("parameters", [])}
    assert isinstance(list_units.sync(client=api_client, page_size=2), UnitPage)
    assert isinstance(get_unit.sync("pakila-work-centre", client=api_client), Unit)
    # The server still offers them, as the spec's 200 media types say.
    operation = spec["paths"]["/v1/units"]["get"]
    assert "application/geo+json" in operation["responses"]["200"]["content"]
    geojson = httpx.get(f"{server}/v1/units", headers={"Accept": "application/geo+json"})
    assert geojson.headers["Content-Type"].startswith("application/geo+json")
    assert geojson.json()["type"] == "FeatureCollection"
    assert httpx.get(f"{server}/v1/units?format=geojson").json() == geojson.json()


def test_the_readme_python_client_example_runs(sdk, server):
    assert 'base_url="http://127.0.0.1:8000"' in example("sdk-python", "python")
    lines = run_python("sdk-python", server).splitlines()
    units = httpx.get(
        f"{server}/v1/units", params={"service_id": "rehabilitating-work-activities"}
    ).json()["results"]
    assert lines[:-1] == [f"{u['id']} {u['name']['fi']} {u['type']}" for u in units]
    status = httpx.get(f"{server}/v1/units/pakila-work-centre/status").json()
    assert lines[-1] == f"{status['state']} {status['open_to_public']}"


# --- TypeScript: openapi-typescript and tsc --strict -----------------------------------------


@pytest.fixture(scope="module")
def node_tools() -> Path:
    """tests/sdk/node_modules/.bin, installed from the lock file when missing or stale."""
    return sdk_node_modules() / ".bin"


@pytest.fixture(scope="module")
def typescript_project(node_tools, tmp_path_factory) -> Path:
    """The generated types and copies of tests/sdk/example.ts and extensible.ts, side by side."""
    directory = tmp_path_factory.mktemp("typescript-sdk")
    result = run(
        [node_tools / "openapi-typescript", OPENAPI, "--output", directory / "schema.d.ts"]
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for name in ("example.ts", "extensible.ts"):
        shutil.copy(SDK_DIR / name, directory / name)
    return directory


def test_the_committed_spec_passes_redocly_and_spectral(node_tools):
    """The linters CI runs (`make lint-spec`): an error in either fails here, in `make test`."""
    redocly = run(
        [node_tools / "redocly", "lint", OPENAPI, "--config", SDK_DIR / "redocly.yaml"],
        env={**os.environ, "REDOCLY_TELEMETRY": "off", "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true"},
    )
    assert redocly.returncode == 0, redocly.stdout + redocly.stderr
    spectral = run(
        [node_tools / "spectral", "lint", OPENAPI, "--ruleset", SDK_DIR / ".spectral.yaml"]
    )
    assert spectral.returncode == 0, spectral.stdout + spectral.stderr


def test_the_typescript_types_have_every_operation_and_named_schemas(typescript_project, spec):
    types = (typescript_project / "schema.d.ts").read_text(encoding="utf-8")
    for item in spec["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict) and "operationId" in operation:
                assert f"    {operation['operationId']}: {{" in types
    for name in spec["components"]["schemas"]:
        assert f"        {name}: " in types


def test_the_typescript_example_compiles_with_strict_types(node_tools, typescript_project):
    result = run([node_tools / "tsc", *TSC_FLAGS, "--noEmit", "example.ts"], cwd=typescript_project)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_typescript_types_take_values_added_later(node_tools, typescript_project):
    """tests/sdk/extensible.ts: a new unit type, state, delivery mode, contact_by and channel
    type (`chat`) are assignable where the API may send them."""
    result = run(
        [node_tools / "tsc", *TSC_FLAGS, "--noEmit", "extensible.ts"], cwd=typescript_project
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_compiled_typescript_example_talks_to_the_api(node_tools, typescript_project, server):
    out = typescript_project / "js"
    result = run(
        [node_tools / "tsc", *TSC_FLAGS, "--outDir", out, "example.ts"], cwd=typescript_project
    )
    assert result.returncode == 0, result.stdout + result.stderr
    result = run(
        [shutil.which("node"), out / "example.js", server, "rehabilitating-work-activities"]
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert "pakila-work-centre" in summary["unit_ids"]
    assert summary["unit"]["id"] == summary["unit_ids"][0]
    assert summary["status"]["state"]
    assert summary["problem"] == {
        "status": 404,
        "title": "Not Found",
        "instance": "/v1/units/no-such-unit",
    }
