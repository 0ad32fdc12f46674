"""The API index: what the dataset is, its licence, and links to everything."""

from marshmallow import fields

from schemas.common import OutputSchema

LICENCE_NAME = "CC BY 4.0"
LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"
ATTRIBUTION = (
    "Source: City of Helsinki, social rehabilitation services (hel.fi), 2020–2021. "
    "Licence: CC BY 4.0."
)


def _link(description: str) -> fields.String:
    return fields.String(required=True, metadata={"format": "uri", "description": description})


class LicenceSchema(OutputSchema):
    """The licence of the data."""

    name = fields.String(required=True, metadata={"example": LICENCE_NAME})
    url = fields.String(required=True, metadata={"format": "uri", "example": LICENCE_URL})


def collection_links_schema(collections: dict[str, str]) -> type[OutputSchema]:
    """The index's links to every collection ({name: description}, from the collections'
    declarations), registered as `CollectionLinksSchema`, which `IndexSchema` nests."""
    return type(
        "CollectionLinksSchema",
        (OutputSchema,),
        {"__doc__": "Links to every collection.", **{k: _link(v) for k, v in collections.items()}},
    )


class IndexSchema(OutputSchema):
    """The API index: what the dataset is, its licence and attribution, and links to everything."""

    title = fields.String(required=True)
    description = fields.String(required=True)
    publisher = fields.String(required=True)
    licence = fields.Nested(LicenceSchema, required=True)
    attribution = fields.String(
        required=True, metadata={"description": "Text to show wherever the data is used."}
    )
    last_modified = fields.DateTime(
        required=True,
        allow_none=True,
        metadata={"description": "When any record last changed; null for an empty database."},
    )
    collections = fields.Nested("CollectionLinksSchema", required=True)
    changes = _link("The change feed, to mirror the data incrementally.")
    # marshmallow takes declared fields off the class: this one does not hide Schema.dumps.
    dumps = _link("Full downloads of every collection and of the whole dataset.")  # type: ignore[assignment]
    catalog = _link("DCAT-AP metadata of the dataset, its downloads and this API.")
    hsds = _link("The same data as an Open Referral HSDS view, with its own conventions.")
    openapi = _link("This API's OpenAPI 3.1 document.")
    docs = _link("Interactive documentation.")
