"""Adds a collection (leaflets.py) to the shipped one and uses it as a client would: served,
loaded from a data file, edited, dumped and in the change feed. Run in a process of its own by
tests/test_adding_a_collection.py (declarations are read once per process): prints one JSON
line of what it saw, or fails."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import leaflets  # noqa: F401 - declares the collection, before anything reads the declarations
import yaml

from api import create_app
from api.config import PROJECT_ROOT
from api.store.db import db
from api.store.loader import load_dataset
from api.store.tokens import create_token


def main(work: Path) -> dict:
    data = work / "data"
    shutil.copytree(PROJECT_ROOT / "data", data)
    (data / "leaflets.yaml").write_text(
        yaml.safe_dump(
            [
                {
                    "id": "welcome",
                    "organization_id": "social-rehabilitation-team",
                    "title": {"fi": "Tervetuloa", "sv": None, "en": "Welcome"},
                    "source_urls": ["https://example.org/leaflet"],
                }
            ]
        ),
        encoding="utf-8",
    )
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{work / 'db.sqlite3'}"})
    seen: dict = {}
    with app.app_context():
        db.create_all()
        session = db.new_session()
        seen["loaded"] = load_dataset(session, data).created
        token = create_token(session, "editor", ["admin"])
        session.commit()
        session.close()
        client = app.test_client()
        auth = {"Authorization": f"Bearer {token}"}
        seen["index"] = client.get("/v1").json["collections"].get("leaflets")
        seen["listed"] = [r["id"] for r in client.get("/v1/leaflets").json["results"]]
        seen["item"] = client.get("/v1/leaflets/welcome").json["title"]
        created = client.post(
            "/v1/leaflets",
            json={
                "id": "goodbye",
                "organization_id": "social-rehabilitation-team",
                "title": {"en": "Goodbye"},
                "source_urls": ["https://example.org/leaflet"],
            },
            headers=auth,
        )
        seen["created"] = created.status_code
        etag = client.get("/v1/leaflets/goodbye").headers["ETag"]
        patched = client.patch(
            "/v1/leaflets/goodbye",
            json={"title": {"fi": "Näkemiin"}},
            headers={**auth, "If-Match": etag},
        )
        seen["patched"] = (patched.status_code, patched.json["title"])
        dumps = client.get("/v1/dumps").json["dumps"]
        seen["dumps"] = sorted(d["format"] for d in dumps if d["collection"] == "leaflets")
        lines = client.get("/v1/dumps/leaflets.ndjson").data.decode().splitlines()
        seen["dumped"] = len(lines) - 1  # the records, after the head line
        feed = client.get("/v1/changes?page_size=500").json["results"]
        seen["feed"] = sorted((c["id"], c["change"]) for c in feed if c["kind"] == "leaflets")
        seen["history"] = [
            v["action"] for v in client.get("/v1/leaflets/goodbye/history").json["results"]
        ]
        spec = client.get("/v1/openapi.json").json
        seen["spec"] = sorted(
            op["operationId"]
            for path, item in spec["paths"].items()
            if path.startswith("/v1/leaflets")
            for op in item.values()
            if isinstance(op, dict) and "operationId" in op
        )
        seen["summary"] = spec["paths"]["/v1/leaflets"]["post"]["summary"]
    return seen


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]))))
