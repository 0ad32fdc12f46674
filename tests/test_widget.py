"""The status widget's files over HTTP: media types, the pipeline's caching headers, CORS and
compression, a release that changes the script, the rate limits, and the demo page's examples
and docs (tests/test_widget_browser.py renders them in Chromium)."""

from __future__ import annotations

import gc
import gzip
import re
from pathlib import Path
from urllib.parse import quote

import flask_swagger_ui
from conftest import PROJECT_ROOT

from api import create_app
from api.store.db import db
from api.web import widget

SCRIPT = PROJECT_ROOT / "api" / "web" / "widget" / "v1.js"
README = PROJECT_ROOT / "README.md"


def test_the_script_is_javascript_with_the_headers_of_every_get(client):
    response = client.get("/widget/v1.js")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert response.data == SCRIPT.read_bytes()
    # Any page may load it as a module script (a CORS request), and revalidate it.
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Cache-Control"] == "public, max-age=60"
    assert response.headers["Last-Modified"]
    etag = response.headers["ETag"]
    again = client.get("/widget/v1.js", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    head = client.head("/widget/v1.js")
    assert head.status_code == 200
    assert head.headers["ETag"] == etag


def test_the_script_is_compressed_for_clients_that_accept_it(client):
    response = client.get("/widget/v1.js", headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert response.headers["ETag"].endswith('-gzip"')
    assert gzip.decompress(response.data) == SCRIPT.read_bytes()
    assert "Accept-Encoding" in response.headers["Vary"]


def test_a_script_sent_from_a_file_is_compressed_and_its_file_closed(client):
    # The docs' Swagger UI bundle is streamed from its file: compressing the stream must still
    # close the file (an unclosed one is a ResourceWarning, an error in this suite).
    bundle = Path(flask_swagger_ui.__file__).parent / "dist" / "swagger-ui-bundle.js"
    with client.get(
        "/docs/assets/swagger-ui-bundle.js", headers={"Accept-Encoding": "gzip"}
    ) as response:
        assert response.mimetype == "text/javascript"
        assert response.headers["Content-Encoding"] == "gzip"
        assert gzip.decompress(response.data) == bundle.read_bytes()
    del response
    gc.collect()


def test_a_new_release_of_the_script_is_not_answered_304_for_the_old_one(database_url, monkeypatch):
    # The data version stays the same across a release; the script's content is in its ETag.
    def get(headers=None):
        app = create_app({"TESTING": True, "DATABASE_URL": database_url})
        try:
            return app.test_client().get("/widget/v1.js", headers=headers or {})
        finally:
            db.session.remove()
            db.engine.dispose()

    old = get()
    monkeypatch.setattr(widget, "SCRIPT", widget.SCRIPT + b"\n// the next release\n")
    new = get({"If-None-Match": old.headers["ETag"]})
    assert new.status_code == 200
    assert new.data.endswith(b"// the next release\n")
    assert new.headers["ETag"] != old.headers["ETag"]
    assert get({"If-None-Match": new.headers["ETag"]}).status_code == 304


def test_the_widget_counts_against_the_rate_limit_like_any_read(database_url):
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "RATE_LIMIT_READS": "2/minute",
            "RATE_LIMIT_WRITES": "off",
        }
    )
    client = app.test_client()
    try:
        assert client.get("/widget/v1.js").headers["RateLimit-Limit"] == "2"
        assert client.get("/widget/").status_code == 200
        refused = client.get("/widget/v1.js")
        assert refused.status_code == 429
        assert refused.mimetype == "application/problem+json"
    finally:
        db.session.remove()
        db.engine.dispose()


def test_the_demo_page_embeds_the_script_and_offers_snippets(client):
    response = client.get("/widget/")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert response.headers["ETag"]
    page = response.get_data(as_text=True)
    script = '<script type="module" src="http://localhost/widget/v1.js"></script>'
    assert script in page
    assert script.replace("<", "&lt;").replace(">", "&gt;") in page  # a snippet to copy
    # Its only other references: the page's own anchors and an empty icon.
    references = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert set(references) == {"http://localhost/widget/v1.js", "data:,"}
    assert client.get("/widget").status_code == 308  # the page is /widget/


def expected_badge(status: dict) -> str:
    """The badge the README documents ("Status widget"), as the oracle of the widget's tests."""
    if status["open_to_anyone"] is False:
        return "closed"
    if status["open_to_anyone"] is None:
        return "unknown"
    unrestricted = status["state"] in ("open", "new_clients_admitted")
    flags = ("open_to_public", "open_to_current_clients", "new_clients_admitted")
    return "open" if unrestricted and all(status[f] is not False for f in flags) else "limited"


def test_the_demo_pages_examples_show_the_badge_they_are_shown_for(client):
    page = client.get("/widget/").get_data(as_text=True)
    shown = []
    for expected, unit, at in widget.EXAMPLES:
        status = client.get(f"/v1/units/{unit}/status?at={quote(at)}").json
        assert expected_badge(status) == expected, (unit, at, status["state"])
        assert f'unit="{unit}" at="{at}"' in page
        shown.append(expected)
    assert sorted(shown) == ["closed", "limited", "open", "unknown"]


def test_unknown_widget_files_are_problem_404s(client):
    response = client.get("/widget/v2.js")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_the_attributes_and_custom_properties_are_documented_where_integrators_read(client):
    script = SCRIPT.read_text(encoding="utf-8")
    page = client.get("/widget/").get_data(as_text=True)
    readme = README.read_text(encoding="utf-8")
    section = readme[readme.index("### Status widget") :]
    section = section[: section.index("\n### ", 1)]

    properties = set(re.findall(r"--service-status-[a-z-]+", script))
    assert len(properties) > 10
    for docs in (page, section):
        assert set(re.findall(r"--service-status-[a-z-]+", docs)) == properties

    common = re.search(r"COMMON_ATTRIBUTES = \[([^\]]+)\]", script).group(1)
    attributes = set(re.findall(r'"([a-z-]+)"', common))
    attributes |= set(re.findall(r'static sourceAttribute = "([a-z-]+)"', script))
    assert attributes == {"lang", "at", "refresh", "heading-level", "unit", "organization"}
    for docs in (page, section):
        for attribute in attributes:
            assert f"<code>{attribute}</code>" in docs or f"`{attribute}`" in docs, attribute
