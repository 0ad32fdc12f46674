"""`/v1/services`: services, with the units offering them and the routes in."""

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from api.http import Blueprint, get_or_404, paginate
from api.models import AccessChannel, Service, Unit
from api.queries import filter_common, where_in, where_related
from schemas.common import ItemArgsSchema
from schemas.services import ServicePageSchema, ServiceQueryArgsSchema, ServiceSchema

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
