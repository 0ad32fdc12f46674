"""Access channels: every way in to a service or unit, as a union discriminated by `type`.

Each type has its own named schema (`ReferralChannel`, `PhoneChannel`, ...); `AccessChannel` is
their `oneOf` in the spec, and dumping an `AccessChannel` picks the schema for the record's type.
"""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from schemas.common import (
    AddressSchema,
    Choice,
    ChoiceFilter,
    Enum,
    HttpUrl,
    IdFilter,
    IdList,
    ListArgsSchema,
    Localized,
    LocalizedStringSchema,
    Pattern,
    RecordInputSchema,
    RecordSchema,
    Schema,
    page_of,
)

CONTACT_BY = ("client", "relative_or_friend", "professional")


class AccessChannelBaseSchema(RecordSchema):
    name = Localized(required=True, metadata={"description": "Who or what this channel is."})
    description = Localized(required=True)
    service_ids = IdList(required=True, metadata={"description": "Services it leads to."})
    unit_ids = IdList(required=True, metadata={"description": "Units it leads to."})


def _type_field(value: str) -> fields.String:
    return fields.String(
        required=True, validate=validate.OneOf([value]), metadata={"example": value}
    )


class ReferralChannelSchema(AccessChannelBaseSchema):
    """A referral route: `name` is who refers a client to the service."""

    type = _type_field("referral")


class ContactChannelSchema(AccessChannelBaseSchema):
    """Who may make contact on the client's behalf, or the client personally."""

    type = _type_field("contact")
    contact_by = Enum(CONTACT_BY, "Who may make contact.", required=True)


class VisitingAddressChannelSchema(AccessChannelBaseSchema):
    """Where to go."""

    type = _type_field("visiting_address")
    address = fields.Nested(AddressSchema, required=True)


class PostalAddressChannelSchema(AccessChannelBaseSchema):
    """Where to write."""

    type = _type_field("postal_address")
    address = fields.Nested(AddressSchema, required=True)


class PhoneChannelSchema(AccessChannelBaseSchema):
    """A phone number."""

    type = _type_field("phone")
    number = fields.String(
        required=True, metadata={"description": "As published.", "example": "+358 9 3106 9740"}
    )


class FaxChannelSchema(AccessChannelBaseSchema):
    """A fax number."""

    type = _type_field("fax")
    number = fields.String(
        required=True, metadata={"description": "As published.", "example": "+358 9 3103 2515"}
    )


class WebPageChannelSchema(AccessChannelBaseSchema):
    """A web page, in each language it exists in."""

    type = _type_field("web_page")
    url = fields.Nested(
        LocalizedStringSchema,
        required=True,
        metadata={"description": "The page's address in each language it exists in."},
    )


class DistanceServiceChannelSchema(AccessChannelBaseSchema):
    """Services delivered remotely; `description` says how."""

    type = _type_field("distance_service")


CHANNEL_SCHEMAS: dict[str, type[AccessChannelBaseSchema]] = {
    "referral": ReferralChannelSchema,
    "contact": ContactChannelSchema,
    "visiting_address": VisitingAddressChannelSchema,
    "postal_address": PostalAddressChannelSchema,
    "phone": PhoneChannelSchema,
    "fax": FaxChannelSchema,
    "web_page": WebPageChannelSchema,
    "distance_service": DistanceServiceChannelSchema,
}
CHANNEL_TYPES = tuple(CHANNEL_SCHEMAS)


class OtherChannelSchema(AccessChannelBaseSchema):
    """A channel of a type this version of the spec does not describe yet (the list of types is
    extensible): the fields every channel has, and whatever its type adds. A client shows its
    `name` and `description` and keeps going."""

    type = fields.String(
        required=True,
        metadata={
            "description": "Any type but those with their own schema (`referral`, `contact`, ...).",
            "example": "chat",
        },
    )


_DUMPERS = {kind: schema() for kind, schema in CHANNEL_SCHEMAS.items()}


class AccessChannelSchema(Schema):
    """An access channel of any type. In the spec this is the `oneOf` of the typed schemas."""

    def dump(self, obj: Any, *, many: bool | None = None) -> Any:  # noqa: ANN401 - as Schema.dump
        many = self.many if many is None else many
        if many:
            return [self.dump(item, many=False) for item in obj]
        return _DUMPERS[obj.type].dump(obj)


# The fields each type uses beyond the common ones; the loader rejects the others.
TYPE_FIELDS: dict[str, tuple[str, ...]] = {
    "referral": (),
    "contact": ("contact_by",),
    "visiting_address": ("address",),
    "postal_address": ("address",),
    "phone": ("number",),
    "fax": ("number",),
    "web_page": ("url",),
    "distance_service": (),
}


class AccessChannelInputSchema(RecordInputSchema):
    type = Choice(CHANNEL_TYPES, "Kind of channel.", required=True)
    name = Localized(load_default=None)
    description = Localized(load_default=None)
    contact_by = Choice(CONTACT_BY, "Who may make contact.", allow_none=True, load_default=None)
    address = fields.Nested(AddressSchema, allow_none=True, load_default=None)
    number = fields.String(
        allow_none=True,
        load_default=None,
        validate=Pattern(r"^\+?[0-9 ()-]{5,30}$", error="Not a phone number."),
    )
    url = fields.Nested(LocalizedStringSchema, allow_none=True, load_default=None)
    service_ids = IdList(load_default=list)
    unit_ids = IdList(load_default=list)

    @validates_schema
    def _fields_match_type(self, data: dict[str, Any], **_kwargs: object) -> None:
        kind = data.get("type")
        if kind not in TYPE_FIELDS:
            return
        errors: dict[str, list[str]] = {}
        for name in ("contact_by", "address", "number", "url"):
            used = data.get(name) is not None
            if name in TYPE_FIELDS[kind] and not used:
                errors[name] = [f"Required for a {kind} channel."]
            elif name not in TYPE_FIELDS[kind] and used:
                errors[name] = [f"Not used by a {kind} channel."]
        if kind == "web_page" and data.get("url"):
            for lang, address in data["url"].items():
                if address is not None:
                    try:
                        HttpUrl().deserialize(address)
                    except ValidationError:
                        errors.setdefault("url", []).append(f"{lang}: not a valid http(s) URL.")
        if not data.get("service_ids") and not data.get("unit_ids"):
            errors["service_ids"] = ["A channel must lead to at least one service or unit."]
        if errors:
            raise ValidationError(errors)


class AccessChannelQueryArgsSchema(ListArgsSchema):
    service_id = IdFilter(
        "Only channels leading to this service.", "rehabilitating-work-activities"
    )
    unit_id = IdFilter(
        "Only the ways in to this unit: channels linked to it, and the `referral` and "
        "`contact` channels of the services offered there (the unit's `ways_in`).",
        "pakila-work-centre",
    )
    type = ChoiceFilter(CHANNEL_TYPES, "Only channels of this type.", "referral")


AccessChannelPageSchema = page_of(AccessChannelSchema)
