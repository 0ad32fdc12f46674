"""A record's history: its versions, with what each changed, and who changed it."""

from marshmallow import fields

from schemas.common import Enum, OutputSchema, PageArgsSchema, page_of

VERSION_ACTIONS = ("create", "update", "delete")


class DiffEntrySchema(OutputSchema):
    """One value an update changed: where (a JSON pointer into the record), before and after."""

    op = Enum(("add", "remove", "replace"), "What happened to the value.", required=True)
    path = fields.String(required=True, metadata={"example": "/name/en"})
    before = fields.Raw(required=True, allow_none=True, metadata={"example": "Old name"})
    after = fields.Raw(required=True, allow_none=True, metadata={"example": "New name"})


class RecordVersionSchema(OutputSchema):
    """One version of a record, oldest first. A record also gets a new version when something
    it embeds changes (a unit, when one of its access channels does)."""

    version = fields.Integer(required=True, metadata={"example": 2})
    action = Enum(VERSION_ACTIONS, "How this version came about.", required=True)
    recorded_at = fields.AwareDateTime(required=True, metadata={"description": "When."})
    batch = fields.String(
        required=True,
        metadata={"description": "Shared by every version one request or one reload made."},
    )
    changed_by = fields.String(
        required=True,
        allow_none=True,
        metadata={
            "description": "The token's name, or `data loader`. Shown to admin tokens only; "
            "null for everyone else."
        },
    )
    remote_addr = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "The address the change came from; admin tokens only."},
    )
    diff = fields.List(
        fields.Nested(DiffEntrySchema),
        required=True,
        metadata={"description": "What an update changed; empty for a create or a delete."},
    )
    data = fields.Dict(
        required=True,
        metadata={
            "description": "The record as published from this version on (for a delete: as it "
            "was last published)."
        },
    )


RecordVersionPageSchema = page_of(RecordVersionSchema)


class HistoryArgsSchema(PageArgsSchema):
    """A history's pager."""
