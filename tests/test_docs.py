"""`/docs`: the interactive docs page and its assets come from this server, nothing else."""

from __future__ import annotations

import re

from conftest import PROJECT_ROOT


def test_the_docs_page_loads_swagger_ui_and_the_spec_from_this_server(client):
    response = client.get("/docs")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert '"url": "/v1/openapi.json"' in page
    assert '"validatorUrl": null' in page
    # Every script, stylesheet and icon is a path on this server: no CDN, no other host.
    references = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert references and all(ref.startswith("/docs/assets/") for ref in references), references
    assert "//" not in "".join(references)
    for ref in references:
        asset = client.get(ref)
        assert asset.status_code == 200, ref
        assert asset.data
        asset.close()


def test_the_swagger_ui_bundle_is_version_5(client):
    page = client.get("/docs").get_data(as_text=True)
    assert re.search(r'content="Swagger UI 5\.\d+\.\d+"', page)
    bundle = client.get("/docs/assets/swagger-ui-bundle.js")
    assert bundle.mimetype == "text/javascript"
    assert b"SwaggerUIBundle" in bundle.data
    bundle.close()


def test_the_index_links_to_the_docs_and_the_spec(client):
    index = client.get("/v1").json
    assert index["docs"] == "http://localhost/docs"
    assert index["openapi"] == "http://localhost/v1/openapi.json"


def test_the_spec_names_this_server_so_try_it_out_calls_it(client):
    spec = client.get("/v1/openapi.json").json
    assert spec["servers"][0]["url"] == "/"


def test_an_unknown_asset_is_a_problem_404(client):
    response = client.get("/docs/assets/no-such-file.js")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


GUIDE = PROJECT_ROOT / "docs" / "guide.md"
GUIDE_TOPICS = (
    "Paging and cursors",
    "Filters",
    "Languages and LocalizedString",
    "Statuses and the badge",
    "Extensible enumerations",
    "Errors",
    "Rate limits and 429",
    "Caching, ETags and conditional requests",
    "Change feed and dumps",
    "HSDS view",
)


def test_the_spec_description_is_the_guide(client):
    """docs/guide.md, read into `info.description` when the spec is built: what Swagger UI at
    /docs and generated clients show a third party first."""
    info = client.get("/v1/openapi.json").json["info"]
    guide = GUIDE.read_text(encoding="utf-8")
    assert info["description"] == guide
    headings = re.findall(r"^## (.+)$", guide, re.MULTILINE)
    assert set(GUIDE_TOPICS) <= set(headings)
    for term in (
        "cursor",
        "If-None-Match",
        "If-Match",
        "Retry-After",
        "open_to_anyone",
        "application/problem+json",
        "since=",
        "lang=",
    ):
        assert term in guide, term
    assert info["contact"]["name"] and info["contact"]["url"].startswith("https://")


def test_the_guide_names_only_parameters_the_units_list_takes(client):
    """The filters the guide lists for units are parameters of listUnits (or `format=`)."""
    spec = client.get("/v1/openapi.json").json
    parameters = {p["name"] for p in spec["paths"]["/v1/units"]["get"]["parameters"]}
    section = GUIDE.read_text(encoding="utf-8").split("## Filters", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"`([a-z_]+)(?:=[^`]*)?`", section))
    assert named - {"format"} <= parameters, named - parameters


def _settings_named(text: str) -> set[str]:
    return {name for name in re.findall(r"`([A-Z]+(?:_[A-Z0-9]+)+)`", text)}


def test_the_readme_lists_exactly_the_settings_the_app_reads():
    """One table of settings (README, "Configuration"): every variable the app reads from the
    environment, and no other (besides `make run`'s HOST and PORT)."""
    from api.config import ENVIRONMENT_SETTINGS

    readme = (PROJECT_ROOT / "README.md").read_text()
    table = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = set()
    for line in table.splitlines():
        if line.startswith("| `"):
            rows |= set(re.findall(r"`([A-Z][A-Z0-9_]*)`", line.split("|")[1]))
    assert rows - {"HOST", "PORT"} == set(ENVIRONMENT_SETTINGS)


def test_the_deployment_guide_names_only_settings_that_exist():
    """docs/deploy.md names settings but does not list them again: each one it names is read
    by the app, and it points at the README's table."""
    from api.config import ENVIRONMENT_SETTINGS

    guide = (PROJECT_ROOT / "docs" / "deploy.md").read_text()
    assert _settings_named(guide) <= set(ENVIRONMENT_SETTINGS)
    assert 'README\'s "Configuration"' in guide
