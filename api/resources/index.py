"""`/v1`: the index, and the spec as YAML beside flask-smorest's JSON."""

from datetime import datetime
from typing import Any

import yaml
from flask import Flask, current_app, redirect, url_for
from werkzeug.wrappers import Response

from api.store.collections import PUBLISHED
from api.web.caching import data_version
from api.web.http import Blueprint
from schemas.dumps import NoArgsSchema
from schemas.index import (
    ATTRIBUTION,
    LICENCE_NAME,
    LICENCE_URL,
    IndexSchema,
    collection_links_schema,
)

blp = Blueprint(
    "index",
    __name__,
    url_prefix="/v1",
    description="The API index: the dataset's title, publisher, licence and attribution, when "
    "it last changed, and links to every collection, the docs and the spec.",
)

collection_links_schema({c.key: c.summary for c in PUBLISHED})


def last_modified() -> datetime | None:
    """When any record last changed: the latest entry of the change log."""
    return data_version()[1]


@blp.route("", strict_slashes=True)
@blp.arguments(NoArgsSchema, location="query")
@blp.response(200, IndexSchema)
@blp.errors(400)
@blp.doc(operationId="getIndex")
def get_index(_args: dict) -> dict[str, Any]:
    """Get the API index

    The dataset's title, publisher, licence and attribution text, when it last changed, and
    links to every collection, the interactive docs and the OpenAPI document.
    """
    return {
        "title": "City of Helsinki social rehabilitation services, 2020–2021",
        "description": "Service units, services, access channels, status notices, "
        "announcements and staff duties of the City of Helsinki's social rehabilitation "
        "services as they stood in 2020–2021, from the city's public web pages.",
        "publisher": "City of Helsinki",
        "licence": {"name": LICENCE_NAME, "url": LICENCE_URL},
        "attribution": ATTRIBUTION,
        "last_modified": last_modified(),
        "collections": {
            c.key: url_for(f"{c.name}.list_{c.key}", _external=True) for c in PUBLISHED
        },
        "changes": url_for("changes.list_changes", _external=True),
        "dumps": url_for("dumps.list_dumps", _external=True),
        "catalog": url_for("catalog.get_catalog", _external=True),
        "hsds": url_for("HSDS.get_api_meta_information", _external=True),
        "openapi": url_for("api-docs.openapi_json", _external=True),
        "docs": url_for("docs.swagger_ui", _external=True),
    }


def register_plain_routes(app: Flask) -> None:
    """Routes outside the documented API: `/` and the spec as YAML."""

    @app.get("/")
    def root() -> Response:
        return redirect(url_for("index.get_index"), code=302)

    @app.get("/v1/openapi.yaml")
    def openapi_yaml() -> Response:
        api = current_app.extensions["flask-smorest"]["apis"][""]["ext_obj"]
        body = yaml.safe_dump(api.spec.to_dict(), sort_keys=False, allow_unicode=True)
        return current_app.response_class(body, mimetype="application/yaml")
