"""The application factory: settings, the database, the blueprints, the request pipeline."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.json.provider import DefaultJSONProvider
from werkzeug.middleware.proxy_fix import ProxyFix

from api.config import PROJECT_ROOT, Config, from_environment
from api.resources import MODULES
from api.resources.index import register_plain_routes
from api.store.db import db
from api.web import docs, editor, examples, ratelimit, widget
from api.web.caching import ConditionalGet
from api.web.http import Api, Languages, PageLinks, PathParameterExamples
from api.web.pipeline import Pipeline
from api.web.ratelimit import RateLimits, limiter_of

# The spec's description is the guide for third parties (paging, filters, languages, statuses,
# errors, rate limits, caching, the feed and dumps, HSDS): one Markdown file, which Swagger UI
# at /docs and the generated clients show.
GUIDE = PROJECT_ROOT / "docs" / "guide.md"
SPEC_INFO = {
    "description": GUIDE.read_text(encoding="utf-8"),
    "license": {"name": "CC BY 4.0", "identifier": "CC-BY-4.0"},
    # The data's publisher, as the index names it.
    "contact": {"name": "City of Helsinki", "url": "https://www.hel.fi/en"},
}
# Relative, so the docs' "Try it out" and generated clients talk to whichever host serves the
# spec; `security: []` says every operation is public (linters want it said).
SPEC_OPTIONS = {
    "info": SPEC_INFO,
    "servers": [{"url": "/", "description": "The server this document was fetched from."}],
    "security": [],
}


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app: defaults (api/config.py), then the environment, then `config`."""
    app = Flask(__name__)
    app.config.from_object(Config)
    app.config.update(from_environment())
    if config:
        app.config.update(config)
    assert isinstance(app.json, DefaultJSONProvider)  # Flask's own, which has sort_keys
    app.json.sort_keys = False
    app.url_map.strict_slashes = True

    db.init_app(app)
    api = Api(app, spec_kwargs={**SPEC_OPTIONS, "extra_plugins": [PathParameterExamples()]})
    for module in MODULES:
        api.register_blueprint(module.blp)
    api.finalize_spec()
    ratelimit.document(api.spec)
    editor.document_writes(api.spec)
    examples.document(api.spec)
    register_plain_routes(app)
    docs.init_app(app)
    widget.init_app(app)
    # The cross-cutting steps of every request, in this order before the view and in the
    # reverse order after it (api/web/pipeline.py):
    Pipeline(
        # `lang=` shapes every LocalizedString and sets Content-Language.
        Languages(),
        # Every request counts against its client's limit, a 304 too; over it, a 429.
        RateLimits(limiter_of(app)),
        # ETag and Last-Modified from the data version; a 304 without building the body;
        # after the view, compression, and the caching, CORS and licence headers.
        ConditionalGet(app),
        # A collection page's next and previous links as a Link header too.
        PageLinks(),
    ).init_app(app)
    if app.config["PROXY_FIX_X_FOR"]:
        # Behind N proxies that append to X-Forwarded-For, the client is the Nth from the end.
        # Flask's way to add WSGI middleware, which mypy sees as replacing a method.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=app.config["PROXY_FIX_X_FOR"]
        )

    from api.web import cli

    cli.init_app(app)
    return app
