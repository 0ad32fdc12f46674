"""Organizations: the city, its divisions and teams."""

from schemas.common import (
    Choice,
    ChoiceFilter,
    Enum,
    Format,
    Id,
    IdFilter,
    Links,
    ListArgsSchema,
    Localized,
    RecordInputSchema,
    RecordSchema,
    page_of,
)

ORGANIZATION_TYPES = ("city", "division", "team")


class OrganizationSchema(RecordSchema):
    """An organization: the city, a division or a team, linked to its parent."""

    parent_id = Id(required=True, allow_none=True, metadata={"description": "The parent, or null."})
    type = Enum(ORGANIZATION_TYPES, "Kind of organization.", required=True)
    name = Localized(nullable=False, required=True)
    description = Localized(required=True)
    links = Links(required=True)


class OrganizationInputSchema(RecordInputSchema):
    parent_id = Id(allow_none=True, load_default=None)
    type = Choice(ORGANIZATION_TYPES, "Kind of organization.", required=True)
    name = Localized(nullable=False, required=True)
    description = Localized(load_default=None)
    links = Links(load_default=list)


class OrganizationQueryArgsSchema(ListArgsSchema):
    format = Format("json", "jsonld")
    parent_id = IdFilter("Only organizations under this parent.", "city-of-helsinki")
    type = ChoiceFilter(ORGANIZATION_TYPES, "Only organizations of this type.", "team")


OrganizationPageSchema = page_of(OrganizationSchema)
