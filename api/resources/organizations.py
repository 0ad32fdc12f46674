"""`/v1/organizations`: the city, its divisions and teams."""

from typing import Any

from sqlalchemy import select
from werkzeug.wrappers import Response

from api.store.collections import collection
from api.store.models import Organization
from api.store.queries import filter_common, where_in
from api.web.caching import versioned_by_record
from api.web.edit_log import record_as_of, register_history
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
from schemas.organizations import (
    OrganizationPageSchema,
    OrganizationQueryArgsSchema,
    OrganizationSchema,
)

blp = Blueprint(
    "organizations",
    __name__,
    url_prefix="/v1/organizations",
    description="Organizations: the city, its divisions and teams, linked to their parents.",
)


@blp.route("")
@blp.arguments(OrganizationQueryArgsSchema, location="query")
@blp.response(200, OrganizationPageSchema)
@blp.errors(400)
@blp.doc(
    operationId="listOrganizations", responses=alternative_content("OrganizationPage", "jsonld")
)
def list_organizations(args: dict) -> dict[str, Any] | Response:
    """List organizations

    Ordered by id.
    """
    statement = select(Organization)
    statement = where_in(statement, Organization.parent_id, args.get("parent_id"))
    statement = where_in(statement, Organization.type, args.get("type"))
    statement = filter_common(statement, Organization, args)
    fmt = negotiated_format(args, "jsonld")
    page = paginate(statement, (Organization.id,), args)
    return page if fmt == "json" else alternative_response("organizations", fmt, page)


@blp.route("/<organization_id>")
@versioned_by_record(Organization, "organization_id")
@blp.arguments(LinkedDataItemArgsSchema, location="query")
@blp.response(200, OrganizationSchema)
@blp.errors(400, 404)
@blp.doc(operationId="getOrganization", responses=alternative_content("Organization", "jsonld"))
def get_organization(args: dict, organization_id: str) -> Stored | Response:
    """Get one organization

    The organization with its type, names and parent.
    """
    if args.get("as_of"):
        return record_as_of("organizations", organization_id, args)
    record = published_or_404(Organization, organization_id)
    fmt = negotiated_format(args, "jsonld")
    return record if fmt == "json" else alternative_response("organizations", fmt, record)


register_history(blp, collection("organizations"))
