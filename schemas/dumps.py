"""Bulk downloads and the catalogue."""

from marshmallow import fields

from schemas.common import Choice, Format, OutputSchema, Schema
from schemas.index import LicenceSchema


class DumpSchema(OutputSchema):
    """One full download."""

    collection = fields.String(
        required=True, metadata={"description": "A collection, or `dataset` for the archive."}
    )
    format = fields.String(required=True, metadata={"example": "ndjson"})
    media_type = fields.String(required=True, metadata={"example": "application/x-ndjson"})
    url = fields.String(required=True, metadata={"format": "uri"})


class DumpListSchema(OutputSchema):
    """Every full download, with the licence and attribution that come with the data."""

    licence = fields.Nested(LicenceSchema, required=True)
    attribution = fields.String(required=True)
    last_modified = fields.DateTime(required=True, allow_none=True)
    # marshmallow takes declared fields off the class: this one does not hide Schema.dumps.
    dumps = fields.List(fields.Nested(DumpSchema), required=True)  # type: ignore[assignment]


class NoArgsSchema(Schema):
    """No query parameters (an unknown one is a 400)."""


class CatalogArgsSchema(Schema):
    format = Format("jsonld", "ttl", "json")


class DumpArgsSchema(Schema):
    """A dump's variants: CSV with a byte order mark, and with null marked."""

    bom = fields.Boolean(
        truthy={"true"},
        falsy={"false"},
        load_default=False,
        metadata={
            "description": "CSV only: `true` starts the file with a UTF-8 byte order mark, so "
            "that spreadsheets (Excel) read ä, ö and å right.",
            "example": True,
        },
    )
    nulls = Choice(
        ("empty", "marked"),
        "CSV only: how null is written. `empty`: an empty cell, as an empty text is. `marked`: "
        "the text `NULL`, so that null and an empty text differ (a text that is exactly `NULL` "
        "then gets a leading `'`, as a formula does).",
        load_default="empty",
    )
