"""indexes for the read queries at scale: units' coordinates (near=, bbox=), opening hours and
spans by unit covering what the status filters read (they replace the plain unit_id indexes)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SPAN_COLUMNS = [
    "unit_id",
    "weekday",
    "start_minute",
    "end_minute",
    "from_previous_day",
    "kind",
    "valid_from",
    "valid_until",
]


def upgrade() -> None:
    op.create_index("ix_units_latitude_longitude", "units", ["latitude", "longitude"])
    op.create_index(
        "ix_opening_hours_unit_id_valid", "opening_hours", ["unit_id", "valid_from", "valid_until"]
    )
    op.drop_index("ix_opening_hours_unit_id", table_name="opening_hours")
    op.create_index("ix_opening_spans_unit_id_weekday", "opening_spans", SPAN_COLUMNS)
    op.drop_index("ix_opening_spans_unit_id", table_name="opening_spans")


def downgrade() -> None:
    op.create_index("ix_opening_spans_unit_id", "opening_spans", ["unit_id"])
    op.drop_index("ix_opening_spans_unit_id_weekday", table_name="opening_spans")
    op.create_index("ix_opening_hours_unit_id", "opening_hours", ["unit_id"])
    op.drop_index("ix_opening_hours_unit_id_valid", table_name="opening_hours")
    op.drop_index("ix_units_latitude_longitude", table_name="units")
