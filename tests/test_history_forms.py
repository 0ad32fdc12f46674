"""A record's history page and its `as_of` answers are read from the stored version snapshots
(`RecordVersion.data`, `diff`) without the ORM or marshmallow. For every version of every
record, of the shipped data and after writes of every kind (create, patch, replace, delete,
a change of what other records embed, a supersede, a reload), each answer is compared with the
way it was answered before (`before_history`, `before_as_of`: the versions loaded by the ORM,
a history page dumped by its marshmallow schema): a history page byte for byte, for a public
reader and an admin; `as_of` at every version's instant in every `lang=`, as the same JSON,
served as the item endpoint serves a record. And each snapshot is the record's published form
of that version: the latest is, key for key, what a fresh dump of the record gives."""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

from conftest import DATA_DIR, edit_yaml, load_data, shipped_records
from sqlalchemy import delete, select
from test_published_forms import EMBEDDED, copy_of_a_record, etag
from test_published_forms import admin as admin  # noqa: F401 (the fixture)

from api import create_app
from api.store.collections import BY_NAME, COLLECTIONS, EDITABLE, form_text, iter_records
from api.store.db import db
from api.store.models import RecordVersion
from schemas.common import every_language, only_languages
from schemas.history import RecordVersionPageSchema

LANGS = (None, "fi", "sv", "en", "en,fi", "sv,en,fi")


def all_versions(app) -> dict[tuple[str, str], list[RecordVersion]]:
    """Every record's versions, oldest first, loaded by the ORM (detached)."""
    out: dict[tuple[str, str], list[RecordVersion]] = {}
    with app.app_context():
        session = db.new_session()
        try:
            statement = select(RecordVersion).order_by(
                RecordVersion.kind, RecordVersion.record_id, RecordVersion.version
            )
            for version in session.scalars(statement):
                out.setdefault((version.kind, version.record_id), []).append(version)
            session.expunge_all()
        finally:
            session.close()
    return out


def before_history(
    app, versions: list[RecordVersion], admin: bool, count: int | None = None, **links: str | None
) -> bytes:
    """A page of these versions (of `count`, default all) as the history endpoint answered it
    before: dumped by `RecordVersionPageSchema`, serialised by the app's JSON."""
    page = {
        "count": len(versions) if count is None else count,
        "next": links.get("next"),
        "previous": links.get("previous"),
        "results": [
            {
                "version": v.version,
                "action": v.action,
                "recorded_at": v.recorded_at,
                "batch": v.batch,
                "changed_by": v.actor if admin else None,
                "remote_addr": v.remote_addr if admin else None,
                "diff": v.diff,
                "data": v.data,
            }
            for v in versions
        ],
    }
    with app.app_context():
        return app.json.response(RecordVersionPageSchema().dump(page)).get_data()


def before_as_of(version: RecordVersion, lang: str | None) -> bytes:
    """`as_of` as answered before: the version's data, trimmed to `lang`, as `json.dumps`."""
    data = only_languages(version.data, tuple(lang.split(","))) if lang else version.data
    return json.dumps(data, ensure_ascii=False).encode()


def as_of_query(instant: datetime, lang: str | None) -> dict[str, str]:
    return {"as_of": instant.isoformat(), **({"lang": lang} if lang else {})}


def in_force(versions: list[RecordVersion], instant: datetime) -> RecordVersion:
    return [v for v in versions if v.recorded_at <= instant][-1]


def check_every_answer(app, client, admin: dict[str, str]) -> int:
    """Compare every history page and every `as_of` answer with the way it was answered
    before; return how many versions were compared."""
    everything = all_versions(app)
    assert {kind for kind, _ in everything} == {kind.name for kind in COLLECTIONS}
    for (kind, record_id), versions in everything.items():
        url = f"/v1/{kind}/{record_id}"
        for who, headers in (("public", {}), ("admin", admin)):
            response = client.get(f"{url}/history?page_size=500", headers=headers)
            assert response.status_code == 200, response.json
            assert response.mimetype == "application/json"
            expected = before_history(app, versions, admin=who == "admin")
            assert response.get_data() == expected, f"{url}/history for {who}"
        for version in versions:
            instant = version.recorded_at
            shown = in_force(versions, instant)
            for lang in LANGS:
                response = client.get(url, query_string=as_of_query(instant, lang))
                if shown.action == "delete":
                    assert response.status_code == 410, response.json
                    continue
                assert response.status_code == 200, response.json
                assert response.mimetype == "application/json"
                before = before_as_of(shown, lang)
                assert response.json == json.loads(before), f"{url} as_of {instant} {lang}"
                # served as the item endpoint serves a record: compact, with a final newline
                expected = form_text(json.loads(before)) + "\n"
                assert response.get_data(as_text=True) == expected
                if lang:
                    assert response.headers["Content-Language"] == ", ".join(
                        dict.fromkeys(lang.split(","))
                    )
        latest = versions[-1]
        if latest.action != "delete":  # as_of now is the item itself, byte for byte
            for lang in LANGS:
                query = f"?lang={lang}" if lang else ""
                item = client.get(f"{url}{query}")
                then = client.get(url, query_string=as_of_query(latest.recorded_at, lang))
                if item.status_code == 200:
                    assert then.get_data() == item.get_data(), f"{url}{query}"
    return sum(len(versions) for versions in everything.values())


def stale_snapshots(app) -> list[str]:
    """Each record whose latest version is not, key for key, a fresh dump of it (in every
    language), as "<kind>/<id>"."""
    everything = all_versions(app)
    out = []
    with app.app_context(), every_language():
        for kind in COLLECTIONS:
            for obj in iter_records(db.session, kind):
                versions = everything.get((kind.name, obj.id))
                fresh = form_text(kind.dump(obj))
                if versions is None or form_text(versions[-1].data) != fresh:
                    out.append(f"{kind.name}/{obj.id}")
    return out


def test_history_and_as_of_of_the_shipped_data_are_as_before(app, client, admin):
    assert stale_snapshots(app) == []
    assert check_every_answer(app, client, admin) == shipped_records()  # one version each


def test_history_and_as_of_after_writes_of_every_kind_are_as_before(app, client, admin, tmp_path):
    created = []
    for kind in EDITABLE.values():  # create, patch, replace
        record_id, body = copy_of_a_record(app, kind)
        url = f"/v1/{kind.name}/{record_id}"
        assert client.post(f"/v1/{kind.name}", json=body, headers=admin).status_code == 201
        patch = {"notes": "Patched: äö — “quoted”."}
        response = client.patch(url, json=patch, headers={**admin, "If-Match": etag(client, url)})
        assert response.status_code == 200, response.json
        replaced = {**body, "notes": "Replaced.", "source_urls": ["https://www.hel.fi/replaced"]}
        response = client.put(url, json=replaced, headers={**admin, "If-Match": etag(client, url)})
        assert response.status_code == 200, response.json
        created.append(url)
    for url, patch, _embedding, _shown in EMBEDDED.values():  # what other records embed
        response = client.patch(url, json=patch, headers={**admin, "If-Match": etag(client, url)})
        assert response.status_code == 200, response.json
    notice = {  # a supersede
        "id": "test-closure",
        "state": "closed",
        "stated_on": "2030-01-02",
        "valid_from": "2030-01-10",
        "valid_until": "2030-01-20",
        "unit_ids": ["pakila-work-centre"],
        "text": {"fi": "Suljettu.", "sv": None, "en": "Closed."},
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
    for url in reversed(created):  # deletes
        if "status-notices" in url:
            continue  # the supersede's notices refer to it; its history has enough
        response = client.delete(url, headers={**admin, "If-Match": etag(client, url)})
        assert response.status_code == 204, (url, response.json)
    data = tmp_path / "data"  # a reload that changes an organization and deletes
    shutil.copytree(DATA_DIR, data)

    def rename(records):
        records[0]["name"] = {"fi": "Uusi", "sv": "Ny", "en": "Renamed"}

    edit_yaml(data / "organizations.yaml", rename)
    edit_yaml(data / "announcements.yaml", lambda records: records.clear())
    report = load_data(app, data)
    assert report.updated and report.deleted
    assert stale_snapshots(app) == []
    everything = all_versions(app)
    actions = {v.action for versions in everything.values() for v in versions}
    assert actions == {"create", "update", "delete"}
    assert check_every_answer(app, client, admin) > 2 * shipped_records()


def test_a_history_read_page_by_page_is_as_before(app, client, admin):
    url = "/v1/units/pakila-work-centre"
    for n in range(3):  # a few versions more
        patch = {"notes": f"Note {n}."}
        response = client.patch(url, json=patch, headers={**admin, "If-Match": etag(client, url)})
        assert response.status_code == 200, response.json
    versions = all_versions(app)[("units", "pakila-work-centre")]
    assert len(versions) >= 4
    pages: list[dict] = []
    page_url: str | None = f"{url}/history?page_size=2"
    while page_url:
        response = client.get(page_url, headers=admin)
        assert response.status_code == 200, response.json
        links = {key: response.json[key] for key in ("next", "previous")}
        seen = sum(len(page["results"]) for page in pages)
        expected = before_history(app, versions[seen : seen + 2], True, len(versions), **links)
        assert response.get_data() == expected
        pages.append(response.json)
        page_url = links["next"]
    assert sum(len(page["results"]) for page in pages) == len(versions)
    back = client.get(pages[-1]["previous"], headers=admin)  # and back
    assert back.status_code == 200, back.json
    assert back.json["results"] == pages[-2]["results"]


def test_a_delete_asking_for_one_language_keeps_every_language_in_the_history(app, client, admin):
    """The version a delete writes is the record as last published, in every language, whatever
    `lang=` the request carried (a DELETE takes no query parameters and ignored it)."""
    url = "/v1/staff-duties/" + all_ids(app, "staff-duties")[0]
    published = client.get(url).json
    response = client.delete(f"{url}?lang=fi", headers={**admin, "If-Match": etag(client, url)})
    assert response.status_code == 204, response.json
    last = client.get(f"{url}/history").json["results"][-1]
    assert last["action"] == "delete"
    assert last["data"] == published
    assert stale_snapshots(app) == []


def all_ids(app, kind: str) -> list[str]:
    with app.app_context():
        return [obj.id for obj in iter_records(db.session, BY_NAME[kind])]


def test_a_history_answers_404_for_a_record_never_seen_and_an_empty_page_for_one_without_versions(
    app, client, admin
):
    url = "/v1/units/pakila-work-centre"
    for n in range(2):
        patch = {"notes": f"Note {n}."}
        response = client.patch(url, json=patch, headers={**admin, "If-Match": etag(client, url)})
        assert response.status_code == 200, response.json
    cursor = parse_qs(urlsplit(client.get(f"{url}/history?page_size=1").json["next"]).query)[
        "cursor"
    ][0]
    assert client.get(f"{url}/history", query_string={"cursor": cursor}).status_code == 200
    # a record never seen: 404, with or without a cursor, a foreign or a forged one
    for query in ({}, {"cursor": cursor}, {"cursor": "forged.cursor"}):
        response = client.get("/v1/units/nope/history", query_string=query)
        assert response.status_code == 404, (query, response.json)
        assert response.json["detail"] == "No unit with id 'nope'."
    assert client.get(f"{url}/history?cursor=forged.cursor").status_code == 400
    # a record without versions (a generated dataset's): an empty page
    with app.app_context():
        db.session.execute(
            delete(RecordVersion).where(
                RecordVersion.kind == "units", RecordVersion.record_id == "pakila-work-centre"
            )
        )
        db.session.commit()
    # Another process: nothing remembered (the versions went behind the API's back).
    other = create_app({"TESTING": True, "DATABASE_URL": app.config["DATABASE_URL"]}).test_client()
    for query in ({}, {"cursor": cursor}):
        response = other.get(f"{url}/history", query_string=query)
        assert response.status_code == 200, response.json
        assert response.json["results"] == [] and response.json["count"] == 0
