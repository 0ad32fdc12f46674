"""Versions of a published notice: each dated publication of the whole notice, its statements,
and what changed between two versions."""

from typing import Any

from marshmallow import ValidationError, fields, validates_schema

from schemas.common import (
    DataDay,
    Id,
    IdList,
    InForceBoundsSchema,
    ListArgsSchema,
    Localized,
    OutputSchema,
    RecordInputSchema,
    RecordSchema,
    Schema,
    page_of,
)
from schemas.status_notices import StatusNoticeSchema


class NoticeVersionSchema(RecordSchema):
    """One version of a published notice, as its source published it: the heading and text, the
    day it was published (or the bounds the sources imply where no source dates it), the
    version it replaced, and its statements. A newer version replaces the whole earlier one
    from the day it takes effect."""

    organization_id = Id(
        required=True,
        metadata={
            "description": "Who publishes the notice.",
            "example": "social-rehabilitation-team",
        },
    )
    heading = Localized(required=True, metadata={"description": "The heading, as published."})
    text = Localized(
        required=True,
        metadata={
            "description": "The full text as published, in the languages the sources give; "
            "null where the wording was not recorded (the statements still say what it said)."
        },
    )
    published_on = fields.Date(
        required=True,
        allow_none=True,
        metadata={"description": "The date the source gives the version; null = undated."},
    )
    published_not_before = fields.Date(
        required=True,
        allow_none=True,
        metadata={
            "description": "For an undated version: the earliest day the sources allow, "
            "as recorded with the data (its `notes` say why)."
        },
    )
    published_not_after = fields.Date(
        required=True,
        allow_none=True,
        metadata={
            "description": "For an undated version: the latest day the sources allow, "
            "as recorded with the data (its `notes` say why); null = no bound."
        },
    )
    valid_until = fields.Date(
        required=True,
        allow_none=True,
        metadata={"description": "The last day the version says it is valid; null = not given."},
    )
    replaces_id = Id(
        required=True,
        allow_none=True,
        metadata={"description": "The earlier version it replaced."},
    )
    replaced_by_id = Id(
        required=True,
        allow_none=True,
        metadata={"description": "The later version that replaced it, if any."},
    )
    statement_ids = IdList(
        required=True,
        metadata={"description": "Its statements (`/v1/status-notices/{id}`)."},
    )
    in_force_from = fields.Date(
        required=True,
        allow_none=True,
        metadata={"description": "The day it took effect, where the sources fix it; else null."},
    )
    in_force_until = fields.Date(
        required=True,
        allow_none=True,
        metadata={
            "description": "Its last day in force, where the sources fix it (its `valid_until` "
            "or the day before the next version took effect); else null."
        },
    )
    in_force_bounds = fields.Nested(InForceBoundsSchema, required=True)


class NoticeVersionInputSchema(RecordInputSchema):
    organization_id = Id(required=True)
    heading = Localized(load_default=None)
    text = Localized(load_default=None)
    published_on = DataDay()
    published_not_before = DataDay()
    published_not_after = DataDay()
    valid_until = DataDay()
    replaces_id = Id(allow_none=True, load_default=None)

    @validates_schema
    def _dated_or_bounded(self, data: dict[str, Any], **_kwargs: object) -> None:
        if data.get("published_on") and (
            data.get("published_not_before") or data.get("published_not_after")
        ):
            raise ValidationError(
                "A dated version needs no bounds: give `published_on` or the bounds.",
                "published_not_before",
            )
        earliest, latest = data.get("published_not_before"), data.get("published_not_after")
        if earliest and latest and latest < earliest:
            raise ValidationError(
                "Must not be before `published_not_before`.", "published_not_after"
            )
        if data.get("replaces_id") and data.get("replaces_id") == data.get("id"):
            raise ValidationError("A version cannot replace itself.", "replaces_id")


class NoticeVersionQueryArgsSchema(ListArgsSchema):
    pass


NoticeVersionPageSchema = page_of(NoticeVersionSchema)


class CompareArgsSchema(Schema):
    since_version = Id(
        metadata={
            "description": "The earlier version to compare with; default: the version this one "
            "replaced.",
            "example": "covid-2020-12",
        }
    )


class FieldChangeSchema(OutputSchema):
    """One field of a statement that differs between the two versions."""

    field = fields.String(required=True, metadata={"example": "new_clients_admitted"})
    before = fields.Raw(required=True, allow_none=True, metadata={"example": False})
    after = fields.Raw(required=True, allow_none=True, metadata={"example": True})


class StatementChangeSchema(OutputSchema):
    """A statement of the earlier version and the one of the later version that revises it,
    with every field that differs."""

    before_id = Id(required=True)
    after_id = Id(required=True)
    fields_changed = fields.List(fields.Nested(FieldChangeSchema), required=True)


class VersionComparisonSchema(OutputSchema):
    """What changed from one version of a notice to another: statements added (in the later
    version only), removed (in the earlier only), and changed, field by field (a later
    statement revises an earlier one through `supersedes_id`, over any number of versions)."""

    since_version = Id(
        required=True,
        allow_none=True,
        metadata={"description": "The earlier version; null when compared with nothing."},
    )
    version = Id(required=True, metadata={"description": "The later version."})
    added = fields.List(fields.Nested(StatusNoticeSchema), required=True)
    removed = fields.List(fields.Nested(StatusNoticeSchema), required=True)
    changed = fields.List(fields.Nested(StatementChangeSchema), required=True)
    unchanged_ids = IdList(
        required=True,
        metadata={"description": "Later statements that say what an earlier one said."},
    )
