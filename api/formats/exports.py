"""Bulk exports: each collection as NDJSON, JSON and CSV, and the whole dataset as one zip
archive, written to files (api.resources.dumps builds them once per data version, in one read
snapshot, and serves them as static files). One pass over each collection's records writes
every format, in keyset batches, so memory stays flat however large the data is. No Flask here.

Every format writes each record exactly as its item endpoint publishes it (all languages),
`dump_records` being the one place records are serialised. NDJSON starts with one line that is
not a record, `{"dump": {...}}`, and JSON wraps the records in an object with the same fields:
the collection, the record count, the data version and the change-feed cursor to continue from
(`/v1/changes?since=<cursor>` brings every change made after the dump).

CSV flattens a record: a LocalizedString becomes `name_fi`, `name_sv`, `name_en`; an address
`visiting_address_street_address_fi`, ...; a list of ids or URLs one cell, space-separated;
lists of embedded records (a unit's access channels and opening hours) are left to the
collections and formats that carry them. A text cell that a spreadsheet would read as a formula
(it starts with = + - @, a tab or a carriage return) gets a leading apostrophe, phone numbers
such as `+358 9 ...` too: the other formats carry every value as it is. Null is an empty cell,
or, in the `nulls` variant, `NULL` (and a text that is exactly `NULL` gets the apostrophe), so
that null and "" differ; the `bom` variant starts with a UTF-8 byte order mark for Excel.
"""

from __future__ import annotations

import codecs
import csv
import json
import shutil
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from marshmallow import Schema, fields
from sqlalchemy import func, select

from api.store.collections import PUBLISHED, Collection, iter_forms
from api.store.db import AnySession
from schemas.access_channels import CHANNEL_SCHEMAS, AccessChannelSchema

try:  # brotli is optional: a brotli copy of each dump when it is installed
    import brotli
except ImportError:  # pragma: no cover - depends on the environment
    brotli = None

FORMATS = {
    "ndjson": "application/x-ndjson",
    "json": "application/json",
    "csv": "text/csv",
}
# What a CSV cell holds for null in the `nulls` variant.
NULL_MARKER = "NULL"
BOM = codecs.BOM_UTF8
# The precompressed copies of every served file, by content coding, and their suffixes.
ENCODINGS = {"gzip": ".gz", **({"br": ".br"} if brotli is not None else {})}
ARCHIVE = "dataset.zip"
CHUNK = 1 << 16


def to_json_line(record: dict) -> str:
    """One record as a line of NDJSON: compact, UTF-8, keys in the published order."""
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def dump_records(session: AnySession, kind: Collection) -> Iterator[dict]:
    """Every record of `kind` as its item endpoint publishes it (all languages): the one
    serialisation all dumps share, read from the records' stored published forms."""
    for form in iter_forms(session, kind):
        yield json.loads(form)


@dataclass(frozen=True)
class Head:
    """Where a build of the dumps stands: the data version of its snapshot and the change-feed
    cursor of that version (what /v1/changes gives for it)."""

    data_version: int
    change_feed_cursor: str

    def fields(self, kind: Collection, count: int) -> dict:
        return {
            "collection": kind.name,
            "count": count,
            "data_version": self.data_version,
            "change_feed_cursor": self.change_feed_cursor,
            "changes": f"/v1/changes?since={self.change_feed_cursor}",
        }


def file_name(collection: str, fmt: str, bom: bool = False, nulls: str = "empty") -> str:
    """The name of one dump in a build's folder: `units.ndjson`, `units.bom.nulls.csv`."""
    parts = [collection]
    if bom:
        parts.append("bom")
    if nulls == "marked":
        parts.append("nulls")
    return ".".join([*parts, fmt])


# --- CSV -------------------------------------------------------------------------------------


def _columns(schema: type[Schema] | Schema, prefix: str = "") -> list[tuple[str, tuple]]:
    """(column name, path into the record) for every scalar a schema publishes."""
    instance = schema() if isinstance(schema, type) else schema
    columns = []
    for name, field in instance.fields.items():
        path_name = f"{prefix}{name}"
        if isinstance(field, fields.Nested) and not field.many:
            for sub_name, sub_path in _columns(field.schema):
                columns.append((f"{path_name}_{sub_name}", (name, *sub_path)))
        elif isinstance(field, fields.List):
            if isinstance(field.inner, fields.Nested):
                continue  # embedded records: their own collection carries them
            columns.append((path_name, (name,)))
        else:
            columns.append((path_name, (name,)))
    return columns


def csv_columns(kind: Collection) -> list[tuple[str, tuple]]:
    if kind.schema is AccessChannelSchema:
        # The union's columns: every field any channel type has, once, in a stable order.
        seen: dict[str, tuple] = {}
        for schema in CHANNEL_SCHEMAS.values():
            for name, path in _columns(schema):
                seen.setdefault(name, path)
        return list(seen.items())
    return _columns(kind.schema)


# OWASP's "CSV injection": what a spreadsheet takes for the start of a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _text_cell(text: str, null: str | None) -> str:
    """`text` as a spreadsheet shows it, never as a formula it runs, nor as the null marker."""
    return "'" + text if text.startswith(FORMULA_STARTS) or text == null else text


def _cell(record: dict, path: tuple, null: str | None) -> object:
    """One cell; `null` is what null becomes (None: an empty cell, like "")."""
    value: object = record
    for key in path:
        if not isinstance(value, dict):
            return null or ""
        value = value.get(key)
    if value is None:
        return null or ""
    if isinstance(value, list):
        return _text_cell(" ".join(str(item) for item in value), null)
    if isinstance(value, bool):
        return "true" if value else "false"
    return _text_cell(value, null) if isinstance(value, str) else value


class _CsvFile:
    """A CSV dump being written: the header row first, then a row per record."""

    def __init__(self, file: IO[str], columns: list[tuple[str, tuple]], null: str | None) -> None:
        self.writer = csv.writer(file, lineterminator="\r\n")
        self.columns, self.null = columns, null
        self.writer.writerow([name for name, _path in columns])

    def write(self, record: dict) -> None:
        self.writer.writerow([_cell(record, path, self.null) for _name, path in self.columns])


# --- Building ----------------------------------------------------------------------------------


def write_collection(session: AnySession, kind: Collection, folder: Path, head: Head) -> None:
    """Every dump of `kind` into `folder`, from one pass over its records: NDJSON, JSON, CSV
    (null as an empty cell, and as NULL), the CSVs again with a byte order mark, and a gzip
    (and brotli) copy of each."""
    count = session.scalar(select(func.count()).select_from(kind.model)) or 0
    heading = head.fields(kind, count)
    columns = csv_columns(kind)
    with ExitStack() as files:

        def open_text(name: str) -> IO[str]:
            return files.enter_context(
                open(folder / name, "w", encoding="utf-8", newline="", buffering=CHUNK)
            )

        ndjson = open_text(file_name(kind.name, "ndjson"))
        ndjson.write(to_json_line({"dump": heading}) + "\n")
        array = open_text(file_name(kind.name, "json"))
        array.write(to_json_line(heading)[:-1] + ',"results":[')
        tables = [
            _CsvFile(open_text(file_name(kind.name, "csv", nulls=nulls)), columns, null)
            for nulls, null in (("empty", None), ("marked", NULL_MARKER))
        ]
        first = True
        for record in dump_records(session, kind):
            line = to_json_line(record)
            ndjson.write(line + "\n")
            array.write(line if first else "," + line)
            first = False
            for table in tables:
                table.write(record)
        array.write("]}\n")
    for nulls in ("empty", "marked"):
        plain = folder / file_name(kind.name, "csv", nulls=nulls)
        with (
            open(plain, "rb") as source,
            open(folder / file_name(kind.name, "csv", bom=True, nulls=nulls), "wb") as target,
        ):
            target.write(BOM)
            shutil.copyfileobj(source, target, CHUNK)
    for fmt, bom, nulls in served_variants():
        _compress_copies(folder / file_name(kind.name, fmt, bom, nulls))


def served_variants() -> list[tuple[str, bool, str]]:
    """(format, bom, nulls) of every dump of a collection."""
    return [("ndjson", False, "empty"), ("json", False, "empty")] + [
        ("csv", bom, nulls) for bom in (False, True) for nulls in ("empty", "marked")
    ]


def _compress_copies(path: Path) -> None:
    for encoding, suffix in ENCODINGS.items():
        with open(path, "rb") as source, open(f"{path}{suffix}", "wb") as target:
            compress = _compressor(encoding)
            for chunk in iter(lambda: source.read(CHUNK), b""):
                target.write(compress(chunk))
            target.write(compress(None))


def _compressor(encoding: str) -> Callable[[bytes | None], bytes]:
    """A function that compresses each chunk it is given, and flushes when given None."""
    if encoding == "br":
        packer = brotli.Compressor(quality=5)
        return lambda chunk: packer.finish() if chunk is None else packer.process(chunk)
    deflate = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    return lambda chunk: deflate.flush() if chunk is None else deflate.compress(chunk)


def write_archive(path: Path, folders: dict[str, Path], readme: str) -> None:
    """The whole dataset as one zip at `path`, from each collection's NDJSON and CSV files in
    `folders` (by collection, all of one data version), with a README carrying the licence, the
    attribution and the cursor."""
    with zipfile.ZipFile(path, mode="w", compression=zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("README.txt", readme)
        for kind in PUBLISHED:
            for fmt in ("ndjson", "csv"):
                name = file_name(kind.name, fmt)
                bundle.write(folders[kind.name] / name, name)
