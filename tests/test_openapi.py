"""The spec: generated from the code, committed as openapi.yaml, and a product in itself."""

from __future__ import annotations

import yaml
from conftest import PROJECT_ROOT

COMMITTED = PROJECT_ROOT / "openapi.yaml"


def served_spec(client) -> dict:
    response = client.get("/v1/openapi.json")
    assert response.status_code == 200
    return response.json


def test_the_committed_openapi_yaml_is_what_the_app_serves(client):
    committed = yaml.safe_load(COMMITTED.read_text(encoding="utf-8"))
    assert committed == served_spec(client), "openapi.yaml drifted: run `make openapi`"


def test_the_spec_is_also_served_as_yaml(client):
    response = client.get("/v1/openapi.yaml")
    assert response.status_code == 200
    assert response.mimetype == "application/yaml"
    assert yaml.safe_load(response.data) == served_spec(client)


def test_the_spec_is_openapi_3_1_with_info(client):
    spec = served_spec(client)
    assert spec["openapi"] == "3.1.0"
    assert spec["info"]["license"]["identifier"] == "CC-BY-4.0"


def operations(spec: dict):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in {"get", "put", "post", "patch", "delete", "head", "options"}:
                yield path, method, operation


def test_every_operation_has_a_unique_camel_case_id_summary_and_description(client):
    spec = served_spec(client)
    ids = []
    for path, method, operation in operations(spec):
        where = f"{method.upper()} {path}"
        assert operation.get("operationId"), f"{where} has no operationId"
        assert operation["operationId"][0].islower() and "_" not in operation["operationId"]
        assert operation.get("summary"), f"{where} has no summary"
        assert operation.get("description"), f"{where} has no description"
        ids.append(operation["operationId"])
    assert len(ids) == len(set(ids))
    assert {"listUnits", "getUnit", "listServices", "getIndex", "listStatusNotices"} <= set(ids)


def test_every_operation_declares_its_problem_responses(client):
    spec = served_spec(client)
    for path, method, operation in operations(spec):
        responses = operation["responses"]
        assert "500" in responses, f"{method} {path}"
        if "{" in path:
            assert responses["404"] == {"$ref": "#/components/responses/NotFound"}
        assert responses["400"] == {"$ref": "#/components/responses/BadRequest"}
    problem = spec["components"]["responses"]["NotFound"]["content"]
    assert list(problem) == ["application/problem+json"]


def test_every_tag_has_a_description(client):
    spec = served_spec(client)
    used = {tag for _p, _m, operation in operations(spec) for tag in operation.get("tags", [])}
    described = {tag["name"]: tag.get("description") for tag in spec["tags"]}
    assert used <= set(described)
    assert all(described[tag] for tag in used)


def test_schemas_are_named_components_without_numbered_twins(client):
    spec = served_spec(client)
    names = list(spec["components"]["schemas"])
    assert not [name for name in names if name[-1].isdigit()]
    for _path, _method, operation in operations(spec):
        for response in operation["responses"].values():
            for media_type, media in response.get("content", {}).items():
                if media_type == "application/json" or media_type.endswith("+json"):
                    assert set(media["schema"]) == {"$ref"}, "inline response schema"


def test_access_channels_are_a_union_open_to_new_types(client):
    """Each known type has its schema, with `type` fixed; a type added later is an
    `OtherChannel`, the last member, whose `type` is any string but the known ones."""
    schemas = served_spec(client)["components"]["schemas"]
    union = schemas["AccessChannel"]
    assert "discriminator" not in union  # a mapping would make a new type invalid
    members = [member["$ref"].rsplit("/", 1)[1] for member in union["anyOf"]]
    assert members[-1] == "OtherChannel"
    known = {kind for name in members[:-1] for kind in schemas[name]["properties"]["type"]["enum"]}
    assert known == {
        "referral",
        "contact",
        "visiting_address",
        "postal_address",
        "phone",
        "fax",
        "web_page",
        "distance_service",
    }
    other = schemas["OtherChannel"]["properties"]["type"]
    assert "enum" not in other and set(other["not"]["enum"]) == known
