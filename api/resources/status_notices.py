"""`/v1/status-notices`: dated, structured notices (the COVID-19 notices)."""

from datetime import datetime
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from api.problems import Problem, field_error
from api.store import writes as editing
from api.store.collections import collection
from api.store.history import Recorder
from api.store.models import Service, StatusNotice, Unit
from api.store.queries import filter_common, where_in, where_related, where_valid_on
from api.web import auth, editor
from api.web.bodies import read_body
from api.web.caching import versioned_by_record
from api.web.edit_log import record_as_of
from api.web.editor import editor_docs, register_editing
from api.web.http import (
    Blueprint,
    alternative_content,
    alternative_response,
    negotiated_format,
    published_or_404,
)
from api.web.pagination import paginate
from api.web.published import Stored
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
    description="Status notices: each statement of a notice (closed, open, current clients "
    "only, new clients admitted, ...) for the units and services it concerns, with its validity "
    "as stated and as the sources bound it, its text, its version and the earlier statement it "
    "revises.",
)


@blp.route("")
@blp.arguments(StatusNoticeQueryArgsSchema, location="query")
@blp.response(200, StatusNoticePageSchema)
@blp.errors(400)
@blp.doc(
    operationId="listStatusNotices", responses=alternative_content("StatusNoticePage", "jsonld")
)
def list_status_notices(args: dict) -> dict[str, Any] | Response:
    """List status notices

    Ordered by id. `active_at` keeps the notices in force at an instant, or possibly so where
    the sources do not fix the day a version took effect (their `in_force_bounds` cover the
    day), and not past their `trusted_until`; days are local time. A notice that names a unit
    or service directly matches `unit_id` / `service_id`; `version_id` keeps one version's
    statements (`/v1/notice-versions` lists the versions).
    """
    statement = select(StatusNotice)
    statement = where_related(statement, StatusNotice.units, Unit.id, args.get("unit_id"))
    statement = where_related(statement, StatusNotice.services, Service.id, args.get("service_id"))
    statement = where_in(statement, StatusNotice.state, args.get("state"))
    statement = where_in(statement, StatusNotice.version_id, args.get("version_id"))
    statement = where_valid_on(
        statement, StatusNotice.possibly_from, StatusNotice.possibly_until, args.get("active_at")
    )
    statement = filter_common(statement, StatusNotice, args)
    fmt = negotiated_format(args, "jsonld")
    page = paginate(statement, (StatusNotice.id,), args)
    return page if fmt == "json" else alternative_response("status-notices", fmt, page)


@blp.route("/<notice_id>")
@versioned_by_record(StatusNotice, "notice_id")
@blp.arguments(LinkedDataItemArgsSchema, location="query")
@blp.response(200, StatusNoticeSchema)
@blp.errors(400, 404)
@blp.doc(operationId="getStatusNotice", responses=alternative_content("StatusNotice", "jsonld"))
def get_status_notice(args: dict, notice_id: str) -> Stored | Response:
    """Get one status notice

    The statement with its state, validity as stated and as in force, text, and the statements
    it supersedes and is superseded by.
    """
    if args.get("as_of"):
        return record_as_of("status-notices", notice_id, args)
    record = published_or_404(StatusNotice, notice_id)
    fmt = negotiated_format(args, "jsonld")
    return record if fmt == "json" else alternative_response("status-notices", fmt, record)


register_editing(blp, collection("status-notices"))


@blp.route("/<notice_id>/supersede", methods=["POST"])
@blp.response(
    201, StatusNoticeSchema, headers={"Location": {"$ref": "#/components/headers/Location"}}
)
@blp.doc(
    **editor_docs(
        "supersedeStatusNotice",
        (400, 401, 403, 404, 409, 410, 412, 413, 415, 422, 428, 503),
        "StatusNoticeInput",
        security=[{"bearerAuth": []}],
    )
)
def supersede_status_notice(notice_id: str) -> Response:
    """Publish a new version of a notice

    The body is the new version, with its own `id`; it supersedes this notice, and this one
    ends the day before the new one starts (its `in_force_until`), in one transaction. Without
    `valid_from` the new version starts today. Needs `write:notices` and `If-Match` with this
    notice's ETag; `Idempotency-Key` makes a retry safe. A notice already superseded answers 409:
    supersede its newest version. Only this sets `supersedes_id`: a create, PUT or PATCH that
    sets or changes it answers 422.
    """
    who = auth.identity()
    auth.require_scope(who, "status-notices")
    body = read_body()
    notices = collection("status-notices")

    def work(session: Session, recorder: Recorder, now: datetime) -> Response:
        old = cast(StatusNotice, editor.current_record(session, notices, notice_id))
        editor.check_if_match(old)
        auth.require_organization(session, who, notices, editing.input_of(notices, old))
        new_id = body.get("id") if isinstance(body, dict) else None
        if (
            not isinstance(body, dict)
            or not isinstance(new_id, str)
            or session.get(StatusNotice, new_id) is not None
        ):
            raise Problem(
                422,
                "The new version needs an `id` of its own.",
                [field_error("id", "Missing, or the id of an existing notice.")],
            )
        record = editing.validate(session, notices, {**body, "supersedes_id": notice_id}, new_id)
        auth.require_organization(session, who, notices, record)
        new = editing.supersede(
            session,
            old,
            editing.dated(notices, record, editor.today()),
            recorder,
            now,
            editor.today(),
            editor.policy(),
        )
        return editor.record_response("status-notices", new, 201)

    return editor.write(who, work, idempotent=True)
