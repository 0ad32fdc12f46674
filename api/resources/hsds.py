"""`/hsds`: the data as Open Referral HSDS 3.1 (services, organizations, service_at_locations).

This profile follows HSDS's own API conventions (UUID ids, `page`/`per_page` and the Page
envelope, `format=ndjson`) rather than /v1's; errors are still RFC 9457 problem+json and
unknown parameters are still a 400. The mapping is `api.formats.hsds`; docs/hsds.md describes it.

A list is filtered, counted and cut in the database: `organization_id` and `modified_after`
are SQL conditions, the count is remembered per data version as /v1's is, and a page is
LIMIT/OFFSET on the keys' index (HSDS pages by number, not by cursor). Only the page's records
are then read, with a fixed number of queries for the records they embed and the engine's
verdicts they need (`snapshot`), however large the page or the dataset. `search` is the one
filter matched here, on the texts alone (`listing` says why). An item reads only its own
records. HSDS ids are uuid5 hashes of ours: the index from one to the other is computed from
the keys and remembered per data version (`our_key`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, TypeVar

from apispec import APISpec
from flask import Flask, current_app, stream_with_context, url_for
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.interfaces import ORMOption
from werkzeug.wrappers import Response

from api.config import PROJECT_ROOT
from api.domain.status import UnitFacts, applies_to_service, status_at
from api.formats import hsds
from api.problems import Problem
from api.store.db import db
from api.store.facts import CHUNK, engine_notice, services_of
from api.store.memory import LRU
from api.store.models import (
    AccessChannel,
    Organization,
    Record,
    Service,
    StaffDuty,
    StatusNotice,
    Unit,
    notice_targets,
    unit_services,
)
from api.store.queries import (
    data_version,
    per_data_version,
    unit_facts,
    where_in,
    where_valid_on,
)
from api.web.caching import clock_dependent, now_minute
from api.web.http import Api, Blueprint
from api.web.pipeline import state
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
_R = TypeVar("_R", bound=Record)
_O = TypeVar("_O", Unit, Service, StaffDuty)
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


# --- Reading only what a response needs ---------------------------------------------------

# The eager loads of what the mapping reads of each kind of record.
SERVICE_LOADS = (selectinload(Service.access_channels).selectinload(AccessChannel.units),)
UNIT_LOADS = (
    selectinload(Unit.opening_hours),
    selectinload(Unit.access_channels).selectinload(AccessChannel.units),
)
CHANNEL_LOADS = (selectinload(AccessChannel.units), selectinload(AccessChannel.services))


def records(model: type[_R], ids: Iterable[str], *options: ORMOption) -> list[_R]:
    """The records of `ids`, in that order, with `options`: one query (none for no ids)."""
    wanted = list(ids)
    if not wanted:
        return []
    found = db.session.scalars(select(model).where(model.id.in_(set(wanted))).options(*options))
    by_id = {record.id: record for record in found}
    return [by_id[key] for key in wanted if key in by_id]


def snapshot(
    at: datetime | None,
    *,
    services: Sequence[Service] = (),
    units: Sequence[Unit] = (),
    channels: Sequence[AccessChannel] = (),
    duties: Sequence[StaffDuty] = (),
) -> hsds.Snapshot:
    """The records one response maps, their organizations, and the engine's verdicts at `at`
    (default now) that the mapping reads: each of `units`' status, and the status of each
    service of `services` at each unit offering it.

    Only what is needed is evaluated: a unit that no notice targets has no notices, so it is
    not closed by one and adds nothing to an alert; its verdicts are left out (the mapping
    reads "active", no alert) and the engine runs only at the units some notice targets. A
    fixed number of queries however many records (the engine's input is read 500 units at a
    time, so one more round past each 500 such units)."""
    at = at or now_minute()
    session = db.session
    service_ids = sorted({service.id for service in services})
    org_ids = {service.organization_id for service in services}
    organizations = records(
        Organization, sorted(org_ids | {unit.organization_id for unit in units})
    )
    offered_at: dict[str, int] = {}
    pairs: list[tuple[str, str]] = []
    noticed = {unit.id for unit in units}
    targeted = select(notice_targets.c.unit_id)
    if noticed:
        noticed = set(session.scalars(targeted.where(notice_targets.c.unit_id.in_(noticed))))
    named_notices: dict[str, list] = {}
    if service_ids:
        offering = unit_services.c.service_id.in_(service_ids)
        offered_at = dict(
            session.execute(
                select(unit_services.c.service_id, func.count())
                .where(offering)
                .group_by(unit_services.c.service_id)
            ).all()
        )
        pairs = [
            (unit_id, service_id)
            for unit_id, service_id in session.execute(
                select(unit_services.c.unit_id, unit_services.c.service_id).where(
                    offering, unit_services.c.unit_id.in_(targeted)
                )
            )
        ]
        in_force = where_valid_on(
            select(StatusNotice).where(StatusNotice.services.any(Service.id.in_(service_ids))),
            StatusNotice.possibly_from,
            StatusNotice.possibly_until,
            at,
        )
        for notice in session.scalars(in_force.options(selectinload(StatusNotice.services))):
            for service_id in notice.service_ids:
                named_notices.setdefault(service_id, []).append(engine_notice(notice))
    facts = unit_facts(sorted(noticed | {unit_id for unit_id, _ in pairs}))
    # unit_facts(ids, service_id) for every pair at once: the notices of each unit, then only
    # those concerning the pair's service (api.domain.status.applies_to_service).
    named_services = services_of(
        session, {notice.id for unit in facts.values() for notice in unit.notices}
    )

    def for_service(unit_id: str, service_id: str) -> UnitFacts:
        notices = facts[unit_id].notices
        return replace(
            facts[unit_id],
            notices=tuple(
                n for n in notices if applies_to_service(named_services.get(n.id, ()), service_id)
            ),
        )

    return hsds.Snapshot(
        at=at,
        organizations=organizations,
        services=list(services),
        units=list(units),
        channels=list(channels),
        duties=list(duties),
        unit_status={
            unit_id: status_at(facts[unit_id], at, with_changes=False)
            for unit_id in sorted(noticed)
        },
        service_status={
            pair: status_at(for_service(*pair), at, with_changes=False) for pair in pairs
        },
        offered_at=offered_at,
        named_notices=named_notices,
    )


def of_organization(model: type[_O], org_id: str, *options: ORMOption) -> list[_O]:
    """The records of `model` an organization has, by id, with `options`: one query."""
    statement = select(model).where(model.organization_id == org_id).order_by(model.id)
    return list(db.session.scalars(statement.options(*options)))


def distance_channels(unit_ids: Iterable[str], service_ids: Iterable[str]) -> list[AccessChannel]:
    """The `distance_service` channels that may describe a service_at_location of these units
    and services (those naming none of them, or one of each), with their units and services."""
    units, services = set(unit_ids), set(service_ids)
    statement = (
        select(AccessChannel)
        .where(
            AccessChannel.type == "distance_service",
            or_(~AccessChannel.units.any(), AccessChannel.units.any(Unit.id.in_(units))),
            or_(
                ~AccessChannel.services.any(), AccessChannel.services.any(Service.id.in_(services))
            ),
        )
        .options(*CHANNEL_LOADS)
        .order_by(AccessChannel.id)
    )
    return list(db.session.scalars(statement))


def listing(
    statement: Select,
    texts: tuple[Any, ...],
    args: dict,
    render: Callable[[list[tuple]], list[dict[str, Any]]],
) -> dict[str, Any] | Response:
    """A list: `statement` selects the keys of the matching records in their order, `search`
    looks into `texts`, and `render` maps the records of some keys. A page is counted and cut
    in the database (the count remembered per data version, like /v1's, and LIMIT/OFFSET on
    the keys' index, as HSDS pages by number) and only its records are read and mapped;
    `format=ndjson` maps every match, a chunk of records at a time.

    `search` is a case-insensitive substring in any language, which neither database's LIKE
    gives for every letter (nor inside JSON): with it, the keys and `texts` of the records the
    other filters keep are read (no record) and matched here, then the page is cut."""
    search = args.get("search")
    width = len(statement.selected_columns)
    keys: list[tuple] | None = None
    if search:
        rows = db.session.execute(statement.add_columns(*texts))
        keys = [tuple(row[:width]) for row in rows if hsds.matches(search, *row[width:])]
    if args["format"] == "ndjson":
        every = keys if keys is not None else [tuple(row) for row in db.session.execute(statement)]

        def lines() -> Iterator[str]:
            for start in range(0, len(every), CHUNK):
                for record in render(every[start : start + CHUNK]):
                    yield json.dumps(record, ensure_ascii=False) + "\n"

        return current_app.response_class(stream_with_context(lines()), mimetype=NDJSON)
    page, per_page = args["page"], args["per_page"]
    first = (page - 1) * per_page
    if keys is not None:
        total, keys = len(keys), keys[first : first + per_page]
    else:
        counted = select(func.count()).select_from(statement.order_by(None).subquery())
        total = per_data_version(counted.scalar_subquery(), state().version) or 0
        keys = [tuple(row) for row in db.session.execute(statement.offset(first).limit(per_page))]
    return hsds.envelope(total, page, per_page, render(keys))


def organization_ids(args: dict) -> list[str] | None:
    """The ids of ours `organization_id` can name: HSDS clients send the HSDS id (a hash of
    ours, so every organization's is computed: they are few), /v1 clients may send our own."""
    wanted = args.get("organization_id")
    if wanted is None:
        return None
    ours = db.session.scalars(select(Organization.id))
    return [wanted, *(org_id for org_id in ours if hsds.hsds_id("organization", org_id) == wanted)]


def our_key(kind: str, keys: Select, hsds_id: str) -> tuple:
    """Our key (the row of `keys`) of the record whose HSDS id of `kind` is `hsds_id`, or a 404.

    HSDS ids are hashes of ours, so the index from one to the other is computed from the
    keys alone and remembered per data version and kind."""
    memory = current_app.extensions.setdefault("api.resources.hsds.ids", LRU(8))
    version = data_version(db.session)
    known = memory.get(kind)
    if known is None or known[0] != version:
        index = {hsds.hsds_id(kind, "/".join(row)): tuple(row) for row in db.session.execute(keys)}
        known = (version, index)
        memory.put(kind, known)
    found = known[1].get(hsds_id)
    if found is None:
        raise Problem(404, f"No {kind.replace('_', ' ')} with id '{hsds_id}'.")
    return found


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


def service_keys(args: dict) -> Select:
    """The ids of the services the filters keep, in order, the filters in SQL."""
    statement = select(Service.id).order_by(Service.id)
    statement = where_in(statement, Service.organization_id, organization_ids(args))
    if args.get("modified_after") is not None:
        statement = statement.where(Service.modified_at >= args["modified_after"])
    return statement


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
    at = args.get("at") or now_minute()

    def render(keys: list[tuple]) -> list[dict[str, Any]]:
        services = records(Service, (key for (key,) in keys), *SERVICE_LOADS)
        snap = snapshot(at, services=services)
        return [hsds.service_basic(snap, service) for service in services]

    return listing(service_keys(args), (Service.name, Service.description), args, render)


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
    (service_id,) = our_key("service", select(Service.id), id)
    (service,) = records(
        Service, [service_id], *SERVICE_LOADS, selectinload(Service.units).options(*UNIT_LOADS)
    )
    duties = db.session.scalars(
        select(StaffDuty)
        .where(StaffDuty.services.any(Service.id == service_id))
        .options(selectinload(StaffDuty.services))
    )
    snap = snapshot(
        args.get("at"),
        services=[service],
        units=service.units,
        channels=distance_channels(service.unit_ids, [service_id]),
        duties=list(duties),
    )
    return hsds.service_full(snap, service)


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

    def render(keys: list[tuple]) -> list[dict[str, Any]]:
        return [hsds.organization_basic(o) for o in records(Organization, (k for (k,) in keys))]

    statement = select(Organization.id).order_by(Organization.id)
    return listing(statement, (Organization.name, Organization.description), args, render)


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
    (org_id,) = our_key("organization", select(Organization.id), id)
    units = of_organization(Unit, org_id, *UNIT_LOADS)
    services = of_organization(Service, org_id, *SERVICE_LOADS)
    duties = of_organization(StaffDuty, org_id, selectinload(StaffDuty.services))
    (org,) = records(Organization, [org_id])
    snap = snapshot(args.get("at"), services=services, units=units, duties=duties)
    return hsds.organization_full(snap, org)


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
    at = args.get("at") or now_minute()
    statement = (
        select(unit_services.c.unit_id, unit_services.c.service_id)
        .join(Unit, Unit.id == unit_services.c.unit_id)
        .join(Service, Service.id == unit_services.c.service_id)
        .order_by(unit_services.c.unit_id, unit_services.c.service_id)
    )
    statement = where_in(statement, Service.organization_id, organization_ids(args))
    if (bound := args.get("modified_after")) is not None:
        # The later of the two changes is at or after the bound when either is.
        statement = statement.where(or_(Unit.modified_at >= bound, Service.modified_at >= bound))

    def render(keys: list[tuple]) -> list[dict[str, Any]]:
        units = {u.id: u for u in records(Unit, sorted({unit_id for unit_id, _ in keys}))}
        services = {s.id: s for s in records(Service, sorted({s for _, s in keys}), *SERVICE_LOADS)}
        snap = snapshot(
            at,
            services=list(services.values()),
            units=list(units.values()),
            channels=distance_channels(units, services),
        )
        return [
            hsds.service_at_location_list_item(snap, units[unit_id], services[service_id])
            for unit_id, service_id in keys
        ]

    return listing(statement, (Unit.name, Service.name), args, render)


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
    pairs = select(unit_services.c.unit_id, unit_services.c.service_id)
    unit_id, service_id = our_key("service_at_location", pairs, id)
    (unit,) = records(Unit, [unit_id], *UNIT_LOADS)
    (service,) = records(Service, [service_id], *SERVICE_LOADS)
    snap = snapshot(
        args.get("at"),
        services=[service],
        units=[unit],
        channels=distance_channels([unit_id], [service_id]),
    )
    return hsds.service_at_location_full(snap, unit, service)
