"""Bulk exports, streamed: each collection as NDJSON, JSON or CSV, and the whole dataset as one
zip archive. Generators over keyset batches, so memory stays flat however large the data is.
No Flask here.

Every format writes each record exactly as its item endpoint publishes it (all languages).
CSV flattens it: a LocalizedString becomes `name_fi`, `name_sv`, `name_en`; an address
`visiting_address_street_address_fi`, ...; a list of ids or URLs one cell, space-separated;
lists of embedded records (a unit's access channels and opening hours) are left to the
collections and formats that carry them. A text cell that a spreadsheet would read as a formula
(it starts with = + - @, a tab or a carriage return) gets a leading apostrophe, phone numbers
such as `+358 9 ...` too: the other formats carry every value as it is.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from marshmallow import Schema, fields

from api.store.collections import PUBLISHED, Collection, iter_records
from api.store.db import AnySession
from schemas.access_channels import CHANNEL_SCHEMAS, AccessChannelSchema

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

FORMATS = {
    "ndjson": "application/x-ndjson",
    "json": "application/json",
    "csv": "text/csv",
}


def to_json_line(record: dict) -> str:
    """One record as a line of NDJSON: compact, UTF-8, keys in the published order."""
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def records(session: AnySession, kind: Collection) -> Iterator[dict]:
    for obj in iter_records(session, kind):
        yield kind.dump(obj)


def ndjson(session: AnySession, kind: Collection) -> Iterator[str]:
    for record in records(session, kind):
        yield to_json_line(record) + "\n"


def json_array(session: AnySession, kind: Collection) -> Iterator[str]:
    yield "["
    first = True
    for record in records(session, kind):
        yield ("" if first else ",") + to_json_line(record)
        first = False
    yield "]\n"


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


def _text_cell(text: str) -> str:
    """`text` as a spreadsheet shows it, never as a formula it runs."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _cell(record: dict, path: tuple) -> object:
    value: object = record
    for key in path:
        if not isinstance(value, dict):
            return ""
        value = value.get(key)
    if value is None:
        return ""
    if isinstance(value, list):
        return _text_cell(" ".join(str(item) for item in value))
    if isinstance(value, bool):
        return "true" if value else "false"
    return _text_cell(value) if isinstance(value, str) else value


def csv_rows(session: AnySession, kind: Collection) -> Iterator[str]:
    columns = csv_columns(kind)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([name for name, _path in columns])
    yield buffer.getvalue()
    for record in records(session, kind):
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([_cell(record, path) for _name, path in columns])
        yield buffer.getvalue()


def stream(session: AnySession, kind: Collection, fmt: str) -> Iterator[str]:
    return {"ndjson": ndjson, "json": json_array, "csv": csv_rows}[fmt](session, kind)


# --- The whole dataset -----------------------------------------------------------------------


class _Pipe(io.RawIOBase):
    """A write-only file whose bytes are collected for a generator to hand on."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: ReadableBuffer) -> int:
        chunk = bytes(data)
        self.chunks.append(chunk)
        return len(chunk)

    def drain(self) -> bytes:
        data = b"".join(self.chunks)
        self.chunks.clear()
        return data


def archive(session: AnySession, readme: str) -> Iterator[bytes]:
    """A zip of every collection as NDJSON and CSV, with a README carrying the licence and the
    attribution, written as it streams (no seeking, so no temporary file)."""
    pipe = _Pipe()
    with zipfile.ZipFile(pipe, mode="w", compression=zipfile.ZIP_DEFLATED) as bundle:
        with bundle.open("README.txt", mode="w") as entry:
            entry.write(readme.encode("utf-8"))
        yield pipe.drain()
        for kind in PUBLISHED:
            for fmt in ("ndjson", "csv"):
                with bundle.open(f"{kind.name}.{fmt}", mode="w", force_zip64=True) as entry:
                    for chunk in _batched(stream(session, kind, fmt)):
                        entry.write(chunk)
                        data = pipe.drain()
                        if data:
                            yield data
                yield pipe.drain()
    yield pipe.drain()


def _batched(chunks: Iterable[str], size: int = 1 << 16) -> Iterator[bytes]:
    pending: list[str] = []
    length = 0
    for chunk in chunks:
        pending.append(chunk)
        length += len(chunk)
        if length >= size:
            yield "".join(pending).encode("utf-8")
            pending, length = [], 0
    if pending:
        yield "".join(pending).encode("utf-8")
