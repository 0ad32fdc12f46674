"""`/v1/organizations`: the city, its divisions and teams."""

from sqlalchemy import select

from api.http import Blueprint, get_or_404, paginate
from api.models import Organization
from api.queries import filter_common, where_in
from schemas.common import ItemArgsSchema
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
@blp.doc(operationId="listOrganizations")
def list_organizations(args):
    """List organizations

    Ordered by id.
    """
    statement = select(Organization)
    statement = where_in(statement, Organization.parent_id, args.get("parent_id"))
    statement = where_in(statement, Organization.type, args.get("type"))
    statement = filter_common(statement, Organization, args)
    return paginate(statement, (Organization.id,), args)


@blp.route("/<organization_id>")
@blp.arguments(ItemArgsSchema, location="query")
@blp.response(200, OrganizationSchema)
@blp.errors(400, 404)
@blp.doc(operationId="getOrganization")
def get_organization(_args, organization_id):
    """Get one organization

    The organization with its type, names and parent.
    """
    return get_or_404(Organization, organization_id)
