"""Announcements: city-wide notices such as the face-mask recommendation."""

from typing import Any

from marshmallow import ValidationError, fields, validates_schema

from schemas.common import (
    DataDay,
    Id,
    IdFilter,
    Instant,
    Links,
    ListArgsSchema,
    Localized,
    RecordInputSchema,
    RecordSchema,
    page_of,
)


class AnnouncementSchema(RecordSchema):
    """A city-wide announcement shown on the service pages, such as a face-mask recommendation."""

    organization_id = Id(required=True, allow_none=True)
    title = Localized(nullable=False, required=True)
    text = Localized(required=True)
    stated_on = fields.Date(
        required=True, allow_none=True, metadata={"description": "When a source showed it."}
    )
    valid_from = fields.Date(
        required=True, allow_none=True, metadata={"description": "First day; null = not given."}
    )
    valid_until = fields.Date(
        required=True,
        allow_none=True,
        metadata={"description": "Last day (inclusive); null = not given."},
    )
    links = Links(required=True)


class AnnouncementInputSchema(RecordInputSchema):
    organization_id = Id(allow_none=True, load_default=None)
    title = Localized(nullable=False, required=True)
    text = Localized(load_default=None)
    stated_on = DataDay()
    valid_from = DataDay()
    valid_until = DataDay()
    links = Links(load_default=list)

    @validates_schema
    def _period_in_order(self, data: dict[str, Any], **_kwargs: object) -> None:
        start, end = data.get("valid_from"), data.get("valid_until")
        if start and end and end < start:
            raise ValidationError("Ends before it starts.", "valid_until")


class AnnouncementQueryArgsSchema(ListArgsSchema):
    organization_id = IdFilter("Only announcements of this organization.", "city-of-helsinki")
    active_at = Instant(
        "Only announcements active at this instant, by what the sources back (days read in "
        "Europe/Helsinki, inclusive): from `valid_from`, or without one from `stated_on`, up to "
        "`valid_until`, or without one up to `stated_on` (else `valid_from`) plus the server's "
        "knowledge horizon (`KNOWLEDGE_HORIZON_DAYS`, 365 days by default). An announcement "
        "with neither `valid_from` nor `stated_on` is never active: no source says when it was.",
        "2021-03-15T10:00:00+02:00",
    )


AnnouncementPageSchema = page_of(AnnouncementSchema)
