"""Every code block of the README is run against a live server on the shipped data, or marked
with the reason it is not (tests/readme_examples.py); and the README points only to what a
reader of the repository has: the guide at /docs, every collection of the index, the HSDS view.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from conftest import PROJECT_ROOT
from live_server import live_server
from readme_examples import (
    ALWAYS_RUN,
    README,
    RUNNABLE,
    blocks,
    examples,
    expected_output,
    run_curl,
    run_javascript,
    run_python,
)
from sqlalchemy.orm import Session

from api.store.db import make_engine
from api.store.tokens import create_token

# Each Python and JavaScript example the README marks, and the test module that runs it
# (every shell example is run by test_the_readme_curl_examples_answer).
RUN_BY = {
    "units-offering-python": "test_readme_examples.py",
    "units-offering-js": "test_readme_examples.py",
    "status-python": "test_readme_examples.py",
    "status-js": "test_readme_examples.py",
    "mirror-sync": "test_readme_examples.py",
    "can-i-start": "test_readme_questions.py",
    "badges": "test_readme_questions.py",
    "versions": "test_readme_questions.py",
    "sdk-python": "test_sdk.py",
}
SERVICE = "rehabilitating-work-activities"


@pytest.fixture(scope="module")
def server(loaded_database, tmp_path_factory):
    with live_server(loaded_database, tmp_path_factory.mktemp("readme-server")) as url:
        yield url


def js(value: Any) -> str:
    """`value` as console.log prints it (for strings, nulls and booleans)."""
    return "null" if value is None else str(value).lower() if isinstance(value, bool) else value


def every_page(url: str, params: dict[str, str]) -> list[dict]:
    results, next_url = [], url
    while next_url:
        page = httpx.get(next_url, params=params).raise_for_status().json()
        results.extend(page["results"])
        next_url, params = page["next"], {}
    return results


# --- Every block is run, or says why not --------------------------------------------------


def test_every_readme_block_is_run_or_marked_with_the_reason_it_is_not():
    found = blocks()
    assert len(found) > len(RUN_BY)
    for block in found:
        assert block.marker, f"{block} has no <!-- example: NAME --> or <!-- not-run: REASON -->"
        if block.marker == "not-run":
            assert block.label, f"{block} does not say why it is not run"
            assert block.language not in ALWAYS_RUN, f"{block}: Python and JS examples run"
        else:
            assert block.language in RUNNABLE, f"{block}: no test can run {block.language}"
    names = [block.label for block in found if block.marker == "example"]
    assert len(names) == len(set(names)), "two examples have one name"


def test_every_marked_example_is_run_by_a_test():
    assert {name for name, block in examples().items() if block.language != "sh"} == set(RUN_BY)
    for name, module in RUN_BY.items():
        source = (PROJECT_ROOT / "tests" / module).read_text(encoding="utf-8")
        assert f'("{name}",' in source, f"{module} does not run {name}"


def test_a_block_without_a_marker_is_found():
    text = (
        "Intro\n\n```python\nprint(1)\n```\n\n<!-- not-run: a shell command -->\n```sh\nls\n```\n"
    )
    unmarked, marked = blocks(text)
    assert (unmarked.marker, unmarked.language, unmarked.code) == (None, "python", "print(1)\n")
    assert (marked.marker, marked.label, marked.line) == ("not-run", "a shell command", 8)


# --- The examples, run -------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", [name for name, block in examples().items() if block.language == "sh"]
)
def test_the_readme_curl_examples_answer(server, name):
    responses = run_curl(name, server)
    assert responses
    for response in responses:
        assert response.status_code == 200, f"{response.url}: {response.text[:500]}"


def test_the_python_units_offering_example_prints_every_unit_offering_the_service(server):
    printed = run_python("units-offering-python", server).splitlines()
    units = every_page(f"{server}/v1/units", {"service_id": SERVICE, "lang": "en"})
    assert units
    assert printed == [f"{u['id']} {u['name']['en']} {u['visiting_address']}" for u in units]


def test_the_javascript_units_offering_example_prints_every_unit_offering_the_service(
    server, tmp_path
):
    printed = run_javascript("units-offering-js", server, tmp_path).splitlines()
    units = every_page(f"{server}/v1/units", {"service_id": SERVICE, "lang": "en"})
    assert units
    assert printed == [f"{u['id']} {js(u['name']['en'])}" for u in units]


def test_the_python_status_example_prints_what_its_comments_say(server):
    expected = expected_output("status-python")
    assert len(expected) == 2
    assert run_python("status-python", server).splitlines() == expected


def test_the_javascript_status_example_prints_the_status_now(server, tmp_path):
    """ "Now" changes: the answer must be the API's own just before or just after the run."""

    def now() -> str:
        status = httpx.get(f"{server}/v1/units/pakila-work-centre/status").json()
        fields = ("state", "open_to_anyone", "since", "next_change")
        return " ".join(js(status[field]) for field in fields)

    before = now()
    printed = run_javascript("status-js", server, tmp_path).strip()
    assert printed in {before, now()}


def test_the_mirror_example_copies_every_published_record_and_resumes(server):
    namespace: dict[str, Any] = {}
    assert run_python("mirror-sync", server, namespace) == ""
    sync = namespace["sync"]
    mirror: dict[str, dict[str, dict]] = {}
    cursor = sync(mirror, None)
    index = httpx.get(f"{server}/v1").json()
    kinds = {url.rsplit("/", 1)[1] for url in index["collections"].values()}
    assert set(mirror) <= kinds
    for kind in kinds:
        dump = httpx.get(f"{server}/v1/dumps/{kind}.json").raise_for_status().json()
        assert mirror.get(kind, {}) == {record["id"]: record for record in dump["results"]}, kind
        assert dump["change_feed_cursor"] == cursor
    # From the cursor it returned, nothing has changed since.
    before = {kind: dict(records) for kind, records in mirror.items()}
    assert sync(mirror, cursor) == cursor
    assert mirror == before


def test_the_mirror_example_follows_an_update_and_a_deletion(loaded_database, tmp_path):
    with live_server(loaded_database, tmp_path) as server:
        namespace: dict[str, Any] = {}
        run_python("mirror-sync", server, namespace)
        mirror: dict[str, dict[str, dict]] = {}
        cursor = namespace["sync"](mirror, None)

        engine = make_engine(f"sqlite:///{tmp_path / 'live.sqlite3'}")  # live_server's copy
        with Session(engine) as session, session.begin():
            token = create_token(session, "readme mirror", ["admin"])
        engine.dispose()
        editor = {"Authorization": f"Bearer {token}"}
        unit = f"{server}/v1/units/pakila-work-centre"
        duty_id = next(iter(mirror["staff-duties"]))
        duty = f"{server}/v1/staff-duties/{duty_id}"
        writes = [("PATCH", unit, {"notes": "Edited for the mirror."}), ("DELETE", duty, None)]
        for method, url, body in writes:
            headers = {**editor, "If-Match": httpx.get(url).headers["ETag"]}
            httpx.request(method, url, headers=headers, json=body).raise_for_status()

        assert namespace["sync"](mirror, cursor) != cursor
        assert mirror["units"]["pakila-work-centre"] == httpx.get(unit).json()
        assert mirror["units"]["pakila-work-centre"]["notes"] == "Edited for the mirror."
        assert duty_id not in mirror["staff-duties"]
        assert httpx.get(duty).status_code == 410


# --- What the README points to ------------------------------------------------------------


def outside_the_repository(text: str) -> list[str]:
    """Paths the README names that a reader of the repository does not have: `../...`, links
    to missing files, and repository paths (`docs/guide.md`) that do not exist. Generated
    paths (.gitignore'd directories: `build/`, `bench/.data/`) are allowed."""
    generated = [
        line.strip()
        for line in (PROJECT_ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
        if line.strip().endswith("/")
    ]
    found = re.findall(r"(?<![\w.])\.\./[^\s`)]*", text)
    links = re.findall(r"\]\((?![a-z]+:|#)([^)\s]+)\)", text)
    named = [
        path
        for path in re.findall(r"`([\w.-]+/[^`\s]*)`", text)
        if path.split("/", 1)[0] not in (".", "..") and (PROJECT_ROOT / path.split("/")[0]).exists()
    ]
    for path in links + named:
        if not any(path.startswith(prefix) for prefix in generated):
            resolved = (PROJECT_ROOT / path).resolve()
            if not resolved.is_relative_to(PROJECT_ROOT) or not resolved.exists():
                found.append(path)
    return list(dict.fromkeys(found))


def listed_collections(text: str) -> set[str]:
    """The collections the Conventions section lists: "Collections: `units`, ...; an item"."""
    listed = re.search(r"^Collections: (.*?); an item", text, re.MULTILINE | re.DOTALL)
    assert listed, "the README's Conventions list no collections"
    return set(re.findall(r"`([\w-]+)`", listed.group(1)))


def test_the_readme_names_only_paths_inside_the_repository():
    assert outside_the_repository(README.read_text(encoding="utf-8")) == []


def test_a_path_outside_the_repository_is_found():
    text = "See `../shared/API-GUIDE.md`, [the guide](docs/no-such.md) and `docs/guide.md`."
    assert outside_the_repository(text) == ["../shared/API-GUIDE.md", "docs/no-such.md"]


def test_the_readme_points_to_the_guide_at_docs():
    text = README.read_text(encoding="utf-8")
    conventions = text[text.index("### Conventions") :].split("\n- ", 1)[0]
    assert "`docs/guide.md`" in conventions and "`/docs`" in conventions


def test_the_readme_lists_every_collection_of_the_index(client):
    index = client.get("/v1").get_json()
    kinds = {url.rsplit("/", 1)[1] for url in index["collections"].values()}
    assert listed_collections(README.read_text(encoding="utf-8")) == kinds


def test_the_readme_names_the_hsds_view(client):
    assert client.get("/v1").get_json()["hsds"].endswith("/hsds/")
    assert "`/hsds/`" in README.read_text(encoding="utf-8")
