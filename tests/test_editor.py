"""The editor API: tokens and scopes, writes with If-Match and Idempotency-Key, soft deletes,
the audit trail and `as_of`, and every status code they answer with."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

import pytest
from conftest import DATA_DIR, edit_yaml, load_data
from sqlalchemy import MetaData, select

from api.store.db import db
from api.store.models import ApiToken, Change, RecordVersion
from api.store.tokens import SCOPE_OF_KIND, create_token, revoke_token

NOTICE = {
    "id": "test-closure-pakila",
    "state": "closed",
    "stated_on": "2030-01-02",
    "valid_from": "2030-01-10",
    "valid_until": "2030-01-20",
    "unit_ids": ["pakila-work-centre"],
    "text": {"fi": None, "sv": None, "en": "Closed for renovation."},
    "source_urls": ["https://www.hel.fi/example"],
}


@pytest.fixture
def token(app):
    """`token(name, *scopes, organization=None)` -> the bearer token, created in the database."""

    def make(name: str, *scopes: str, organization: str | None = None) -> str:
        with app.app_context():
            session = db.new_session()
            with session.begin():
                value = create_token(session, name, list(scopes), organization)
            session.close()
        return value

    return make


def auth(value: str, **headers) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}", **headers}


def etag_of(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.json
    return response.headers["ETag"]


def create_notice(client, editor: str, body=None, **headers):
    return client.post("/v1/status-notices", json=body or NOTICE, headers=auth(editor, **headers))


# --- Authentication and authorization --------------------------------------------------------


def test_a_write_without_a_token_is_401_with_www_authenticate(client):
    response = client.post("/v1/status-notices", json=NOTICE)
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/v1/status-notices/test-closure-pakila").status_code == 404


@pytest.mark.parametrize(
    "header",
    ["Bearer sst_0000_nope", "Bearer not-a-token", "Basic dXNlcjpwYXNz", "Bearer "],
)
def test_an_invalid_token_is_401(client, token, header):
    token("editor", "write:notices")
    response = client.post("/v1/status-notices", json=NOTICE, headers={"Authorization": header})
    assert response.status_code == 401
    assert "WWW-Authenticate" in response.headers


def test_a_revoked_token_stops_working(app, client, token):
    editor = token("editor", "write:notices")
    assert create_notice(client, editor).status_code == 201
    with app.app_context():
        session = db.new_session()
        with session.begin():
            revoke_token(session, "editor")
        session.close()
    response = create_notice(client, editor, {**NOTICE, "id": "another"})
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


WRITES = {
    "units": ("/v1/units", {"id": "new-unit", "organization_id": "social-rehabilitation-team",
                            "type": "office", "name": {"en": "New unit"},
                            "source_urls": ["https://www.hel.fi/example"]}),
    "opening-hours": ("/v1/opening-hours", {"id": "new-hours", "unit_id": "pakila-work-centre",
                                            "kind": "regular", "spans": [],
                                            "source_urls": ["https://www.hel.fi/example"]}),
    "services": ("/v1/services", {"id": "new-service",
                                  "organization_id": "social-rehabilitation-team",
                                  "name": {"en": "New service"},
                                  "source_urls": ["https://www.hel.fi/example"]}),
    "access-channels": ("/v1/access-channels", {"id": "new-phone", "type": "phone",
                                                "number": "+358 9 310 12345",
                                                "unit_ids": ["pakila-work-centre"],
                                                "source_urls": ["https://www.hel.fi/example"]}),
    "status-notices": ("/v1/status-notices", NOTICE),
    "announcements": ("/v1/announcements", {"id": "new-announcement",
                                            "organization_id": "city-of-helsinki",
                                            "title": {"en": "Hello"},
                                            "source_urls": ["https://www.hel.fi/example"]}),
    "staff-duties": ("/v1/staff-duties", {"id": "new-duty",
                                          "organization_id": "social-rehabilitation-team",
                                          "position": 99, "text": {"en": "Helps."},
                                          "source_urls": ["https://www.hel.fi/example"]}),
}  # fmt: skip


@pytest.mark.parametrize("kind", sorted(WRITES))
def test_each_scope_writes_its_collections_and_no_other(client, token, kind):
    url, body = WRITES[kind]
    scope = SCOPE_OF_KIND[kind]
    others = sorted({s for s in SCOPE_OF_KIND.values() if s != scope})
    wrong = token("wrong", *others)
    response = client.post(url, json=body, headers=auth(wrong))
    assert response.status_code == 403, response.json
    assert scope in response.json["detail"]
    assert f'scope="{scope}"' in response.headers["WWW-Authenticate"]

    right = token("right", scope)
    response = client.post(url, json=body, headers=auth(right))
    assert response.status_code == 201, response.json
    assert client.get(response.headers["Location"]).json["id"] == body["id"]

    admin = token("admin", "admin")
    second = {**body, "id": body["id"] + "-2"}
    assert client.post(url, json=second, headers=auth(admin)).status_code == 201


def test_an_organization_token_writes_only_that_organizations_records(client, token):
    team = token("team", "write:units", organization="social-rehabilitation-team")
    url, body = WRITES["units"]
    assert client.post(url, json=body, headers=auth(team)).status_code == 201
    foreign = {**body, "id": "city-unit", "organization_id": "city-of-helsinki"}
    response = client.post(url, json=foreign, headers=auth(team))
    assert response.status_code == 403
    assert "social-rehabilitation-team" in response.json["detail"]
    # A city-wide token covers the team below it.
    city = token("city", "write:units", organization="city-of-helsinki")
    assert client.post(url, json=foreign, headers=auth(city)).status_code == 201
    # Moving a record out of the token's organization is refused too.
    etag = etag_of(client, "/v1/units/new-unit")
    response = client.patch(
        "/v1/units/new-unit",
        json={"organization_id": "city-of-helsinki"},
        headers=auth(team, **{"If-Match": etag}),
    )
    assert response.status_code == 403


# --- Creates, validation, bodies -------------------------------------------------------------


def test_a_create_is_201_with_location_and_an_etag_a_get_confirms(client, token):
    editor = token("editor", "write:notices")
    response = create_notice(client, editor)
    assert response.status_code == 201
    assert response.headers["Location"].endswith("/v1/status-notices/test-closure-pakila")
    assert response.json["state"] == "closed"
    assert response.json["in_force_from"] == "2030-01-10"
    got = client.get("/v1/status-notices/test-closure-pakila")
    assert got.headers["ETag"].split(".")[0] == response.headers["ETag"].split(".")[0]
    # Creating the same id again is a conflict, not an overwrite.
    assert create_notice(client, editor).status_code == 409


def test_the_status_follows_a_new_notice_at_once(client, token):
    editor = token("editor", "write:notices")
    at = "/v1/units/pakila-work-centre/status?at=2030-01-15T12:00:00%2B02:00"
    assert client.get(at).json["state"] != "closed"
    assert create_notice(client, editor).status_code == 201
    status = client.get(at).json
    assert status["state"] == "closed"
    assert "test-closure-pakila" in json.dumps(status)
    units = client.get("/v1/units?state=closed&at=2030-01-15T12:00:00%2B02:00").json
    assert "pakila-work-centre" in [u["id"] for u in units["results"]]


def test_422_lists_every_invalid_field(client, token):
    editor = token("editor", "write:notices")
    body = {**NOTICE, "state": "sort-of-open", "valid_from": "not a day", "surprise": 1}
    del body["text"]
    response = create_notice(client, editor, body)
    assert response.status_code == 422
    fields = {error["field"] for error in response.json["errors"]}
    assert {"state", "valid_from", "text", "surprise"} <= fields


def test_422_names_references_that_do_not_exist(client, token):
    editor = token("editor", "write:notices")
    body = {**NOTICE, "unit_ids": ["no-such-unit"], "supersedes_id": "no-such-notice"}
    response = create_notice(client, editor, body)
    assert response.status_code == 422
    assert {e["field"] for e in response.json["errors"]} == {"unit_ids", "supersedes_id"}
    assert client.get("/v1/status-notices/test-closure-pakila").status_code == 404


def test_a_parent_loop_is_422(client, token):
    editor = token("editor", "write:units")
    # pakila-shop-and-pick-up-point is part of pakila-work-centre; the centre cannot join it.
    etag = etag_of(client, "/v1/units/pakila-work-centre")
    response = client.patch(
        "/v1/units/pakila-work-centre",
        json={"parent_id": "pakila-shop-and-pick-up-point"},
        headers=auth(editor, **{"If-Match": etag}),
    )
    assert response.status_code == 422, response.json
    assert response.json["errors"][0]["field"] == "parent_id"


def test_malformed_json_is_400_and_another_media_type_415(client, token):
    editor = token("editor", "write:notices")
    response = client.post(
        "/v1/status-notices",
        data=b'{"id": "x",',
        headers=auth(editor, **{"Content-Type": "application/json"}),
    )
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert "JSON" in response.json["detail"]
    response = client.post(
        "/v1/status-notices", data=b"id=x", headers=auth(editor, **{"Content-Type": "text/plain"})
    )
    assert response.status_code == 415


def test_a_body_over_the_limit_is_413(app, client, token):
    editor = token("editor", "write:notices")
    app.config["MAX_CONTENT_LENGTH"] = 2000
    body = {**NOTICE, "notes": "x" * 5000}
    response = create_notice(client, editor, body)
    assert response.status_code == 413
    assert response.mimetype == "application/problem+json"
    app.config["MAX_CONTENT_LENGTH"] = 1_000_000
    assert create_notice(client, editor, body).status_code == 201


# --- Updates: If-Match, PUT, PATCH --------------------------------------------------------------


def test_updates_need_if_match_428_and_a_stale_one_is_412(client, token):
    editor = token("editor", "write:units")
    url = "/v1/units/pakila-work-centre"
    assert client.patch(url, json={"latitude": 60.25}, headers=auth(editor)).status_code == 428
    assert client.delete(url, headers=auth(editor)).status_code == 428
    etag = etag_of(client, url)
    ok = client.patch(url, json={"latitude": 60.25}, headers=auth(editor, **{"If-Match": etag}))
    assert ok.status_code == 200, ok.json
    assert ok.json["latitude"] == 60.25
    stale = client.patch(url, json={"latitude": 60.26}, headers=auth(editor, **{"If-Match": etag}))
    assert stale.status_code == 412
    assert stale.headers["ETag"].split(".")[0] == ok.headers["ETag"].split(".")[0]
    assert client.get(url).json["latitude"] == 60.25


def test_two_editors_with_one_etag_exactly_one_wins(client, token):
    first, second = token("first", "write:notices"), token("second", "write:notices")
    url = "/v1/status-notices/covid-2021-summer-closure"
    etag = etag_of(client, url)
    answers = [
        client.patch(url, json={"notes": note}, headers=auth(who, **{"If-Match": etag}))
        for who, note in ((first, "first was here"), (second, "second was here"))
    ]
    assert sorted(a.status_code for a in answers) == [200, 412]
    assert client.get(url).json["notes"] == "first was here"


def test_put_replaces_the_whole_record_and_patch_merges(client, token):
    editor = token("editor", "write:services")
    url = "/v1/services/rehabilitating-work-activities"
    before = client.get(url).json
    patch = {"name": {"en": "Rehabilitating work"}}
    response = client.patch(
        url, json=patch, headers=auth(editor, **{"If-Match": etag_of(client, url)})
    )
    assert response.status_code == 200, response.json
    assert response.json["name"] == {**before["name"], "en": "Rehabilitating work"}
    assert response.json["description"] == before["description"]
    replacement = {
        "organization_id": before["organization_id"],
        "name": {"en": "Only English now"},
        "source_urls": before["source_urls"],
    }
    response = client.put(
        url, json=replacement, headers=auth(editor, **{"If-Match": etag_of(client, url)})
    )
    assert response.status_code == 200, response.json
    assert response.json["name"] == {"fi": None, "sv": None, "en": "Only English now"}
    assert response.json["description"] is None
    # The units offering the service embed its new name.
    unit = client.get("/v1/units/pakila-work-centre").json
    assert "Only English now" in json.dumps(unit["services"])


def test_a_put_with_another_id_in_the_body_is_422(client, token):
    editor = token("editor", "write:duties")
    duty = client.get("/v1/staff-duties").json["results"][0]
    url = f"/v1/staff-duties/{duty['id']}"
    response = client.put(
        url,
        json={**WRITES["staff-duties"][1]},
        headers=auth(editor, **{"If-Match": etag_of(client, url)}),
    )
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "id"


# --- Idempotency -----------------------------------------------------------------------------


def test_a_retried_create_with_the_same_idempotency_key_is_replayed(app, client, token):
    editor = token("editor", "write:notices")
    first = create_notice(client, editor, **{"Idempotency-Key": "abc-123"})
    again = create_notice(client, editor, **{"Idempotency-Key": "abc-123"})
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json == first.json
    assert again.headers["Location"] == first.headers["Location"]
    with app.app_context():
        versions = db.session.scalars(
            select(RecordVersion).where(RecordVersion.record_id == NOTICE["id"])
        ).all()
    assert len(versions) == 1
    # The same key with another body is refused; without a key, a repeat is a conflict.
    other = create_notice(
        client, editor, {**NOTICE, "id": "other"}, **{"Idempotency-Key": "abc-123"}
    )
    assert other.status_code == 422
    assert create_notice(client, editor).status_code == 409


# --- Deletes -----------------------------------------------------------------------------------


def test_a_delete_is_soft_410_tombstone_and_history(client, token):
    editor = token("editor", "write:notices")
    created = create_notice(client, editor)
    url = "/v1/status-notices/test-closure-pakila"
    before_delete = datetime.now(UTC)
    response = client.delete(url, headers=auth(editor, **{"If-Match": created.headers["ETag"]}))
    assert response.status_code == 204
    assert client.get(url).status_code == 410
    feed = client.get("/v1/changes").json
    tombstones = [c for c in feed["results"] if c["id"] == NOTICE["id"]]
    assert tombstones and tombstones[-1]["change"] == "deleted"
    history = client.get(f"{url}/history").json["results"]
    assert [v["action"] for v in history] == ["create", "delete"]
    assert history[-1]["data"]["text"]["en"] == "Closed for renovation."
    stamp = before_delete.isoformat().replace("+00:00", "Z")
    assert client.get(url, query_string={"as_of": stamp}).json["state"] == "closed"
    assert client.get(url, query_string={"as_of": datetime.now(UTC).isoformat()}).status_code == 410
    # The deleted notice no longer closes the unit.
    at = "/v1/units/pakila-work-centre/status?at=2030-01-15T12:00:00%2B02:00"
    assert client.get(at).json["state"] != "closed"
    # Posting it again restores it, and its history goes on.
    assert create_notice(client, editor).status_code == 201
    history = client.get(f"{url}/history").json["results"]
    assert [(v["version"], v["action"]) for v in history] == [
        (1, "create"),
        (2, "delete"),
        (3, "create"),
    ]


def test_deleting_a_record_others_refer_to_is_409(client, token):
    editor = token("editor", "write:units")
    url = "/v1/units/pakila-work-centre"  # the shop is part of it
    response = client.delete(url, headers=auth(editor, **{"If-Match": etag_of(client, url)}))
    assert response.status_code == 409
    assert "pakila-shop-and-pick-up-point" in json.dumps(response.json["errors"])
    assert client.get(url).status_code == 200


def test_deleting_a_unit_takes_its_opening_hours_along(client, token):
    editor = auth(token("editor", "write:units"))
    assert client.post("/v1/units", json=WRITES["units"][1], headers=editor).status_code == 201
    hours = {**WRITES["opening-hours"][1], "unit_id": "new-unit"}
    assert client.post("/v1/opening-hours", json=hours, headers=editor).status_code == 201
    url = "/v1/units/new-unit"
    response = client.delete(url, headers={**editor, "If-Match": etag_of(client, url)})
    assert response.status_code == 204, response.json
    assert client.get("/v1/opening-hours/new-hours").status_code == 410
    history = client.get("/v1/opening-hours/new-hours/history").json["results"]
    assert [v["action"] for v in history] == ["create", "delete"]
    # A unit that notices name stays: the notices are dated statements.
    shop = "/v1/units/pakila-shop-and-pick-up-point"
    response = client.delete(shop, headers={**editor, "If-Match": etag_of(client, shop)})
    assert response.status_code == 409
    assert {e["field"] for e in response.json["errors"]} == {"unit_ids"}


# --- Supersede -----------------------------------------------------------------------------------


def test_supersede_publishes_a_new_version_and_ends_the_old_one(client, token):
    editor = token("editor", "write:notices")
    assert create_notice(client, editor).status_code == 201
    old_url = "/v1/status-notices/test-closure-pakila"
    new = {**NOTICE, "id": "test-closure-pakila-v2", "state": "distance_service",
           "valid_from": "2030-01-15", "valid_until": "2030-02-28"}  # fmt: skip
    del new["stated_on"]
    response = client.post(
        f"{old_url}/supersede",
        json=new,
        headers=auth(editor, **{"If-Match": etag_of(client, old_url)}),
    )
    assert response.status_code == 201, response.json
    assert response.json["supersedes_id"] == "test-closure-pakila"
    old = client.get(old_url).json
    assert old["in_force_until"] == "2030-01-14"
    assert old["superseded_by_ids"] == ["test-closure-pakila-v2"]
    day = client.get("/v1/units/pakila-work-centre/opening-hours?start=2030-01-16&end=2030-01-16")
    assert day.json["days"][0]["state"] == "distance_service"
    # At an instant, the unit's hours of 2021 are long past their horizon: the notice shows,
    # but when the unit is open is not known.
    status = client.get("/v1/units/pakila-work-centre/status?at=2030-01-16T12:00:00%2B02:00").json
    assert status["state"] == "unknown"
    assert [(n["id"], n["certainty"]) for n in status["notices"]] == [
        ("covid-2021-later-work-activities", "past_horizon"),
        ("test-closure-pakila-v2", "in_force"),
    ]
    # The old version cannot be superseded a second time.
    again = client.post(
        f"{old_url}/supersede",
        json={**new, "id": "v3"},
        headers=auth(editor, **{"If-Match": etag_of(client, old_url)}),
    )
    assert again.status_code == 409
    # Both records' histories show the one batch that did it.
    old_history = client.get(f"{old_url}/history").json["results"]
    new_history = client.get("/v1/status-notices/test-closure-pakila-v2/history").json["results"]
    assert old_history[-1]["batch"] == new_history[-1]["batch"]
    assert old_history[-1]["action"] == "update"


# --- The audit trail -------------------------------------------------------------------------


def test_history_shows_who_only_to_admin_tokens(client, token):
    editor = token("Sanna at the rehabilitation team", "write:notices")
    admin = token("auditor", "admin")
    create_notice(client, editor)
    url = "/v1/status-notices/test-closure-pakila"
    client.patch(
        url, json={"notes": "checked"}, headers=auth(editor, **{"If-Match": etag_of(client, url)})
    )
    public = client.get(f"{url}/history").json["results"]
    assert [v["version"] for v in public] == [1, 2]
    assert all(v["changed_by"] is None and v["remote_addr"] is None for v in public)
    assert {"op": "replace", "path": "/notes", "before": None, "after": "checked"} in public[1][
        "diff"
    ]
    assert all(entry["path"] in ("/notes", "/modified_at") for entry in public[1]["diff"])
    private = client.get(f"{url}/history", headers=auth(admin))
    assert private.headers["Cache-Control"].startswith("private")
    assert "Authorization" in private.headers["Vary"]
    assert [v["changed_by"] for v in private.json["results"]] == [
        "Sanna at the rehabilitation team"
    ] * 2
    assert private.json["results"][0]["remote_addr"] == "127.0.0.1"


def test_as_of_returns_the_record_as_it_was(client, token):
    editor = token("editor", "write:units")
    url = "/v1/units/pakila-work-centre"
    original = client.get(url).json
    middle = datetime.now(UTC)
    client.patch(
        url,
        json={"name": {"en": "Renamed"}},
        headers=auth(editor, **{"If-Match": etag_of(client, url)}),
    )
    assert client.get(url).json["name"]["en"] == "Renamed"
    then = client.get(url, query_string={"as_of": middle.isoformat()})
    assert then.status_code == 200
    assert then.json["name"] == original["name"]
    assert client.get(url, query_string={"as_of": middle.isoformat(), "lang": "en"}).json[
        "name"
    ] == {"en": original["name"]["en"]}
    long_ago = (middle - timedelta(days=3650)).isoformat()
    assert client.get(url, query_string={"as_of": long_ago}).status_code == 404


def test_the_audit_trail_matches_the_change_feed(app, client, token):
    editor = token("editor", "write:notices")
    create_notice(client, editor)
    url = "/v1/status-notices/test-closure-pakila"
    client.patch(
        url, json={"notes": "a"}, headers=auth(editor, **{"If-Match": etag_of(client, url)})
    )
    client.delete(url, headers=auth(editor, **{"If-Match": etag_of(client, url)}))
    with app.app_context():
        changes = db.session.execute(
            select(Change.seq, Change.kind, Change.record_id, Change.action)
        ).all()
        versions = db.session.execute(
            select(RecordVersion.change_seq, RecordVersion.kind, RecordVersion.record_id,
                   RecordVersion.action).where(RecordVersion.change_seq.is_not(None))
        ).all()  # fmt: skip
        unpublished = db.session.scalars(
            select(RecordVersion.kind).where(RecordVersion.change_seq.is_(None))
        ).all()
    assert sorted(changes) == sorted(versions)
    assert set(unpublished) <= {"opening-hours"}
    assert ("status-notices", NOTICE["id"], "delete") in [(k, r, a) for _, k, r, a in changes]


def test_a_reload_is_audited_as_one_batch(app, client, tmp_path):
    import shutil

    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)

    def rename(records):
        for record in records:
            if record["id"] == "pakila-work-centre":
                record["name"]["en"] = "Pakila Work Centre (renamed)"

    edit_yaml(data / "units.yaml", rename)
    load_data(app, data)
    history = client.get("/v1/units/pakila-work-centre/history").json["results"]
    assert history[-1]["action"] == "update"
    with app.app_context():
        last = db.session.scalars(
            select(RecordVersion).order_by(RecordVersion.seq.desc()).limit(1)
        ).one()
        batch = db.session.scalars(
            select(RecordVersion).where(RecordVersion.batch == last.batch)
        ).all()
    assert {v.actor for v in batch} == {"data loader"}
    # The unit, and what embeds its name: the services offered there.
    assert {("units", "pakila-work-centre"), ("services", "rehabilitating-work-activities")} <= {
        (v.kind, v.record_id) for v in batch
    }
    assert history[-1]["batch"] == last.batch


# --- Secrets ---------------------------------------------------------------------------------


def test_a_token_never_reaches_the_database_or_the_logs(app, client, token, caplog):
    caplog.set_level(logging.DEBUG)
    editor = token("editor", "write:notices")
    create_notice(client, editor)
    url = "/v1/status-notices/test-closure-pakila"
    client.patch(
        url, json={"notes": "x"}, headers=auth(editor, **{"If-Match": etag_of(client, url)})
    )
    client.post(
        "/v1/status-notices",
        data=b"{",
        headers=auth(editor, **{"Content-Type": "application/json"}),
    )
    secret = editor.split("_", 2)[2]
    with app.app_context():
        stored = db.session.scalars(select(ApiToken)).one()
        assert stored.secret_hash != secret and secret not in stored.secret_hash
        metadata = MetaData()
        metadata.reflect(db.engine)
        dump = []
        with db.engine.connect() as connection:
            for table in metadata.sorted_tables:
                dump.extend(str(row) for row in connection.execute(table.select()))
    everything = "\n".join(dump)
    assert stored.name in everything  # the dump is real
    assert secret not in everything and editor not in everything
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert secret not in logged


def test_the_tokens_cli_creates_lists_and_revokes(app, runner):
    created = runner.invoke(args=["tokens", "create", "--name", "cms", "--scope", "write:notices"])
    assert created.exit_code == 0, created.output
    value = created.stdout.strip().splitlines()[0]
    assert value.startswith("sst_")
    listed = runner.invoke(args=["tokens", "list"])
    assert "cms" in listed.output and "write:notices" in listed.output
    assert value not in listed.output and value.split("_", 2)[2] not in listed.output
    assert runner.invoke(args=["tokens", "create", "--name", "x", "--scope", "root"]).exit_code != 0
    assert runner.invoke(args=["tokens", "revoke", "cms"]).exit_code == 0
    assert "active" not in runner.invoke(args=["tokens", "list"]).output
    client = app.test_client()
    response = client.post("/v1/status-notices", json=NOTICE, headers=auth(value))
    assert response.status_code == 401


# --- What is derived follows every write -----------------------------------------------------


def _derived(connection) -> dict[str, list]:
    from sqlalchemy import text

    return {
        "targets": sorted(connection.execute(text("SELECT * FROM status_notice_targets")).all()),
        "spans": sorted(
            connection.execute(
                text(
                    "SELECT opening_hours_id, unit_id, kind, valid_from, valid_until, "
                    "trusted_until, weekday, start_minute, end_minute, from_previous_day "
                    "FROM opening_spans"
                )
            ).all()
        ),
        "search": sorted(
            connection.execute(
                text("SELECT kind, record_id, name, description FROM search_index")
            ).all()
        ),
        "periods": sorted(
            connection.execute(
                text(
                    "SELECT unit_id, starts_on, ends_on, state_if_open, public_if_open, "
                    "state_if_no_hours, public_if_no_hours FROM status_periods"
                )
            ).all(),
            key=str,
        ),
        "notice dates": sorted(
            connection.execute(
                text(
                    "SELECT id, in_force_from, in_force_until, trusted_until, possibly_from, "
                    "possibly_until, CAST(in_force_window AS TEXT) FROM status_notices"
                )
            ).all()
        ),
        "hours trust": sorted(
            connection.execute(text("SELECT id, trusted_until FROM opening_hours")).all()
        ),
    }


def assert_derived_as_if_rebuilt(app) -> None:
    """What the editor refreshed for the records it touched equals a full rebuild."""
    from api.store.derived import refresh_derived

    with app.app_context():
        session = db.new_session()
        try:
            session.begin()
            before = _derived(session.connection())
            refresh_derived(session)
            after = _derived(session.connection())
        finally:
            session.rollback()
            session.close()
    for name in before:
        assert before[name] == after[name], (
            name,
            sorted(set(before[name]) - set(after[name])),
            sorted(set(after[name]) - set(before[name])),
        )


def test_derived_tables_follow_every_kind_of_write(app, client, token):
    admin = auth(token("admin", "admin"))

    def write(method: str, url: str, body=None) -> None:
        headers = dict(admin)
        if method != "post":
            headers["If-Match"] = etag_of(client, url)
        response = getattr(client, method)(url, json=body, headers=headers)
        assert response.status_code in (200, 201, 204), (method, url, response.json)
        assert_derived_as_if_rebuilt(app)

    # A notice for a parent unit, only where a service is offered; one naming only a service.
    parent_notice = {
        **NOTICE,
        "unit_ids": ["uusix-workshops"],
        "service_ids": ["rehabilitating-work-activities"],
    }
    write("post", "/v1/status-notices", parent_notice)
    service_notice = {
        **NOTICE,
        "id": "service-only",
        "unit_ids": [],
        "service_ids": ["work-activities-for-people-with-disabilities"],
    }
    write("post", "/v1/status-notices", service_notice)
    # A sub-unit moves to another parent; a unit starts and stops offering a service.
    write("patch", "/v1/units/uusix-suvilahti", {"parent_id": "pakila-work-centre"})
    write("patch", "/v1/units/uusix-kylasaari", {"service_ids": ["rehabilitating-work-activities"]})
    write("patch", "/v1/units/uusix-kylasaari", {"service_ids": []})
    # A new unit below a named one, renamed (search), then deleted.
    write("post", "/v1/units", {**WRITES["units"][1], "parent_id": "uusix-workshops",
                                "service_ids": ["rehabilitating-work-activities"]})  # fmt: skip
    write("patch", "/v1/units/new-unit", {"name": {"fi": "Uusi yksikkö"}})
    # Hours: created, changed, deleted; a notice's units changed; a service renamed.
    hours = {**WRITES["opening-hours"][1], "spans": [
        {"weekdays": ["monday"], "opens": "22:00", "closes": "02:00"}]}  # fmt: skip
    write("post", "/v1/opening-hours", hours)
    write("patch", "/v1/opening-hours/new-hours", {"kind": "exception", "valid_from": "2030-01-01"})
    write("delete", "/v1/opening-hours/new-hours")
    write("patch", f"/v1/status-notices/{NOTICE['id']}", {"unit_ids": ["pakila-work-centre"]})
    # A notice version: an undated one after the last, a statement moved into it, then dated.
    write("post", "/v1/notice-versions", {
        "id": "covid-2022", "organization_id": "social-rehabilitation-team",
        "replaces_id": "covid-2021-later", "published_not_after": "2022-03-01",
        "source_urls": ["https://example.org/covid-2022"]})  # fmt: skip
    write("patch", f"/v1/status-notices/{NOTICE['id']}", {"version_id": "covid-2022"})
    write("patch", "/v1/notice-versions/covid-2022", {"published_on": "2022-02-01",
                                                      "published_not_after": None})  # fmt: skip
    write("patch", "/v1/services/rehabilitating-work-activities", {"name": {"sv": "Ny tjänst"}})
    write("delete", "/v1/units/new-unit")
    write("delete", "/v1/status-notices/service-only")
    # A service some units offer is deleted: they no longer offer it.
    write("post", "/v1/services", WRITES["services"][1])
    write("patch", "/v1/units/uusix-kylasaari", {"service_ids": ["new-service"]})
    write("delete", "/v1/services/new-service")
    assert client.get("/v1/units/uusix-kylasaari").json["service_ids"] == []


def test_a_unit_or_service_a_notice_names_cannot_be_deleted(client, token):
    admin = token("admin", "admin")
    url = "/v1/services/rehabilitating-work-activities"
    response = client.delete(url, headers=auth(admin, **{"If-Match": etag_of(client, url)}))
    assert response.status_code == 409
    assert {e["field"] for e in response.json["errors"]} == {"service_ids"}


def test_every_collection_has_a_history_from_the_first_load(client):
    for url in (
        "/v1/organizations/city-of-helsinki",
        "/v1/units/pakila-work-centre",
        "/v1/opening-hours/pakila-work-centre-weekdays",
        "/v1/access-channels/pakila-work-centre-phone",
    ):
        versions = client.get(f"{url}/history").json["results"]
        assert versions[0]["version"] == 1 and versions[0]["action"] == "create", url
        assert versions[-1]["data"] == client.get(url).json, url
    assert client.get("/v1/organizations/nope/history").status_code == 404
    assert client.post("/v1/organizations", json={}).status_code == 405


def test_a_database_that_stays_locked_is_503_with_retry_after(client, token, monkeypatch):
    from sqlalchemy.exc import OperationalError

    import api.web.editor

    def locked(_session):
        raise OperationalError("BEGIN IMMEDIATE", {}, Exception("database is locked"))

    editor = token("editor", "write:notices")
    monkeypatch.setattr(api.web.editor, "lock_for_writing", locked)
    response = create_notice(client, editor)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    monkeypatch.undo()
    assert client.get(f"/v1/status-notices/{NOTICE['id']}").status_code == 404


def test_requests_sharing_an_application_context_do_not_share_their_state(app, client, token):
    """A script that asks inside `app.app_context()` (as `make examples` does) shares Flask's
    `g` between its requests: what one request read for its answer (an item's stored form,
    its ETag) must not answer the next. Read, delete, read again: a 410, not the old body."""
    url = "/v1/announcements/face-masks-in-social-and-health-care"
    admin = token("admin", "admin")
    with app.app_context():
        etag = etag_of(client, url)
        assert client.delete(url, headers=auth(admin, **{"If-Match": etag})).status_code == 204
        assert client.get(url).status_code == 410
