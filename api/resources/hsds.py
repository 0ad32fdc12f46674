"""`/hsds`: the data as Open Referral HSDS 3.1 (services, organizations, service_at_locations).

This profile follows HSDS's own API conventions (UUID ids, `page`/`per_page` and the Page
envelope, `format=ndjson`) rather than /v1's; errors are still RFC 9457 problem+json and
unknown parameters are still a 400. The mapping is `api.formats.hsds`; docs/hsds.md describes it.

The view is built per request from the whole (small) dataset: the HSDS ids are uuid5 hashes of
ours, and `search` looks into every language of the texts, so filtering and paging happen in
Python after the records are loaded: a fixed number of queries for the records, and a few more
per service for its status at each unit offering it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any, TypeVar

from apispec import APISpec
from flask import Flask, current_app, stream_with_context, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from api.config import PROJECT_ROOT
from api.domain.status import status_at
from api.formats import hsds
from api.problems import Problem
from api.store.db import db
from api.store.facts import engine_notice
from api.store.models import AccessChannel, Organization, Service, StaffDuty, StatusNotice, Unit
from api.store.queries import unit_facts, where_valid_on
from api.web.caching import clock_dependent, now_minute
from api.web.http import Api, Blueprint
from schemas.hsds import (
    NDJSON_COMPONENT,
    NDJSON_SCHEMA,
    HsdsApiInfoSchema,
    HsdsIndexArgsSchema,
    HsdsItemArgsSchema,
    HsdsOrganizationArgsSchema,
    HsdsOrganizationPageSchema,
    HsdsOrganizationSchema,
    HsdsServiceArgsSchema,
    HsdsServiceAtLocationArgsSchema,
    HsdsServiceAtLocationPageSchema,
    HsdsServiceAtLocationSchema,
    HsdsServicePageSchema,
    HsdsServiceSchema,
)

NDJSON = "application/x-ndjson"
_F = TypeVar("_F", bound=Callable[..., Any])
_T = TypeVar("_T")
PROFILE_DOC = PROJECT_ROOT / "docs" / "hsds.md"


class HsdsBlueprint(Blueprint):
    """The house Blueprint, which also registers the NDJSON body as a named component."""

    def register_views_in_doc(
        self,
        api: Api,
        app: Flask,
        spec: APISpec,
        *,
        name: str,
        parameters: list[dict[str, Any]] | None,
    ) -> None:
        if NDJSON_COMPONENT not in spec.components.schemas:
            spec.components.schema(NDJSON_COMPONENT, NDJSON_SCHEMA)
        super().register_views_in_doc(api, app, spec, name=name, parameters=parameters)


blp = HsdsBlueprint(
    "HSDS",
    __name__,
    url_prefix="/hsds",
    description="The data as Open Referral's Human Services Data Specification (HSDS) 3.1: "
    "services, organizations (with locations) and service_at_locations, with HSDS's UUID ids, "
    "paging and NDJSON. Follows HSDS's conventions, not /v1's; `at` is an extension. The "
    "mapping is described at `/hsds/profile`.",
)


def ndjson_alternative(func: _F) -> _F:
    """Document the `format=ndjson` body beside the JSON page of a 200."""
    return blp.alt_response(
        200,
        schema={"$ref": f"#/components/schemas/{NDJSON_COMPONENT}"},
        content_type=NDJSON,
        description="A page of results; with `format=ndjson`, every result as NDJSON.",
        success=True,
    )(func)


# --- The snapshot the mapping reads ----------------------------------------------------------


def snapshot(at: datetime | None) -> hsds.Snapshot:
    """Every record, and the engine's verdicts at `at` (default now): a fixed number of queries
    for the records, and a few per service for its statuses."""
    at = at or now_minute()
    session = db.session
    units = session.scalars(
        select(Unit)
        .options(
            selectinload(Unit.services),
            selectinload(Unit.opening_hours),
            selectinload(Unit.access_channels).selectinload(AccessChannel.units),
        )
        .order_by(Unit.id)
    ).all()
    services = session.scalars(
        select(Service)
        .options(
            selectinload(Service.units),
            selectinload(Service.access_channels).selectinload(AccessChannel.units),
        )
        .order_by(Service.id)
    ).all()
    channels = session.scalars(
        select(AccessChannel)
        .options(selectinload(AccessChannel.units), selectinload(AccessChannel.services))
        .order_by(AccessChannel.id)
    ).all()
    duties = session.scalars(
        select(StaffDuty).options(selectinload(StaffDuty.services)).order_by(StaffDuty.id)
    ).all()
    organizations = session.scalars(select(Organization).order_by(Organization.id)).all()

    unit_status = {
        unit_id: status_at(facts, at, with_changes=False)
        for unit_id, facts in unit_facts([unit.id for unit in units]).items()
    }
    service_status = {
        (unit_id, service.id): status_at(facts, at, with_changes=False)
        for service in services
        for unit_id, facts in unit_facts(service.unit_ids, service_id=service.id).items()
    }
    named_notices: dict[str, list] = {}
    in_force = where_valid_on(
        select(StatusNotice).where(StatusNotice.services.any()),
        StatusNotice.possibly_from,
        StatusNotice.possibly_until,
        at,
    )
    for notice in session.scalars(in_force.options(selectinload(StatusNotice.services))):
        for service_id in notice.service_ids:
            named_notices.setdefault(service_id, []).append(engine_notice(notice))
    return hsds.Snapshot(
        at=at,
        organizations=list(organizations),
        services=list(services),
        units=list(units),
        channels=list(channels),
        duties=list(duties),
        unit_status=unit_status,
        service_status=service_status,
        named_notices=named_notices,
    )


def respond(args: dict, records: list, to_hsds: Callable) -> dict[str, Any] | Response:
    """A Page of `records`, or with `format=ndjson` all of them, one JSON object per line."""
    if args["format"] == "ndjson":

        def lines() -> Iterator[str]:
            for record in records:
                yield json.dumps(to_hsds(record), ensure_ascii=False) + "\n"

        return current_app.response_class(stream_with_context(lines()), mimetype=NDJSON)
    return hsds.page(records, args["page"], args["per_page"], to_hsds)


def modified_after(args: dict, *instants: datetime) -> bool:
    bound = args.get("modified_after")
    return bound is None or max(instants) >= bound


def organization_matches(args: dict, organization_id: str) -> bool:
    wanted = args.get("organization_id")
    # HSDS clients send the HSDS id; /v1 clients may send our own id.
    return wanted is None or wanted in (
        hsds.hsds_id("organization", organization_id),
        organization_id,
    )


def by_hsds_id(
    records: Iterable[_T],
    kind: str,
    hsds_id: str,
    key: Callable[[Any], str] = lambda record: record.id,
) -> _T:
    for record in records:
        if hsds.hsds_id(kind, key(record)) == hsds_id:
            return record
    raise Problem(404, f"No {kind.replace('_', ' ')} with id '{hsds_id}'.")


# --- Index -----------------------------------------------------------------------------------


@blp.route("/")
@blp.arguments(HsdsIndexArgsSchema, location="query")
@blp.response(200, HsdsApiInfoSchema)
@blp.errors(400)
@blp.doc(operationId="getApiMetaInformation")
def get_api_meta_information(_args: dict) -> dict[str, Any]:
    """Information about this API and its relationship with HSDS

    The HSDS version this profile implements, where its profile (the mapping from this API's
    model to HSDS) is described, and where its OpenAPI document is.
    """
    return {
        "version": hsds.HSDS_VERSION,
        "profile": url_for("HSDS.get_hsds_profile", _external=True),
        "openapi_url": url_for("api-docs.openapi_json", _external=True),
    }


@blp.route("/profile")
@blp.arguments(HsdsIndexArgsSchema, location="query")
@blp.response(
    200,
    {"type": "string"},
    content_type="text/markdown",
    description="The profile, in Markdown.",
)
@blp.errors(400)
@blp.doc(operationId="getHsdsProfile")
def get_hsds_profile(_args: dict) -> Response:
    """The HSDS profile of this API

    How this API's model maps to HSDS 3.1, field by field: ids, status and alert, schedules,
    addresses, phones, staff duties, and what is left out and why.
    """
    body = PROFILE_DOC.read_text(encoding="utf-8")
    return current_app.response_class(body, mimetype="text/markdown")


# --- Services --------------------------------------------------------------------------------


@blp.route("/services")
@clock_dependent("at")
@blp.arguments(HsdsServiceArgsSchema, location="query")
@blp.response(200, HsdsServicePageSchema)
@blp.errors(400)
@blp.doc(operationId="getPaginatedListOfServices")
@ndjson_alternative
def list_services(args: dict) -> dict[str, Any] | Response:
    """Paginated list of services (one-to-one fields)

    Services ordered by our ids, each with its one-to-one fields and its organization. `status`
    and `alert` are read at `at` (default now). `format=ndjson` streams every matching service,
    unpaginated, one per line.
    """
    snap = snapshot(args.get("at"))
    records = [
        service
        for service in snap.services
        if hsds.matches(args.get("search"), service.name, service.description)
        and organization_matches(args, service.organization_id)
        and modified_after(args, service.modified_at)
    ]
    return respond(args, records, lambda service: hsds.service_basic(snap, service))


@blp.route("/services/<id>")
@clock_dependent("at")
@blp.arguments(HsdsItemArgsSchema, location="query")
@blp.response(200, HsdsServiceSchema)
@blp.errors(400, 404)
@blp.doc(operationId="getFullyNestedServiceById")
def get_service(args: dict, id: str) -> dict[str, Any]:  # noqa: A002 - HSDS names the path parameter `id`
    """Fully nested service

    The service with every related record: its organization, service_at_locations (each with
    its location, addresses, phones and opening hours), phones, web pages and staff duties.
    `status` and `alert` are read at `at` (default now).
    """
    snap = snapshot(args.get("at"))
    return hsds.service_full(snap, by_hsds_id(snap.services, "service", id))


# --- Organizations ---------------------------------------------------------------------------


@blp.route("/organizations")
@blp.arguments(HsdsOrganizationArgsSchema, location="query")
@blp.response(200, HsdsOrganizationPageSchema)
@blp.errors(400)
@blp.doc(operationId="getPaginatedListOfOrganizations")
@ndjson_alternative
def list_organizations(args: dict) -> dict[str, Any] | Response:
    """Paginated list of organizations (one-to-one fields)

    The city, its division and the team, ordered by our ids. `format=ndjson` streams every
    matching organization, unpaginated, one per line.
    """
    snap = snapshot(None)
    records = [
        org
        for org in snap.organizations
        if hsds.matches(args.get("search"), org.name, org.description)
    ]
    return respond(args, records, hsds.organization_basic)


@blp.route("/organizations/<id>")
@clock_dependent("at")
@blp.arguments(HsdsItemArgsSchema, location="query")
@blp.response(200, HsdsOrganizationSchema)
@blp.errors(400, 404)
@blp.doc(operationId="getOrganizationById")
def get_organization(args: dict, id: str) -> dict[str, Any]:  # noqa: A002
    """Fully nested organization

    The organization with its locations (our units, with addresses, phones and hours), its
    services (one-to-one fields), its units' web pages and its staff's duties (attributes).
    """
    snap = snapshot(args.get("at"))
    return hsds.organization_full(snap, by_hsds_id(snap.organizations, "organization", id))


# --- Service at location ---------------------------------------------------------------------


@blp.route("/service_at_locations")
@clock_dependent("at")
@blp.arguments(HsdsServiceAtLocationArgsSchema, location="query")
@blp.response(200, HsdsServiceAtLocationPageSchema)
@blp.errors(400)
@blp.doc(operationId="getPaginatedListOfServiceAtLocation")
@ndjson_alternative
def list_service_at_locations(args: dict) -> dict[str, Any] | Response:
    """Paginated list of service_at_locations

    Every service at every unit offering it, ordered by unit and service id, each with its
    location and service (one-to-one fields). `organization_id` is the service's organization;
    `modified_after` counts the later of the unit's and the service's changes; `search` looks
    in both names. `format=ndjson` streams every match, unpaginated, one per line.
    """
    snap = snapshot(args.get("at"))
    records = [
        (unit, service)
        for unit, service in snap.pairs()
        if hsds.matches(args.get("search"), unit.name, service.name)
        and organization_matches(args, service.organization_id)
        and modified_after(args, unit.modified_at, service.modified_at)
    ]
    return respond(args, records, lambda pair: hsds.service_at_location_list_item(snap, *pair))


@blp.route("/service_at_locations/<id>")
@clock_dependent("at")
@blp.arguments(HsdsItemArgsSchema, location="query")
@blp.response(200, HsdsServiceAtLocationSchema)
@blp.errors(400, 404)
@blp.doc(operationId="getServiceAtLocationWithNestedDataById")
def get_service_at_location(args: dict, id: str) -> dict[str, Any]:  # noqa: A002
    """Fully nested service_at_location

    The service at one unit: the location with its addresses, phones and hours, the unit's
    opening hours as schedules, and the service (one-to-one fields).
    """
    snap = snapshot(args.get("at"))
    unit, service = by_hsds_id(
        snap.pairs(),
        "service_at_location",
        id,
        key=lambda pair: hsds.service_at_location_key(*pair),
    )
    return hsds.service_at_location_full(snap, unit, service)
