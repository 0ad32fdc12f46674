"""The factory, its configuration and the index."""

from __future__ import annotations

from api import create_app
from api.store.db import db


def test_the_factory_reads_database_url_from_the_environment(monkeypatch, fresh_database_url):
    url = fresh_database_url("from_env")
    monkeypatch.setenv("DATABASE_URL", url)
    app = create_app({"TESTING": True})
    try:
        assert app.config["DATABASE_URL"] == url
        assert str(db.engine.url) == url
    finally:
        db.engine.dispose()


def test_a_test_config_overrides_the_environment(database_url):
    app = create_app({"TESTING": True, "DATABASE_URL": database_url})
    assert app.config["DATABASE_URL"] == database_url
    assert app.testing


def test_the_index_links_every_collection_and_names_the_licence(client):
    response = client.get("/v1")
    assert response.status_code == 200
    index = response.json
    assert index["licence"] == {
        "name": "CC BY 4.0",
        "url": "https://creativecommons.org/licenses/by/4.0/",
    }
    assert "City of Helsinki" in index["attribution"]
    assert index["publisher"] == "City of Helsinki"
    for name, url in index["collections"].items():
        assert client.get(url).status_code == 200, name
    assert client.get(index["openapi"]).status_code == 200
    latest = max(
        client.get(f"{url}?page_size=500").json["results"][0]["modified_at"]
        for url in index["collections"].values()
    )
    assert index["last_modified"] == latest


def test_the_index_of_an_empty_database_has_no_last_modified(fresh_database_url):
    app = create_app({"TESTING": True, "DATABASE_URL": fresh_database_url("empty")})
    with app.app_context():
        db.create_all()
    response = app.test_client().get("/v1")
    assert response.status_code == 200
    assert response.json["last_modified"] is None
    assert app.test_client().get("/v1/units").json == {
        "count": 0,
        "next": None,
        "previous": None,
        "results": [],
    }
    db.engine.dispose()


def test_a_filter_value_with_a_nul_character_is_refused_alike_on_every_database(client):
    """PostgreSQL refuses NUL in text where SQLite would just find nothing: an id filter takes
    ids only (a 400 naming it) and an item's id with NUL is no record (404), on both."""
    response = client.get("/v1/staff-duties?service_id=social-rehabilitation%00,x%00y")
    assert response.status_code == 400, response.json
    assert [e["field"] for e in response.json["errors"]] == ["service_id"]
    assert client.get("/v1/units/pakila%00work-centre").status_code == 404


def test_the_index_links_opening_hours_and_the_hsds_view(client):
    index = client.get("/v1").json
    assert index["collections"]["opening_hours"] == "http://localhost/v1/opening-hours"
    assert client.get(index["collections"]["opening_hours"]).json["count"] > 0
    assert index["hsds"] == "http://localhost/hsds/"
    assert client.get(index["hsds"]).json["version"].startswith("3.")
    # Published like every other collection: in the dumps and the change feed too.
    dumps = {dump["collection"] for dump in client.get("/v1/dumps").json["dumps"]}
    assert "opening-hours" in dumps
    feed = client.get("/v1/changes?page_size=500").json["results"]
    assert "opening-hours" in {change["kind"] for change in feed}
