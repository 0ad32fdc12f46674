"""`/v1/catalog`: DCAT-AP metadata of the dataset, its downloads and the API."""

from flask import current_app, request, url_for
from werkzeug.wrappers import Response

from api.formats.linked_data import catalog_graph, catalog_jsonld, catalog_turtle
from api.problems import Problem
from api.resources.dumps import dump_list
from api.store.db import db
from api.store.queries import source_dates
from api.web.http import Blueprint
from schemas.common import FORMAT_MEDIA_TYPES
from schemas.dumps import CatalogArgsSchema
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
# Who answers for the data: the team whose public page is the data's primary source.
CONTACT_NAME = "City of Helsinki, social rehabilitation"
CONTACT_URL = (
    "https://www.hel.fi/helsinki/en/socia-health/socia-support/employment/rehab-counselling/"
)
# The representations, by their `format=` names, in the order `Accept: */*` gets them.
OFFERED = ("jsonld", "ttl", "json")


def _schema(name: str) -> dict:
    return {"schema": {"$ref": f"#/components/schemas/{name}"}}


@blp.route("")
@blp.arguments(CatalogArgsSchema, location="query")
@blp.response(
    200, {"$ref": "#/components/schemas/JsonLdDocument"}, content_type="application/ld+json"
)
@blp.errors(400, 406)
@blp.doc(
    operationId="getCatalog",
    responses={
        "200": {
            "description": "The catalogue as JSON-LD, as Turtle, or as the JSON-LD document "
            "labelled plain JSON.",
            "content": {
                "application/ld+json": _schema("JsonLdDocument"),
                "text/turtle": {"schema": {"type": "string"}},
                "application/json": _schema("JsonLdDocument"),
            },
        }
    },
)
def get_catalog(args: dict) -> Response:
    """The DCAT-AP catalogue

    A DCAT-AP 3 description of the dataset, one RDF graph written as JSON-LD (the default;
    `Accept: application/ld+json` or `format=jsonld`) or Turtle (`Accept: text/turtle` or
    `format=ttl`); an `Accept` that allows neither (nor `application/json`) is a 406. It holds
    the catalogue; the dataset with its title, description, publisher, contact point,
    licence (CC BY 4.0) and attribution, languages (fi, sv, en), theme (EU data theme `SOCI`),
    coverage (Helsinki, and the period from the first to the last day the data's dates
    name), update frequency (irregular), and issued and modified dates: the first and the
    last day a source of the data said something (published a notice, dated its hours), not
    when this server loaded it; one distribution per download, each with its IANA media type
    where IANA registers one and its file type; and this API as a `dcat:DataService` whose
    endpoint description is the OpenAPI document.
    """
    fmt = args.get("format") or _negotiated()
    graph = catalog_graph(
        base=url_for("index.get_index", _external=True),
        title=TITLE,
        description=DESCRIPTION,
        publisher="City of Helsinki",
        contact_name=CONTACT_NAME,
        contact_url=CONTACT_URL,
        licence_url=LICENCE_URL,
        attribution=ATTRIBUTION,
        dates=source_dates(db.session),
        distributions=[
            {
                "url": item["url"],
                "title": f"{item['collection']} ({item['format']})",
                "media_type": item["media_type"],
                "format": item["format"],
            }
            for item in dump_list()
        ],
        openapi_url=url_for("api-docs.openapi_json", _external=True),
    )
    body = catalog_turtle(graph) if fmt == "ttl" else catalog_jsonld(graph)
    return current_app.response_class(body, mimetype=FORMAT_MEDIA_TYPES[fmt])


def _negotiated() -> str:
    """The best of OFFERED for `Accept` (none: JSON-LD), or a 406 naming what is offered."""
    offered = [FORMAT_MEDIA_TYPES[name] for name in OFFERED]
    accept = request.accept_mimetypes
    best = accept.best_match(offered) if accept else offered[0]
    if best is None:
        raise Problem(
            406,
            f"The catalogue is offered as {', '.join(offered)}; `Accept` allows none of them.",
        )
    return next(name for name in OFFERED if FORMAT_MEDIA_TYPES[name] == best)
