"""`/docs`: interactive docs (Swagger UI 5) served wholly by this app.

The Swagger UI build comes from the `flask-swagger-ui` package's `dist/` directory, served as
this blueprint's static files, so the page loads nothing from a CDN and works offline. It reads
the spec from `/v1/openapi.json`, whose relative server URL makes "Try it out" call this same
server. flask-smorest's own (CDN-based) Swagger UI stays off (`OPENAPI_SWAGGER_UI_PATH`).
"""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

import flask_swagger_ui
from flask import Blueprint, Flask, current_app, render_template_string, url_for

SWAGGER_UI_DIST = Path(flask_swagger_ui.__file__).parent / "dist"
SWAGGER_UI_VERSION = version("flask-swagger-ui")

blp = Blueprint(
    "docs",
    __name__,
    static_folder=SWAGGER_UI_DIST,
    static_url_path="/docs/assets",
)

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta name="generator" content="Swagger UI {{ swagger_ui_version }}">
  <title>{{ title }}</title>
  <link rel="stylesheet" href="{{ asset('swagger-ui.css') }}">
  <link rel="icon" type="image/png" href="{{ asset('favicon-32x32.png') }}" sizes="32x32">
  <link rel="icon" type="image/png" href="{{ asset('favicon-16x16.png') }}" sizes="16x16">
  <style>body { margin: 0; }</style>
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="{{ asset('swagger-ui-bundle.js') }}"></script>
  <script>
    window.ui = SwaggerUIBundle(Object.assign({{ config|tojson }}, {
      presets: [SwaggerUIBundle.presets.apis],
      layout: "BaseLayout"
    }));
  </script>
</body>
</html>
"""


@blp.get("/docs")
def swagger_ui() -> str:
    """The interactive docs page."""
    config = {
        "url": url_for("api-docs.openapi_json"),
        "dom_id": "#swagger-ui",
        "deepLinking": True,
        "displayOperationId": True,
        "displayRequestDuration": True,
        "docExpansion": "list",
        "filter": True,
        "showExtensions": True,
        # The default sends the spec to an online validator; this page talks to no one else.
        "validatorUrl": None,
    }
    return render_template_string(
        PAGE,
        title=f"{current_app.config['API_TITLE']} — docs",
        swagger_ui_version=SWAGGER_UI_VERSION,
        config=config,
        asset=lambda name: url_for("docs.static", filename=name),
    )


def init_app(app: Flask) -> None:
    app.register_blueprint(blp)
