"""api/replay.py: a process answers a request it has answered before, under the same data
version (and minute), with the same status, headers and bytes, without Flask or the database."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta

import pytest
from flask import request, request_started
from sqlalchemy import event
from werkzeug.http import http_date, parse_date

from api import create_app
from api.store.db import db, utcnow
from api.store.models import Change
from api.web import caching as headers

PAGE = "/v1/units?page_size=2&lang=fi"
VERSION = "FROM changes"  # the data version's query


class Replaying:
    """An app remembering the data version for 30 s, with what reached Flask and the SQL."""

    def __init__(self, database_url: str, **config) -> None:
        self.app = create_app(
            {"TESTING": True, "DATABASE_URL": database_url, "DATA_VERSION_TTL": 30, **config}
        )
        self.handled: list[str] = []
        self.statements: list[str] = []

        def _handled(_sender, **_extra):
            self.handled.append(request.full_path)

        request_started.connect(_handled, self.app, weak=False)

        with self.app.app_context():
            event.listen(db.engine, "before_cursor_execute", self._executed)
        self.client = self.app.test_client()

    def _executed(self, _conn, _cursor, statement, *_args) -> None:
        self.statements.append(statement)

    def get(self, url: str, **headers):
        return self.client.get(url, headers=headers)

    def reached_flask(self, action) -> bool:
        """Whether `action()` reached Flask. A replay asks the database for nothing but, at
        most, the data version; `self.made` is what it asked."""
        before, statements = len(self.handled), len(self.statements)
        action()
        reached = len(self.handled) > before
        self.made = self.statements[statements:]
        assert reached or (len(self.made) <= 1 and all(VERSION in s for s in self.made))
        return reached

    def change_data_version(self) -> None:
        """Another process's write: the change log moves; this process remembers the old."""
        with self.app.app_context():
            db.session.add(
                Change(kind="units", record_id="x", action="update", changed_at=utcnow())
            )
            db.session.commit()

    def forget_after_ttl(self) -> None:
        headers.remembered(self.app).read_at -= 31


@pytest.fixture
def replaying(database_url):
    made = []

    def make(**config) -> Replaying:
        made.append(Replaying(database_url, **config))
        return made[-1]

    yield make
    for each in made:
        each.app.extensions["ratelimit"].close()
    db.session.remove()
    db.engine.dispose()


def same_headers(one, other) -> bool:
    return sorted(one.headers.items()) == sorted(other.headers.items())


def test_a_repeated_get_is_replayed_byte_for_byte_without_flask(replaying):
    r = replaying()
    built = r.get(PAGE, **{"Accept-Encoding": "gzip"})
    assert built.status_code == 200 and built.headers["Content-Encoding"] == "gzip"
    replayed = []
    assert not r.reached_flask(lambda: replayed.append(r.get(PAGE, **{"Accept-Encoding": "gzip"})))
    assert r.made == []  # the data version it remembers will do
    again = replayed[0]
    assert again.status_code == 200
    assert again.data == built.data
    assert same_headers(again, built)
    body = json.loads(gzip.decompress(again.data))
    assert len(body["results"]) == 2
    assert "Link" in again.headers and 'rel="next"' in again.headers["Link"]


def test_a_revalidation_is_replayed_with_the_headers_flask_sent(replaying):
    r = replaying()
    etag = r.get(PAGE).headers["ETag"]
    answered = []
    # The first revalidation reaches Flask (only the 200 was kept); the next is replayed.
    assert r.reached_flask(lambda: answered.append(r.get(PAGE, **{"If-None-Match": etag})))
    assert not r.reached_flask(lambda: answered.append(r.get(PAGE, **{"If-None-Match": etag})))
    by_flask, replayed = answered
    assert replayed.status_code == 304 and replayed.data == b""
    assert same_headers(replayed, by_flask)
    for name in ("ETag", "Cache-Control", "Vary", "Link"):  # Werkzeug drops entity headers
        assert name in replayed.headers, name
    assert replayed.headers["Access-Control-Allow-Origin"] == "*"
    # An ETag of some other version is answered with the kept 200, a weak one with the 304.
    stale = []
    assert not r.reached_flask(lambda: stale.append(r.get(PAGE, **{"If-None-Match": '"old"'})))
    assert stale[0].status_code == 200 and stale[0].headers["ETag"] == etag
    weak = []
    assert not r.reached_flask(lambda: weak.append(r.get(PAGE, **{"If-None-Match": f"W/{etag}"})))
    assert weak[0].status_code == 304


def test_head_is_replayed_without_a_body_and_a_date_condition_goes_to_flask(replaying):
    r = replaying()
    built = r.get(PAGE)
    heads = []
    assert not r.reached_flask(lambda: heads.append(r.client.head(PAGE)))
    assert heads[0].status_code == 200 and heads[0].data == b""
    assert heads[0].headers["Content-Length"] == built.headers["Content-Length"]
    # The second after Last-Modified's: a date-based 304 (the second itself may hold a change).
    since = http_date(parse_date(built.headers["Last-Modified"]) + timedelta(seconds=1))
    answered = []
    assert r.reached_flask(lambda: answered.append(r.get(PAGE, **{"If-Modified-Since": since})))
    assert answered[0].status_code == 304


def test_another_version_of_the_data_is_built_not_replayed(replaying):
    r = replaying()
    before = r.get(PAGE)
    r.change_data_version()
    # Within DATA_VERSION_TTL the process answers from the version it remembers...
    assert not r.reached_flask(lambda: r.get(PAGE))
    # ...and once it has read the new one, from that.
    r.forget_after_ttl()
    after = []
    assert r.reached_flask(lambda: after.append(r.get(PAGE)))
    assert after[0].headers["ETag"] != before.headers["ETag"]
    assert not r.reached_flask(lambda: r.get(PAGE))


def test_a_write_in_this_process_is_never_answered_by_a_replay(replaying):
    from api.store.tokens import create_token

    r = replaying()
    with r.app.app_context():
        session = db.new_session()
        with session.begin():
            token = create_token(session, "editor", ["write:units"])
        session.close()
    item = "/v1/units/pakila-work-centre"
    first = r.get(item)
    assert not r.reached_flask(lambda: r.get(item))
    assert len(r.made) == 1  # an item's ETag is its record's: the version is read afresh
    r.get(PAGE)
    response = r.client.patch(
        item,
        json={"latitude": 60.25},
        headers={"Authorization": f"Bearer {token}", "If-Match": first.headers["ETag"]},
    )
    assert response.status_code == 200
    after = []
    assert r.reached_flask(lambda: after.append(r.get(item)))
    assert after[0].json["latitude"] == 60.25
    assert r.reached_flask(lambda: r.get(PAGE))


def test_a_clock_dependent_answer_is_replayed_within_its_minute_only(replaying, monkeypatch):
    r = replaying()
    url = "/v1/units/pakila-work-centre/status"
    minute = [datetime(2021, 3, 15, 8, 1, tzinfo=UTC)]
    monkeypatch.setattr(headers, "now_minute", lambda: minute[0])
    first = r.get(url)
    assert not r.reached_flask(lambda: r.get(url))
    minute[0] = datetime(2021, 3, 15, 8, 2, tzinfo=UTC)
    later = []
    assert r.reached_flask(lambda: later.append(r.get(url)))
    assert later[0].headers["ETag"] != first.headers["ETag"]


def test_what_depends_on_who_asks_is_never_replayed(replaying):
    r = replaying()
    bearer = {"Authorization": "Bearer sst_0123456789abcdef_not-a-real-token"}
    r.get(PAGE)
    assert r.reached_flask(lambda: r.get(PAGE, **bearer))
    history = "/v1/units/pakila-work-centre/history"
    assert r.get(history).status_code == 200  # public, but Vary: Authorization
    assert r.reached_flask(lambda: r.get(history))


def test_variants_are_kept_apart(replaying):
    r = replaying()
    r.get(PAGE, **{"Accept-Encoding": "gzip"})
    plain = []
    assert r.reached_flask(lambda: plain.append(r.get(PAGE)))
    assert "Content-Encoding" not in plain[0].headers
    assert r.reached_flask(lambda: r.get(PAGE, Accept="application/geo+json"))
    other_host = []
    assert r.reached_flask(
        lambda: other_host.append(r.client.get(PAGE, base_url="https://api.example.org"))
    )
    assert "https://api.example.org/v1/units?" in other_host[0].headers["Link"]
    assert not r.reached_flask(lambda: r.get(PAGE))


def test_errors_and_streams_are_not_kept_and_no_memory_keeps_nothing(replaying):
    r = replaying()
    for url in ("/v1/units/no-such-unit", "/v1/units?page_size=0", "/v1/dumps/units.ndjson"):
        r.get(url)
        assert r.reached_flask(lambda url=url: r.get(url)), url
    off = replaying(RESPONSE_CACHE_MB=0)
    off.get(PAGE)
    assert off.reached_flask(lambda: off.get(PAGE))
    assert headers.remembered(off.app).answers == {}


def editor_token(app) -> str:
    from api.store.tokens import create_token

    with app.app_context():
        session = db.new_session()
        with session.begin():
            token = create_token(session, "editor", ["write:units"])
        session.close()
    return token


def test_another_processs_write_to_an_item_is_seen_at_once(replaying):
    """An item's ETag is its record's, read on every request: a replay reads the data version
    afresh for it, so a write by another process (worker) is never hidden by one."""
    writer, reader = replaying(), replaying()
    item = "/v1/units/pakila-work-centre"
    before = reader.get(item)
    assert not reader.reached_flask(lambda: reader.get(item))
    response = writer.client.patch(
        item,
        json={"latitude": 60.25},
        headers={
            "Authorization": f"Bearer {editor_token(writer.app)}",
            "If-Match": before.headers["ETag"],
        },
    )
    assert response.status_code == 200
    after = reader.get(item)
    assert after.json["latitude"] == 60.25
    assert after.headers["ETag"] == response.headers["ETag"] != before.headers["ETag"]
    assert reader.get(item, **{"If-None-Match": response.headers["ETag"]}).status_code == 304


def test_a_client_holding_a_newer_etag_never_gets_an_older_answer(replaying):
    """Within DATA_VERSION_TTL a process answers from the version it remembers, but a client
    that shows an ETag other than the kept one may have it from a process that saw a newer
    version: the replay reads the version afresh, and Flask answers."""
    writer, reader = replaying(), replaying()
    old = reader.get(PAGE)
    writer.change_data_version()
    newer = writer.get(PAGE)
    assert newer.headers["ETag"] != old.headers["ETag"]
    answered = []
    assert reader.reached_flask(
        lambda: answered.append(reader.get(PAGE, **{"If-None-Match": newer.headers["ETag"]}))
    )
    assert answered[0].status_code == 304
    assert answered[0].headers["ETag"] == newer.headers["ETag"]


def test_a_version_read_while_this_process_wrote_is_not_remembered(app, monkeypatch):
    """A thread reading the data version while another thread of the process writes (and
    forgets the version) may read the version before the write: it must not be remembered."""
    memory = headers.Remembered(ttl=30, capacity_bytes=1000)
    before_the_write = (7, None)

    def read_during_a_write():
        memory.forget_version()  # the write lands between the read and the remembering
        return before_the_write

    monkeypatch.setattr(headers, "data_version", read_during_a_write)
    assert memory.fresh_version() == before_the_write
    assert memory.recent_version() is None
    monkeypatch.setattr(headers, "data_version", lambda: (8, None))
    assert memory.fresh_version() == (8, None)
    assert memory.recent_version() == (8, None)


def test_kept_answers_stay_within_their_memory():
    memory = headers.Remembered(ttl=30, capacity_bytes=4000)  # an answer: at most 500
    for number in range(9):
        memory.keep(("key", number), f"answer {number}", 500)
    assert memory.size == 4000 and [key[1] for key in memory.answers] == list(range(1, 9))
    assert memory.answer(("key", 1)) == "answer 1"  # used: now the most recent
    memory.keep(("key", 9), "answer 9", 400)
    assert [key[1] for key in memory.answers] == [3, 4, 5, 6, 7, 8, 1, 9]
    assert memory.size == sum(size for size, _answer in memory.answers.values()) == 3900
    memory.keep(("key", 9), "again", 100)  # replaced, not added
    assert memory.size == 3600 and memory.answer(("key", 9)) == "again"
    memory.keep(("key", "big"), "too big", 501)  # over an eighth of the capacity: not kept
    assert ("key", "big") not in memory.answers and memory.size == 3600


def test_the_scheme_and_the_host_are_each_part_of_the_key(replaying):
    r = replaying()
    r.client.get(PAGE, base_url="http://api.example.org")
    assert not r.reached_flask(lambda: r.client.get(PAGE, base_url="http://api.example.org"))
    answered = []
    for base_url in ("https://api.example.org", "http://other.example.org"):
        assert r.reached_flask(lambda b=base_url: answered.append(r.client.get(PAGE, base_url=b)))
        assert f"{base_url}/v1/units?" in answered[-1].headers["Link"]
