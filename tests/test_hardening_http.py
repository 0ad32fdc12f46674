"""What an attacker or a fuzzer tried on caching, cursors and exports (issue 13): revalidation
within one second, the ETag of a compressed 304, histories by token, signed cursors, the
inputs that used to answer 500, and editor input in CSV and iCalendar."""

from __future__ import annotations

import base64
import csv
import io
import json
import os
import stat
from datetime import UTC, datetime, timedelta

import pytest
from werkzeug.http import http_date

from api import create_app
from api.resources.changes import encode_position
from api.store.db import db
from api.store.tokens import create_token, revoke_token
from api.web import cursors, editor
from api.web.pagination import encode_cursor

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

    def make(**config):
        return create_app({"TESTING": True, "DATABASE_URL": database_url, **config})

    yield make
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


def test_a_304_from_the_remembered_version_has_the_etag_of_the_compressed_200(make_app):
    app = make_app(DATA_VERSION_TTL=30)
    client = app.test_client()
    accept = {"Accept-Encoding": "gzip"}
    etag = client.get(PAGE, headers=accept).headers["ETag"]
    assert etag.endswith('-gzip"')
    answers = [client.get(PAGE, headers={**accept, "If-None-Match": etag}) for _ in range(2)]
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


# --- Signed cursors ---------------------------------------------------------------------------


def cursor_of(link: str) -> str:
    from urllib.parse import parse_qs, urlsplit

    return parse_qs(urlsplit(link).query)["cursor"][0]


def test_an_issued_cursor_is_signed_and_a_forged_one_is_a_400_before_any_query(
    app, client, count_queries
):
    issued = cursor_of(client.get(PAGE).json["next"])
    assert client.get(f"{PAGE}&cursor={issued}").status_code == 200
    payload, _dot, tag = issued.partition(".")
    altered = ("A" if payload[0] != "A" else "B") + payload[1:]
    with app.app_context():
        unsigned = base64.urlsafe_b64encode(cursors.unseal("page", issued)).decode().rstrip("=")
        feed = encode_position(1)
    for forged in (
        f"{altered}.{tag}",  # another position under the same tag
        f"{payload}.{tag[:-2]}",  # a tag cut short
        unsigned,  # the same position, as cursors used to be (no tag)
        feed,  # the feed's cursor is signed for the feed only
        "nope",
    ):
        count_queries.clear()
        response = client.get(f"{PAGE}&cursor={forged}")
        assert is_problem(response, 400, "cursor"), forged
        assert "issued" in response.json["detail"]
        assert all("FROM changes" in statement for statement in count_queries)  # the version


def test_a_feed_cursor_is_signed_and_checked_against_the_feed(app, client, count_queries):
    issued = client.get("/v1/changes?page_size=1").json["cursor"]
    assert client.get(f"/v1/changes?since={issued}").status_code == 200
    with app.app_context():
        page_cursor = encode_cursor("n", (1,))
    for forged in ("c2VxOjE", page_cursor, issued[:-1]):
        count_queries.clear()
        response = client.get(f"/v1/changes?since={forged}")
        assert is_problem(response, 400, "since"), forged
        assert all("FROM changes" in statement for statement in count_queries)


def test_a_cursor_signed_with_another_key_is_a_400(client, make_app):
    issued = client.get(PAGE).json["next"]
    elsewhere = make_app(CURSOR_SECRET="another key").test_client()
    assert is_problem(elsewhere.get(issued), 400, "cursor")


def test_without_a_setting_the_key_is_made_once_in_the_instance_folder(make_app, tmp_path):
    folder = tmp_path / "instance"
    first, second = make_app(CURSOR_SECRET=None), make_app(CURSOR_SECRET=None)
    for app in (first, second):
        app.instance_path = str(folder)
    issued = first.test_client().get(PAGE).json["next"]
    key_file = folder / cursors.KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(key_file.read_text().strip()) == 64
    assert os.listdir(folder) == [cursors.KEY_FILE]  # no draft left behind
    # Another worker reads the same key: the cursor works there, and the file stays.
    before = key_file.read_bytes()
    assert second.test_client().get(issued).status_code == 200
    assert key_file.read_bytes() == before


def test_workers_racing_to_make_the_key_end_with_one(tmp_path, monkeypatch):
    """Another process links its key into place between this one's look and its link: this
    one takes the key that won, and leaves no draft behind."""
    theirs = "f" * 64
    link = os.link

    def link_after_another_process(source, target):
        with open(target, "x", encoding="ascii") as file:
            file.write(theirs + "\n")
        return link(source, target)

    monkeypatch.setattr(cursors.os, "link", link_after_another_process)
    assert cursors.instance_secret(tmp_path) == theirs.encode()
    assert os.listdir(tmp_path) == [cursors.KEY_FILE]
    monkeypatch.setattr(cursors.os, "link", link)
    assert cursors.instance_secret(tmp_path) == theirs.encode()


# --- What used to answer 500 ------------------------------------------------------------------

# As a fuzzer sent them (unsigned); on PostgreSQL most reached the database.
REPROS = [
    ("/v1/units?cursor=WyJuIixbIlx1ZDgwMCJdXQ", "cursor"),  # ["n", ["\ud800"]]
    ("/v1/units?cursor=WyJuIixbMV1d", "cursor"),  # ["n", [1]]: an integer for an id
    (f"{HISTORY}?cursor=WyJuIixbImEiXV0", "cursor"),  # ["n", ["a"]]: text for a version
    ("/v1/units?q=uusi&cursor=WyJuIixbMSwxXV0", "cursor"),  # ["n", [1, 1]]
    ("/v1/changes?since=c2VxOjk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5", "since"),  # seq:10**23-1
    ("/v1/changes?since=c2VxOjkyMjMzNzIwMzY4NTQ3NzU4MDg", "since"),  # seq:2**63
    ("/v1/changes?since=c2VxOjk5OQ", "since"),  # seq:999, past the feed's head
]


@pytest.mark.parametrize("url,field", REPROS)
def test_what_used_to_answer_500_or_an_empty_page_is_a_400(client, url, field):
    assert is_problem(client.get(url), 400, field)


# The same values, signed: the decoders check each part against the ordering (or the feed),
# so a mistake in signing could still not reach the database.
SIGNED_PAGES = [
    ("/v1/units", ("\ud800",)),
    ("/v1/units", (1,)),
    ("/v1/units", ("x" * 101,)),  # longer than any id
    ("/v1/units", (True,)),
    ("/v1/units", (None,)),
    ("/v1/units", ("a", "b")),  # another width
    (HISTORY, ("a",)),
    (HISTORY, (2**31,)),  # beyond the column's integer
    (HISTORY, (2**63,)),
    ("/v1/units?q=uusi", (1, 1)),
    ("/v1/units?q=uusi", ("uusi", "uusix-kylasaari")),
    ("/v1/units?near=60.2,24.95&radius=5000", (2**63, "pakila-work-centre")),
    ("/v1/staff-duties", ("social-rehabilitation-team", 1.5, "duty-assess-work-ability")),
]


@pytest.mark.parametrize("url,key", SIGNED_PAGES)
def test_a_signed_cursor_of_the_wrong_types_is_a_400(app, client, url, key):
    with app.app_context():
        cursor = encode_cursor("n", key)
    separator = "&" if "?" in url else "?"
    assert is_problem(client.get(f"{url}{separator}cursor={cursor}"), 400, "cursor")


@pytest.mark.parametrize("seq", [10**23, 2**63, 2**31, 999])
def test_a_signed_feed_position_out_of_range_or_past_the_head_is_a_400(app, client, seq):
    with app.app_context():
        since = encode_position(seq)
    response = client.get(f"/v1/changes?since={since}")
    assert is_problem(response, 400, "since")


def test_signed_cursors_of_the_right_types_page_on(app, client):
    with app.app_context():
        by_id = encode_cursor("n", ("pakila-work-centre",))
        by_version = encode_cursor("n", (1,))
        by_duty = encode_cursor("n", ("social-rehabilitation-team", 1, "duty-assess-work-ability"))
    ids = [u["id"] for u in client.get(f"/v1/units?page_size=500&cursor={by_id}").json["results"]]
    assert ids and all(unit_id > "pakila-work-centre" for unit_id in ids)
    versions = client.get(f"{HISTORY}?cursor={by_version}").json["results"]
    assert all(v["version"] > 1 for v in versions)
    assert client.get(f"/v1/staff-duties?cursor={by_duty}").status_code == 200


# --- Editor input in exports ------------------------------------------------------------------


def test_csv_cells_a_spreadsheet_would_run_are_neutralised(client, token):
    writer = token("editor", "write:units")
    names = {"fi": '=HYPERLINK("https://example.org","x")', "sv": "@SUM(1+1)", "en": "+358 9 1"}
    descriptions = {"fi": "-2+3", "sv": "\tindented", "en": "\rafter a carriage return"}
    changes = {"name": names, "description": descriptions, "notes": "a=b", "longitude": -0.5}
    patch_unit(client, writer, changes)
    response = client.get("/v1/dumps/units.csv")
    rows = {row["id"]: row for row in csv.DictReader(io.StringIO(response.data.decode()))}
    row = rows["pakila-work-centre"]
    for lang in ("fi", "sv", "en"):
        assert row[f"name_{lang}"] == "'" + names[lang]
        assert row[f"description_{lang}"] == "'" + descriptions[lang]
    assert row["notes"] == "a=b"  # only the first character counts
    assert row["phone"].startswith("'+358")  # a phone number too: Excel would compute it
    assert row["longitude"] == "-0.5"  # a number is no formula
    # The other formats carry the values as they are.
    lines = client.get("/v1/dumps/units.ndjson").data.splitlines()[1:]  # after the head line
    records = [json.loads(line) for line in lines]
    record = next(r for r in records if r["id"] == "pakila-work-centre")
    assert (record["name"], record["description"]) == (names, descriptions)


def test_a_carriage_return_does_not_end_a_calendar_line(client, token):
    writer = token("editor", "write:units")
    name = "Pakila\rEND:VCALENDAR\r\nX-INJECTED:1\nmore\x0bthan one line"
    patch_unit(client, writer, {"name": {"fi": "Pakila", "sv": None, "en": name}})
    body = client.get(f"{UNIT}/opening-hours.ics?start=2021-03-15&end=2021-03-21").data
    lines = body.decode().split("\r\n")
    assert lines[-1] == ""
    assert all("\r" not in line and "\n" not in line for line in lines)
    unfolded: list[str] = []
    for line in lines[:-1]:
        if line.startswith(" "):
            unfolded[-1] += line[1:]
        else:
            unfolded.append(line)
    assert unfolded[-1] == "END:VCALENDAR" and unfolded.count("END:VCALENDAR") == 1
    assert not any(line.startswith("X-INJECTED") for line in unfolded)
    escaped = "Pakila\\nEND:VCALENDAR\\nX-INJECTED:1\\nmorethan one line"
    assert f"X-WR-CALNAME:{escaped}" in unfolded
