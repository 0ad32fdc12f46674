"""`/v1/catalog`: DCAT-AP metadata of the dataset, its downloads and the API."""

from flask import current_app, request, url_for
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from api.formats.linked_data import catalog
from api.resources.dumps import dump_list
from api.resources.index import last_modified
from api.store.db import db, in_utc
from api.store.models import Change
from api.web.http import Blueprint
from schemas.dumps import NoArgsSchema
from schemas.index import ATTRIBUTION, LICENCE_URL

blp = Blueprint(
    "catalog",
    __name__,
    url_prefix="/v1/catalog",
    description="The DCAT-AP catalogue record of the dataset, for open-data portals to harvest.",
)

TITLE = "City of Helsinki social rehabilitation services, 2020–2021"
DESCRIPTION = (
    "Service units, services, access channels, status notices, announcements and staff duties "
    "of the City of Helsinki's social rehabilitation services as they stood in 2020–2021."
)


@blp.route("")
@blp.arguments(NoArgsSchema, location="query")
@blp.response(
    200, {"$ref": "#/components/schemas/JsonLdDocument"}, content_type="application/ld+json"
)
@blp.errors(400)
@blp.doc(
    operationId="getCatalog",
    responses={
        "200": {
            "description": "The catalogue, as JSON-LD (or as plain JSON when asked for).",
            "content": {
                "application/ld+json": {"schema": {"$ref": "#/components/schemas/JsonLdDocument"}},
                "application/json": {"schema": {"$ref": "#/components/schemas/JsonLdDocument"}},
            },
        }
    },
)
def get_catalog(_args: dict) -> Response:
    """The DCAT-AP catalogue

    A DCAT-AP 3 JSON-LD document: the catalogue, the dataset (title, description, publisher,
    licence CC BY 4.0 with the attribution, issued and modified dates) with one distribution per
    download, and this API as a `dcat:DataService` whose endpoint description is the OpenAPI
    document.
    """
    issued = db.session.scalar(select(func.min(Change.changed_at)))
    if issued is not None:
        issued = in_utc(issued)
    distributions = [
        {
            "url": item["url"],
            "title": f"{item['collection']} ({item['format']})",
            "media_type": item["media_type"],
            "format": item["format"].upper(),
        }
        for item in dump_list()
    ]
    document = catalog(
        base=url_for("index.get_index", _external=True),
        title=TITLE,
        description=DESCRIPTION,
        publisher="City of Helsinki",
        licence_url=LICENCE_URL,
        attribution=ATTRIBUTION,
        issued=issued,
        modified=last_modified(),
        distributions=distributions,
        openapi_url=url_for("api-docs.openapi_json", _external=True),
    )
    # JSON-LD unless the client prefers plain JSON; the document is the same.
    mimetype = request.accept_mimetypes.best_match(
        ["application/ld+json", "application/json"], default="application/ld+json"
    )
    return current_app.response_class(current_app.json.dumps(document), mimetype=mimetype)
