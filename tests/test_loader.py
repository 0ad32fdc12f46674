"""The data loader: validate everything, then replace the content in one transaction."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import DATA_DIR, edit_yaml, load_data, shipped_records
from sqlalchemy import select

from api.store.db import Base, make_engine
from api.store.loader import LoadError


@pytest.fixture
def data_copy(tmp_path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


def database_dump(database_url: str) -> list[tuple]:
    """Every row of every table, in primary-key order, on either database."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return [
                (table.name, *row)
                for table in Base.metadata.sorted_tables
                for row in connection.execute(select(table).order_by(*table.primary_key.columns))
            ]
    finally:
        engine.dispose()


def test_loading_the_same_files_twice_changes_nothing(app, database_url):
    before = database_dump(database_url)
    report = load_data(app, DATA_DIR)
    assert not report.changed
    assert report.unchanged == shipped_records()
    assert database_dump(database_url) == before


BROKEN = [
    (
        "units.yaml",
        lambda records: records[1].update(type="castle"),
        ("units.yaml", "'pakila-work-centre'", "type"),
    ),
    (
        "units.yaml",
        lambda records: records[1]["name"].update(fi=""),
        ("units.yaml", "'pakila-work-centre'", "name.fi"),
    ),
    (
        "access_channels.yaml",
        lambda records: records[0].update(service_ids=["no-such-service"]),
        ("access_channels.yaml", "'referral-regional-social-work'", "service_ids"),
    ),
    (
        "status_notices.yaml",
        lambda records: records[0].update(valid_until="31.1.2021"),
        ("status_notices.yaml", "'covid-2020-12-work-activities'", "valid_until"),
    ),
    (
        "status_notices.yaml",
        lambda records: records[0].update(valid_from="2021-02-01", valid_until="2021-01-31"),
        ("status_notices.yaml", "'covid-2020-12-work-activities'", "valid_until"),
    ),
    (
        "organizations.yaml",
        lambda records: records[0].update(parent_id="social-rehabilitation-team"),
        ("organizations.yaml", "'city-of-helsinki'", "parent_id"),
    ),
    (
        "staff_duties.yaml",
        lambda records: records.append(dict(records[0])),
        ("staff_duties.yaml", "'duty-guide-support-strengthen'", "id"),
    ),
    (
        "services.yaml",
        lambda records: records[0].update(colour="blue"),
        ("services.yaml", "'rehabilitating-work-activities'", "colour"),
    ),
    (
        "access_channels.yaml",
        lambda records: records[0].update(number="+358 9 123"),
        ("access_channels.yaml", "'referral-regional-social-work'", "number"),
    ),
    (
        "opening_hours.yaml",
        lambda records: records[0]["spans"][0].update(opens="8"),
        ("opening_hours.yaml", "'pakila-work-centre-weekdays'", "spans.0.opens"),
    ),
    (
        "units.yaml",
        lambda records: records[0].pop("id"),
        ("units.yaml", "#1", "id"),
    ),
]


@pytest.mark.parametrize("file_name,change,where", BROKEN)
def test_a_broken_file_is_rejected_by_file_record_and_field_and_changes_nothing(
    app, database_url, data_copy, file_name, change, where
):
    # A good edit elsewhere in the same load must not be applied either.
    edit_yaml(data_copy / "announcements.yaml", lambda r: r[0]["title"].update(en="Changed"))
    edit_yaml(data_copy / file_name, change)
    before = database_dump(database_url)
    with pytest.raises(LoadError) as raised:
        load_data(app, data_copy)
    assert where in [problem[:3] for problem in raised.value.problems]
    message = str(raised.value)
    for part in where:
        assert part in message
    assert database_dump(database_url) == before


def test_a_file_that_is_not_yaml_is_rejected(app, database_url, data_copy):
    (data_copy / "units.yaml").write_text("- id: [unclosed\n", encoding="utf-8")
    before = database_dump(database_url)
    with pytest.raises(LoadError, match="units.yaml.*not valid YAML"):
        load_data(app, data_copy)
    assert database_dump(database_url) == before


def test_a_missing_file_is_rejected_rather_than_emptying_a_collection(app, database_url, data_copy):
    (data_copy / "staff_duties.yaml").unlink()
    with pytest.raises(LoadError, match="staff_duties.yaml.*missing"):
        load_data(app, data_copy)
    assert len(database_dump(database_url)) > 0


def test_a_database_failure_mid_load_rolls_everything_back(
    app, database_url, data_copy, monkeypatch
):
    from api.store import loader

    edit_yaml(data_copy / "units.yaml", lambda r: r[1]["name"].update(en="Pakila, renamed"))
    before = database_dump(database_url)
    original = loader._assign

    def failing_assign(obj, record, collection, loaded):
        if collection.name == "staff-duties":
            raise RuntimeError("disk full")
        return original(obj, record, collection, loaded)

    edit_yaml(data_copy / "staff_duties.yaml", lambda r: r[0]["text"].update(en="changed"))
    monkeypatch.setattr(loader, "_assign", failing_assign)
    with pytest.raises(RuntimeError):
        load_data(app, data_copy)
    assert database_dump(database_url) == before


def test_an_edit_moves_modified_at_of_that_record_and_of_records_embedding_it(
    app, client, data_copy
):
    before = client.get("/v1/units/pakila-work-centre").json
    other_before = client.get("/v1/units/uusix-workshops").json
    service_before = client.get("/v1/services/rehabilitating-work-activities").json
    organization_before = client.get("/v1/organizations/social-rehabilitation-team").json
    edit_yaml(
        data_copy / "units.yaml", lambda r: r[1]["name"].update(en="Pakila Work Centre (new)")
    )
    report = load_data(app, data_copy)
    assert (report.created, report.updated, report.deleted) == (0, 1, 0)
    after = client.get("/v1/units/pakila-work-centre").json
    assert after["name"]["en"] == "Pakila Work Centre (new)"
    assert after["created_at"] == before["created_at"]
    assert after["modified_at"] > before["modified_at"]
    assert client.get("/v1/units/uusix-workshops").json == other_before
    # The service lists the unit by name, so its published form changed too.
    service_after = client.get("/v1/services/rehabilitating-work-activities").json
    assert service_after["modified_at"] == after["modified_at"]
    assert client.get("/v1/organizations/social-rehabilitation-team").json == organization_before
    assert service_before["modified_at"] < service_after["modified_at"]


def test_records_missing_from_the_files_are_deleted_with_their_links(app, client, data_copy):
    def drop_hakaniemi(records):
        records[:] = [r for r in records if r["id"] != "uusix-pop-up-shop-hakaniemi"]

    def drop_hakaniemi_notices(records):
        for record in records:
            record["unit_ids"] = [
                u for u in record["unit_ids"] if u != "uusix-pop-up-shop-hakaniemi"
            ]
        records[:] = [r for r in records if r["unit_ids"] or r["service_ids"]]

    edit_yaml(data_copy / "units.yaml", drop_hakaniemi)
    edit_yaml(data_copy / "status_notices.yaml", drop_hakaniemi_notices)
    report = load_data(app, data_copy)
    assert report.deleted == 4
    gone = client.get("/v1/units/uusix-pop-up-shop-hakaniemi")
    assert gone.status_code == 410
    assert gone.content_type == "application/problem+json"
    assert "deleted" in gone.json["detail"]
    assert client.get("/v1/units").json["count"] == 9
    assert client.get("/v1/status-notices/covid-2021-02-hakaniemi-pop-up").status_code == 410
    assert client.get("/v1/units/never-existed").status_code == 404


def test_a_new_record_and_a_new_parent_in_the_same_load(app, client, data_copy):
    def add_site(records):
        records.append(
            {
                "id": "uusix-new-site",
                "parent_id": "uusix-workshops",
                "organization_id": "social-rehabilitation-team",
                "type": "workshop_site",
                "name": {"fi": None, "sv": None, "en": "New site"},
                "source_urls": ["https://example.org/new-site"],
            }
        )
        # An existing unit moves under the new one, which is listed after it.
        records[2]["parent_id"] = "uusix-new-site"

    edit_yaml(data_copy / "units.yaml", add_site)
    report = load_data(app, data_copy)
    assert (report.created, report.updated) == (1, 1)
    moved = client.get("/v1/units/pakila-shop-and-pick-up-point").json
    assert moved["parent_id"] == "uusix-new-site"
    new = client.get("/v1/units/uusix-new-site").json
    assert new["name"] == {"fi": None, "sv": None, "en": "New site"}
    assert new["timezone"] == "Europe/Helsinki"


def test_the_cli_loads_and_reports(runner, data_copy):
    result = runner.invoke(args=["data", "load", str(data_copy)])
    assert result.exit_code == 0, result.output
    assert f"0 created, 0 updated, 0 deleted, {shipped_records()} unchanged" in result.output


def test_the_cli_rejects_a_broken_file_with_its_name_record_and_field(runner, data_copy):
    edit_yaml(data_copy / "units.yaml", lambda r: r[3].update(latitude=123))
    result = runner.invoke(args=["data", "load", str(data_copy)])
    assert result.exit_code == 1
    assert "units.yaml: record 'non-institutional-work-activities': field latitude" in result.output


def test_collections_that_depend_on_each_other_in_a_loop_are_named_in_the_error():
    from api.store.collections import _ordered, collection

    units, services = collection("units"), collection("services")
    with pytest.raises(ValueError, match=r"in a loop: \['services', 'units'\]"):
        _ordered([(units, {"services"}), (services, {"units"})])
