"""`/v1/access-channels`: every way in to a service or unit."""

from typing import Any

from sqlalchemy import Select, and_, or_, select
from werkzeug.wrappers import Response

from api.store.collections import collection
from api.store.models import WAYS_IN_TYPES, AccessChannel, Service, Unit
from api.store.queries import filter_common, where_in, where_related
from api.web.caching import versioned_by_record
from api.web.edit_log import record_as_of
from api.web.editor import register_editing
from api.web.http import Blueprint, published_or_404
from api.web.pagination import paginate
from api.web.published import Stored
from schemas.access_channels import (
    AccessChannelPageSchema,
    AccessChannelQueryArgsSchema,
    AccessChannelSchema,
)
from schemas.common import ItemArgsSchema

blp = Blueprint(
    "access-channels",
    __name__,
    url_prefix="/v1/access-channels",
    description="Access channels: referral routes, who may make contact, visiting and postal "
    "addresses, phone, fax, web pages and distance services, each linked to the services and "
    "units it leads to. `type` says which fields a channel has.",
)


@blp.route("")
@blp.arguments(AccessChannelQueryArgsSchema, location="query")
@blp.response(200, AccessChannelPageSchema)
@blp.errors(400)
@blp.doc(operationId="listAccessChannels")
def list_access_channels(args: dict) -> dict[str, Any]:
    """List access channels

    Ordered by id.
    """
    statement = select(AccessChannel)
    statement = where_related(statement, AccessChannel.services, Service.id, args.get("service_id"))
    statement = where_leads_to_unit(statement, args.get("unit_id"))
    statement = where_in(statement, AccessChannel.type, args.get("type"))
    statement = filter_common(statement, AccessChannel, args)
    return paginate(statement, (AccessChannel.id,), args)


def where_leads_to_unit(statement: Select, unit_ids: list[str] | None) -> Select:
    """Channels linked to one of the units, and the ways in to the services offered there
    (the units' `ways_in`)."""
    if unit_ids is None:
        return statement
    offered_there = AccessChannel.services.any(Service.units.any(Unit.id.in_(unit_ids)))
    return statement.where(
        or_(
            AccessChannel.units.any(Unit.id.in_(unit_ids)),
            and_(AccessChannel.type.in_(WAYS_IN_TYPES), offered_there),
        )
    )


@blp.route("/<channel_id>")
@versioned_by_record(AccessChannel, "channel_id")
@blp.arguments(ItemArgsSchema, location="query")
@blp.response(200, AccessChannelSchema)
@blp.errors(400, 404)
@blp.doc(operationId="getAccessChannel")
def get_access_channel(args: dict, channel_id: str) -> Stored | Response:
    """Get one access channel

    The channel's type-specific fields (address, number, url, ...) and the services and units
    it leads to.
    """
    if args.get("as_of"):
        return record_as_of("access-channels", channel_id, args)
    return published_or_404(AccessChannel, channel_id)


register_editing(blp, collection("access-channels"))
