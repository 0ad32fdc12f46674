"""Adding a collection takes a model, schemas, a resource, a data file and one declaration
(docs/architecture.md, "To add a collection"): tests/collection_recipe/ adds one that way, and
it is served, listed in the index, loaded, edited, dumped, in the change feed and the spec,
with nothing else listed by hand. It runs in a process of its own: the declarations are read
once per process, and the suite's other apps must not see the extra table."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import PROJECT_ROOT

RECIPE = PROJECT_ROOT / "tests" / "collection_recipe"


def test_a_collection_added_with_one_declaration_is_served_loaded_edited_dumped_and_fed(
    tmp_path,
):
    result = subprocess.run(
        [sys.executable, str(RECIPE / "scenario.py"), str(tmp_path)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["index"].endswith("/v1/leaflets")
    assert seen["listed"] == ["welcome"]
    assert seen["item"] == {"fi": "Tervetuloa", "sv": None, "en": "Welcome"}
    assert seen["created"] == 201
    assert seen["patched"] == [200, {"fi": "Näkemiin", "sv": None, "en": "Goodbye"}]
    assert seen["dumps"] == ["csv", "json", "ndjson"]
    assert seen["dumped"] == 2
    assert seen["feed"] == [["goodbye", "updated"], ["welcome", "created"]]
    assert seen["history"] == ["create", "update"]
    assert seen["spec"] == [
        "createLeaflet",
        "deleteLeaflet",
        "getLeaflet",
        "listLeafletHistory",
        "listLeaflets",
        "replaceLeaflet",
        "updateLeaflet",
    ]
    assert seen["summary"] == "Create a leaflet"
