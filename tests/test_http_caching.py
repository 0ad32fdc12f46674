"""HTTP done right on every GET and HEAD: validators, 304s, caching, CORS and compression."""

from __future__ import annotations

import gzip
import shutil
from datetime import timedelta

import brotli
import pytest
from conftest import DATA_DIR, edit_yaml, load_data
from werkzeug.http import http_date, parse_date

from api.store.db import db

ITEMS = [
    "/v1",
    "/v1/units",
    "/v1/units/pakila-work-centre",
    "/v1/services",
    "/v1/services/social-rehabilitation",
    "/v1/organizations",
    "/v1/organizations/city-of-helsinki",
    "/v1/access-channels",
    "/v1/access-channels/pakila-work-centre-phone",
    "/v1/status-notices",
    "/v1/status-notices/covid-2021-02-shops",
    "/v1/announcements",
    "/v1/announcements/face-masks-in-social-and-health-care",
    "/v1/staff-duties",
    "/v1/staff-duties/duty-assess-work-ability",
    "/v1/units/pakila-work-centre/status?at=2021-03-15T10:00:00%2B02:00",
    "/v1/units/pakila-work-centre/opening-hours?start=2021-03-15&end=2021-03-21",
    "/v1/services/social-rehabilitation/status?at=2021-03-15T10:00:00%2B02:00",
    "/v1/changes",
    "/v1/dumps",
    "/v1/dumps/units.ndjson",
    "/v1/catalog",
    "/v1/openapi.json",
]


@pytest.mark.parametrize("url", ITEMS)
def test_a_304_round_trip(client, url):
    first = client.get(url)
    assert first.status_code == 200
    etag = first.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    assert first.headers["Last-Modified"]
    assert first.headers["Cache-Control"] == "public, max-age=60"
    assert {"Accept", "Accept-Encoding"} <= set(first.headers["Vary"].replace(" ", "").split(","))
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag
    # A date names a whole second, and a change may follow within it: a date-based 304 only
    # from the next second on (tests/test_hardening_http.py has the change within it).
    later = parse_date(first.headers["Last-Modified"]) + timedelta(seconds=1)
    by_date = client.get(url, headers={"If-Modified-Since": http_date(later)})
    assert by_date.status_code == 304


def test_a_304_does_not_build_the_body(client, count_queries):
    etag = client.get("/v1/units?page_size=500").headers["ETag"]
    count_queries.clear()
    assert client.get("/v1/units?page_size=500", headers={"If-None-Match": etag}).status_code == 304
    assert len(count_queries) == 1  # the data version, nothing else


def test_etags_differ_by_query_and_representation(client):
    plain = client.get("/v1/units").headers["ETag"]
    assert client.get("/v1/units?lang=fi").headers["ETag"] != plain
    assert (
        client.get("/v1/units", headers={"Accept": "application/geo+json"}).headers["ETag"] != plain
    )


def test_a_change_to_the_data_changes_the_etags_of_what_it_touches(app, client, tmp_path):
    """Lists and other views carry the data version; an item carries its record's version, so
    an edit elsewhere leaves it (and an editor's If-Match on it) alone."""
    item, other, listing = (
        "/v1/units/pakila-work-centre",
        "/v1/units/uusix-suvilahti",
        "/v1/units",
    )
    old = {url: client.get(url).headers["ETag"] for url in (item, other, listing)}
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)

    def rename(records):
        next(r for r in records if r["id"] == "pakila-work-centre")["name"]["en"] = "Renamed"

    edit_yaml(data / "units.yaml", rename)
    load_data(app, data)
    for url, status in ((item, 200), (listing, 200), (other, 304)):
        response = client.get(url, headers={"If-None-Match": old[url]})
        assert response.status_code == status, url
        assert (response.headers["ETag"] == old[url]) == (status == 304), url


def test_clock_dependent_answers_carry_their_minute(client):
    response = client.get("/v1/units/pakila-work-centre/status")
    assert response.json["at"].endswith(":00+02:00") or response.json["at"].endswith(":00+03:00")
    again = client.get(
        "/v1/units/pakila-work-centre/status", headers={"If-None-Match": response.headers["ETag"]}
    )
    assert again.status_code in (200, 304)  # 304 unless the minute turned in between


def test_head_answers_like_get_without_a_body(client):
    get = client.get("/v1/units/pakila-work-centre")
    head = client.head("/v1/units/pakila-work-centre")
    assert head.status_code == 200
    assert head.data == b""
    assert head.headers["ETag"] == get.headers["ETag"]
    assert (
        client.head(
            "/v1/units/pakila-work-centre", headers={"If-None-Match": get.headers["ETag"]}
        ).status_code
        == 304
    )
    # Compressed alike, so a HEAD's ETag, length and encoding are its GET's.
    gzip = {"Accept-Encoding": "gzip"}
    for url in ("/v1/units?page_size=5", "/v1/dumps/units.ndjson"):
        get, head = client.get(url, headers=gzip), client.head(url, headers=gzip)
        assert head.data == b""
        for name in ("ETag", "Content-Encoding", "Content-Length", "Content-Type"):
            assert head.headers.get(name) == get.headers.get(name), (url, name)


def test_max_age_is_configurable(database_url):
    from api import create_app

    app = create_app({"TESTING": True, "DATABASE_URL": database_url, "CACHE_MAX_AGE": 3600})
    assert app.test_client().get("/v1/units").headers["Cache-Control"] == "public, max-age=3600"


# --- CORS ------------------------------------------------------------------------------------


def test_reads_are_open_to_any_origin_with_the_useful_headers_exposed(client):
    response = client.get("/v1/units", headers={"Origin": "https://portal.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    exposed = response.headers["Access-Control-Expose-Headers"]
    for header in ("ETag", "Link", "Last-Modified", "Content-Language", "RateLimit-Remaining"):
        assert header in exposed


def test_a_preflight_is_answered(client):
    response = client.options(
        "/v1/units/pakila-work-centre",
        headers={
            "Origin": "https://portal.example",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "If-None-Match",
        },
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in response.headers["Access-Control-Allow-Methods"]
    assert "If-None-Match" in response.headers["Access-Control-Allow-Headers"]
    assert int(response.headers["Access-Control-Max-Age"]) > 0


def test_errors_are_cors_readable_too(client):
    assert client.get("/v1/units/nope").headers["Access-Control-Allow-Origin"] == "*"


# --- Licence ---------------------------------------------------------------------------------


def test_every_response_links_the_licence(client):
    for url in ("/v1", "/v1/units?page_size=2", "/v1/dumps/units.csv"):
        links = client.get(url).headers["Link"]
        assert '<https://creativecommons.org/licenses/by/4.0/>; rel="license"' in links
    assert 'rel="next"' in client.get("/v1/units?page_size=2").headers["Link"]


# --- Compression -----------------------------------------------------------------------------


def test_gzip_for_clients_that_accept_it(client):
    plain = client.get("/v1/units")
    packed = client.get("/v1/units", headers={"Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.data) == plain.data
    assert len(packed.data) < len(plain.data) / 3
    assert packed.headers["ETag"] != plain.headers["ETag"]
    # Revalidating the compressed copy works with its own ETag.
    again = client.get(
        "/v1/units", headers={"Accept-Encoding": "gzip", "If-None-Match": packed.headers["ETag"]}
    )
    assert again.status_code == 304


def test_brotli_when_accepted(client):
    plain = client.get("/v1/services")
    packed = client.get("/v1/services", headers={"Accept-Encoding": "br, gzip"})
    assert packed.headers["Content-Encoding"] == "br"
    assert brotli.decompress(packed.data) == plain.data


def test_streamed_dumps_are_compressed_as_they_stream(client):
    plain = client.get("/v1/dumps/units.ndjson")
    packed = client.get("/v1/dumps/units.ndjson", headers={"Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.data) == plain.data


def test_small_and_uncompressible_responses_are_left_alone(client):
    small = client.get("/v1/units/nope", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in small.headers
    archive = client.get("/v1/dumps/dataset.zip", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in archive.headers


def test_no_compression_without_accept_encoding(client):
    assert "Content-Encoding" not in client.get("/v1/units").headers


def test_only_clock_dependent_requests_carry_the_minute(client, monkeypatch):
    from datetime import UTC, datetime

    from api.web import caching as headers

    etags = {}
    for minute in (1, 2):
        monkeypatch.setattr(
            headers, "now_minute", lambda m=minute: datetime(2021, 3, 15, 8, m, tzinfo=UTC)
        )
        etags[minute] = (
            client.get("/v1/units").headers["ETag"],
            client.get("/v1/units?state=closed").headers["ETag"],
            client.get("/v1/units?state=closed&at=2021-03-15T10:00:00%2B02:00").headers["ETag"],
            client.get("/hsds/services").headers["ETag"],
            client.get("/hsds/services?at=2021-03-15T10:00:00%2B02:00").headers["ETag"],
            client.get("/hsds/organizations").headers["ETag"],
        )
    plain, by_state_now, by_state_at, hsds_now, hsds_at, hsds_organizations = zip(
        etags[1], etags[2], strict=True
    )
    assert plain[0] == plain[1]  # a plain page does not depend on the clock
    assert by_state_now[0] != by_state_now[1]  # "closed now" does
    assert by_state_at[0] == by_state_at[1]  # "closed at a given instant" does not
    assert hsds_now[0] != hsds_now[1]  # HSDS services carry their status now
    assert hsds_at[0] == hsds_at[1]
    assert hsds_organizations[0] == hsds_organizations[1]  # one-to-one fields, no status


# --- What a process remembers: the data version, for a moment ---------------------------------


@pytest.fixture
def remembering_app(database_url):
    from api import create_app

    app = create_app({"TESTING": True, "DATABASE_URL": database_url, "DATA_VERSION_TTL": 30})
    yield app
    db.session.remove()
    db.engine.dispose()


def test_a_repeated_request_is_built_again_with_the_same_bytes_and_validators(client):
    """No process keeps answers (a cache in front does): the same request under the same data
    version is built again into the same bytes, so one strong ETag names one body."""
    url = "/v1/units?page_size=2&lang=fi"
    first = client.get(url)
    again = client.get(url)
    assert again.data == first.data
    for header in ("ETag", "Link", "Content-Language", "Last-Modified", "Cache-Control"):
        assert again.headers[header] == first.headers[header], header
    assert client.head(url).headers["ETag"] == first.headers["ETag"]


def test_a_remembered_version_answers_304s_for_its_moment_only(remembering_app):
    from api.store.db import utcnow
    from api.store.models import Change
    from api.web.caching import remembered as process_memory

    client = remembering_app.test_client()
    url = "/v1/units?page_size=3"
    first = client.get(url)
    with remembering_app.app_context():
        remembered = process_memory()
        db.session.add(Change(kind="units", record_id="x", action="update", changed_at=utcnow()))
        db.session.commit()
    # Within its moment, the process still answers from what it remembers...
    assert client.get(url, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    # ...but a body it has to build is labelled with the version read afresh.
    other = client.get("/v1/units?page_size=4")
    remembered.read_at -= 31  # the moment passes
    after = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert after.status_code == 200
    assert after.headers["ETag"] != first.headers["ETag"]
    assert client.get("/v1/units?page_size=4").headers["ETag"] == other.headers["ETag"]


def test_a_write_in_this_process_is_seen_at_once(remembering_app):
    from api.store.tokens import create_token

    with remembering_app.app_context():
        session = db.new_session()
        with session.begin():
            token = create_token(session, "editor", ["write:units"])
        session.close()
    client = remembering_app.test_client()
    url = "/v1/units?page_size=3"
    before = client.get(url)
    item = "/v1/units/pakila-work-centre"
    etag = client.get(item).headers["ETag"]
    response = client.patch(
        item,
        json={"latitude": 60.25},
        headers={"Authorization": f"Bearer {token}", "If-Match": etag},
    )
    assert response.status_code == 200
    after = client.get(url, headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200
    assert after.headers["ETag"] != before.headers["ETag"]


@pytest.mark.parametrize(
    "url",
    [
        "/v1/units/uusix-workshops",
        "/v1/organizations/city-of-helsinki",
        "/v1/announcements/face-masks-in-social-and-health-care",
    ],
)
def test_an_item_is_read_once_for_its_validators_and_its_body(client, count_queries, url):
    """An item's ETag and its stored form come from one read of its row: the body is the
    version the ETag names, and a 200 costs no second query for the record."""
    count_queries.clear()
    response = client.get(url)
    assert response.status_code == 200
    assert len(count_queries) == 1, count_queries
    assert client.get(url, headers={"If-None-Match": response.headers["ETag"]}).status_code == 304


@pytest.mark.parametrize("url", ["/v1/units?page_size=5", "/v1/services?page_size=5"])
def test_a_page_reads_the_data_version_once(client, count_queries, url):
    """A list page reads the data version once (its ETag's), and takes its count, remembered
    for that version, without asking for the version again: the version and the page."""
    client.get(url)  # the count is remembered
    count_queries.clear()
    assert client.get(url).status_code == 200
    versions = [s for s in count_queries if "max(changes.seq)" in s]
    assert len(versions) == 1, count_queries
    assert len(count_queries) == 2, count_queries


def test_a_status_reads_the_unit_once(client, count_queries):
    """A unit's status reads the data version and the engine's input, which holds the unit
    only if it exists: no separate read of the unit for its 404."""
    url = "/v1/units/pakila-work-centre/status?at=2021-03-15T10%3A00%3A00%2B02%3A00"
    count_queries.clear()
    assert client.get(url).status_code == 200
    reads_of_units = [s for s in count_queries if "FROM units" in s]
    assert len(reads_of_units) == 1, count_queries
    assert client.get(url.replace("pakila", "no-such")).status_code == 404


def test_the_data_version_is_found_at_the_ends_of_its_indexes(app):
    """The data version, read by almost every request, looks up the newest change at the end
    of the change log's indexes instead of reading the log: SQLite's plan searches, never
    scans, however long the log has grown."""
    from sqlalchemy import select, text

    from api.store.queries import _data_version

    version = _data_version()
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("the plan checked is SQLite's (PostgreSQL optimises max() alike)")
        statement = select(version.c.seq, version.c.changed_at).compile(db.engine)
        plan = db.session.execute(text(f"EXPLAIN QUERY PLAN {statement}"), statement.params).all()
    steps = [row[-1] for row in plan]
    assert any("changes" in step for step in steps), steps
    assert not any(step.startswith("SCAN changes") for step in steps), steps
