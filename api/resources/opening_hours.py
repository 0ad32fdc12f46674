"""`/v1/opening-hours`: the stored weekly hours and exception periods of units, which units
embed. The computed day-by-day hours are `/v1/units/{unit_id}/opening-hours`."""

from typing import Any

from sqlalchemy import select
from werkzeug.wrappers import Response

from api.store.collections import collection
from api.store.models import OpeningHours
from api.store.queries import filter_common, where_in
from api.web.caching import versioned_by_record
from api.web.edit_log import record_as_of
from api.web.editor import register_editing
from api.web.http import Blueprint, published_or_404
from api.web.pagination import paginate
from api.web.published import Stored
from schemas.common import ItemArgsSchema
from schemas.opening_hours import (
    OpeningHoursPageSchema,
    OpeningHoursQueryArgsSchema,
    OpeningHoursSchema,
)

blp = Blueprint(
    "opening-hours",
    __name__,
    url_prefix="/v1/opening-hours",
    description="Opening hours as stored: each unit's regular weekly hours and exception "
    "periods, the records editors change. Units embed them.",
)


@blp.route("")
@blp.arguments(OpeningHoursQueryArgsSchema, location="query")
@blp.response(200, OpeningHoursPageSchema)
@blp.errors(400)
@blp.doc(operationId="listOpeningHours")
def list_opening_hours(args: dict) -> dict[str, Any]:
    """List stored opening hours

    Ordered by id.
    """
    statement = select(OpeningHours)
    statement = where_in(statement, OpeningHours.unit_id, args.get("unit_id"))
    statement = where_in(statement, OpeningHours.kind, args.get("kind"))
    statement = filter_common(statement, OpeningHours, args)
    return paginate(statement, (OpeningHours.id,), args)


@blp.route("/<hours_id>")
@versioned_by_record(OpeningHours, "hours_id")
@blp.arguments(ItemArgsSchema, location="query")
@blp.response(200, OpeningHoursSchema)
@blp.errors(400, 404)
@blp.doc(operationId="getOpeningHours")
def get_opening_hours(args: dict, hours_id: str) -> Stored | Response:
    """Get one stored opening-hours record

    Weekly spans over a validity period, regular or exception.
    """
    if args.get("as_of"):
        return record_as_of("opening-hours", hours_id, args)
    return published_or_404(OpeningHours, hours_id)


register_editing(blp, collection("opening-hours"))
