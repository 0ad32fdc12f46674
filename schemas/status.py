"""Opening statuses and computed hours: the engine's answers (api/status.py) as JSON."""

from typing import Any

from marshmallow import ValidationError, fields, validates_schema

from schemas.common import (
    LANGUAGES,
    Day,
    Enum,
    Id,
    Instant,
    ItemArgsSchema,
    Localized,
    OutputSchema,
    Pattern,
    RefSchema,
    one_of,
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


CERTAINTIES = ("in_force", "possibly_in_force", "past_horizon")
REASON_CODES = (
    "no_information",
    "no_hours",
    "past_horizon",
    "versions_disagree",
    "cannot_evaluate",
)


class NoticeInForceSchema(OutputSchema):
    """A status notice behind an answer, with its wording, its source and how sure the sources
    are that it was in force then."""

    id = Id(required=True)
    state = Enum(NOTICE_STATES, "What the notice says.", required=True)
    text = Localized(nullable=False, required=True)
    certainty = Enum(
        CERTAINTIES,
        "`in_force`: in force whatever the sources leave open; `possibly_in_force`: in force "
        "only if an undated version had (or had not yet) taken effect; `past_horizon`: no "
        "source new enough says whether it still holds.",
        required=True,
    )
    version_id = Id(required=True, allow_none=True)
    said_on = fields.Date(
        required=True,
        allow_none=True,
        metadata={"description": "When a source last said it, as far as the sources date it."},
    )
    trusted_until = fields.Date(required=True, allow_none=True)
    source_urls = fields.List(fields.String(), required=True)


class ReasonSchema(OutputSchema):
    """Why an answer, or part of it, is unknown."""

    code = Enum(REASON_CODES, "What kind of reason.", required=True)
    detail = fields.String(
        required=True, metadata={"example": "No source newer than 2021-02-26 says whether ..."}
    )


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
        "The resulting state; `unknown` where the sources do not say (see `reasons`).",
        required=True,
    )
    open_to_anyone = fields.Boolean(
        required=True,
        allow_none=True,
        metadata={
            "description": "The badge: true when someone is served at this instant (the hours "
            "say open, and no notice closes the unit), false when it is closed, null when the "
            "sources do not say. A portal shows open / closed / unknown from this one field, "
            "and may show `state` beside it for who is served."
        },
    )
    open_to_public = _tri_state(
        "a member of the public can visit at this instant: false when closed; while the hours "
        "say open, what the notices in force say; else null. Never inferred from hours alone"
    )
    open_to_current_clients = _tri_state(
        "current clients are served at this instant: false when closed; while the hours say "
        "open, what the notices in force say; else null"
    )
    new_clients_admitted = _tri_state(
        "new clients are being admitted (a policy, not a time of day): what the notices in "
        "force say, else null (a closing notice silent on it leaves it null)"
    )
    delivery_mode = Enum(
        DELIVERY_MODES,
        "How services are delivered; null when not said.",
        required=True,
        allow_none=True,
    )
    since = fields.DateTime(
        required=True,
        allow_none=True,
        metadata={
            "description": "When this answer began; null where the answer before it was not "
            "known (or not within a year)."
        },
    )
    next_change = fields.DateTime(
        required=True,
        allow_none=True,
        metadata={
            "description": "The next instant the answer changes, possibly to `unknown` where "
            "the sources run out; null if not within a year."
        },
    )
    decided_by = fields.Nested(StatusReasonsSchema, required=True)
    notices = fields.List(
        fields.Nested(NoticeInForceSchema),
        required=True,
        metadata={
            "description": "The notices behind the answer, with their text, source and "
            "certainty (certain ones are also in `decided_by.notice_ids`)."
        },
    )
    reasons = fields.List(
        fields.Nested(ReasonSchema),
        required=True,
        metadata={"description": "Why the answer, or part of it, is unknown; empty otherwise."},
    )
    newest_information_on = fields.Date(
        required=True,
        allow_none=True,
        metadata={
            "description": "The date of the newest source behind the answer (a notice's or the "
            "hours'); null where none is dated."
        },
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
    state = Enum(
        STATUS_STATES,
        "The day's state: a notice's state holds for the whole day even where no hours are "
        "known (`hours_known: false`, no spans); `unknown` where the sources do not say.",
        required=True,
    )
    new_clients_admitted = fields.Boolean(required=True, allow_none=True)
    hours_known = fields.Boolean(
        required=True, metadata={"description": "Whether opening hours are known for the day."}
    )
    spans = fields.List(fields.Nested(DailySpanSchema), required=True)
    notice_ids = fields.List(Id(), required=True)
    exception_ids = fields.List(Id(), required=True)
    regular_hours_ids = fields.List(Id(), required=True)
    reasons = fields.List(fields.Nested(ReasonSchema), required=True)


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
    def _range(self, data: dict[str, Any], **_kwargs: object) -> None:
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                raise ValidationError("Must not be before start.", "end")
            if (end - start).days >= MAX_RANGE_DAYS:
                raise ValidationError(f"At most {MAX_RANGE_DAYS} days per call.", "end")


# The iCalendar feed's default window: from a week back to about three months ahead.
CALENDAR_DAYS_BEFORE = 7
CALENDAR_DAYS_AFTER = 90
CALENDAR_WINDOW = CALENDAR_DAYS_BEFORE + CALENDAR_DAYS_AFTER
CALENDAR_LANGUAGE = "^(fi|sv|en)$"


class CalendarArgsSchema(DateRangeArgsSchema):
    # One language, not a list: the feed's texts are in one.
    lang = fields.String(  # type: ignore[assignment]
        validate=Pattern(CALENDAR_LANGUAGE, error=one_of(LANGUAGES)),
        metadata={
            "description": "The language of the feed's texts (`fi`, `sv` or `en`; default `en`): "
            "the unit's name, the state and the notices' text. A text the sources do not give "
            "in it is given in the first of English, Finnish and Swedish they do give, marked "
            "with its language, e.g. `(in Finnish)`.",
            "pattern": CALENDAR_LANGUAGE,
            "example": "fi",
        },
    )
    start = Day(
        f"First day (default: {CALENDAR_DAYS_BEFORE} days before today in the unit's zone; "
        f"with only `end`, {CALENDAR_WINDOW} days before `end`).",
        "2021-03-15",
    )
    end = Day(
        f"Last day, inclusive (default: {CALENDAR_DAYS_AFTER} days after today in the unit's "
        f"zone; with only `start`, {CALENDAR_WINDOW} days after `start`); at most a year "
        f"({MAX_RANGE_DAYS} days) per call.",
        "2021-06-30",
    )
