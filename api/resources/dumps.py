"""`/v1/dumps`: full downloads of every collection (NDJSON, JSON, CSV) and of the whole
dataset (a zip), streamed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, AnyStr

from flask import Response, current_app, stream_with_context, url_for

from api.formats.exports import FORMATS, archive, stream
from api.problems import Problem
from api.resources.index import last_modified
from api.store.collections import BY_NAME, PUBLISHED
from api.store.db import db
from api.web.http import Blueprint
from schemas.dumps import DumpListSchema, NoArgsSchema
from schemas.index import ATTRIBUTION, LICENCE_NAME, LICENCE_URL

blp = Blueprint(
    "dumps",
    __name__,
    url_prefix="/v1/dumps",
    description="Full downloads: each collection as NDJSON, JSON and CSV, and the whole dataset "
    "as one zip archive, streamed, each with its own ETag. Licence CC BY 4.0.",
)

COLLECTIONS = [kind.name for kind in PUBLISHED]
README = f"""City of Helsinki social rehabilitation services, 2020-2021 - full dataset

Each collection as NDJSON (one record per line, as the API publishes it) and CSV (LocalizedStrings
as name_fi, name_sv, name_en columns; lists space-separated).

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


def _streamed(chunks: Iterator[AnyStr], mimetype: str, filename: str) -> Response:
    response = current_app.response_class(stream_with_context(chunks), mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@blp.route("/<collection>.<fmt>")
@blp.arguments(NoArgsSchema, location="query")
@blp.response(200, {"type": "string"}, content_type="application/x-ndjson")
@blp.errors(400, 404)
@blp.doc(
    operationId="getDump",
    responses={
        "200": {
            "description": "The collection, streamed in the format asked for.",
            "content": {
                "application/x-ndjson": {"schema": {"type": "string"}},
                "text/csv": {"schema": {"type": "string"}},
                "application/json": {"schema": {"$ref": "#/components/schemas/JsonDump"}},
            },
        }
    },
)
def get_dump(_args: dict, collection: str, fmt: str) -> Response:
    """Download a whole collection

    `collection` is one of units, services, organizations, access-channels, status-notices,
    notice-versions, announcements, staff-duties; `fmt` one of ndjson, json, csv.
    `ndjson`: one record per line, exactly as the collection's item endpoint publishes it (all
    languages). `json`: the same records as one array. `csv`: one row per record, a
    LocalizedString as `name_fi`, `name_sv`, `name_en` columns, lists space-separated, embedded
    records left out; a text cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return
    (phone numbers too) gets a leading `'`, so that a spreadsheet never runs it as a formula.
    """
    if collection not in COLLECTIONS or fmt not in FORMATS:
        raise Problem(404, f"No dump {collection}.{fmt}; /v1/dumps lists them.")
    chunks = stream(db.session, BY_NAME[collection], fmt)
    return _streamed(chunks, FORMATS[fmt], f"{collection}.{fmt}")


@blp.route("/dataset.zip")
@blp.arguments(NoArgsSchema, location="query")
@blp.response(200, {"type": "string", "format": "binary"}, content_type="application/zip")
@blp.errors(400)
@blp.doc(operationId="getDatasetArchive")
def get_dataset_archive(_args: dict) -> Response:
    """Download the whole dataset

    A zip archive of every collection as NDJSON and CSV, with a README.txt carrying the licence
    and attribution.
    """
    return _streamed(archive(db.session, README), "application/zip", "dataset.zip")
