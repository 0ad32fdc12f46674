"""`/v1/announcements`: city-wide announcements such as the face-mask recommendation."""

from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import Select, and_, func, or_, select
from werkzeug.wrappers import Response

from api.store.collections import collection
from api.store.models import Announcement
from api.store.queries import filter_common, local_date, where_in
from api.web.caching import versioned_by_record
from api.web.edit_log import record_as_of
from api.web.editor import register_editing
from api.web.http import Blueprint, published_or_404
from api.web.pagination import paginate
from api.web.published import Stored
from schemas.announcements import (
    AnnouncementPageSchema,
    AnnouncementQueryArgsSchema,
    AnnouncementSchema,
)
from schemas.common import ItemArgsSchema

blp = Blueprint(
    "announcements",
    __name__,
    url_prefix="/v1/announcements",
    description="Announcements: city-wide notices shown on the service pages, time-bounded.",
)


def where_active_at(statement: Select, instant: datetime | None) -> Select:
    """Active on the local day of `instant` by what the sources back: from `valid_from` (else
    `stated_on`) up to `valid_until` (else `stated_on`, or `valid_from`, plus the knowledge
    horizon). With neither a start nor a `stated_on`, never."""
    if instant is None:
        return statement
    day = local_date(instant)
    horizon = timedelta(days=current_app.config["KNOWLEDGE_HORIZON_DAYS"])
    said_on = func.coalesce(Announcement.stated_on, Announcement.valid_from)
    return statement.where(
        func.coalesce(Announcement.valid_from, Announcement.stated_on) <= day,
        or_(
            Announcement.valid_until >= day,
            and_(Announcement.valid_until.is_(None), said_on >= day - horizon),
        ),
    )


@blp.route("")
@blp.arguments(AnnouncementQueryArgsSchema, location="query")
@blp.response(200, AnnouncementPageSchema)
@blp.errors(400)
@blp.doc(operationId="listAnnouncements")
def list_announcements(args: dict) -> dict[str, Any]:
    """List announcements

    Ordered by id.
    """
    statement = select(Announcement)
    statement = where_in(statement, Announcement.organization_id, args.get("organization_id"))
    statement = where_active_at(statement, args.get("active_at"))
    statement = filter_common(statement, Announcement, args)
    return paginate(statement, (Announcement.id,), args)


@blp.route("/<announcement_id>")
@versioned_by_record(Announcement, "announcement_id")
@blp.arguments(ItemArgsSchema, location="query")
@blp.response(200, AnnouncementSchema)
@blp.errors(400, 404)
@blp.doc(operationId="getAnnouncement")
def get_announcement(args: dict, announcement_id: str) -> Stored | Response:
    """Get one announcement

    The announcement's title, text and validity.
    """
    if args.get("as_of"):
        return record_as_of("announcements", announcement_id, args)
    return published_or_404(Announcement, announcement_id)


register_editing(blp, collection("announcements"))
