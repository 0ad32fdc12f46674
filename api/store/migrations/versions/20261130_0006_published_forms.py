"""every record's published form stored beside it (`published_form`), for the items and pages
to read instead of building it per request

Filled by the next `flask data load` (which stores every missing form even when the files did
not change) or by the next editor write that touches the record; until then an item or page
builds a missing form as before.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The tables of the collections at this revision.
TABLES = (
    "organizations",
    "services",
    "units",
    "opening_hours",
    "access_channels",
    "notice_versions",
    "status_notices",
    "announcements",
    "staff_duties",
)


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("published_form", sa.Text(), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("published_form")
