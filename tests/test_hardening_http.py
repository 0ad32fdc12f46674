"""What an attacker or a fuzzer tried on caching (issue 13): revalidation within one second,
the ETag of a compressed 304, histories by token."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import request_started
from werkzeug.http import http_date

from api import create_app, editor
from api.db import db
from api.tokens import create_token, revoke_token

UNIT = "/v1/units/pakila-work-centre"
HISTORY = f"{UNIT}/history"
PAGE = "/v1/units?page_size=2"


@pytest.fixture
def token(app):
    """`token(name, *scopes)` -> a bearer token stored in the app's database."""

    def make(name: str, *scopes: str) -> str:
        with app.app_context():
            session = db.new_session()
            with session.begin():
                value = create_token(session, name, list(scopes))
            session.close()
        return value

    return make


def bearer(value: str, **headers) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}", **headers}


def patch_unit(client, editor_token: str, changes: dict, url: str = UNIT):
    etag = client.get(url).headers["ETag"]
    response = client.patch(url, json=changes, headers=bearer(editor_token, **{"If-Match": etag}))
    assert response.status_code == 200, response.json
    return response


@pytest.fixture
def make_app(database_url):
    """`make_app(**config)` -> another app over the test's database (another process)."""
    made = []

    def make(**config):
        made.append(create_app({"TESTING": True, "DATABASE_URL": database_url, **config}))
        return made[-1]

    yield make
    for app in made:
        app.extensions["ratelimit"].close()
    db.session.remove()
    db.engine.dispose()


def is_problem(response, status: int, field: str | None = None) -> bool:
    body = response.json
    return (
        response.status_code == status
        and response.content_type == "application/problem+json"
        and body["status"] == status
        and (field is None or [e["field"] for e in body["errors"]] == [field])
    )


# --- If-Modified-Since names a whole second ---------------------------------------------------


def test_a_second_change_within_the_same_second_is_not_hidden_by_a_date(client, token, monkeypatch):
    """Last-Modified has one-second resolution: a client holding the first of two writes made
    in one second, and showing its date, gets the second write, in a list and in an item."""
    second = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)
    clock = iter([second + timedelta(milliseconds=100), second + timedelta(milliseconds=900)])
    monkeypatch.setattr(editor, "utcnow", lambda: next(clock))
    writer = token("editor", "write:units")
    patch_unit(client, writer, {"notes": "first"})
    held = {url: client.get(url) for url in ("/v1/units", UNIT)}
    for first in held.values():
        assert first.headers["Last-Modified"] == http_date(second)
    patch_unit(client, writer, {"notes": "second"})

    for url, first in held.items():
        by_date = client.get(url, headers={"If-Modified-Since": first.headers["Last-Modified"]})
        assert by_date.status_code == 200, url
        assert by_date.headers["ETag"] != first.headers["ETag"]
        # A date in a later second is safe: the change was before it began.
        later = {"If-Modified-Since": http_date(second + timedelta(seconds=1))}
        assert client.get(url, headers=later).status_code == 304, url
        # If-None-Match wins over the date, whichever way they point.
        stale = client.get(url, headers={**later, "If-None-Match": first.headers["ETag"]})
        assert stale.status_code == 200
        current = {"If-None-Match": by_date.headers["ETag"], "If-Modified-Since": http_date(0)}
        assert client.get(url, headers=current).status_code == 304


# --- A 304 carries the ETag its 200 carries -----------------------------------------------


@pytest.mark.parametrize("encoding", ["gzip", "br"])
@pytest.mark.parametrize("url", [PAGE, UNIT, "/v1/dumps/units.ndjson"])
def test_a_304_has_the_etag_of_the_compressed_200(client, url, encoding):
    accept = {"Accept-Encoding": encoding}
    built = client.get(url, headers=accept)
    assert built.headers["Content-Encoding"] == encoding
    etag = built.headers["ETag"]
    assert etag.endswith(f'-{encoding}"')
    again = client.get(url, headers={**accept, "If-None-Match": etag})
    assert again.status_code == 304
    assert again.headers["ETag"] == etag
    assert client.head(url, headers=accept).headers["ETag"] == etag


def test_a_replayed_304_has_the_etag_of_the_compressed_200(make_app):
    app = make_app(DATA_VERSION_TTL=30)
    reached: list[str] = []
    request_started.connect(lambda _sender, **_extra: reached.append("flask"), app, weak=False)
    client = app.test_client()
    accept = {"Accept-Encoding": "gzip"}
    etag = client.get(PAGE, headers=accept).headers["ETag"]
    assert etag.endswith('-gzip"')
    answers = [client.get(PAGE, headers={**accept, "If-None-Match": etag}) for _ in range(2)]
    assert len(reached) == 2  # the 200 and the first 304; the second 304 was replayed
    assert [(a.status_code, a.headers["ETag"]) for a in answers] == [(304, etag)] * 2


# --- Histories: the ETag names the body, and a bad token is a 401 -----------------------------


def test_the_admin_history_has_its_own_etag(client, token):
    admin, other = token("auditor", "admin"), token("editor", "write:units")
    admin_page = client.get(HISTORY, headers=bearer(admin))
    other_page = client.get(HISTORY, headers=bearer(other))
    public_page = client.get(HISTORY)
    assert admin_page.json["results"][0]["changed_by"] == "data loader"
    assert other_page.json["results"][0]["changed_by"] is None
    assert admin_page.headers["ETag"] != other_page.headers["ETag"]
    assert other_page.headers["ETag"] == public_page.headers["ETag"]  # the same body
    # Neither gets a 304 for the other's body.
    crossed = client.get(
        HISTORY, headers=bearer(other, **{"If-None-Match": admin_page.headers["ETag"]})
    )
    assert crossed.status_code == 200 and crossed.json["results"][0]["changed_by"] is None
    crossed = client.get(
        HISTORY, headers=bearer(admin, **{"If-None-Match": other_page.headers["ETag"]})
    )
    assert crossed.status_code == 200 and crossed.json["results"][0]["changed_by"] == "data loader"
    own = client.get(
        HISTORY, headers=bearer(admin, **{"If-None-Match": admin_page.headers["ETag"]})
    )
    assert own.status_code == 304
    assert own.headers["Cache-Control"].startswith("private")
    assert "Authorization" in own.headers["Vary"]


def test_a_revoked_or_made_up_token_is_401_also_when_conditional(app, client, token):
    admin = token("auditor", "admin")
    page = client.get(HISTORY, headers=bearer(admin))
    held = {"If-None-Match": page.headers["ETag"]}
    since = {"If-Modified-Since": http_date(datetime.now(UTC) + timedelta(days=1))}
    with app.app_context():
        session = db.new_session()
        with session.begin():
            revoke_token(session, "auditor")
        session.close()
    made_up = "sst_0123456789abcdef_not-a-real-token"
    for value in (admin, made_up):
        for condition in (held, since):
            response = client.get(HISTORY, headers=bearer(value, **condition))
            assert is_problem(response, 401)
            assert "WWW-Authenticate" in response.headers
