"""Weekly opening hours of a unit over a validity period."""

from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from schemas.common import (
    Choice,
    ChoiceFilter,
    DataDay,
    Enum,
    Id,
    IdFilter,
    ListArgsSchema,
    Localized,
    Pattern,
    RecordInputSchema,
    RecordSchema,
    Schema,
    page_of,
)

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
HOURS_KINDS = ("regular", "exception")
_TIME = Pattern(r"^([01]\d|2[0-3]):[0-5]\d$", error="Use HH:MM (00:00–23:59).")
MAX_SPANS = 100


class OpeningSpanSchema(Schema):
    """Open from `opens` to `closes` (wall-clock, unit's time zone) on each of `weekdays`.
    A `closes` at or before `opens` runs past midnight into the next day."""

    weekdays = fields.List(
        fields.String(validate=validate.OneOf(WEEKDAYS)),
        required=True,
        validate=validate.Length(min=1, max=len(WEEKDAYS)),
        metadata={"example": ["monday", "tuesday", "wednesday", "thursday", "friday"]},
    )
    opens = fields.String(required=True, validate=_TIME, metadata={"example": "08:00"})
    closes = fields.String(required=True, validate=_TIME, metadata={"example": "16:00"})


class OpeningHoursSchema(RecordSchema):
    """Weekly hours valid over a period. A weekday no span covers is closed while it is valid.
    `exception` periods (holidays, summer closures) override `regular` ones."""

    unit_id = Id(required=True)
    kind = Enum(
        HOURS_KINDS, "Regular weekly hours or an overriding exception period.", required=True
    )
    name = Localized(required=True)
    valid_from = fields.Date(
        required=True, allow_none=True, metadata={"description": "First day; null = not given."}
    )
    valid_until = fields.Date(
        required=True,
        allow_none=True,
        metadata={"description": "Last day, inclusive; null = not given."},
    )
    spans = fields.List(fields.Nested(OpeningSpanSchema), required=True)
    verified_on = fields.Date(
        required=True,
        allow_none=True,
        metadata={"description": "When a source last gave these hours; null = not dated."},
    )
    trusted_until = fields.Date(
        required=True,
        allow_none=True,
        metadata={
            "description": "For hours with no end: the last day they are trusted, "
            "`verified_on` plus the knowledge horizon (a year by default); past it, a unit's "
            "hours are unknown. Null for hours with an end (trusted to it)."
        },
    )


class OpeningHoursInputSchema(RecordInputSchema):
    unit_id = Id(required=True)
    kind = Choice(
        HOURS_KINDS, "Regular weekly hours or an overriding exception period.", required=True
    )
    name = Localized(load_default=None)
    valid_from = DataDay()
    valid_until = DataDay()
    spans = fields.List(
        fields.Nested(OpeningSpanSchema),
        load_default=list,
        validate=validate.Length(max=MAX_SPANS),
    )
    verified_on = DataDay()

    @validates_schema
    def _period_in_order(self, data: dict[str, Any], **_kwargs: object) -> None:
        start, end = data.get("valid_from"), data.get("valid_until")
        if start and end and end < start:
            raise ValidationError("Ends before it starts.", "valid_until")


class OpeningHoursQueryArgsSchema(ListArgsSchema):
    unit_id = IdFilter("Only the hours of this unit.", "pakila-work-centre")
    kind = ChoiceFilter(HOURS_KINDS, "Only hours of this kind.", "regular")


OpeningHoursPageSchema = page_of(OpeningHoursSchema)
