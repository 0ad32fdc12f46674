"""The change feed: commit order, tombstones, 410 Gone, and a mirror that stays exact."""

from __future__ import annotations

import json
import shutil

import pytest
from conftest import DATA_DIR, edit_yaml, load_data, shipped_records

from api.store.collections import PUBLISHED
from api.store.db import db

KINDS = [kind.name for kind in PUBLISHED]


def sync(client, mirror: dict, cursor: str | None, page_size: int = 7) -> str:
    """Apply every change after `cursor` to `mirror` and return the cursor to resume from."""
    url = f"/v1/changes?page_size={page_size}" + (f"&since={cursor}" if cursor else "")
    while url:
        page = client.get(url).json
        for change in page["results"]:
            records = mirror.setdefault(change["kind"], {})
            if change["change"] == "deleted":
                assert change["record"] is None and change["deleted_at"]
                records.pop(change["id"], None)
            else:
                assert change["record"]["id"] == change["id"]
                records[change["id"]] = change["record"]
        cursor = page["cursor"]
        url = page["next"]
    return cursor


def as_dump(records: dict) -> bytes:
    """The mirror written the way the NDJSON dumps are: one compact line per record, by id."""
    lines = [
        json.dumps(records[key], ensure_ascii=False, separators=(",", ":")) + "\n"
        for key in sorted(records)
    ]
    return "".join(lines).encode("utf-8")


def assert_mirror_equals_fresh_export(client, mirror):
    for kind in KINDS:
        head, fresh = client.get(f"/v1/dumps/{kind}.ndjson").data.split(b"\n", 1)
        assert json.loads(head)["dump"]["count"] == len(mirror.get(kind, {}))
        if kind == "staff-duties":  # dumped in the source's order, not by id
            by_id = {json.loads(line)["id"]: line for line in fresh.decode().splitlines()}
            fresh = "".join(by_id[k] + "\n" for k in sorted(by_id)).encode()
        assert as_dump(mirror.get(kind, {})) == fresh, kind


def test_the_feed_starts_with_every_record_created(client):
    page = client.get("/v1/changes?page_size=500").json
    assert page["count"] == shipped_records(published_only=True)
    assert page["next"] is None
    assert {change["change"] for change in page["results"]} == {"created"}
    assert page["retention_days"] == 90
    kinds = [change["kind"] for change in page["results"]]
    assert kinds.index("organizations") < kinds.index("units")  # commit order


def test_paging_through_the_feed_misses_nothing(client):
    mirror: dict = {}
    cursor = sync(client, mirror, None, page_size=4)
    assert sum(len(records) for records in mirror.values()) == shipped_records(published_only=True)
    empty = client.get(f"/v1/changes?since={cursor}").json
    assert (empty["count"], empty["results"], empty["cursor"]) == (0, [], cursor)


def test_a_mirror_follows_edits_deletes_and_creates_exactly(app, client, tmp_path):
    mirror: dict = {}
    cursor = sync(client, mirror, None)
    assert_mirror_equals_fresh_export(client, mirror)

    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    edit_yaml(
        data / "services.yaml", lambda r: r[2]["name"].update(fi="Sosiaalinen kuntoutus (testi)")
    )

    def drop_pop_up(records):
        records[:] = [r for r in records if r["id"] != "uusix-pop-up-shop-hakaniemi"]

    def drop_pop_up_notices(records):
        records[:] = [r for r in records if "uusix-pop-up-shop-hakaniemi" not in r["unit_ids"]]

    def add_duty(records):
        extra = dict(records[-1], id="duty-new", position=9)
        extra["text"] = {"fi": None, "sv": None, "en": "a duty added by the test"}
        records.append(extra)

    edit_yaml(data / "units.yaml", drop_pop_up)
    edit_yaml(data / "status_notices.yaml", drop_pop_up_notices)
    edit_yaml(data / "staff_duties.yaml", add_duty)
    load_data(app, data)

    page = client.get(f"/v1/changes?since={cursor}&page_size=500").json
    changes = {(c["kind"], c["id"]): c["change"] for c in page["results"]}
    assert changes[("units", "uusix-pop-up-shop-hakaniemi")] == "deleted"
    assert changes[("status-notices", "covid-2021-02-hakaniemi-pop-up")] == "deleted"
    assert changes[("staff-duties", "duty-new")] == "created"
    assert changes[("services", "social-rehabilitation")] == "updated"
    # The renamed service is embedded by name in the units offering it.
    assert changes[("units", "social-rehabilitation-office")] == "updated"
    assert ("units", "pakila-work-centre") not in changes

    sync(client, mirror, cursor)
    assert_mirror_equals_fresh_export(client, mirror)


def test_deleted_items_are_gone_not_missing(app, client, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    edit_yaml(data / "announcements.yaml", lambda r: r.clear())
    load_data(app, data)
    response = client.get("/v1/announcements/face-masks-in-social-and-health-care")
    assert response.status_code == 410
    assert response.content_type == "application/problem+json"
    assert response.json["status"] == 410
    tombstone = client.get("/v1/changes?page_size=500").json["results"][-1]
    assert tombstone["kind"] == "announcements"
    assert tombstone["change"] == "deleted"
    assert tombstone["deleted_at"] == tombstone["changed_at"]


@pytest.mark.parametrize("cursor", ["nope", "c2VxOmFiYw", "eHh4OjE"])
def test_a_cursor_the_feed_did_not_issue_is_a_400(client, cursor):
    response = client.get(f"/v1/changes?since={cursor}")
    assert response.status_code == 400
    assert response.content_type == "application/problem+json"


def test_a_cursor_older_than_the_retention_is_410(app, client):
    from sqlalchemy import delete

    from api.store.models import Change

    first = client.get("/v1/changes?page_size=1").json["cursor"]
    with app.app_context():
        db.session.execute(delete(Change).where(Change.seq <= 5))
        db.session.commit()
    response = client.get(f"/v1/changes?since={first}")
    assert response.status_code == 410
    assert "/v1/dumps" in response.json["detail"]
