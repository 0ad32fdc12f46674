"""Dumps built once per data version and served as files: ranges, ETags, the change-feed cursor
to continue from, the spreadsheet variants of CSV, and builders that do not trip each other."""

from __future__ import annotations

import csv
import io
import json
import threading
import time
from pathlib import Path

import pytest

from api.resources import dumps
from api.store.db import db
from api.store.tokens import create_token

UNIT = "/v1/units/pakila-work-centre"


@pytest.fixture
def editor(app, client):
    """`edit(changes)`: PATCH the Pakila unit with `changes` as an editor."""
    with app.app_context():
        session = db.new_session()
        with session.begin():
            value = create_token(session, "editor", ["write:units"])
        session.close()

    def edit(changes: dict) -> dict:
        etag = client.get(UNIT).headers["ETag"]
        headers = {"Authorization": f"Bearer {value}", "If-Match": etag}
        response = client.patch(UNIT, json=changes, headers=headers)
        assert response.status_code == 200, response.json
        return response.json

    return edit


@pytest.fixture
def builds(monkeypatch):
    """The collections written so far, by every build in this process."""
    written: list[str] = []
    original = dumps.write_collection

    def counting(session, kind, folder, head):
        written.append(kind.name)
        return original(session, kind, folder, head)

    monkeypatch.setattr(dumps, "write_collection", counting)
    return written


def version_folders(app) -> list[Path]:
    root = Path(app.config["DUMPS_DIR"])
    return sorted(p for p in root.iterdir() if p.is_dir()) if root.exists() else []


def test_a_dump_is_built_once_per_data_version_and_older_ones_go(app, client, builds, editor):
    first = client.get("/v1/dumps/units.ndjson")
    assert first.status_code == 200
    assert builds == ["units"]
    [folder] = version_folders(app)
    assert (folder / "units" / "units.ndjson").read_bytes() == first.data
    # Every format and variant of the collection came from that one build.
    for url in ("units.json", "units.csv", "units.csv?bom=true&nulls=marked"):
        assert client.get(f"/v1/dumps/{url}").status_code == 200
    assert client.get("/v1/dumps/units.ndjson").data == first.data
    assert builds == ["units"]

    editor({"notes": "moved upstairs"})
    second = client.get("/v1/dumps/units.ndjson")
    assert builds == ["units", "units"]
    assert second.data != first.data and b"moved upstairs" in second.data
    [newer] = version_folders(app)
    assert newer != folder and not folder.exists()
    assert second.headers["ETag"] != first.headers["ETag"]


def test_the_dataset_zip_takes_the_collections_built_at_its_version(app, client, builds):
    client.get("/v1/dumps/units.csv")
    assert client.get("/v1/dumps/dataset.zip").status_code == 200
    assert sorted(builds) == sorted(dumps.COLLECTIONS)  # units once, the others for the zip
    client.get("/v1/dumps/services.ndjson")
    assert len(builds) == len(dumps.COLLECTIONS)


def test_a_range_gets_206_with_exactly_those_bytes(client):
    whole = client.get("/v1/dumps/units.ndjson")
    assert whole.headers["Accept-Ranges"] == "bytes"
    assert int(whole.headers["Content-Length"]) == len(whole.data)
    part = client.get("/v1/dumps/units.ndjson", headers={"Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part.data == whole.data[100:200]
    assert part.headers["Content-Range"] == f"bytes 100-199/{len(whole.data)}"
    # Resuming a download that stopped: from the byte it got to, to the end.
    rest = client.get("/v1/dumps/units.ndjson", headers={"Range": "bytes=5000-"})
    assert rest.status_code == 206 and whole.data[:5000] + rest.data == whole.data
    # If-Range with the current ETag resumes; with another, the whole file comes again.
    same = {"Range": "bytes=0-9", "If-Range": whole.headers["ETag"]}
    assert client.get("/v1/dumps/units.ndjson", headers=same).status_code == 206
    other = {"Range": "bytes=0-9", "If-Range": '"something-else"'}
    again = client.get("/v1/dumps/units.ndjson", headers=other)
    assert again.status_code == 200 and again.data == whole.data
    for response in (part, rest, again):
        response.close()


def test_revalidation_answers_304_until_the_data_changes(client, editor):
    first = client.get("/v1/dumps/units.csv", headers={"Accept-Encoding": "gzip"})
    etag = first.headers["ETag"]
    assert first.headers["Content-Encoding"] == "gzip"
    assert first.headers["Last-Modified"]
    again = client.get(
        "/v1/dumps/units.csv", headers={"Accept-Encoding": "gzip", "If-None-Match": etag}
    )
    assert again.status_code == 304 and again.headers["ETag"] == etag
    editor({"notes": "a change"})
    changed = client.get(
        "/v1/dumps/units.csv", headers={"Accept-Encoding": "gzip", "If-None-Match": etag}
    )
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_compressed_copies_have_their_length_and_ranges(client):
    import gzip

    import brotli

    plain = client.get("/v1/dumps/units.json").data
    packed = client.get("/v1/dumps/units.json", headers={"Accept-Encoding": "gzip"})
    assert gzip.decompress(packed.data) == plain
    assert int(packed.headers["Content-Length"]) == len(packed.data)
    squeezed = client.get("/v1/dumps/units.json", headers={"Accept-Encoding": "br, gzip"})
    assert squeezed.headers["Content-Encoding"] == "br"
    assert brotli.decompress(squeezed.data) == plain
    part = client.get(
        "/v1/dumps/units.json", headers={"Accept-Encoding": "gzip", "Range": "bytes=0-99"}
    )
    assert part.status_code == 206 and part.data == packed.data[:100]
    part.close()


def test_the_dump_carries_the_feed_cursor_and_the_feed_brings_exactly_what_came_after(
    client, editor
):
    response = client.get("/v1/dumps/units.ndjson")
    head = json.loads(response.data.split(b"\n", 1)[0])["dump"]
    cursor = head["change_feed_cursor"]
    assert response.headers["Change-Feed-Cursor"] == cursor
    assert "Change-Feed-Cursor" in response.headers.get_all("Access-Control-Expose-Headers")
    # The cursor is the one the feed itself gives at its head.
    feed_head = client.get("/v1/changes?page_size=500").json
    assert feed_head["next"] is None and feed_head["cursor"] == cursor
    assert client.get(head["changes"]).json["results"] == []
    for url in ("/v1/dumps/units.json", "/v1/dumps/units.csv", "/v1/dumps/dataset.zip"):
        assert client.get(url).headers["Change-Feed-Cursor"] == cursor
    assert client.get("/v1/dumps/units.json").json["change_feed_cursor"] == cursor

    edited = editor({"notes": "after the dump"})
    after = client.get(head["changes"]).json
    assert [(c["kind"], c["id"], c["change"]) for c in after["results"]] == [
        ("units", "pakila-work-centre", "updated")
    ]
    assert after["results"][0]["record"] == edited
    # The next dump stands where the feed now does.
    newer = client.get("/v1/dumps/units.ndjson").headers["Change-Feed-Cursor"]
    assert newer == after["cursor"] != cursor


def test_the_zip_readme_names_the_cursor(client):
    import zipfile

    response = client.get("/v1/dumps/dataset.zip")
    readme = zipfile.ZipFile(io.BytesIO(response.data)).read("README.txt").decode()
    assert f"Change-feed cursor: {response.headers['Change-Feed-Cursor']}" in readme


def rows_of(data: bytes) -> dict[str, dict]:
    return {row["id"]: row for row in csv.DictReader(io.StringIO(data.decode("utf-8-sig")))}


def test_csv_for_spreadsheets_a_bom_and_a_null_marker(client, editor):
    editor({"notes": "", "description": {"fi": "NULL", "sv": None, "en": "=1+1"}})
    plain = client.get("/v1/dumps/units.csv").data
    assert not plain.startswith(b"\xef\xbb\xbf")
    with_bom = client.get("/v1/dumps/units.csv?bom=true").data
    assert with_bom == b"\xef\xbb\xbf" + plain
    assert with_bom.decode("utf-8").startswith("\ufeffid,")

    row = rows_of(plain)["pakila-work-centre"]
    # By default null and "" are both an empty cell.
    assert (row["notes"], row["description_sv"], row["latitude"]) == ("", "", "")
    marked = client.get("/v1/dumps/units.csv?nulls=marked").data
    row = rows_of(marked)["pakila-work-centre"]
    assert row["notes"] == ""  # an empty text
    assert (row["description_sv"], row["latitude"]) == ("NULL", "NULL")  # null
    assert row["description_fi"] == "'NULL"  # the text "NULL", told apart
    assert row["description_en"] == "'=1+1"  # still no formula
    both = client.get("/v1/dumps/units.csv?nulls=marked&bom=true").data
    assert both == b"\xef\xbb\xbf" + marked


@pytest.mark.parametrize(
    "url,field",
    [
        ("/v1/dumps/units.ndjson?bom=true", "bom"),
        ("/v1/dumps/units.json?nulls=marked", "nulls"),
        ("/v1/dumps/units.csv?bom=yes", "bom"),
        ("/v1/dumps/units.csv?nulls=null", "nulls"),
    ],
)
def test_spreadsheet_options_elsewhere_or_malformed_are_a_400(client, url, field):
    response = client.get(url)
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert [error["field"] for error in response.json["errors"]] == [field]


def test_a_build_that_outlasts_the_wait_is_a_503_then_the_file(app, client, monkeypatch):
    app.config["DUMPS_BUILD_WAIT"] = 0.2
    release = threading.Event()
    original = dumps.write_collection

    def slow(session, kind, folder, head):
        release.wait(30)
        return original(session, kind, folder, head)

    monkeypatch.setattr(dumps, "write_collection", slow)
    waiting = client.get("/v1/dumps/units.ndjson")
    assert waiting.status_code == 503
    assert waiting.mimetype == "application/problem+json"
    assert int(waiting.headers["Retry-After"]) >= 1
    release.set()
    deadline = time.monotonic() + 30
    while (response := client.get("/v1/dumps/units.ndjson")).status_code == 503:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert response.status_code == 200 and response.data.count(b"\n") == 11


def test_builders_racing_for_one_version_end_with_one_whole_build(app, client):
    results: list[tuple] = []
    errors: list[BaseException] = []

    def run():
        try:
            results.append(dumps.build(app, "units"))
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    assert len({folder for _version, folder in results}) == 1
    [folder] = version_folders(app)
    assert [p.name for p in folder.iterdir()] == ["units"]  # no draft left behind
    lines = (folder / "units" / "units.ndjson").read_bytes().splitlines()
    assert len(lines) == 11
    assert client.get("/v1/dumps/units.ndjson").data.splitlines() == lines


def test_flask_dumps_build_builds_everything_ahead(app, runner, client, builds):
    result = runner.invoke(args=["dumps", "build"])
    assert result.exit_code == 0, result.output
    assert sorted(builds) == sorted(dumps.COLLECTIONS)
    for url in ("/v1/dumps/dataset.zip", "/v1/dumps/staff-duties.csv"):
        assert client.get(url).status_code == 200
    assert len(builds) == len(dumps.COLLECTIONS)  # nothing built again


def test_a_build_reads_one_snapshot(client, database_url, monkeypatch):
    """A write committed while a build runs is not in it (it is in the next version's). The
    write bypasses the editor, so it clears the stored form, which a read then builds."""
    from sqlalchemy import create_engine, text

    original = dumps.write_collection

    def written_meanwhile(session, kind, folder, head):
        engine = create_engine(database_url)
        with engine.begin() as connection:
            connection.execute(
                text(
                    "UPDATE units SET notes = 'written meanwhile', published_form = NULL"
                    " WHERE id = :id"
                ),
                {"id": "pakila-work-centre"},
            )
        engine.dispose()
        return original(session, kind, folder, head)

    monkeypatch.setattr(dumps, "write_collection", written_meanwhile)
    body = client.get("/v1/dumps/units.ndjson").data
    assert client.get(UNIT).json["notes"] == "written meanwhile"  # the write did happen
    assert b"written meanwhile" not in body
