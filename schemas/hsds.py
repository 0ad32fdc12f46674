"""The HSDS 3.1 profile: its query parameters and the shapes of its responses (for the spec).

The response schemas describe the subset of HSDS 3.1 fields this profile emits; the shipped
HSDS JSON Schemas (/work/shared/hsds-3.1/compiled) are the authority and the tests validate
every response against them. Fields we have no value for are left out, never null.
"""

from __future__ import annotations

from typing import Any

from marshmallow import fields, validate

from schemas.common import Instant, OutputSchema, Pattern, Schema, one_of

STATUSES = ("active", "inactive", "defunct", "temporarily closed")


def Uuid(description: str, **kwargs: Any) -> fields.String:  # noqa: N802
    return Text(description, metadata={"format": "uuid"}, **kwargs)


def Text(description: str, **kwargs: Any) -> fields.String:  # noqa: N802
    metadata = {"description": description, **kwargs.pop("metadata", {})}
    return fields.String(metadata=metadata, **kwargs)


def Many(schema: type[Schema] | str, description: str) -> fields.List:  # noqa: N802
    return fields.List(fields.Nested(schema), metadata={"description": description})


# --- Query parameters ------------------------------------------------------------------------


def At() -> fields.AwareDateTime:  # noqa: N802
    return Instant(
        "Extension: the instant at which `status` and `alert` are read (RFC 3339 with offset; "
        "default now). Not part of HSDS.",
        "2021-03-15T10:00:00+02:00",
    )


class HsdsIndexArgsSchema(Schema):
    """The HSDS index takes no parameters."""


class HsdsItemArgsSchema(Schema):
    at = At()


class HsdsPageArgsSchema(Schema):
    search = fields.String(
        validate=validate.Length(max=200),
        metadata={
            "description": "Full text search: a case-insensitive substring of a name or "
            "description, in any language."
        },
    )
    page = fields.Integer(
        load_default=1,
        validate=validate.Range(min=1, max=1_000_000),
        metadata={"description": "Page number of paginated result (from 1).", "example": 1},
    )
    per_page = fields.Integer(
        load_default=50,
        validate=validate.Range(min=1, max=500),
        metadata={
            "description": "Number of results requested in a single page (1–500).",
            "example": 50,
        },
    )
    format = fields.String(
        load_default="json",
        validate=Pattern("^(json|ndjson)$", error=one_of(("json", "ndjson"))),
        metadata={
            "pattern": "^(json|ndjson)$",
            "description": "`json` (default): one Page. `ndjson`: every result, unpaginated, "
            "streamed as `application/x-ndjson` (one JSON object per line; `page` and "
            "`per_page` are ignored).",
        },
    )


class HsdsOrganizationArgsSchema(HsdsPageArgsSchema):
    pass


class HsdsServiceArgsSchema(HsdsPageArgsSchema):
    organization_id = fields.String(
        validate=validate.Length(min=1, max=100),
        metadata={
            "description": "Only those of this organization: its HSDS id (a UUID), or, as an "
            "extension, its id in /v1.",
            "example": "9e362207-c7f4-53a3-8ee9-9b4ca050d7f0",
        },
    )
    modified_after = Instant(
        "Only those modified at or after this instant (RFC 3339 with offset).",
        "2021-01-01T00:00:00+02:00",
    )
    at = At()


class HsdsServiceAtLocationArgsSchema(HsdsServiceArgsSchema):
    pass


# --- Responses -------------------------------------------------------------------------------


class HsdsApiInfoSchema(OutputSchema):
    """Information about this API and its relationship with HSDS."""

    version = Text("HSDS version of this API.", required=True)
    profile = Text(
        "URL of the information on the HSDS profile of this API.",
        required=True,
        metadata={"format": "uri"},
    )
    openapi_url = Text(
        "URL of the OpenAPI document which defines this API.",
        required=True,
        metadata={"format": "uri"},
    )


class HsdsUrlSchema(OutputSchema):
    """An HSDS url: one web page in one language."""

    id = Uuid("Stable UUID.", required=True)
    url = fields.String(required=True, metadata={"format": "uri"})
    label = Text("What the page is, and its language.")
    organization_id = Uuid("The organization it belongs to.")
    service_id = Uuid("The service it belongs to.")


class HsdsLanguageSchema(OutputSchema):
    """An HSDS language (none is emitted: no source says in which languages the services are
    delivered)."""

    id = Uuid("Stable UUID.", required=True)
    name = Text("Name of the language.")
    code = Text("ISO 639 code.")


class HsdsPhoneSchema(OutputSchema):
    """An HSDS phone: a phone or fax number (type from RFC 6350: voice, fax)."""

    id = Uuid("Stable UUID.", required=True)
    location_id = Uuid("The location it belongs to.")
    service_id = Uuid("The service it belongs to.")
    number = Text("As published.", required=True)
    type = Text("RFC 6350 type: `voice` or `fax`.")
    description = Text("Extra information.")
    languages = Many(HsdsLanguageSchema, "Always empty.")


class HsdsAddressSchema(OutputSchema):
    """An HSDS address: a visiting (`physical`) or `postal` address."""

    id = Uuid("Stable UUID.", required=True)
    location_id = Uuid("The location it belongs to.")
    address_1 = Text("Street and number, or the PO box.", required=True)
    address_2 = Text("Floor, entrance or similar.")
    city = Text("Post office locality, as published.", required=True)
    state_province = Text("Always `Uusimaa`.", required=True)
    postal_code = Text("Postal code.", required=True)
    country = Text("ISO 3166-1 code: `FI`.", required=True)
    address_type = fields.String(
        required=True, validate=validate.OneOf(("physical", "postal", "virtual"))
    )


class HsdsScheduleSchema(OutputSchema):
    """An HSDS schedule: weekly hours as RRULE parts (freq, byday) with opens_at/closes_at in
    wall-clock time, bounded by valid_from/valid_to; or a free-text description."""

    id = Uuid("Stable UUID.", required=True)
    service_id = Uuid("The service it belongs to.")
    location_id = Uuid("The location it belongs to.")
    service_at_location_id = Uuid("The service_at_location it belongs to.")
    valid_from = Text("First day valid (YYYY-MM-DD).", metadata={"format": "date"})
    valid_to = Text("Last day valid, inclusive (YYYY-MM-DD).", metadata={"format": "date"})
    freq = fields.String(validate=validate.OneOf(("WEEKLY", "MONTHLY")))
    byday = Text("RRULE BYDAY: comma-separated MO, TU, WE, TH, FR, SA, SU.")
    opens_at = Text("HH:MM, wall-clock time in the unit's time zone (see notes).")
    closes_at = Text("HH:MM; at or before opens_at means past midnight.")
    description = Text("Free text description of the availability.")
    notes = Text("The time zone of the times, and what an exception period means.")


class HsdsAttributeSchema(OutputSchema):
    """An HSDS attribute without a taxonomy term: a staff duty (`link_type` `staff_duty`)."""

    id = Uuid("Stable UUID.", required=True)
    link_id = Uuid("The organization or service it describes.")
    link_entity = Text("`organization` or `service`.")
    link_type = Text("`staff_duty`.")
    label = Text("`Staff duty <n>`, in the source's order.")
    value = Text("The duty, as published.")


class HsdsContactSchema(OutputSchema):
    """An HSDS contact (none is emitted: the sources name no contact persons)."""

    id = Uuid("Stable UUID.", required=True)
    name = Text("Name of the contact.")
    title = Text("Job title of the contact.")


def _status_field() -> fields.String:
    return fields.String(
        validate=validate.OneOf(("active", "temporarily closed")),
        metadata={
            "description": "Extension: `temporarily closed` when a `closed` status notice is "
            "in force at `at`, else `active`."
        },
    )


def _alert_field() -> fields.String:
    return Text("Extension: the texts of the status notices in force at `at`.")


class HsdsLocationSchema(OutputSchema):
    """An HSDS location: one of our service units. `status` and `alert` are extensions."""

    id = Uuid("Stable UUID, uuid5 of the unit's id.", required=True)
    location_type = fields.String(
        required=True, validate=validate.OneOf(("physical", "postal", "virtual"))
    )
    organization_id = Uuid("The organization running the unit.")
    name = Text("Name (first of en, sv, fi a source gives).")
    alternate_name = Text("The names in the other languages, tagged `fi: ...; sv: ...`.")
    description = Text("Description.")
    latitude = fields.Float()
    longitude = fields.Float()
    external_identifier = Text("The unit's id in this API's /v1.")
    external_identifier_type = Text("`social-services-api unit id`.")
    status = _status_field()
    alert = _alert_field()
    languages = Many(HsdsLanguageSchema, "Always empty.")
    addresses = Many(HsdsAddressSchema, "Visiting and postal addresses.")
    contacts = Many(HsdsContactSchema, "Always empty.")
    accessibility = fields.List(fields.Dict(), metadata={"description": "Always empty."})
    phones = Many(HsdsPhoneSchema, "Phone and fax numbers.")
    schedules = Many(HsdsScheduleSchema, "Opening hours.")
    attributes = Many(HsdsAttributeSchema, "Always empty.")
    metadata = fields.List(fields.Dict(), metadata={"description": "Always empty."})


class HsdsOrganizationSchema(OutputSchema):
    """An HSDS organization: the city, its division or a team. Lists give the one-to-one fields;
    an item adds the arrays."""

    id = Uuid("Stable UUID, uuid5 of the organization's id.", required=True)
    name = Text("Name (first of en, sv, fi a source gives).", required=True)
    alternate_name = Text("The names in the other languages, tagged `fi: ...; sv: ...`.")
    description = Text("Description; an empty string where no source gives one.", required=True)
    parent_organization_id = Uuid("The parent organization.")
    additional_websites = Many(HsdsUrlSchema, "Web pages of the organization's units.")
    funding = fields.List(fields.Dict(), metadata={"description": "Always empty."})
    contacts = Many(HsdsContactSchema, "Always empty.")
    phones = Many(HsdsPhoneSchema, "Always empty (phones belong to locations).")
    locations = Many(HsdsLocationSchema, "The organization's service units.")
    programs = fields.List(fields.Dict(), metadata={"description": "Always empty."})
    organization_identifiers = fields.List(fields.Dict(), metadata={"description": "Always empty."})
    attributes = Many(HsdsAttributeSchema, "The staff's duties.")
    metadata = fields.List(fields.Dict(), metadata={"description": "Always empty."})
    services = fields.List(
        fields.Nested(lambda: HsdsServiceSchema()),
        metadata={"description": "The organization's services (one-to-one fields)."},
    )


class HsdsServiceSchema(OutputSchema):
    """An HSDS service. Lists give the one-to-one fields and the organization; an item is fully
    nested."""

    id = Uuid("Stable UUID, uuid5 of the service's id.", required=True)
    organization_id = Uuid("The organization providing it.")
    name = Text("Name (first of en, sv, fi a source gives).", required=True)
    alternate_name = Text("The names in the other languages, tagged `fi: ...; sv: ...`.")
    description = Text("Description.")
    url = fields.String(metadata={"format": "uri", "description": "Its web page."})
    status = fields.String(
        required=True,
        validate=validate.OneOf(STATUSES),
        metadata={
            "description": "`temporarily closed` when, at `at`, a `closed` status notice closes "
            "it at every unit offering it; else `active` (see docs/hsds.md)."
        },
    )
    application_process = Text("The access routes: who refers, who may make contact.")
    fees_description = Text("What it costs.")
    eligibility_description = Text("Who it is for.")
    alert = Text("The texts of the status notices in force at `at` that concern it.")
    last_modified = fields.String(metadata={"format": "date-time"})
    organization = fields.Nested(HsdsOrganizationSchema)
    additional_urls = Many(HsdsUrlSchema, "Its web pages in other languages.")
    phones = Many(HsdsPhoneSchema, "Phone and fax numbers that name the service.")
    schedules = Many(HsdsScheduleSchema, "Its extent (how long and how often it runs).")
    service_areas = fields.List(fields.Dict(), metadata={"description": "Always empty."})
    service_at_locations = fields.List(
        fields.Nested(lambda: HsdsServiceAtLocationSchema()),
        metadata={"description": "Where it is offered, with hours."},
    )
    languages = Many(HsdsLanguageSchema, "Always empty.")
    funding = fields.List(fields.Dict(), metadata={"description": "Always empty."})
    cost_options = fields.List(fields.Dict(), metadata={"description": "Always empty."})
    required_documents = fields.List(fields.Dict(), metadata={"description": "Always empty."})
    contacts = Many(HsdsContactSchema, "Always empty.")
    capacities = fields.List(fields.Dict(), metadata={"description": "Always empty."})
    attributes = Many(HsdsAttributeSchema, "The staff duties that name it.")
    metadata = fields.List(fields.Dict(), metadata={"description": "Always empty."})


class HsdsServiceAtLocationSchema(OutputSchema):
    """An HSDS service_at_location: a service at one of the units offering it. `status` and
    `alert` are extensions."""

    id = Uuid("Stable UUID, uuid5 of `<unit id>/<service id>`.", required=True)
    service_id = Uuid("The service.")
    location_id = Uuid("The location.")
    description = Text("How the service is delivered here (distance service).")
    status = _status_field()
    alert = _alert_field()
    service_areas = fields.List(fields.Dict(), metadata={"description": "Always empty."})
    contacts = Many(HsdsContactSchema, "Always empty.")
    phones = Many(HsdsPhoneSchema, "Always empty (phones belong to the location).")
    schedules = Many(HsdsScheduleSchema, "The unit's opening hours.")
    location = fields.Nested(HsdsLocationSchema)
    attributes = Many(HsdsAttributeSchema, "Always empty.")
    metadata = fields.List(fields.Dict(), metadata={"description": "Always empty."})
    service = fields.Nested(HsdsServiceSchema)


class HsdsPageSchema(OutputSchema):
    """HSDS's Page envelope."""

    total_items = fields.Integer(
        required=True, metadata={"description": "The total number of entities."}
    )
    total_pages = fields.Integer(required=True, metadata={"description": "Count of pages."})
    page_number = fields.Integer(
        required=True, metadata={"description": "The number of this page, from 1."}
    )
    size = fields.Integer(
        required=True, metadata={"description": "The number of entities on this page."}
    )
    first_page = fields.Boolean(required=True, metadata={"description": "This is page 1."})
    last_page = fields.Boolean(required=True, metadata={"description": "No page follows this one."})
    empty = fields.Boolean(required=True, metadata={"description": "This page has no entities."})


class HsdsServicePageSchema(HsdsPageSchema):
    """A page of HSDS services (one-to-one fields)."""

    contents = fields.List(fields.Nested(HsdsServiceSchema), required=True)


class HsdsOrganizationPageSchema(HsdsPageSchema):
    """A page of HSDS organizations (one-to-one fields)."""

    contents = fields.List(fields.Nested(HsdsOrganizationSchema), required=True)


class HsdsServiceAtLocationPageSchema(HsdsPageSchema):
    """A page of HSDS service_at_locations, each with its location and service."""

    contents = fields.List(fields.Nested(HsdsServiceAtLocationSchema), required=True)


# The body of `format=ndjson`, as a named component.
NDJSON_COMPONENT = "HsdsNdjsonStream"
NDJSON_SCHEMA = {
    "type": "string",
    "description": "Newline-delimited JSON (application/x-ndjson): every result, unpaginated, "
    "one JSON object per line, each shaped like an item of `contents` in the JSON page.",
}
