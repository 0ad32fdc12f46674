"""Service units: locations and sub-locations, their services, ways in and opening hours."""

import re
from collections.abc import Mapping
from functools import cache
from typing import Any
from zoneinfo import available_timezones

from marshmallow import ValidationError, fields, validate, validates_schema

from schemas.access_channels import AccessChannelSchema
from schemas.common import (
    AddressSchema,
    Choice,
    ChoiceFilter,
    Enum,
    Format,
    Id,
    IdFilter,
    IdList,
    Instant,
    Instants,
    ItemArgsSchema,
    ListArgsSchema,
    Localized,
    LocalizedStringSchema,
    RecordInputSchema,
    RecordSchema,
    RefSchema,
    SearchText,
    StrictFloat,
    page_of,
)
from schemas.opening_hours import OpeningHoursSchema
from schemas.status import STATUS_STATES, UnitStatusSchema

UNIT_TYPES = (
    "office",
    "work_centre",
    "work_activity_team",
    "workshop",
    "workshop_site",
    "shop",
    "pop_up_shop",
)


class ServiceRefSchema(RefSchema):
    """A service named by id and name, embedded in other records."""


class UnitSchema(RecordSchema):
    """A service unit: a location or sub-location where services are offered, with the services
    offered there, every way in, and its regular opening hours."""

    parent_id = Id(
        required=True,
        allow_none=True,
        metadata={"description": "The unit this is part of, or null."},
    )
    organization_id = Id(required=True)
    type = Enum(UNIT_TYPES, "Kind of unit.", required=True)
    name = Localized(nullable=False, required=True)
    description = Localized(required=True)
    latitude = fields.Float(
        required=True, allow_none=True, metadata={"description": "WGS 84; null where unknown."}
    )
    longitude = fields.Float(
        required=True, allow_none=True, metadata={"description": "WGS 84; null where unknown."}
    )
    timezone = fields.String(
        required=True,
        metadata={
            "description": "IANA zone of the unit's wall-clock hours.",
            "example": "Europe/Helsinki",
        },
    )
    service_ids = IdList(required=True)
    services = fields.List(fields.Nested(ServiceRefSchema), required=True)
    visiting_address = fields.Nested(
        AddressSchema,
        required=True,
        allow_none=True,
        metadata={"description": "From the unit's first `visiting_address` channel, or null."},
    )
    postal_address = fields.Nested(
        AddressSchema,
        required=True,
        allow_none=True,
        metadata={"description": "From the unit's first `postal_address` channel, or null."},
    )
    phone = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "From the unit's first `phone` channel, or null."},
    )
    fax = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "From the unit's first `fax` channel, or null."},
    )
    web_page = fields.Nested(
        LocalizedStringSchema,
        required=True,
        allow_none=True,
        metadata={"description": "From the unit's first `web_page` channel, or null."},
    )
    access_channels = fields.List(
        fields.Nested(AccessChannelSchema),
        required=True,
        metadata={"description": "The unit's own channels: those linked to the unit."},
    )
    ways_in = fields.List(
        fields.Nested(AccessChannelSchema),
        required=True,
        metadata={
            "description": "How a person gets in: the `referral` and `contact` channels of the "
            "services offered here, each once, ordered by id. A referral channel's `name` says "
            "who refers a client, a contact channel's `name` and `contact_by` who may make "
            "contact; `service_ids` say which services each leads to. The unit's own channels "
            "are in `access_channels`."
        },
    )
    opening_hours = fields.List(fields.Nested(OpeningHoursSchema), required=True)
    distance_m = fields.Integer(
        allow_none=True,
        metadata={
            "description": "Only in lists with `near`: metres from that point to the unit, "
            "rounded to whole metres.",
            "example": 850,
        },
    )
    statuses = fields.List(
        fields.Nested(UnitStatusSchema),
        metadata={
            "description": "Only in lists with `include=status`: the unit's status at each "
            "instant of `at` (default now), in that order, exactly as "
            "`/v1/units/{unit_id}/status` answers it."
        },
    )


@cache
def known_timezones() -> frozenset[str]:
    """The IANA zone names this platform's time zone database has (read once)."""
    return frozenset(available_timezones())


def _known_timezone(value: str) -> None:
    if value not in known_timezones():
        raise ValidationError("Not an IANA time zone name, such as Europe/Helsinki.")


class UnitInputSchema(RecordInputSchema):
    parent_id = Id(allow_none=True, load_default=None)
    organization_id = Id(required=True)
    type = Choice(UNIT_TYPES, "Kind of unit.", required=True)
    name = Localized(nullable=False, required=True)
    description = Localized(load_default=None)
    service_ids = IdList(load_default=list)
    latitude = StrictFloat(allow_none=True, load_default=None, validate=validate.Range(-90, 90))
    longitude = StrictFloat(allow_none=True, load_default=None, validate=validate.Range(-180, 180))
    timezone = fields.String(
        load_default="Europe/Helsinki",
        validate=_known_timezone,
        metadata={
            "description": "IANA time zone of the unit's wall-clock hours.",
            "example": "Europe/Helsinki",
            "maxLength": 64,
        },
    )


class UnitItemArgsSchema(ItemArgsSchema):
    """Item parameters of a unit, which also has GeoJSON and JSON-LD forms."""

    format = Format("json", "geojson", "jsonld")


# Decimal degrees in range, as patterns so the spec says which values are valid.
LATITUDE = r"-?(?:90(?:\.0+)?|[0-8]?[0-9](?:\.[0-9]+)?)"
LONGITUDE = r"-?(?:180(?:\.0+)?|(?:1[0-7][0-9]|[0-9]?[0-9])(?:\.[0-9]+)?)"
MAX_RADIUS_M = 100_000


MAX_DEGREES = 20  # characters of one coordinate, its comma included: micrometre precision


class Coordinates(fields.String):
    """A query-string list of decimal degrees matching `pattern`, read as a tuple of floats."""

    def __init__(self, parts: tuple[str, ...], **kwargs: Any) -> None:
        self.pattern = "^" + ",".join(parts) + "$"
        self.max_length = MAX_DEGREES * len(parts)
        metadata = {
            "pattern": self.pattern,
            "maxLength": self.max_length,
            **kwargs.pop("metadata", {}),
        }
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(  # type: ignore[override]  # a String in the spec, read as numbers
        self, value: object, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> tuple[float, ...]:
        text = super()._deserialize(value, attr, data, **kwargs)
        if len(text) > self.max_length:
            raise ValidationError(f"At most {self.max_length} characters.")
        if not re.fullmatch(self.pattern, text):
            raise ValidationError(f"Expected decimal degrees: {self.pattern}")
        return tuple(float(part) for part in text.split(","))


class UnitQueryArgsSchema(ListArgsSchema):
    format = Format("json", "geojson", "jsonld")
    service_id = IdFilter("Only units offering this service.", "rehabilitating-work-activities")
    organization_id = IdFilter("Only units of this organization.", "social-rehabilitation-team")
    parent_id = IdFilter("Only sub-units of this unit.", "uusix-workshops")
    type = ChoiceFilter(UNIT_TYPES, "Only units of this type.", "shop")
    open_at = Instant(
        "Only units open to the public at this instant (the status engine's `open_to_public` "
        "is true).",
        "2021-11-15T12:00:00+02:00",
    )
    state = ChoiceFilter(
        STATUS_STATES,
        "Only units whose status at `at` (its first instant) has this state.",
        "closed",
    )
    at = Instants(
        metadata={
            "description": "The instants of the statuses `include=status` adds, up to 10, "
            "comma-separated (RFC 3339 with offset; default now); `state` is read at the first.",
            "example": ["2021-03-15T10:00:00+02:00"],
        }
    )
    include = ChoiceFilter(
        ("status",),
        "`status`: each unit carries `statuses`, its status at each instant of `at`, by the "
        "same rules and with the same answer as its `/status`.",
        "status",
    )
    q = SearchText("units", "uusix")
    near = Coordinates(
        (LATITUDE, LONGITUDE),
        metadata={
            "description": "`<latitude>,<longitude>` (WGS 84 decimal degrees): only units within "
            "`radius` metres of this point, nearest first, each with its `distance_m`. Needs "
            "`radius`. Units without coordinates never match.",
            "example": "60.2,24.97",
        },
    )
    radius = fields.Integer(
        validate=validate.Range(min=1, max=MAX_RADIUS_M),
        metadata={
            "description": f"Metres from `near` (1–{MAX_RADIUS_M}); only with `near`.",
            "example": 2000,
        },
    )
    bbox = Coordinates(
        (LONGITUDE, LATITUDE, LONGITUDE, LATITUDE),
        metadata={
            "description": "`<west>,<south>,<east>,<north>` (WGS 84 decimal degrees, west < "
            "east, south < north): only units inside this box, edges included. Units without "
            "coordinates never match.",
            "example": "24.9,60.15,25.1,60.25",
        },
    )

    @validates_schema
    def _geo_parameters_are_consistent(self, data: dict[str, Any], **_kwargs: object) -> None:
        if ("near" in data) != ("radius" in data):
            missing = "radius" if "near" in data else "near"
            raise ValidationError("`near` and `radius` go together.", missing)
        if "bbox" in data:
            west, south, east, north = data["bbox"]
            if not (west < east and south < north):
                raise ValidationError("Needs west < east and south < north.", "bbox")


UnitPageSchema = page_of(UnitSchema)
