"""The organization rule of the editor API: a token limited to an organization changes only
records of that organization and those below it, counting what a write changes indirectly
(new versions of other records, the notices that apply to a unit, the records it makes refer
to). Each scenario is an attack seen in issue 13; the shipped data is all the
social-rehabilitation team's, so the "other organization" here is the city above it."""

from __future__ import annotations

import pytest
from test_editor import NOTICE, auth, etag_of
from test_editor import token as token  # noqa: F401 (the fixture)

from api.store.db import db
from api.store.tokens import TokenError, create_token

TEAM = "social-rehabilitation-team"
SOURCES = ["https://www.hel.fi/example"]
CITY_UNIT = {"id": "city-unit", "organization_id": "city-of-helsinki", "type": "office",
             "name": {"en": "A unit of the city"}, "source_urls": SOURCES}  # fmt: skip
CITY_SERVICE = {"id": "city-service", "organization_id": "city-of-helsinki",
                "name": {"en": "A service of the city"}, "source_urls": SOURCES}  # fmt: skip
TEAM_SERVICE = {**CITY_SERVICE, "id": "team-service", "organization_id": TEAM}
TEAM_UNIT = {**CITY_UNIT, "id": "team-unit", "organization_id": TEAM}
SERVICE_NOTICE = {**NOTICE, "id": "service-closure", "unit_ids": [],
                  "service_ids": ["rehabilitating-work-activities"]}  # fmt: skip
ALL_SCOPES = ("write:units", "write:services", "write:channels", "write:notices")


@pytest.fixture
def team(token):
    return token("team", *ALL_SCOPES, organization=TEAM)


@pytest.fixture
def admin(token):
    return token("admin", "admin")


def post(client, who: str, url: str, body: dict):
    return client.post(url, json=body, headers=auth(who))


def change(client, who: str, method: str, url: str, body=None):
    headers = auth(who, **{"If-Match": etag_of(client, url)})
    return getattr(client, method)(url, json=body, headers=headers)


def created(response) -> None:
    assert response.status_code == 201, response.json


def versions(client, url: str) -> list[str]:
    return [v["action"] for v in client.get(f"{url}/history").json["results"]]


def assert_forbidden(response, *records: str) -> None:
    """A 403 problem that names the token's organization and every record it would reach."""
    assert response.status_code == 403, response.json
    assert response.mimetype == "application/problem+json"
    assert TEAM in response.json["detail"]
    for record in records:
        assert record in response.json["detail"], (record, response.json["detail"])


# --- supersedes_id: set only by /supersede ---------------------------------------------------


def test_a_create_put_or_patch_cannot_set_supersedes_id(client, token, team, admin):
    created(post(client, admin, "/v1/units", CITY_UNIT))
    city_notice = {**NOTICE, "id": "city-notice", "unit_ids": ["city-unit"]}
    created(post(client, admin, "/v1/status-notices", city_notice))
    city_url = "/v1/status-notices/city-notice"

    # The attack: a team notice "superseding" the city's notice.
    response = post(client, team, "/v1/status-notices", {**NOTICE, "supersedes_id": "city-notice"})
    assert response.status_code == 422, response.json
    assert response.mimetype == "application/problem+json"
    [error] = response.json["errors"]
    assert error["field"] == "supersedes_id" and "/supersede" in error["message"]
    assert client.get(f"/v1/status-notices/{NOTICE['id']}").status_code == 404
    untouched = client.get(city_url).json
    assert untouched["superseded_by_ids"] == []
    assert untouched["in_force_until"] == NOTICE["valid_until"]
    # Nor by an admin: the field has its own operation, with its own checks.
    response = post(client, admin, "/v1/status-notices", {**NOTICE, "supersedes_id": "city-notice"})
    assert response.status_code == 422

    # PUT and PATCH cannot set it, change it or clear it; they may keep it.
    created(post(client, team, "/v1/status-notices", NOTICE))
    own = f"/v1/status-notices/{NOTICE['id']}"
    assert change(client, team, "patch", own, {"supersedes_id": "city-notice"}).status_code == 422
    whole = {**NOTICE, "supersedes_id": "city-notice"}
    assert change(client, team, "put", own, whole).status_code == 422
    later = "/v1/status-notices/covid-2021-later-pakila-shop"  # supersedes covid-2021-02-shops
    assert change(client, team, "patch", later, {"supersedes_id": None}).status_code == 422
    kept = change(client, team, "patch", later, {"state": "open"})
    assert kept.status_code == 200, kept.json
    assert kept.json["supersedes_id"] == "covid-2021-02-shops"
    body = {key: kept.json[key] for key in ("state", "valid_from", "unit_ids", "text",
                                            "supersedes_id", "source_urls")}  # fmt: skip
    assert change(client, team, "put", later, body).status_code == 200

    # The owner's own /supersede still works: the city notice was never superseded.
    city = token("city", "write:notices", organization="city-of-helsinki")
    new = {**city_notice, "id": "city-notice-v2", "valid_from": "2030-01-15"}
    response = client.post(
        f"{city_url}/supersede",
        json=new,
        headers=auth(city, **{"If-Match": etag_of(client, city_url)}),
    )
    assert response.status_code == 201, response.json
    assert client.get(city_url).json["superseded_by_ids"] == ["city-notice-v2"]


def test_supersede_checks_the_old_notices_organization_etag_successor_and_start(
    client, team, admin
):
    created(post(client, admin, "/v1/units", CITY_UNIT))
    created(post(client, admin, "/v1/status-notices", {**NOTICE, "id": "city-notice",
                                                       "unit_ids": ["city-unit"]}))  # fmt: skip
    city_url = "/v1/status-notices/city-notice"
    new = {**NOTICE, "id": "v2", "valid_from": "2030-01-15"}  # the team's own unit

    def supersede(url: str, body: dict, etag: str | None = None):
        headers = auth(team, **{"If-Match": etag or etag_of(client, url)})
        return client.post(f"{url}/supersede", json=body, headers=headers)

    # The old notice's organization is checked, though the new one is the team's.
    assert_forbidden(supersede(city_url, new), "city-notice")
    assert client.get("/v1/status-notices/v2").status_code == 404
    assert client.get(city_url).json["superseded_by_ids"] == []

    created(post(client, team, "/v1/status-notices", NOTICE))
    own = f"/v1/status-notices/{NOTICE['id']}"
    stale = etag_of(client, own)
    assert change(client, team, "patch", own, {"state": "open"}).status_code == 200
    assert supersede(own, new, stale).status_code == 412
    not_later = supersede(own, {**new, "valid_from": NOTICE["valid_from"]})
    assert not_later.status_code == 422
    assert [e["field"] for e in not_later.json["errors"]] == ["valid_from"]
    created(supersede(own, new))
    assert supersede(own, {**new, "id": "v3", "valid_from": "2030-01-16"}).status_code == 409


# --- Derived effects -----------------------------------------------------------------------


def test_a_notice_naming_only_a_service_cannot_close_another_organizations_unit(
    client, team, admin
):
    offering = {**CITY_UNIT, "service_ids": ["rehabilitating-work-activities"]}
    created(post(client, admin, "/v1/units", offering))
    response = post(client, team, "/v1/status-notices", SERVICE_NOTICE)
    assert_forbidden(response, "units 'city-unit'", "city-of-helsinki", "notices that apply")
    # Refused before the commit: nothing of it was written.
    assert client.get("/v1/status-notices/service-closure").status_code == 404
    at = "?at=2030-01-15T12:00:00%2B02:00"
    assert client.get(f"/v1/units/city-unit/status{at}").json["state"] != "closed"
    # An admin may; then the team may neither change nor delete the notice that applies there.
    created(post(client, admin, "/v1/status-notices", SERVICE_NOTICE))
    assert client.get(f"/v1/units/city-unit/status{at}").json["state"] == "closed"
    url = "/v1/status-notices/service-closure"
    assert_forbidden(change(client, team, "patch", url, {"state": "open"}), "units 'city-unit'")
    assert_forbidden(change(client, team, "delete", url), "units 'city-unit'")
    assert client.get(f"/v1/units/city-unit/status{at}").json["state"] == "closed"


def test_moving_its_own_unit_cannot_change_the_notices_of_another_organizations_unit_below(
    client, team, admin
):
    # The city's unit below the team's pop-up shop offers a service that the team's notices for
    # all of UusiX (the shop's parent) name, so they apply to it.
    below = {**CITY_UNIT, "parent_id": "uusix-pop-up-shop-hakaniemi",
             "service_ids": ["rehabilitating-work-activities"]}  # fmt: skip
    created(post(client, admin, "/v1/units", below))
    status = "/v1/units/city-unit/status?at=2021-07-15T12:00:00%2B03:00"
    assert "covid-2021-summer-closure" in client.get(status).json["decided_by"]["notice_ids"]
    shop = "/v1/units/uusix-pop-up-shop-hakaniemi"
    # Moving the shop (and the city's unit with it) out of UusiX would end that.
    response = change(client, team, "patch", shop, {"parent_id": None})
    assert_forbidden(response, "units 'city-unit'", "notices that apply")
    assert client.get(shop).json["parent_id"] == "uusix-workshops"
    assert "covid-2021-summer-closure" in client.get(status).json["decided_by"]["notice_ids"]
    # Renaming the shop changes no notice of the city's unit.
    assert change(client, team, "patch", shop, {"name": {"fi": "Pop-up"}}).status_code == 200


def test_deleting_its_own_service_cannot_rewrite_another_organizations_unit(client, team, admin):
    created(post(client, team, "/v1/services", TEAM_SERVICE))
    created(post(client, admin, "/v1/units", {**CITY_UNIT, "service_ids": ["team-service"]}))
    response = change(client, team, "delete", "/v1/services/team-service")
    assert_forbidden(response, "units 'city-unit'", "a new version")
    assert client.get("/v1/services/team-service").status_code == 200
    assert client.get("/v1/units/city-unit").json["service_ids"] == ["team-service"]
    assert versions(client, "/v1/units/city-unit") == ["create"]
    assert change(client, admin, "delete", "/v1/services/team-service").status_code == 204


def test_adding_another_organizations_service_to_its_unit_is_refused(client, team, admin):
    created(post(client, admin, "/v1/services", CITY_SERVICE))
    url = "/v1/units/pakila-work-centre"
    offered = client.get(url).json["service_ids"]
    response = change(client, team, "patch", url, {"service_ids": [*offered, "city-service"]})
    assert_forbidden(response, "services 'city-service'")
    assert client.get(url).json["service_ids"] == offered
    assert versions(client, "/v1/services/city-service") == ["create"]


def test_a_unit_cannot_take_another_organizations_unit_as_parent(client, token, team, admin):
    created(post(client, admin, "/v1/units", CITY_UNIT))
    response = post(client, team, "/v1/units", {**TEAM_UNIT, "parent_id": "city-unit"})
    assert_forbidden(response, "units 'city-unit'", "referred to")
    assert client.get("/v1/units/team-unit").status_code == 404
    # Nor move there later.
    created(post(client, team, "/v1/units", TEAM_UNIT))
    response = change(client, team, "patch", "/v1/units/team-unit", {"parent_id": "city-unit"})
    assert_forbidden(response, "units 'city-unit'")
    # So the owner can still delete its unit.
    city = token("city", "write:units", organization="city-of-helsinki")
    assert change(client, city, "delete", "/v1/units/city-unit").status_code == 204


def test_an_organization_token_still_writes_within_its_organizations(client, team):
    # A notice naming only a service that only the team's units offer.
    created(post(client, team, "/v1/status-notices", SERVICE_NOTICE))
    at = "?at=2030-01-15T12:00:00%2B02:00"
    assert client.get(f"/v1/units/pakila-work-centre/status{at}").json["state"] == "closed"
    # Its own service, offered by its own unit below one of its units; renamed, then deleted.
    created(post(client, team, "/v1/services", TEAM_SERVICE))
    below = {**TEAM_UNIT, "parent_id": "pakila-work-centre", "service_ids": ["team-service"]}
    created(post(client, team, "/v1/units", below))
    renamed = change(client, team, "patch", "/v1/services/team-service", {"name": {"fi": "Uusi"}})
    assert renamed.status_code == 200, renamed.json
    assert change(client, team, "delete", "/v1/services/team-service").status_code == 204
    assert client.get("/v1/units/team-unit").json["service_ids"] == []
    assert versions(client, "/v1/units/team-unit") == ["create", "update", "update"]
    # A notice it no longer wants.
    url = "/v1/status-notices/service-closure"
    assert change(client, team, "delete", url).status_code == 204


def test_admin_and_tokens_without_an_organization_are_unaffected(client, token, admin):
    unlimited = token("cms", *ALL_SCOPES)
    offering = {**CITY_UNIT, "service_ids": ["rehabilitating-work-activities"]}
    created(post(client, admin, "/v1/units", offering))
    for who, suffix in ((admin, "a"), (unlimited, "b")):
        notice = {**SERVICE_NOTICE, "id": f"service-closure-{suffix}"}
        created(post(client, who, "/v1/status-notices", notice))
        created(post(client, who, "/v1/units", {**TEAM_UNIT, "id": f"below-{suffix}",
                                                 "parent_id": "city-unit"}))  # fmt: skip
        service = {**TEAM_SERVICE, "id": f"service-{suffix}"}
        created(post(client, who, "/v1/services", service))
        url = "/v1/units/city-unit"
        offered = client.get(url).json["service_ids"]
        response = change(client, who, "patch", url, {"service_ids": [*offered, service["id"]]})
        assert response.status_code == 200, response.json
        response = change(client, who, "delete", f"/v1/services/{service['id']}")
        assert response.status_code == 204, response.json


# --- Deleting what an access channel is about ------------------------------------------------


def test_a_delete_that_would_leave_an_access_channel_about_nothing_is_409(client, team):
    created(post(client, team, "/v1/units", TEAM_UNIT))
    hours = {"id": "team-hours", "unit_id": "team-unit", "kind": "regular", "spans": [],
             "source_urls": SOURCES}  # fmt: skip
    created(post(client, team, "/v1/opening-hours", hours))  # deleted with the unit, by the team
    phone = {"id": "team-phone", "type": "phone", "number": "+358 9 310 12345",
             "unit_ids": ["team-unit"], "source_urls": SOURCES}  # fmt: skip
    created(post(client, team, "/v1/access-channels", phone))
    shared = {**phone, "id": "shared-phone", "unit_ids": ["team-unit", "pakila-work-centre"]}
    created(post(client, team, "/v1/access-channels", shared))

    response = change(client, team, "delete", "/v1/units/team-unit")
    assert response.status_code == 409, response.json
    assert response.json["errors"] == [
        {"field": "unit_ids", "message": "Referred to by access-channels 'team-phone'."}
    ]
    # The channel stays the team's to manage; once it is gone, the unit can go.
    phone_url = "/v1/access-channels/team-phone"
    assert change(client, team, "patch", phone_url, {"number": "+358 9 310 1"}).status_code == 200
    assert change(client, team, "delete", phone_url).status_code == 204
    assert change(client, team, "delete", "/v1/units/team-unit").status_code == 204
    assert client.get("/v1/opening-hours/team-hours").status_code == 410
    # A channel about another unit too just loses this one.
    assert client.get("/v1/access-channels/shared-phone").json["unit_ids"] == ["pakila-work-centre"]

    # The same for a service a referral channel alone is about.
    created(post(client, team, "/v1/services", TEAM_SERVICE))
    referral = {"id": "team-referral", "type": "contact", "contact_by": "professional",
                "service_ids": ["team-service"], "source_urls": SOURCES}  # fmt: skip
    created(post(client, team, "/v1/access-channels", referral))
    response = change(client, team, "delete", "/v1/services/team-service")
    assert response.status_code == 409, response.json
    assert "team-referral" in response.json["errors"][0]["message"]


# --- Tokens ----------------------------------------------------------------------------------


def test_an_admin_token_cannot_be_limited_to_an_organization(app, runner):
    args = ["tokens", "create", "--name", "x", "--scope", "admin", "--organization", TEAM]
    result = runner.invoke(args=args)
    assert result.exit_code != 0
    assert "admin" in result.output and "--organization" in result.output
    assert "x\t" not in runner.invoke(args=["tokens", "list"]).output
    with app.app_context():
        session = db.new_session()
        with pytest.raises(TokenError, match="admin"), session.begin():
            create_token(session, "y", ["admin", "write:units"], TEAM)
        session.close()
    # Without an organization, or limited without admin, a token is made as before.
    assert (
        runner.invoke(args=["tokens", "create", "--name", "x", "--scope", "admin"]).exit_code == 0
    )
    limited = ["tokens", "create", "--name", "z", "--scope", "write:units", "--organization", TEAM]
    assert runner.invoke(args=limited).exit_code == 0
