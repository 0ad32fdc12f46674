"""The factory, its configuration and the index."""

from __future__ import annotations

from api import create_app
from api.db import db


def test_the_factory_reads_database_url_from_the_environment(monkeypatch, tmp_path):
    url = f"sqlite:///{tmp_path / 'from-env.sqlite3'}"
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


def test_the_index_of_an_empty_database_has_no_last_modified(tmp_path):
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}"})
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
