"""Services: what is offered, to whom, at what cost, and how to get in."""

from marshmallow import fields

from schemas.access_channels import AccessChannelSchema
from schemas.common import (
    Format,
    Id,
    IdFilter,
    IdList,
    ListArgsSchema,
    Localized,
    RecordInputSchema,
    RecordSchema,
    RefSchema,
    SearchText,
    StrictBoolean,
    page_of,
)


class UnitRefSchema(RefSchema):
    """A unit named by id and name, embedded in other records."""


class ServiceSchema(RecordSchema):
    """A service: what is offered, for whom, at what cost, where, and how to get in."""

    organization_id = Id(required=True)
    name = Localized(nullable=False, required=True)
    description = Localized(required=True)
    eligibility = Localized(required=True, metadata={"description": "Who the service is for."})
    extent = Localized(
        required=True, metadata={"description": "How long and how often the service runs."}
    )
    free_of_charge = fields.Boolean(
        required=True, allow_none=True, metadata={"description": "null where no source says."}
    )
    fees = Localized(required=True, metadata={"description": "What the service costs."})
    unit_ids = IdList(required=True)
    units = fields.List(
        fields.Nested(UnitRefSchema),
        required=True,
        metadata={"description": "Where it is offered."},
    )
    access_channels = fields.List(
        fields.Nested(AccessChannelSchema),
        required=True,
        metadata={"description": "Every way in: referral routes, contact, addresses, phone, web."},
    )


class ServiceInputSchema(RecordInputSchema):
    organization_id = Id(required=True)
    name = Localized(nullable=False, required=True)
    description = Localized(load_default=None)
    eligibility = Localized(load_default=None)
    extent = Localized(load_default=None)
    free_of_charge = StrictBoolean(allow_none=True, load_default=None)
    fees = Localized(load_default=None)


class ServiceQueryArgsSchema(ListArgsSchema):
    format = Format("json", "jsonld")
    organization_id = IdFilter("Only services of this organization.", "social-rehabilitation-team")
    unit_id = IdFilter("Only services offered at this unit.", "pakila-work-centre")
    q = SearchText("services", "kuntouttava")


ServicePageSchema = page_of(ServiceSchema)
