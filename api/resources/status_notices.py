"""`/v1/status-notices`: dated, structured notices (the COVID-19 notices)."""

from sqlalchemy import select

from api.http import (
    Blueprint,
    alternative_content,
    alternative_response,
    get_or_404,
    negotiated_format,
    paginate,
)
from api.models import Service, StatusNotice, Unit
from api.queries import filter_common, where_in, where_related, where_valid_on
from api.representations import KINDS
from schemas.common import LinkedDataItemArgsSchema
from schemas.status_notices import (
    StatusNoticePageSchema,
    StatusNoticeQueryArgsSchema,
    StatusNoticeSchema,
)

blp = Blueprint(
    "status-notices",
    __name__,
    url_prefix="/v1/status-notices",
    description="Status notices: each dated statement of a notice (closed, open, current clients "
    "only, new clients admitted, ...) for the units and services it concerns, with its validity, "
    "its text and the earlier statement it supersedes.",
)

NOTICE_OPTIONS = KINDS["status-notices"].options


@blp.route("")
@blp.arguments(StatusNoticeQueryArgsSchema, location="query")
@blp.response(200, StatusNoticePageSchema)
@blp.errors(400)
@blp.doc(
    operationId="listStatusNotices", responses=alternative_content("StatusNoticePage", "jsonld")
)
def list_status_notices(args):
    """List status notices

    Ordered by id. `active_at` keeps the notices in force at an instant: from `in_force_from`
    to the end of `in_force_until`, local time. A notice that names a unit or service directly
    matches `unit_id` / `service_id`.
    """
    statement = select(StatusNotice)
    statement = where_related(statement, StatusNotice.units, Unit.id, args.get("unit_id"))
    statement = where_related(statement, StatusNotice.services, Service.id, args.get("service_id"))
    statement = where_in(statement, StatusNotice.state, args.get("state"))
    statement = where_valid_on(
        statement, StatusNotice.in_force_from, StatusNotice.in_force_until, args.get("active_at")
    )
    statement = filter_common(statement, StatusNotice, args)
    fmt = negotiated_format(args, "jsonld")
    page = paginate(statement, (StatusNotice.id,), args, NOTICE_OPTIONS)
    return page if fmt == "json" else alternative_response("status-notices", fmt, page)


@blp.route("/<notice_id>")
@blp.arguments(LinkedDataItemArgsSchema, location="query")
@blp.response(200, StatusNoticeSchema)
@blp.errors(400, 404)
@blp.doc(operationId="getStatusNotice", responses=alternative_content("StatusNotice", "jsonld"))
def get_status_notice(args, notice_id):
    """Get one status notice

    The statement with its state, validity as stated and as in force, text, and the statements
    it supersedes and is superseded by.
    """
    record = get_or_404(StatusNotice, notice_id, NOTICE_OPTIONS)
    fmt = negotiated_format(args, "jsonld")
    return record if fmt == "json" else alternative_response("status-notices", fmt, record)
