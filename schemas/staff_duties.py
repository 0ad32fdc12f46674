"""Staff duties: what an organization's staff do, in the source's order."""

from marshmallow import fields, validate

from schemas.common import (
    Id,
    IdFilter,
    IdList,
    ListArgsSchema,
    Localized,
    RecordInputSchema,
    RecordSchema,
    StrictInteger,
    page_of,
)

MAX_POSITION = 1_000_000


class StaffDutySchema(RecordSchema):
    """One duty of an organization's staff, at its place in the source's list."""

    organization_id = Id(required=True)
    position = fields.Integer(
        required=True, metadata={"description": "Place in the source's list, from 1.", "example": 1}
    )
    text = Localized(nullable=False, required=True)
    service_ids = IdList(required=True, metadata={"description": "Services the duty concerns."})


class StaffDutyInputSchema(RecordInputSchema):
    organization_id = Id(required=True)
    position = StrictInteger(required=True, validate=validate.Range(min=1, max=MAX_POSITION))
    text = Localized(nullable=False, required=True)
    service_ids = IdList(load_default=list)


class StaffDutyQueryArgsSchema(ListArgsSchema):
    organization_id = IdFilter(
        "Only duties of this organization's staff.", "social-rehabilitation-team"
    )
    service_id = IdFilter("Only duties concerning this service.", "social-rehabilitation")


StaffDutyPageSchema = page_of(StaffDutySchema)
