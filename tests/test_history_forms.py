"""The versions a record's history keeps are its published forms: in every language, whatever
`lang=` the write carried."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from test_published_forms import etag

from api.store.collections import BY_NAME, COLLECTIONS, form_text, iter_records
from api.store.db import db
from api.store.models import RecordVersion
from api.store.tokens import create_token
from schemas.common import every_language


@pytest.fixture
def admin(app):
    with app.app_context():
        session = db.new_session()
        with session.begin():
            value = create_token(session, "admin", ["admin"])
        session.close()
    return {"Authorization": f"Bearer {value}"}


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
