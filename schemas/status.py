"""Opening statuses and computed hours: the engine's answers (api/status.py) as JSON."""

from marshmallow import ValidationError, fields, validates_schema

from schemas.common import (
    Day,
    Enum,
    Id,
    Instant,
    ItemArgsSchema,
    Localized,
    OutputSchema,
    RefSchema,
)
from schemas.status_notices import DELIVERY_MODES, NOTICE_STATES

STATUS_STATES = (*NOTICE_STATES, "unknown")
MAX_RANGE_DAYS = 366


def _tri_state(what: str) -> fields.Boolean:
    return fields.Boolean(
        required=True,
        allow_none=True,
        metadata={"description": f"Whether {what}: true, false, or null when the data is silent."},
    )


class NoticeInForceSchema(OutputSchema):
    """A status notice in force, with its wording."""

    id = Id(required=True)
    state = Enum(NOTICE_STATES, "What the notice says.", required=True)
    text = Localized(nullable=False, required=True)


class StatusReasonsSchema(OutputSchema):
    """The records that decided a status: notices in force, and the exception or regular hours
    that set the schedule at that instant."""

    notice_ids = fields.List(Id(), required=True)
    exception_ids = fields.List(Id(), required=True)
    regular_hours_ids = fields.List(Id(), required=True)


class UnitStatusSchema(OutputSchema):
    """Whether a unit is open at an instant, for whom, and why. See the precedence rules in the
    operation's description."""

    unit_id = Id(required=True)
    at = fields.DateTime(required=True, metadata={"description": "The instant asked about."})
    state = Enum(
        STATUS_STATES,
        "The resulting state; `unknown` when no hours or notice say anything.",
        required=True,
    )
    open_to_public = _tri_state("a member of the public can visit now")
    open_to_current_clients = _tri_state("current clients are served now")
    new_clients_admitted = _tri_state("new clients are being admitted")
    delivery_mode = Enum(
        DELIVERY_MODES,
        "How services are delivered; null when not said.",
        required=True,
        allow_none=True,
    )
    since = fields.DateTime(
        required=True,
        allow_none=True,
        metadata={"description": "When this status began; null if the data does not say."},
    )
    next_change = fields.DateTime(
        required=True,
        allow_none=True,
        metadata={"description": "The next instant it changes; null if the data does not say."},
    )
    decided_by = fields.Nested(StatusReasonsSchema, required=True)
    notices = fields.List(
        fields.Nested(NoticeInForceSchema),
        required=True,
        metadata={"description": "The notices in force, with their text."},
    )


class UnitStatusEntrySchema(OutputSchema):
    """One unit offering a service, with its status for that service."""

    unit = fields.Nested(RefSchema, required=True)
    status = fields.Nested(UnitStatusSchema, required=True)


class ServiceStatusSchema(OutputSchema):
    """A service's status at every unit offering it."""

    service_id = Id(required=True)
    at = fields.DateTime(required=True)
    new_clients_admitted = fields.Boolean(
        required=True,
        allow_none=True,
        metadata={
            "description": "True if any unit admits new clients, false if every unit says it "
            "does not, null otherwise."
        },
    )
    units = fields.List(fields.Nested(UnitStatusEntrySchema), required=True)


class DailySpanSchema(OutputSchema):
    """Open from `opens` to `closes`, wall-clock in the unit's time zone."""

    opens = fields.Time(format="%H:%M", required=True, metadata={"example": "08:00"})
    closes = fields.Time(format="%H:%M", required=True, metadata={"example": "16:00"})
    closes_next_day = fields.Boolean(
        required=True, metadata={"description": "True when the span runs past midnight."}
    )


class DailyHoursSchema(OutputSchema):
    """One day's computed hours, with its state and the records behind it."""

    date = fields.Date(required=True)
    state = Enum(STATUS_STATES, "The day's state.", required=True)
    new_clients_admitted = fields.Boolean(required=True, allow_none=True)
    spans = fields.List(fields.Nested(DailySpanSchema), required=True)
    notice_ids = fields.List(Id(), required=True)
    exception_ids = fields.List(Id(), required=True)
    regular_hours_ids = fields.List(Id(), required=True)


class UnitDailyHoursSchema(OutputSchema):
    """A unit's computed hours, day by day."""

    unit_id = Id(required=True)
    timezone = fields.String(required=True, metadata={"example": "Europe/Helsinki"})
    start = fields.Date(required=True)
    end = fields.Date(required=True)
    days = fields.List(fields.Nested(DailyHoursSchema), required=True)


class StatusArgsSchema(ItemArgsSchema):
    at = Instant(
        "The instant to answer for (RFC 3339 with offset); default now.",
        "2021-03-15T10:00:00+02:00",
    )


class DateRangeArgsSchema(ItemArgsSchema):
    start = Day(
        "First day (default: six days before `end`, or today in the unit's zone).", "2021-03-15"
    )
    end = Day(
        "Last day, inclusive (default: six days after `start`); at most a year "
        f"({MAX_RANGE_DAYS} days) per call.",
        "2021-03-21",
    )

    @validates_schema
    def _range(self, data, **_kwargs):
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                raise ValidationError("Must not be before start.", "end")
            if (end - start).days >= MAX_RANGE_DAYS:
                raise ValidationError(f"At most {MAX_RANGE_DAYS} days per call.", "end")
