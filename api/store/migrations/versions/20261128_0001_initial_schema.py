"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# Ids sort bytewise on PostgreSQL as on SQLite (api.store.models.ID); instants are stored in UTC.
ID = sa.String(length=100).with_variant(sa.String(length=100, collation="C"), "postgresql")
INSTANT = sa.DateTime(timezone=True)

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "access_channels",
        sa.Column("type", sa.String(length=50), nullable=False),
        sa.Column("name", sa.JSON(), nullable=True),
        sa.Column("description", sa.JSON(), nullable=True),
        sa.Column("contact_by", sa.String(length=50), nullable=True),
        sa.Column("address", sa.JSON(), nullable=True),
        sa.Column("number", sa.String(length=50), nullable=True),
        sa.Column("url", sa.JSON(), nullable=True),
        sa.Column("id", ID, nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("source_urls", sa.JSON(), nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("modified_at", INSTANT, nullable=False),
        sa.Column("input_hash", sa.String(length=64), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_channels")),
    )
    op.create_index(
        op.f("ix_access_channels_created_at"), "access_channels", ["created_at"], unique=False
    )
    op.create_index(
        op.f("ix_access_channels_modified_at"), "access_channels", ["modified_at"], unique=False
    )
    op.create_index(op.f("ix_access_channels_type"), "access_channels", ["type"], unique=False)

    op.create_table(
        "changes",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=50), nullable=False),
        sa.Column("record_id", ID, nullable=False),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("changed_at", INSTANT, nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_changes")),
    )
    op.create_index(op.f("ix_changes_changed_at"), "changes", ["changed_at"], unique=False)
    op.create_index("ix_changes_kind_record", "changes", ["kind", "record_id"], unique=False)

    op.create_table(
        "organizations",
        sa.Column("parent_id", ID, nullable=True),
        sa.Column("type", sa.String(length=50), nullable=False),
        sa.Column("name", sa.JSON(), nullable=False),
        sa.Column("description", sa.JSON(), nullable=True),
        sa.Column("id", ID, nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("source_urls", sa.JSON(), nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("modified_at", INSTANT, nullable=False),
        sa.Column("input_hash", sa.String(length=64), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["organizations.id"],
            name=op.f("fk_organizations_parent_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organizations")),
    )
    op.create_index(
        op.f("ix_organizations_created_at"), "organizations", ["created_at"], unique=False
    )
    op.create_index(
        op.f("ix_organizations_modified_at"), "organizations", ["modified_at"], unique=False
    )
    op.create_index(
        op.f("ix_organizations_parent_id"), "organizations", ["parent_id"], unique=False
    )
    op.create_index(op.f("ix_organizations_type"), "organizations", ["type"], unique=False)

    op.create_table(
        "status_notices",
        sa.Column("state", sa.String(length=50), nullable=False),
        sa.Column("stated_on", sa.Date(), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("supersedes_id", ID, nullable=True),
        sa.Column("open_to_public", sa.Boolean(), nullable=True),
        sa.Column("open_to_current_clients", sa.Boolean(), nullable=True),
        sa.Column("new_clients_admitted", sa.Boolean(), nullable=True),
        sa.Column("delivery_mode", sa.String(length=30), nullable=True),
        sa.Column("text", sa.JSON(), nullable=False),
        sa.Column("in_force_from", sa.Date(), nullable=True),
        sa.Column("in_force_until", sa.Date(), nullable=True),
        sa.Column("id", ID, nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("source_urls", sa.JSON(), nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("modified_at", INSTANT, nullable=False),
        sa.Column("input_hash", sa.String(length=64), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["supersedes_id"],
            ["status_notices.id"],
            name=op.f("fk_status_notices_supersedes_id_status_notices"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_notices")),
    )
    op.create_index(
        op.f("ix_status_notices_created_at"), "status_notices", ["created_at"], unique=False
    )
    op.create_index(
        op.f("ix_status_notices_in_force_from"), "status_notices", ["in_force_from"], unique=False
    )
    op.create_index(
        op.f("ix_status_notices_in_force_until"), "status_notices", ["in_force_until"], unique=False
    )
    op.create_index(
        op.f("ix_status_notices_modified_at"), "status_notices", ["modified_at"], unique=False
    )
    op.create_index(op.f("ix_status_notices_state"), "status_notices", ["state"], unique=False)
    op.create_index(
        op.f("ix_status_notices_supersedes_id"), "status_notices", ["supersedes_id"], unique=False
    )

    op.create_table(
        "announcements",
        sa.Column("organization_id", ID, nullable=True),
        sa.Column("title", sa.JSON(), nullable=False),
        sa.Column("text", sa.JSON(), nullable=True),
        sa.Column("stated_on", sa.Date(), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("id", ID, nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("source_urls", sa.JSON(), nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("modified_at", INSTANT, nullable=False),
        sa.Column("input_hash", sa.String(length=64), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_announcements_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_announcements")),
    )
    op.create_index(
        op.f("ix_announcements_created_at"), "announcements", ["created_at"], unique=False
    )
    op.create_index(
        op.f("ix_announcements_modified_at"), "announcements", ["modified_at"], unique=False
    )
    op.create_index(
        op.f("ix_announcements_organization_id"), "announcements", ["organization_id"], unique=False
    )

    op.create_table(
        "services",
        sa.Column("organization_id", ID, nullable=False),
        sa.Column("name", sa.JSON(), nullable=False),
        sa.Column("description", sa.JSON(), nullable=True),
        sa.Column("eligibility", sa.JSON(), nullable=True),
        sa.Column("extent", sa.JSON(), nullable=True),
        sa.Column("free_of_charge", sa.Boolean(), nullable=True),
        sa.Column("fees", sa.JSON(), nullable=True),
        sa.Column("id", ID, nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("source_urls", sa.JSON(), nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("modified_at", INSTANT, nullable=False),
        sa.Column("input_hash", sa.String(length=64), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_services_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_services")),
    )
    op.create_index(op.f("ix_services_created_at"), "services", ["created_at"], unique=False)
    op.create_index(op.f("ix_services_modified_at"), "services", ["modified_at"], unique=False)
    op.create_index(
        op.f("ix_services_organization_id"), "services", ["organization_id"], unique=False
    )

    op.create_table(
        "staff_duties",
        sa.Column("organization_id", ID, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.JSON(), nullable=False),
        sa.Column("id", ID, nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("source_urls", sa.JSON(), nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("modified_at", INSTANT, nullable=False),
        sa.Column("input_hash", sa.String(length=64), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_staff_duties_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_duties")),
    )
    op.create_index(
        op.f("ix_staff_duties_created_at"), "staff_duties", ["created_at"], unique=False
    )
    op.create_index(
        op.f("ix_staff_duties_modified_at"), "staff_duties", ["modified_at"], unique=False
    )
    op.create_index(
        op.f("ix_staff_duties_organization_id"), "staff_duties", ["organization_id"], unique=False
    )

    op.create_table(
        "units",
        sa.Column("parent_id", ID, nullable=True),
        sa.Column("organization_id", ID, nullable=False),
        sa.Column("type", sa.String(length=50), nullable=False),
        sa.Column("name", sa.JSON(), nullable=False),
        sa.Column("description", sa.JSON(), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("id", ID, nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("source_urls", sa.JSON(), nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("modified_at", INSTANT, nullable=False),
        sa.Column("input_hash", sa.String(length=64), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_units_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(["parent_id"], ["units.id"], name=op.f("fk_units_parent_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_units")),
    )
    op.create_index(op.f("ix_units_created_at"), "units", ["created_at"], unique=False)
    op.create_index(op.f("ix_units_modified_at"), "units", ["modified_at"], unique=False)
    op.create_index(op.f("ix_units_organization_id"), "units", ["organization_id"], unique=False)
    op.create_index(op.f("ix_units_parent_id"), "units", ["parent_id"], unique=False)
    op.create_index(op.f("ix_units_type"), "units", ["type"], unique=False)

    op.create_table(
        "access_channel_services",
        sa.Column("access_channel_id", ID, nullable=False),
        sa.Column("service_id", ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["access_channel_id"],
            ["access_channels.id"],
            name=op.f("fk_access_channel_services_access_channel_id_access_channels"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
            name=op.f("fk_access_channel_services_service_id_services"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "access_channel_id", "service_id", name=op.f("pk_access_channel_services")
        ),
    )
    op.create_index(
        op.f("ix_access_channel_services_service_id"),
        "access_channel_services",
        ["service_id"],
        unique=False,
    )

    op.create_table(
        "access_channel_units",
        sa.Column("access_channel_id", ID, nullable=False),
        sa.Column("unit_id", ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["access_channel_id"],
            ["access_channels.id"],
            name=op.f("fk_access_channel_units_access_channel_id_access_channels"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["units.id"],
            name=op.f("fk_access_channel_units_unit_id_units"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "access_channel_id", "unit_id", name=op.f("pk_access_channel_units")
        ),
    )
    op.create_index(
        op.f("ix_access_channel_units_unit_id"), "access_channel_units", ["unit_id"], unique=False
    )

    op.create_table(
        "opening_hours",
        sa.Column("unit_id", ID, nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.JSON(), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("spans", sa.JSON(), nullable=False),
        sa.Column("id", ID, nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("source_urls", sa.JSON(), nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("modified_at", INSTANT, nullable=False),
        sa.Column("input_hash", sa.String(length=64), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["units.id"],
            name=op.f("fk_opening_hours_unit_id_units"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opening_hours")),
    )
    op.create_index(
        op.f("ix_opening_hours_created_at"), "opening_hours", ["created_at"], unique=False
    )
    op.create_index(
        op.f("ix_opening_hours_modified_at"), "opening_hours", ["modified_at"], unique=False
    )
    op.create_index(op.f("ix_opening_hours_unit_id"), "opening_hours", ["unit_id"], unique=False)

    op.create_table(
        "staff_duty_services",
        sa.Column("staff_dutie_id", ID, nullable=False),
        sa.Column("service_id", ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
            name=op.f("fk_staff_duty_services_service_id_services"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["staff_dutie_id"],
            ["staff_duties.id"],
            name=op.f("fk_staff_duty_services_staff_dutie_id_staff_duties"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "staff_dutie_id", "service_id", name=op.f("pk_staff_duty_services")
        ),
    )
    op.create_index(
        op.f("ix_staff_duty_services_service_id"),
        "staff_duty_services",
        ["service_id"],
        unique=False,
    )

    op.create_table(
        "status_notice_services",
        sa.Column("status_notice_id", ID, nullable=False),
        sa.Column("service_id", ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
            name=op.f("fk_status_notice_services_service_id_services"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["status_notice_id"],
            ["status_notices.id"],
            name=op.f("fk_status_notice_services_status_notice_id_status_notices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "status_notice_id", "service_id", name=op.f("pk_status_notice_services")
        ),
    )
    op.create_index(
        op.f("ix_status_notice_services_service_id"),
        "status_notice_services",
        ["service_id"],
        unique=False,
    )

    op.create_table(
        "status_notice_targets",
        sa.Column("status_notice_id", ID, nullable=False),
        sa.Column("unit_id", ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["status_notice_id"],
            ["status_notices.id"],
            name=op.f("fk_status_notice_targets_status_notice_id_status_notices"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["units.id"],
            name=op.f("fk_status_notice_targets_unit_id_units"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "status_notice_id", "unit_id", name=op.f("pk_status_notice_targets")
        ),
    )
    op.create_index(
        op.f("ix_status_notice_targets_unit_id"), "status_notice_targets", ["unit_id"], unique=False
    )

    op.create_table(
        "status_notice_units",
        sa.Column("status_notice_id", ID, nullable=False),
        sa.Column("unit_id", ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["status_notice_id"],
            ["status_notices.id"],
            name=op.f("fk_status_notice_units_status_notice_id_status_notices"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["units.id"],
            name=op.f("fk_status_notice_units_unit_id_units"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("status_notice_id", "unit_id", name=op.f("pk_status_notice_units")),
    )
    op.create_index(
        op.f("ix_status_notice_units_unit_id"), "status_notice_units", ["unit_id"], unique=False
    )

    op.create_table(
        "unit_services",
        sa.Column("unit_id", ID, nullable=False),
        sa.Column("service_id", ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
            name=op.f("fk_unit_services_service_id_services"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["units.id"],
            name=op.f("fk_unit_services_unit_id_units"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("unit_id", "service_id", name=op.f("pk_unit_services")),
    )
    op.create_index(
        op.f("ix_unit_services_service_id"), "unit_services", ["service_id"], unique=False
    )

    op.create_table(
        "opening_spans",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("opening_hours_id", ID, nullable=False),
        sa.Column("unit_id", ID, nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("start_minute", sa.Integer(), nullable=False),
        sa.Column("end_minute", sa.Integer(), nullable=False),
        sa.Column("from_previous_day", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["opening_hours_id"],
            ["opening_hours.id"],
            name=op.f("fk_opening_spans_opening_hours_id_opening_hours"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["units.id"],
            name=op.f("fk_opening_spans_unit_id_units"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opening_spans")),
    )
    op.create_index(
        op.f("ix_opening_spans_opening_hours_id"),
        "opening_spans",
        ["opening_hours_id"],
        unique=False,
    )
    op.create_index(op.f("ix_opening_spans_unit_id"), "opening_spans", ["unit_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_opening_spans_unit_id"), table_name="opening_spans")
    op.drop_index(op.f("ix_opening_spans_opening_hours_id"), table_name="opening_spans")

    op.drop_table("opening_spans")
    op.drop_index(op.f("ix_unit_services_service_id"), table_name="unit_services")

    op.drop_table("unit_services")
    op.drop_index(op.f("ix_status_notice_units_unit_id"), table_name="status_notice_units")

    op.drop_table("status_notice_units")
    op.drop_index(op.f("ix_status_notice_targets_unit_id"), table_name="status_notice_targets")

    op.drop_table("status_notice_targets")
    op.drop_index(op.f("ix_status_notice_services_service_id"), table_name="status_notice_services")

    op.drop_table("status_notice_services")
    op.drop_index(op.f("ix_staff_duty_services_service_id"), table_name="staff_duty_services")

    op.drop_table("staff_duty_services")
    op.drop_index(op.f("ix_opening_hours_unit_id"), table_name="opening_hours")
    op.drop_index(op.f("ix_opening_hours_modified_at"), table_name="opening_hours")
    op.drop_index(op.f("ix_opening_hours_created_at"), table_name="opening_hours")

    op.drop_table("opening_hours")
    op.drop_index(op.f("ix_access_channel_units_unit_id"), table_name="access_channel_units")

    op.drop_table("access_channel_units")
    op.drop_index(
        op.f("ix_access_channel_services_service_id"), table_name="access_channel_services"
    )

    op.drop_table("access_channel_services")
    op.drop_index(op.f("ix_units_type"), table_name="units")
    op.drop_index(op.f("ix_units_parent_id"), table_name="units")
    op.drop_index(op.f("ix_units_organization_id"), table_name="units")
    op.drop_index(op.f("ix_units_modified_at"), table_name="units")
    op.drop_index(op.f("ix_units_created_at"), table_name="units")

    op.drop_table("units")
    op.drop_index(op.f("ix_staff_duties_organization_id"), table_name="staff_duties")
    op.drop_index(op.f("ix_staff_duties_modified_at"), table_name="staff_duties")
    op.drop_index(op.f("ix_staff_duties_created_at"), table_name="staff_duties")

    op.drop_table("staff_duties")
    op.drop_index(op.f("ix_services_organization_id"), table_name="services")
    op.drop_index(op.f("ix_services_modified_at"), table_name="services")
    op.drop_index(op.f("ix_services_created_at"), table_name="services")

    op.drop_table("services")
    op.drop_index(op.f("ix_announcements_organization_id"), table_name="announcements")
    op.drop_index(op.f("ix_announcements_modified_at"), table_name="announcements")
    op.drop_index(op.f("ix_announcements_created_at"), table_name="announcements")

    op.drop_table("announcements")
    op.drop_index(op.f("ix_status_notices_supersedes_id"), table_name="status_notices")
    op.drop_index(op.f("ix_status_notices_state"), table_name="status_notices")
    op.drop_index(op.f("ix_status_notices_modified_at"), table_name="status_notices")
    op.drop_index(op.f("ix_status_notices_in_force_until"), table_name="status_notices")
    op.drop_index(op.f("ix_status_notices_in_force_from"), table_name="status_notices")
    op.drop_index(op.f("ix_status_notices_created_at"), table_name="status_notices")

    op.drop_table("status_notices")
    op.drop_index(op.f("ix_organizations_type"), table_name="organizations")
    op.drop_index(op.f("ix_organizations_parent_id"), table_name="organizations")
    op.drop_index(op.f("ix_organizations_modified_at"), table_name="organizations")
    op.drop_index(op.f("ix_organizations_created_at"), table_name="organizations")

    op.drop_table("organizations")
    op.drop_index("ix_changes_kind_record", table_name="changes")
    op.drop_index(op.f("ix_changes_changed_at"), table_name="changes")

    op.drop_table("changes")
    op.drop_index(op.f("ix_access_channels_type"), table_name="access_channels")
    op.drop_index(op.f("ix_access_channels_modified_at"), table_name="access_channels")
    op.drop_index(op.f("ix_access_channels_created_at"), table_name="access_channels")

    op.drop_table("access_channels")
