"""Every record's published form is stored beside it (`Record.published_form`) and the items and
pages serve it: for every record of every collection, of the shipped data and of a generated
dataset, the stored form is exactly what a fresh dump of the record serialises to, and stays so
after every kind of write, through the editor API and the loader. Parametrised over the
declarations (api.store.collections), so a collection added there is covered as it is."""

from __future__ import annotations

import json
import shutil

import conftest
import pytest
from conftest import DATA_DIR, edit_yaml, get_all, load_data
from sqlalchemy import func, select

from api import create_app
from api.store.collections import COLLECTIONS, EDITABLE, Collection, iter_records
from api.store.db import db
from api.store.models import Change, RecordVersion
from api.store.tokens import create_token
from api.store.writes import SET_ELSEWHERE, input_of
from schemas.common import reset_output_languages, set_output_languages

BY_KEY = {kind.name: kind for kind in COLLECTIONS}


def stale_forms(app, kinds=COLLECTIONS) -> list[str]:
    """Each record of `kinds` whose stored form is missing or is not what a fresh dump of it
    serialises to (through the app's JSON, as the item endpoint answered before forms were
    stored), as "<kind>/<id>: <how>"; and how many records were compared."""
    out = []
    with app.app_context():
        session = db.new_session()
        try:
            for kind in kinds:
                model = kind.model
                forms = dict(session.execute(select(model.id, model.published_form)).all())
                for obj in iter_records(session, kind):
                    stored = forms[obj.id]
                    fresh = json.loads(app.json.dumps(kind.dump(obj)))
                    if stored is None:
                        out.append(f"{kind.name}/{obj.id}: not stored")
                    elif json.loads(stored) != fresh:
                        out.append(f"{kind.name}/{obj.id}: {stored} != {fresh}")
        finally:
            session.close()
    return out


def count(app, kind: Collection) -> int:
    with app.app_context():
        return len(db.session.scalars(select(kind.model.id)).all())


@pytest.mark.parametrize("kind", COLLECTIONS, ids=lambda kind: kind.name)
def test_the_shipped_datas_stored_forms_are_fresh_dumps(app, kind):
    assert count(app, kind) > 0, "the shipped data has records of every collection"
    assert stale_forms(app, [kind]) == []


@pytest.fixture(scope="module")
def generated_app(tmp_path_factory):
    yield from conftest.generated_app(tmp_path_factory.mktemp("generated"), 120, 3)


@pytest.mark.parametrize("kind", COLLECTIONS, ids=lambda kind: kind.name)
def test_a_generated_datasets_stored_forms_are_fresh_dumps(generated_app, kind):
    if count(generated_app, kind) == 0:
        pytest.skip(f"the generator makes no {kind.plural}")
    assert stale_forms(generated_app, [kind]) == []


@pytest.mark.parametrize("kind", COLLECTIONS, ids=lambda kind: kind.name)
def test_items_and_pages_serve_the_stored_forms_trimmed_by_lang(app, client, kind):
    """What the endpoints answer, with and without `lang=`, is the fresh dump in those
    languages, for every record: the stored forms' trimming is marshmallow's."""
    with app.app_context():
        session = db.new_session()
        expected = {}
        for languages in (None, ("sv",), ("en", "fi")):
            token = set_output_languages(languages) if languages else None
            try:
                expected[languages] = {
                    obj.id: json.loads(app.json.dumps(kind.dump(obj)))
                    for obj in iter_records(session, kind)
                }
            finally:
                if token is not None:
                    reset_output_languages(token)
        session.close()
    for languages, records in expected.items():
        query = f"?lang={','.join(languages)}" if languages else ""
        for record_id, record in records.items():
            response = client.get(f"/v1/{kind.name}/{record_id}{query}")
            assert response.status_code == 200, response.json
            assert response.json == record
        separator = "&" if query else "?"
        listed = get_all(client, f"/v1/{kind.name}{query}{separator}page_size=2")
        assert listed == [records[r["id"]] for r in listed]
        assert sorted(r["id"] for r in listed) == sorted(records)


# --- After writes --------------------------------------------------------------------------


@pytest.fixture
def admin(app):
    with app.app_context():
        session = db.new_session()
        with session.begin():
            value = create_token(session, "admin", ["admin"])
        session.close()
    return {"Authorization": f"Bearer {value}"}


def etag(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.json
    return response.headers["ETag"]


def copy_of_a_record(app, kind: Collection) -> tuple[str, dict]:
    """A new record of `kind`: a copy of its first record under another id, as input."""
    with app.app_context():
        first = next(iter_records(db.session, kind))
        body = input_of(kind, first)
    for fld in SET_ELSEWHERE.get(kind.name, {}):
        body.pop(fld, None)
    body["id"] = f"{body['id']}-copy"
    return body["id"], body


@pytest.mark.parametrize("kind", EDITABLE.values(), ids=lambda kind: kind.name)
def test_forms_stay_fresh_through_create_patch_replace_and_delete(app, client, admin, kind):
    record_id, body = copy_of_a_record(app, kind)
    url = f"/v1/{kind.name}/{record_id}"
    response = client.post(f"/v1/{kind.name}", json=body, headers=admin)
    assert response.status_code == 201, response.json
    assert stale_forms(app) == []

    patch = {"notes": "Patched."}
    response = client.patch(url, json=patch, headers={**admin, "If-Match": etag(client, url)})
    assert response.status_code == 200, response.json
    assert client.get(url).json["notes"] == "Patched."
    assert stale_forms(app) == []

    replaced = {**body, "notes": "Replaced.", "source_urls": ["https://www.hel.fi/replaced"]}
    response = client.put(url, json=replaced, headers={**admin, "If-Match": etag(client, url)})
    assert response.status_code == 200, response.json
    assert client.get(url).json["source_urls"] == ["https://www.hel.fi/replaced"]
    assert stale_forms(app) == []

    response = client.delete(url, headers={**admin, "If-Match": etag(client, url)})
    assert response.status_code == 204, response.json
    assert client.get(url).status_code == 410
    assert stale_forms(app) == []


# Writes that change what other records embed: (url, patch, a record that embeds it and the
# field of it that shows the change).
EMBEDDED = {
    "a service units offer": (
        "/v1/services/rehabilitating-work-activities",
        {"name": {"fi": "Uusi nimi", "sv": None, "en": "A new name"}},
        "/v1/units/pakila-work-centre",
        lambda unit: [s["name"]["en"] for s in unit["services"]],
    ),
    "an access channel units embed": (
        "/v1/access-channels/pakila-work-centre-phone",
        {"number": "+358 9 310 99999"},
        "/v1/units/pakila-work-centre",
        lambda unit: unit["phone"],
    ),
    "opening hours of a unit": (
        "/v1/opening-hours/pakila-work-centre-weekdays",
        {"name": {"fi": "Arkisin", "sv": None, "en": "Weekdays, renamed"}},
        "/v1/units/pakila-work-centre",
        lambda unit: [h["name"] for h in unit["opening_hours"]],
    ),
}


@pytest.mark.parametrize("write", sorted(EMBEDDED))
def test_forms_stay_fresh_when_what_records_embed_changes(client, app, admin, write):
    url, patch, embedding, shown = EMBEDDED[write]
    before = shown(client.get(embedding).json)
    response = client.patch(url, json=patch, headers={**admin, "If-Match": etag(client, url)})
    assert response.status_code == 200, response.json
    assert shown(client.get(embedding).json) != before
    assert stale_forms(app) == []


def test_forms_stay_fresh_when_a_notice_is_superseded(client, app, admin):
    notice = {
        "id": "test-closure",
        "state": "closed",
        "stated_on": "2030-01-02",
        "valid_from": "2030-01-10",
        "valid_until": "2030-01-20",
        "unit_ids": ["pakila-work-centre"],
        "text": {"fi": None, "sv": None, "en": "Closed."},
        "source_urls": ["https://www.hel.fi/example"],
    }
    assert client.post("/v1/status-notices", json=notice, headers=admin).status_code == 201
    old = "/v1/status-notices/test-closure"
    new = {**notice, "id": "test-closure-v2", "valid_from": "2030-01-15"}
    del new["stated_on"]
    response = client.post(
        f"{old}/supersede", json=new, headers={**admin, "If-Match": etag(client, old)}
    )
    assert response.status_code == 201, response.json
    assert client.get(old).json["superseded_by_ids"] == ["test-closure-v2"]
    assert stale_forms(app) == []


def test_forms_stay_fresh_when_the_loader_changes_an_organization_and_deletes(
    client, app, tmp_path
):
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)

    def rename(records):
        records[0]["name"] = {"fi": "Uusi", "sv": None, "en": "Renamed"}

    edit_yaml(data / "organizations.yaml", rename)
    edit_yaml(data / "announcements.yaml", lambda records: records.clear())
    report = load_data(app, data)
    assert report.updated and report.deleted
    assert stale_forms(app) == []


def test_a_write_asking_for_one_language_stores_every_language(client, app, admin):
    url = "/v1/units/pakila-work-centre"
    response = client.patch(
        f"{url}?lang=fi", json={"notes": "Noted."}, headers={**admin, "If-Match": etag(client, url)}
    )
    assert response.status_code == 200, response.json
    assert set(response.json["name"]) == {"fi"}  # the answer is as asked
    assert set(client.get(url).json["name"]) == {"fi", "sv", "en"}
    assert stale_forms(app) == []
    with app.app_context():  # and so is the version the history keeps
        latest = db.session.scalars(
            select(RecordVersion)
            .where(RecordVersion.kind == "units", RecordVersion.record_id == "pakila-work-centre")
            .order_by(RecordVersion.version.desc())
        ).first()
        assert latest is not None and latest.data["notes"] == "Noted."
        assert set(latest.data["name"]) == {"fi", "sv", "en"}


def test_a_form_not_stored_yet_is_built_and_the_next_load_stores_it(client, app):
    """A database migrated to stored forms holds none until its next load; until then the
    items and pages build them as before. The load stamps them: a record whose published form
    changed meanwhile (here: its hash says so) gets a new version."""
    kind = BY_KEY["units"]
    served = client.get("/v1/units/pakila-work-centre").json
    page = client.get("/v1/units").json
    table = kind.model.__table__
    with app.app_context():
        db.session.execute(table.update().values(published_form=None))
        db.session.execute(
            table.update().where(table.c.id == "pakila-work-centre").values(content_hash="old")
        )
        db.session.commit()
        before = db.session.scalar(select(func.max(Change.seq)))
    assert stale_forms(app, [kind])
    # Another process: nothing remembered.
    other = create_app({"TESTING": True, "DATABASE_URL": app.config["DATABASE_URL"]}).test_client()
    assert other.get("/v1/units/pakila-work-centre").json == served
    assert other.get("/v1/units").json["results"] == page["results"]
    report = load_data(app, DATA_DIR)
    assert not report.changed
    assert stale_forms(app) == []
    with app.app_context():
        changes = db.session.execute(
            select(Change.kind, Change.record_id, Change.action).where(Change.seq > before)
        ).all()
    assert changes == [("units", "pakila-work-centre", "update")]
