"""Status notices: dated, structured statements such as the COVID-19 notices."""

from typing import Any

from marshmallow import ValidationError, fields, validates_schema

from schemas.common import (
    Choice,
    ChoiceFilter,
    DataDay,
    Enum,
    Format,
    Id,
    IdFilter,
    IdList,
    InForceBoundsSchema,
    Instant,
    ListArgsSchema,
    Localized,
    RecordInputSchema,
    RecordSchema,
    StrictBoolean,
    page_of,
)

NOTICE_STATES = (
    "closed",
    "open",
    "current_clients_only",
    "distance_service",
    "new_clients_admitted",
    "new_clients_not_admitted",
    "activity_not_organised",
)
DELIVERY_MODES = ("on_site", "distance", "partly_distance")


def _tri_state(what: str) -> dict:
    return {"description": f"Whether {what}: true, false, or null where the notice does not say."}


class StatusNoticeSchema(RecordSchema):
    """One dated statement of a notice (such as the COVID-19 notices): what state it declares
    for which units and services, from when until when, and which earlier statement it replaces."""

    state = Enum(NOTICE_STATES, "What the notice says.", required=True)
    stated_on = fields.Date(
        required=True, allow_none=True, metadata={"description": "Date of the source's statement."}
    )
    valid_from = fields.Date(
        required=True,
        allow_none=True,
        metadata={"description": "First day, as the source gives it; null = not given."},
    )
    valid_until = fields.Date(
        required=True,
        allow_none=True,
        metadata={"description": "Last day (inclusive), as the source gives it; null = not given."},
    )
    version_id = Id(
        required=True,
        allow_none=True,
        metadata={
            "description": "The version of the published notice this statement belongs to "
            "(`/v1/notice-versions/{id}`); null for a statement published on its own."
        },
    )
    in_force_from = fields.Date(
        required=True,
        allow_none=True,
        metadata={
            "description": "First day in force, where the sources fix it: `valid_from`, else "
            "the day its version was published. Null where they do not (see "
            "`in_force_bounds`) or where no start is known. Never a guess."
        },
    )
    in_force_until = fields.Date(
        required=True,
        allow_none=True,
        metadata={
            "description": "Last day in force, where the sources fix it: its own `valid_until` "
            "(or one the statement it repeats gave), else its version's, cut short when the "
            "next version took effect. Null where it has no known end or the sources do not "
            "fix it (see `in_force_bounds`)."
        },
    )
    in_force_bounds = fields.Nested(InForceBoundsSchema, required=True)
    trusted_until = fields.Date(
        required=True,
        allow_none=True,
        metadata={
            "description": "For a statement with no end: the last day it is trusted, when a "
            "source last said it plus the knowledge horizon (a year by default). Past it, "
            "what it says is unknown. Null for a statement with an end."
        },
    )
    supersedes_id = Id(
        required=True,
        allow_none=True,
        metadata={
            "description": "The statement of the earlier version (or, for a statement of no "
            "version, the earlier statement) that this one revises."
        },
    )
    superseded_by_ids = fields.List(
        Id(), required=True, metadata={"description": "Later statements that replace this one."}
    )
    unit_ids = IdList(required=True)
    service_ids = IdList(required=True)
    open_to_public = fields.Boolean(
        required=True, allow_none=True, metadata=_tri_state("open to the public")
    )
    open_to_current_clients = fields.Boolean(
        required=True, allow_none=True, metadata=_tri_state("current clients are served")
    )
    new_clients_admitted = fields.Boolean(
        required=True, allow_none=True, metadata=_tri_state("new clients are admitted")
    )
    delivery_mode = Enum(
        DELIVERY_MODES,
        "How the service is delivered; null where not said.",
        required=True,
        allow_none=True,
    )
    text = Localized(
        nullable=False, required=True, metadata={"description": "The notice's wording."}
    )


class StatusNoticeInputSchema(RecordInputSchema):
    state = Choice(NOTICE_STATES, "What the notice says.", required=True)
    stated_on = DataDay()
    valid_from = DataDay()
    valid_until = DataDay()
    version_id = Id(allow_none=True, load_default=None)
    supersedes_id = Id(allow_none=True, load_default=None)
    unit_ids = IdList(load_default=list)
    service_ids = IdList(load_default=list)
    open_to_public = StrictBoolean(allow_none=True, load_default=None)
    open_to_current_clients = StrictBoolean(allow_none=True, load_default=None)
    new_clients_admitted = StrictBoolean(allow_none=True, load_default=None)
    delivery_mode = Choice(DELIVERY_MODES, "Delivery mode.", allow_none=True, load_default=None)
    text = Localized(nullable=False, required=True)

    @validates_schema
    def _consistent(self, data: dict[str, Any], **_kwargs: object) -> None:
        start, end = data.get("valid_from"), data.get("valid_until")
        if start and end and end < start:
            raise ValidationError("Ends before it starts.", "valid_until")
        if not data.get("unit_ids") and not data.get("service_ids"):
            raise ValidationError("A notice must concern at least one unit or service.", "unit_ids")
        if data.get("supersedes_id") and data.get("supersedes_id") == data.get("id"):
            raise ValidationError("A notice cannot supersede itself.", "supersedes_id")
        if (
            data.get("supersedes_id")
            and not data.get("version_id")
            and not (data.get("valid_from") or data.get("stated_on"))
        ):
            raise ValidationError(
                "A statement of no version that supersedes another needs `valid_from` or "
                "`stated_on`: the day it takes over.",
                "valid_from",
            )


class StatusNoticeQueryArgsSchema(ListArgsSchema):
    format = Format("json", "jsonld")
    unit_id = IdFilter("Only notices concerning this unit.", "pakila-shop-and-pick-up-point")
    service_id = IdFilter("Only notices concerning this service.", "rehabilitating-work-activities")
    state = ChoiceFilter(NOTICE_STATES, "Only notices with this state.", "closed")
    version_id = IdFilter("Only the statements of this version.", "covid-2021-02")
    active_at = Instant(
        "Only notices in force at this instant, or possibly so where the sources do not fix "
        "the day a version took effect (see `in_force_bounds`), and not past their "
        "`trusted_until` (RFC 3339 with offset); days are read in Europe/Helsinki.",
        "2021-03-15T10:00:00+02:00",
    )


StatusNoticePageSchema = page_of(StatusNoticeSchema)
