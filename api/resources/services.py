"""`/v1/services`: services, with the units offering them and the routes in."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from api.domain.status import status_at
from api.store.collections import collection
from api.store.models import Service, Unit
from api.store.queries import filter_common, unit_facts, where_in, where_matches, where_related
from api.web.caching import clock_dependent, now_minute, versioned_by_record
from api.web.edit_log import record_as_of
from api.web.editor import register_editing
from api.web.http import (
    Blueprint,
    alternative_content,
    alternative_response,
    get_or_404,
    negotiated_format,
    published_or_404,
)
from api.web.pagination import paginate
from api.web.published import Stored
from schemas.common import LinkedDataItemArgsSchema
from schemas.services import ServicePageSchema, ServiceQueryArgsSchema, ServiceSchema
from schemas.status import ServiceStatusSchema, StatusArgsSchema

blp = Blueprint(
    "services",
    __name__,
    url_prefix="/v1/services",
    description="Services: what is offered, for whom, at what cost, where, and how to get in "
    "(referral routes and who may make contact).",
)


@blp.route("")
@blp.arguments(ServiceQueryArgsSchema, location="query")
@blp.response(200, ServicePageSchema)
@blp.errors(400)
@blp.doc(operationId="listServices", responses=alternative_content("ServicePage", "jsonld"))
def list_services(args: dict) -> dict[str, Any] | Response:
    """List services

    Ordered by id, or with `q` by relevance (name matches first), then id. Each service embeds
    the units offering it and its access channels.
    """
    statement = select(Service)
    statement = where_in(statement, Service.organization_id, args.get("organization_id"))
    statement = where_related(statement, Service.units, Unit.id, args.get("unit_id"))
    statement = filter_common(statement, Service, args)
    statement, rank = where_matches(statement, Service, args.get("q"))
    order = (Service.id,) if rank is None else (rank, Service.id)
    fmt = negotiated_format(args, "jsonld")
    page = paginate(statement, order, args)
    return page if fmt == "json" else alternative_response("services", fmt, page)


@blp.route("/<service_id>")
@versioned_by_record(Service, "service_id")
@blp.arguments(LinkedDataItemArgsSchema, location="query")
@blp.response(200, ServiceSchema)
@blp.errors(400, 404)
@blp.doc(operationId="getService", responses=alternative_content("Service", "jsonld"))
def get_service(args: dict, service_id: str) -> Stored | Response:
    """Get one service

    The service with the units offering it and every access route.
    """
    if args.get("as_of"):
        return record_as_of("services", service_id, args)
    record = published_or_404(Service, service_id)
    fmt = negotiated_format(args, "jsonld")
    return record if fmt == "json" else alternative_response("services", fmt, record)


@blp.route("/<service_id>/status")
@clock_dependent("at")
@blp.arguments(StatusArgsSchema, location="query")
@blp.response(200, ServiceStatusSchema)
@blp.errors(400, 404)
@blp.doc(operationId="getServiceStatus")
def get_service_status(args: dict, service_id: str) -> dict[str, Any]:
    """The service's status at every unit offering it

    For each unit offering the service, its status at `at` (default now) for this service:
    notices that name other services only do not count. `new_clients_admitted` summarises
    whether the service admits new clients anywhere. The rules are those of a unit's status.
    """
    service = get_or_404(Service, service_id, (selectinload(Service.units),))
    instant = args.get("at") or now_minute()
    facts = unit_facts(service.unit_ids, service_id=service_id)
    units: list[dict[str, Any]] = [
        {"unit": unit, "status": status_at(facts[unit.id], instant).in_local_time()}
        for unit in service.units
    ]
    admitted = [entry["status"].new_clients_admitted for entry in units]
    if any(value is True for value in admitted):
        summary = True
    elif admitted and all(value is False for value in admitted):
        summary = False
    else:
        summary = None
    return {
        "service_id": service_id,
        "at": instant,
        "new_clients_admitted": summary,
        "units": units,
    }


register_editing(blp, collection("services"))
