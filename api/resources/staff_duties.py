"""`/v1/staff-duties`: what the staff do, in the source's order."""

from typing import Any

from sqlalchemy import select
from werkzeug.wrappers import Response

from api.store.collections import collection
from api.store.models import Service, StaffDuty
from api.store.queries import filter_common, where_in, where_related
from api.web.caching import versioned_by_record
from api.web.edit_log import record_as_of
from api.web.editor import register_editing
from api.web.http import Blueprint, published_or_404
from api.web.pagination import paginate
from api.web.published import Stored
from schemas.common import ItemArgsSchema
from schemas.staff_duties import StaffDutyPageSchema, StaffDutyQueryArgsSchema, StaffDutySchema

blp = Blueprint(
    "staff-duties",
    __name__,
    url_prefix="/v1/staff-duties",
    description="Staff duties: what an organization's staff do, in the order the source lists "
    "them, linked to the services they concern where that is clear.",
)


@blp.route("")
@blp.arguments(StaffDutyQueryArgsSchema, location="query")
@blp.response(200, StaffDutyPageSchema)
@blp.errors(400)
@blp.doc(operationId="listStaffDuties")
def list_staff_duties(args: dict) -> dict[str, Any]:
    """List staff duties

    Ordered by organization, then by `position` (the source's order).
    """
    statement = select(StaffDuty)
    statement = where_in(statement, StaffDuty.organization_id, args.get("organization_id"))
    statement = where_related(statement, StaffDuty.services, Service.id, args.get("service_id"))
    statement = filter_common(statement, StaffDuty, args)
    return paginate(statement, collection("staff-duties").sort, args)


@blp.route("/<duty_id>")
@versioned_by_record(StaffDuty, "duty_id")
@blp.arguments(ItemArgsSchema, location="query")
@blp.response(200, StaffDutySchema)
@blp.errors(400, 404)
@blp.doc(operationId="getStaffDuty")
def get_staff_duty(args: dict, duty_id: str) -> Stored | Response:
    """Get one staff duty

    The duty's text, its place in the source's list and the services it concerns.
    """
    if args.get("as_of"):
        return record_as_of("staff-duties", duty_id, args)
    return published_or_404(StaffDuty, duty_id)


register_editing(blp, collection("staff-duties"))
