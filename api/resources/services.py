"""`/v1/services`: services, with the units offering them and the routes in."""

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from api.http import Blueprint, get_or_404, paginate
from api.models import AccessChannel, Service, Unit
from api.queries import filter_common, unit_facts, where_in, where_related
from api.status import status_at
from schemas.common import ItemArgsSchema
from schemas.services import ServicePageSchema, ServiceQueryArgsSchema, ServiceSchema
from schemas.status import ServiceStatusSchema, StatusArgsSchema

blp = Blueprint(
    "services",
    __name__,
    url_prefix="/v1/services",
    description="Services: what is offered, for whom, at what cost, where, and how to get in "
    "(referral routes and who may make contact).",
)

SERVICE_OPTIONS = (
    selectinload(Service.units),
    selectinload(Service.access_channels).selectinload(AccessChannel.services),
    selectinload(Service.access_channels).selectinload(AccessChannel.units),
)


@blp.route("")
@blp.arguments(ServiceQueryArgsSchema, location="query")
@blp.response(200, ServicePageSchema)
@blp.errors(400)
@blp.doc(operationId="listServices")
def list_services(args):
    """List services

    Ordered by id. Each service embeds the units offering it and its access channels.
    """
    statement = select(Service)
    statement = where_in(statement, Service.organization_id, args.get("organization_id"))
    statement = where_related(statement, Service.units, Unit.id, args.get("unit_id"))
    statement = filter_common(statement, Service, args)
    return paginate(statement, (Service.id,), args, SERVICE_OPTIONS)


@blp.route("/<service_id>")
@blp.arguments(ItemArgsSchema, location="query")
@blp.response(200, ServiceSchema)
@blp.errors(400, 404)
@blp.doc(operationId="getService")
def get_service(_args, service_id):
    """Get one service

    The service with the units offering it and every access route.
    """
    return get_or_404(Service, service_id, SERVICE_OPTIONS)


@blp.route("/<service_id>/status")
@blp.arguments(StatusArgsSchema, location="query")
@blp.response(200, ServiceStatusSchema)
@blp.errors(400, 404)
@blp.doc(operationId="getServiceStatus")
def get_service_status(args, service_id):
    """The service's status at every unit offering it

    For each unit offering the service, its status at `at` (default now) for this service:
    notices that name other services only do not count. `new_clients_admitted` summarises
    whether the service admits new clients anywhere. The rules are those of a unit's status.
    """
    service = get_or_404(Service, service_id, (selectinload(Service.units),))
    instant = args.get("at") or datetime.now(UTC)
    facts = unit_facts(service.unit_ids, service_id=service_id)
    units = [
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
