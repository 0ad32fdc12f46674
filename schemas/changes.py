"""The change feed: every create, update and delete, in commit order."""

from marshmallow import fields, validate

from schemas.common import CURSOR_PATTERN, Enum, Id, OutputSchema, Pattern, Schema

CHANGE_ACTIONS = ("created", "updated", "deleted")


class ChangeSchema(OutputSchema):
    """The latest change of one record after the cursor. `record` is the record as its item
    endpoint returns it now; for a deletion it is null and `deleted_at` is set (a tombstone)."""

    kind = fields.String(
        required=True,
        metadata={"description": "The collection, as in its URL.", "example": "units"},
    )
    id = Id(required=True)
    change = Enum(CHANGE_ACTIONS, "What happened last.", required=True)
    changed_at = fields.DateTime(required=True)
    deleted_at = fields.DateTime(required=True, allow_none=True)
    record = fields.Dict(
        required=True,
        allow_none=True,
        metadata={"description": "The record as its collection publishes it; null if deleted."},
    )


class ChangePageSchema(OutputSchema):
    """One page of the change feed. Keep `cursor` and ask `?since=<cursor>` next time."""

    count = fields.Integer(required=True, metadata={"description": "Changes after `since`."})
    next = fields.String(required=True, allow_none=True, metadata={"format": "uri"})
    previous = fields.String(required=True, allow_none=True, metadata={"format": "uri"})
    cursor = fields.String(
        required=True,
        metadata={"description": "Opaque position after this page, to resume from."},
    )
    retention_days = fields.Integer(
        required=True,
        metadata={"description": "How long the feed keeps changes; older cursors get 410."},
    )
    results = fields.List(fields.Nested(ChangeSchema), required=True)


class ChangeArgsSchema(Schema):
    since = fields.String(
        validate=[
            validate.Length(min=1, max=100),
            Pattern(CURSOR_PATTERN, error="Not a cursor this API issued."),
        ],
        metadata={
            "description": "A `cursor` from an earlier page; absent: from the beginning.",
            "pattern": CURSOR_PATTERN,
        },
    )
    page_size = fields.Integer(
        load_default=100,
        validate=validate.Range(min=1, max=500),
        metadata={"description": "Changes per page (1–500).", "example": 100},
    )
