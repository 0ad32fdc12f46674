"""`/v1/dumps`: full downloads of every collection (NDJSON, JSON, CSV) and of the whole
dataset (a zip), served as static files.

Each collection's dumps (every format and variant, with gzip and brotli copies) are built once
per data version, by the first request that wants one (or `flask dumps build`), into
DUMPS_DIR/<version>/<collection>/ (default: instance/dumps), from one read snapshot
(api.store.db.read_snapshot); the dataset's zip, into <version>/dataset/, from the collections
built at that version. A build writes into a folder of its own, renamed into place when whole,
so a reader sees all of it or nothing; builders take turns on a file lock (several server
processes may want the same one), and a build removes older versions' folders. A download is
then a file (sent with sendfile where the server can): Content-Length, ranges (206), the data
version's ETag (304), whatever its size, and never bound to a worker's timeout. A build that
outlasts DUMPS_BUILD_WAIT seconds goes on in the background while the request gets a 503 with
Retry-After.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, request, send_file, url_for
from werkzeug.wsgi import FileWrapper

from api.formats import exports
from api.formats.exports import ARCHIVE, FORMATS, Head, write_archive, write_collection
from api.problems import Problem, field_error
from api.resources.changes import encode_position
from api.resources.index import last_modified
from api.store import queries
from api.store.collections import BY_NAME, PUBLISHED
from api.store.db import db, read_snapshot
from api.web.caching import accepted_encoding, etag_for_request
from api.web.http import Blueprint
from api.web.pipeline import state
from schemas.dumps import DumpArgsSchema, DumpListSchema, NoArgsSchema
from schemas.index import ATTRIBUTION, LICENCE_NAME, LICENCE_URL

blp = Blueprint(
    "dumps",
    __name__,
    url_prefix="/v1/dumps",
    description="Full downloads: each collection as NDJSON, JSON and CSV, and the whole dataset "
    "as one zip archive, each built once per data version and served as a file with its ETag, "
    "Content-Length and ranges, and the change-feed cursor to continue from. Licence CC BY 4.0.",
)

COLLECTIONS = [kind.name for kind in PUBLISHED]
CURSOR_HEADER = "Change-Feed-Cursor"
COMPRESSED = set(FORMATS.values())  # served from a precompressed copy when the client accepts
README = f"""City of Helsinki social rehabilitation services, 2020-2021 - full dataset

Each collection as NDJSON (a first line {{"dump": {{...}}}} with the change-feed cursor, then one
record per line, as the API publishes it) and CSV (LocalizedStrings as name_fi, name_sv, name_en
columns; lists space-separated).

Licence: {LICENCE_NAME} ({LICENCE_URL})
Attribution: {ATTRIBUTION}
"""


def dump_list() -> list[dict]:
    items = [
        {
            "collection": name,
            "format": fmt,
            "media_type": media_type,
            "url": url_for("dumps.get_dump", collection=name, fmt=fmt, _external=True),
        }
        for name in COLLECTIONS
        for fmt, media_type in FORMATS.items()
    ]
    items.append(
        {
            "collection": "dataset",
            "format": "zip",
            "media_type": "application/zip",
            "url": url_for("dumps.get_dataset_archive", _external=True),
        }
    )
    return items


@blp.route("")
@blp.arguments(NoArgsSchema, location="query")
@blp.response(200, DumpListSchema)
@blp.errors(400)
@blp.doc(operationId="listDumps")
def list_dumps(_args: dict) -> dict[str, Any]:
    """List the full downloads

    Every collection as NDJSON, JSON and CSV, and the whole dataset as a zip of NDJSON and CSV
    files with a README carrying the licence and attribution.
    """
    return {
        "licence": {"name": LICENCE_NAME, "url": LICENCE_URL},
        "attribution": ATTRIBUTION,
        "last_modified": last_modified(),
        "dumps": dump_list(),
    }


CURSOR_DOC = {
    CURSOR_HEADER: {
        "description": "The change-feed cursor the dump stands at: "
        "`/v1/changes?since=<it>` gives every change made after the dump.",
        "schema": {"type": "string"},
    }
}
BUILDING_DOC = {
    "description": "The dump of the current data version is still being built; retry after "
    "`Retry-After` seconds.",
    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
    "headers": {"Retry-After": {"schema": {"type": "integer"}}},
}


@blp.route("/<collection>.<fmt>")
@blp.arguments(DumpArgsSchema, location="query")
@blp.response(200, {"type": "string"}, content_type="application/x-ndjson")
@blp.errors(400, 404)
@blp.doc(
    operationId="getDump",
    responses={
        "200": {
            "description": "The collection in the format asked for.",
            "content": {
                "application/x-ndjson": {"schema": {"type": "string"}},
                "text/csv": {"schema": {"type": "string"}},
                "application/json": {"schema": {"$ref": "#/components/schemas/JsonDump"}},
            },
            "headers": CURSOR_DOC,
        },
        "206": {
            "description": "The part of the file a `Range` header asked for.",
            "content": {"application/octet-stream": {"schema": {"type": "string"}}},
            "headers": CURSOR_DOC,
        },
        "503": BUILDING_DOC,
    },
)
def get_dump(args: dict, collection: str, fmt: str) -> Response:
    """Download a whole collection

    `collection` is one of units, services, organizations, access-channels, status-notices,
    notice-versions, announcements, staff-duties; `fmt` one of ndjson, json, csv.
    `ndjson`: a first line `{"dump": {"collection", "count", "data_version",
    "change_feed_cursor", "changes"}}`, then one record per line, exactly as the collection's
    item endpoint publishes it (all languages). `json`: an object with the same fields and the
    records in `results`. `csv`: one row per record, a LocalizedString as `name_fi`, `name_sv`,
    `name_en` columns, lists space-separated, embedded records left out; a text cell starting
    with `=`, `+`, `-`, `@`, a tab or a carriage return (phone numbers too) gets a leading `'`,
    so that a spreadsheet never runs it as a formula. Null is an empty cell, or `NULL` with
    `nulls=marked`; `bom=true` adds a byte order mark for Excel.

    Each dump is built once per data version, in one snapshot of the data, and served as a
    file: `Content-Length`, `Range` requests (206) and the ETag of the data version. To keep a
    mirror, load a dump, then follow `/v1/changes?since=<change_feed_cursor>` (the cursor is
    also in the `Change-Feed-Cursor` header): the feed brings every change made after it. A
    dump still being built answers 503 with `Retry-After`.
    """
    if collection not in COLLECTIONS or fmt not in FORMATS:
        raise Problem(404, f"No dump {collection}.{fmt}; /v1/dumps lists them.")
    if fmt != "csv":
        for name, default in (("bom", False), ("nulls", "empty")):
            if args[name] != default:
                detail = f"`{name}` is for the CSV dumps only."
                raise Problem(400, detail, [field_error(name, detail)])
    name = exports.file_name(collection, fmt, args["bom"], args["nulls"])
    return _send(collection, name, FORMATS[fmt], f"{collection}.{fmt}")


@blp.route("/dataset.zip")
@blp.arguments(NoArgsSchema, location="query")
@blp.response(200, {"type": "string", "format": "binary"}, content_type="application/zip")
@blp.errors(400)
@blp.doc(
    operationId="getDatasetArchive",
    responses={
        "200": {
            "description": "The zip archive.",
            "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
            "headers": CURSOR_DOC,
        },
        "503": BUILDING_DOC,
    },
)
def get_dataset_archive(_args: dict) -> Response:
    """Download the whole dataset

    A zip archive of every collection as NDJSON and CSV, with a README.txt carrying the licence,
    the attribution and the change-feed cursor the data stands at. Built once per data version,
    like the collections' dumps.
    """
    return _send(DATASET, ARCHIVE, "application/zip", ARCHIVE)


# --- Serving ---------------------------------------------------------------------------------


def _send(part: str, name: str, mimetype: str, download_name: str) -> Response:
    """The file `name` of `part` (a collection, or DATASET) of the current data version's
    build, compressed as the client accepts (the build's precompressed copies), with its
    validators and the cursor."""
    encoding = accepted_encoding()
    # A zip is compressed already: its ETag is labelled alike (as api.web.caching does).
    served = encoding if encoding in exports.ENCODINGS and mimetype in COMPRESSED else None
    suffix = exports.ENCODINGS[served] if served else ""
    request.environ.setdefault("wsgi.file_wrapper", _ClosingFileWrapper)
    for _attempt in range(3):  # a file may go with its build, replaced meanwhile
        folder, cursor = current_build(part)
        try:
            response = send_file(
                folder / (name + suffix),
                mimetype=mimetype,
                as_attachment=True,
                download_name=download_name,
                conditional=True,
                etag=_sent_etag(encoding),
                last_modified=state().last_modified,
            )
        except FileNotFoundError:
            continue
        if served:
            response.headers["Content-Encoding"] = served
        response.headers[CURSOR_HEADER] = cursor
        response.headers.add("Access-Control-Expose-Headers", CURSOR_HEADER)
        response.vary.add("Accept-Encoding")
        return response
    raise Problem(503, "The dumps are being rebuilt; try again.", headers={"Retry-After": "1"})


class _ClosingFileWrapper(FileWrapper):
    """werkzeug's file wrapper, for servers that offer none (gunicorn offers its own, which
    sends with sendfile), closing the file when it goes: a client may never close the answer
    to a HEAD or a range, which leaves the file unread."""

    def __del__(self) -> None:
        self.close()


def _sent_etag(encoding: str | None) -> str:
    """The ETag as api.web.caching sends it (the encoding after a dash), without quotes."""
    etag = state().etag
    assert etag is not None, "made before the view"
    return etag.strip('"') + (f"-{encoding}" if encoding else "")


# --- Building --------------------------------------------------------------------------------

DATASET = "dataset"  # the part that is the zip of every collection
Version = tuple[int, datetime | None]
Built = tuple[Version, Path]  # the data version of a build of a part, and its folder


def version_folder(app: Flask, version: Version, cursor: str) -> Path:
    """The folder of a data version's builds: its seq, its time and a digest of its cursor (a
    new cursor key makes new builds), so that a rebuilt database never reuses another's
    files."""
    seq, changed_at = version
    stamp = round(changed_at.timestamp() * 1_000_000) if changed_at else 0
    digest = hashlib.sha256(cursor.encode()).hexdigest()[:8]
    return dumps_root(app) / f"{seq}-{stamp}-{digest}"


def dumps_root(app: Flask) -> Path:
    """DUMPS_DIR (a relative one from the working directory), else instance/dumps."""
    return Path(app.config["DUMPS_DIR"] or Path(app.instance_path) / "dumps").resolve()


def current_build(part: str) -> tuple[Path, str]:
    """The folder of `part` built at this request's data version, and its cursor: found, or
    built now (waited for up to DUMPS_BUILD_WAIT seconds, else a 503 while it goes on)."""
    version = state().version
    assert version is not None, "read before the view"
    cursor = encode_position(version[0])
    folder = version_folder(current_app, version, cursor) / part
    if folder.is_dir():
        return folder, cursor
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    wait = float(app.config["DUMPS_BUILD_WAIT"])
    try:
        built_version, folder = builder(app).start(part).result(timeout=wait)
    except FutureTimeout:
        detail = "The dumps of the current data are being built; try again shortly."
        raise Problem(503, detail, headers={"Retry-After": str(max(1, round(wait)))}) from None
    if built_version != version:
        # The data moved on before the build's snapshot: the answer is that newer version's.
        state().version = built_version
        state().last_modified = built_version[1]
        state().etag = etag_for_request(built_version[0])
        cursor = encode_position(built_version[0])
    return folder, cursor


class Builder:
    """One app's builds in this process, each in a background thread (so that a request waits
    only as long as it chooses to), at most one per part at a time."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.lock = threading.Lock()
        self.running: dict[str, Future[Built]] = {}

    def start(self, part: str) -> Future[Built]:
        """The build of `part` running now, else a new one of the data as it is now."""
        with self.lock:
            future = self.running.get(part)
            if future is None or future.done():
                future = self.running[part] = Future()
                threading.Thread(
                    target=self._run, args=(part, future), name=f"dumps-{part}", daemon=True
                ).start()
            return future

    def _run(self, part: str, future: Future[Built]) -> None:
        try:
            future.set_result(build(self.app, part))
        except BaseException as error:  # handed to the requests waiting for it
            future.set_exception(error)


def builder(app: Flask) -> Builder:
    found = app.extensions.get("api.resources.dumps.builder")
    if found is None:
        found = app.extensions["api.resources.dumps.builder"] = Builder(app)
    return found


@contextmanager
def _turn(root: Path) -> Iterator[None]:
    """Hold the builders' file lock: one build at a time, across processes too."""
    with open(root / ".lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def build(app: Flask, part: str) -> Built:
    """`part` (a collection, or DATASET) of the data as it is now, built unless it is already:
    its data version and its folder. Everything it writes comes from one snapshot; the
    dataset's zip takes the collections built at the same version (the same data), building
    those missing. Older versions' folders are removed."""
    root = dumps_root(app)
    root.mkdir(parents=True, exist_ok=True)
    with app.app_context(), _turn(root), read_snapshot(db.configured_engine()) as session:
        version = queries.data_version(session)
        cursor = encode_position(version[0])
        home = version_folder(app, version, cursor)
        head = Head(version[0], cursor)
        for name in COLLECTIONS if part == DATASET else [part]:
            _publish(home / name, partial(write_collection, session, BY_NAME[name], head=head))
        if part == DATASET:
            readme = f"{README}Change-feed cursor: {cursor}\n"
            folders = {name: home / name for name in COLLECTIONS}
            _publish(home / DATASET, lambda draft: write_archive(draft / ARCHIVE, folders, readme))
        for other in root.iterdir():
            if other != home and other.is_dir():
                shutil.rmtree(other, ignore_errors=True)
    return version, home / part


def _publish(folder: Path, write: Callable[[Path], None]) -> None:
    """`write(draft)` into a new folder of its own, renamed `folder` when whole (a reader
    sees all of it or nothing); nothing if `folder` is there already."""
    if folder.is_dir():
        return
    folder.parent.mkdir(parents=True, exist_ok=True)
    draft = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}.{os.getpid()}."))
    try:
        write(draft)
        draft.chmod(0o755)
        os.replace(draft, folder)
    except BaseException:
        shutil.rmtree(draft, ignore_errors=True)
        raise


@blp.cli.command("build")
def build_command() -> None:
    """Build every dump of the data as it is now (`flask --app wsgi dumps build`), so that no
    request waits for one; requests build them anyway when missing."""
    version, folder = build(current_app._get_current_object(), DATASET)  # type: ignore[attr-defined]
    print(f"Dumps of data version {version[0]} in {folder.parent}")
