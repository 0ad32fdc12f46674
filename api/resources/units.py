"""`/v1/units`: service units, with their services, access channels and opening hours."""

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from api.http import Blueprint, get_or_404, paginate
from api.models import AccessChannel, Service, Unit
from api.queries import filter_common, where_in, where_related
from schemas.common import ItemArgsSchema
from schemas.units import UnitPageSchema, UnitQueryArgsSchema, UnitSchema

blp = Blueprint(
    "units",
    __name__,
    url_prefix="/v1/units",
    description="Service units: every location and sub-location (offices, work centres, "
    "workshops, shops), with the services offered there, every way in, and regular opening hours.",
)

# Everything a unit embeds, loaded in a fixed number of queries whatever the page size.
UNIT_OPTIONS = (
    selectinload(Unit.services),
    selectinload(Unit.access_channels).selectinload(AccessChannel.services),
    selectinload(Unit.access_channels).selectinload(AccessChannel.units),
    selectinload(Unit.opening_hours),
)


@blp.route("")
@blp.arguments(UnitQueryArgsSchema, location="query")
@blp.response(200, UnitPageSchema)
@blp.errors(400)
@blp.doc(operationId="listUnits")
def list_units(args):
    """List service units

    Ordered by id. Filters combine with AND; several values of one filter are comma-separated
    and match any of them. Each unit embeds its services' names, its access channels and its
    opening hours, so a portal needs no second call.
    """
    statement = select(Unit)
    statement = where_related(statement, Unit.services, Service.id, args.get("service_id"))
    statement = where_in(statement, Unit.organization_id, args.get("organization_id"))
    statement = where_in(statement, Unit.parent_id, args.get("parent_id"))
    statement = where_in(statement, Unit.type, args.get("type"))
    statement = filter_common(statement, Unit, args)
    return paginate(statement, (Unit.id,), args, UNIT_OPTIONS)


@blp.route("/<unit_id>")
@blp.arguments(ItemArgsSchema, location="query")
@blp.response(200, UnitSchema)
@blp.errors(400, 404)
@blp.doc(operationId="getUnit")
def get_unit(_args, unit_id):
    """Get one service unit

    The unit with its services, access channels (addresses, phone, fax, web pages, referral
    routes) and regular opening hours.
    """
    return get_or_404(Unit, unit_id, UNIT_OPTIONS)
