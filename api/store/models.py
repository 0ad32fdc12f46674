"""Typed SQLAlchemy 2 models of the dataset. Portable: SQLite by default, PostgreSQL in production.

Text meant for people is stored as a LocalizedString, a JSON object {"fi", "sv", "en"}.
Every record has a stable `id` from `data/`, `created_at`, `modified_at`, `source_urls` and the
hashes the loader uses to tell whether a reloaded record, or its published form, really changed.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.store.db import Base, UTCDateTime

LocalizedText = dict[str, str | None]

# Ids sort bytewise on every database (PostgreSQL would otherwise use the locale's collation),
# so pages, dumps and the change feed come in the same order everywhere.
ID = String(100).with_variant(String(100, collation="C"), "postgresql")


class Record(Base):
    """Columns every published record has (abstract: no table of its own; a base rather than a
    mixin so that a collection's model is typed as a mapped class)."""

    __abstract__ = True

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    notes: Mapped[str | None] = mapped_column(Text)
    source_urls: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    modified_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # The loader's change detection: of the record as given, and of the record as published
    # (which includes what it embeds, so a renamed service touches the units offering it).
    input_hash: Mapped[str] = mapped_column(String(64))
    content_hash: Mapped[str | None] = mapped_column(String(64))
    # The record as published (all languages), as JSON text: stored whenever its published form
    # changes (api.store.loader.stamp_representations), read by the items and pages. Null only
    # until it is first stamped. Deferred: a record loaded for anything else does not carry it.
    published_form: Mapped[str | None] = mapped_column(Text, deferred=True)


def _link_table(name: str, left: str, right: str) -> Table:
    return Table(
        name,
        Base.metadata,
        Column(f"{left[:-1]}_id", ForeignKey(f"{left}.id", ondelete="CASCADE"), primary_key=True),
        # Looked up from both sides: the primary key serves the left, this index the right.
        Column(
            f"{right[:-1]}_id",
            ForeignKey(f"{right}.id", ondelete="CASCADE"),
            primary_key=True,
            index=True,
        ),
    )


# The channel types that tell a person how to get in to a service: who refers, who may contact.
WAYS_IN_TYPES = ("referral", "contact")

unit_services = _link_table("unit_services", "units", "services")
channel_services = _link_table("access_channel_services", "access_channels", "services")
channel_units = _link_table("access_channel_units", "access_channels", "units")
notice_services = _link_table("status_notice_services", "status_notices", "services")
notice_units = _link_table("status_notice_units", "status_notices", "units")
duty_services = _link_table("staff_duty_services", "staff_duties", "services")

# Derived (api.store.derived) from the notices' units and services, the
# unit tree and the services units offer: every unit a notice applies to (api.domain.status rule 1).
notice_targets = Table(
    "status_notice_targets",
    Base.metadata,
    Column(
        "status_notice_id",
        ForeignKey("status_notices.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("unit_id", ForeignKey("units.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Change(Base):
    """One create, update or delete of a published record, in commit order. The change feed
    reads it; its highest `seq` is the data version that ETags are made from; a `delete` row is
    the tombstone that makes a deleted item answer 410 Gone."""

    __tablename__ = "changes"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(50))
    record_id: Mapped[str] = mapped_column(ID)
    action: Mapped[str] = mapped_column(String(10))  # create, update, delete
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)

    __table_args__ = (Index("ix_changes_kind_record", "kind", "record_id"),)


class Organization(Record, Base):
    __tablename__ = "organizations"

    parent_id: Mapped[str | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    type: Mapped[str] = mapped_column(String(50), index=True)
    name: Mapped[LocalizedText] = mapped_column(JSON)
    description: Mapped[LocalizedText | None] = mapped_column(JSON)
    # [{"text": LocalizedText, "url": str | None}], as the sources show them.
    links: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


class Service(Record, Base):
    __tablename__ = "services"

    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    name: Mapped[LocalizedText] = mapped_column(JSON)
    description: Mapped[LocalizedText | None] = mapped_column(JSON)
    eligibility: Mapped[LocalizedText | None] = mapped_column(JSON)
    extent: Mapped[LocalizedText | None] = mapped_column(JSON)
    free_of_charge: Mapped[bool | None] = mapped_column(Boolean)
    fees: Mapped[LocalizedText | None] = mapped_column(JSON)

    units: Mapped[list[Unit]] = relationship(
        secondary=unit_services, back_populates="services", order_by="Unit.id"
    )
    access_channels: Mapped[list[AccessChannel]] = relationship(
        secondary=channel_services, back_populates="services", order_by="AccessChannel.id"
    )

    @property
    def unit_ids(self) -> list[str]:
        return [unit.id for unit in self.units]


class Unit(Record, Base):
    __tablename__ = "units"

    parent_id: Mapped[str | None] = mapped_column(ForeignKey("units.id"), index=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    type: Mapped[str] = mapped_column(String(50), index=True)
    name: Mapped[LocalizedText] = mapped_column(JSON)
    description: Mapped[LocalizedText | None] = mapped_column(JSON)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    timezone: Mapped[str] = mapped_column(String(64))

    # `near=` and `bbox=` first keep a box of latitudes and longitudes (api.store.queries).
    __table_args__ = (Index("ix_units_latitude_longitude", "latitude", "longitude"),)

    services: Mapped[list[Service]] = relationship(
        secondary=unit_services, back_populates="units", order_by="Service.id"
    )
    access_channels: Mapped[list[AccessChannel]] = relationship(
        secondary=channel_units, back_populates="units", order_by="AccessChannel.id"
    )
    opening_hours: Mapped[list[OpeningHours]] = relationship(
        back_populates="unit", order_by="OpeningHours.id", cascade="all, delete-orphan"
    )

    @property
    def service_ids(self) -> list[str]:
        return [service.id for service in self.services]

    @property
    def ways_in(self) -> list[AccessChannel]:
        """How a person gets in: the referral and contact channels of the services offered
        here, each once, by id."""
        found = {
            channel.id: channel
            for service in self.services
            for channel in service.access_channels
            if channel.type in WAYS_IN_TYPES
        }
        return [found[key] for key in sorted(found)]

    def _first_channel(self, channel_type: str) -> AccessChannel | None:
        return next((c for c in self.access_channels if c.type == channel_type), None)

    # Convenience views of the unit's own access channels, for portals that want flat fields.
    @property
    def visiting_address(self) -> dict[str, Any] | None:
        channel = self._first_channel("visiting_address")
        return channel.address if channel else None

    @property
    def postal_address(self) -> dict[str, Any] | None:
        channel = self._first_channel("postal_address")
        return channel.address if channel else None

    @property
    def phone(self) -> str | None:
        channel = self._first_channel("phone")
        return channel.number if channel else None

    @property
    def fax(self) -> str | None:
        channel = self._first_channel("fax")
        return channel.number if channel else None

    @property
    def web_page(self) -> LocalizedText | None:
        channel = self._first_channel("web_page")
        return channel.url if channel else None


class OpeningHours(Record, Base):
    """A unit's weekly hours over a validity period: `regular` hours, or an `exception` period
    (a holiday or a summer closure) that overrides them. `spans` is a list of
    {"weekdays": [...], "opens": "HH:MM", "closes": "HH:MM"}; a weekday no span covers is closed."""

    __tablename__ = "opening_hours"
    # A unit's hours valid on a day, found from the index alone.
    __table_args__ = (
        Index("ix_opening_hours_unit_id_valid", "unit_id", "valid_from", "valid_until"),
    )

    unit_id: Mapped[str] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[LocalizedText | None] = mapped_column(JSON)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    spans: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # When a source last gave these hours; derived from it (api.domain.notices): the last day
    # they are trusted when they have no end (null: trusted while valid).
    verified_on: Mapped[date | None] = mapped_column(Date)
    trusted_until: Mapped[date | None] = mapped_column(Date)

    unit: Mapped[Unit] = relationship(back_populates="opening_hours")


class OpeningSpan(Base):
    """One weekday's part of a span of an OpeningHours record, in minutes of the local day,
    derived by the loader so that "open at an instant" is a SQL condition. A span running past
    midnight becomes two rows; the second has `from_previous_day` and belongs to the next
    weekday, valid when the record was valid the day before."""

    __tablename__ = "opening_spans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    opening_hours_id: Mapped[str] = mapped_column(
        ForeignKey("opening_hours.id", ondelete="CASCADE"), index=True
    )
    unit_id: Mapped[str] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    trusted_until: Mapped[date | None] = mapped_column(Date)
    weekday: Mapped[int] = mapped_column(Integer)
    start_minute: Mapped[int] = mapped_column(Integer)
    end_minute: Mapped[int] = mapped_column(Integer)
    from_previous_day: Mapped[bool] = mapped_column(Boolean)

    # "Open at" for a unit and weekday, answered from the index alone.
    __table_args__ = (
        Index(
            "ix_opening_spans_unit_id_weekday",
            "unit_id",
            "weekday",
            "start_minute",
            "end_minute",
            "from_previous_day",
            "kind",
            "valid_from",
            "valid_until",
        ),
    )


class StatusPeriod(Base):
    """Derived (api.store.derived, from api.domain.status.notice_periods): for each unit and
    each run of days over which its notices give the same answer, the state and
    `open_to_public` at an instant whose hours say open, and at one with no hours. With the
    opening spans, this makes every status filter a SQL condition that applies the engine's
    rules without restating them."""

    __tablename__ = "status_periods"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    unit_id: Mapped[str] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    state_if_open: Mapped[str] = mapped_column(String(50))
    public_if_open: Mapped[bool | None] = mapped_column(Boolean)
    state_if_no_hours: Mapped[str] = mapped_column(String(50))
    public_if_no_hours: Mapped[bool | None] = mapped_column(Boolean)


class AccessChannel(Record, Base):
    """One way in to a service or unit. Which of the type-specific columns is used depends on
    `type`: `contact_by` (contact), `address` (visiting_address, postal_address), `number`
    (phone, fax), `url` (web_page)."""

    __tablename__ = "access_channels"

    type: Mapped[str] = mapped_column(String(50), index=True)
    name: Mapped[LocalizedText | None] = mapped_column(JSON)
    description: Mapped[LocalizedText | None] = mapped_column(JSON)
    contact_by: Mapped[str | None] = mapped_column(String(50))
    address: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    number: Mapped[str | None] = mapped_column(String(50))
    url: Mapped[LocalizedText | None] = mapped_column(JSON)

    services: Mapped[list[Service]] = relationship(
        secondary=channel_services, back_populates="access_channels", order_by="Service.id"
    )
    units: Mapped[list[Unit]] = relationship(
        secondary=channel_units, back_populates="access_channels", order_by="Unit.id"
    )

    @property
    def service_ids(self) -> list[str]:
        return [service.id for service in self.services]

    @property
    def unit_ids(self) -> list[str]:
        return [unit.id for unit in self.units]


class NoticeVersion(Record, Base):
    """A dated version of a published notice (e.g. the COVID-19 notice of the social
    rehabilitation pages as published on 25.02.2021): its heading and text as published, when
    it was published (or the bounds the sources imply), and the version it replaced. Its
    statements are the status notices with its `version_id`.

    `in_force_from`, `in_force_until` and `in_force_bounds` are derived (api.domain.notices)."""

    __tablename__ = "notice_versions"

    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    heading: Mapped[LocalizedText | None] = mapped_column(JSON)
    text: Mapped[LocalizedText | None] = mapped_column(JSON)
    published_on: Mapped[date | None] = mapped_column(Date)
    published_not_before: Mapped[date | None] = mapped_column(Date)
    published_not_after: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    replaces_id: Mapped[str | None] = mapped_column(
        ForeignKey("notice_versions.id", ondelete="SET NULL"), index=True
    )
    in_force_from: Mapped[date | None] = mapped_column(Date)
    in_force_until: Mapped[date | None] = mapped_column(Date)
    in_force_bounds: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    statements: Mapped[list[StatusNotice]] = relationship(
        back_populates="version", order_by="StatusNotice.id"
    )
    replaced_by: Mapped[list[NoticeVersion]] = relationship(
        primaryjoin="NoticeVersion.id == foreign(NoticeVersion.replaces_id)",
        order_by="NoticeVersion.id",
        viewonly=True,
    )

    @property
    def statement_ids(self) -> list[str]:
        return [statement.id for statement in self.statements]

    @property
    def replaced_by_id(self) -> str | None:
        return self.replaced_by[0].id if self.replaced_by else None


class StatusNotice(Record, Base):
    """One statement of a notice (e.g. the COVID-19 notices): what state, for which units and
    services, from when until when. `version_id` names the version of the notice it belongs
    to; `supersedes_id` the statement of an earlier version (or, for a statement of no
    version, the earlier statement) it revises.

    Derived by `api.domain.notices` from the stated dates, the versions and the knowledge horizon:
    `in_force_from`, `in_force_until`, `in_force_bounds` and `trusted_until` (published);
    `in_force_window`, the engine's input; `possibly_from` / `possibly_until`, the first and
    last day it can have been in force and trusted, which make `active_at` a plain SQL filter.
    """

    __tablename__ = "status_notices"

    state: Mapped[str] = mapped_column(String(50), index=True)
    stated_on: Mapped[date | None] = mapped_column(Date)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    version_id: Mapped[str | None] = mapped_column(ForeignKey("notice_versions.id"), index=True)
    supersedes_id: Mapped[str | None] = mapped_column(
        ForeignKey("status_notices.id", ondelete="SET NULL"), index=True
    )
    open_to_public: Mapped[bool | None] = mapped_column(Boolean)
    open_to_current_clients: Mapped[bool | None] = mapped_column(Boolean)
    new_clients_admitted: Mapped[bool | None] = mapped_column(Boolean)
    delivery_mode: Mapped[str | None] = mapped_column(String(30))
    text: Mapped[LocalizedText] = mapped_column(JSON)
    in_force_from: Mapped[date | None] = mapped_column(Date, index=True)
    in_force_until: Mapped[date | None] = mapped_column(Date, index=True)
    in_force_bounds: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    trusted_until: Mapped[date | None] = mapped_column(Date)
    in_force_window: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    possibly_from: Mapped[date | None] = mapped_column(Date)
    possibly_until: Mapped[date | None] = mapped_column(Date)

    version: Mapped[NoticeVersion | None] = relationship(back_populates="statements")
    units: Mapped[list[Unit]] = relationship(secondary=notice_units, order_by="Unit.id")
    services: Mapped[list[Service]] = relationship(secondary=notice_services, order_by="Service.id")
    target_units: Mapped[list[Unit]] = relationship(
        secondary=notice_targets, order_by="Unit.id", viewonly=True
    )
    superseded_by: Mapped[list[StatusNotice]] = relationship(
        primaryjoin="StatusNotice.id == foreign(StatusNotice.supersedes_id)",
        order_by="StatusNotice.id",
        viewonly=True,
    )

    @property
    def superseded_by_ids(self) -> list[str]:
        return [notice.id for notice in self.superseded_by]

    @property
    def unit_ids(self) -> list[str]:
        return [unit.id for unit in self.units]

    @property
    def service_ids(self) -> list[str]:
        return [service.id for service in self.services]


class Announcement(Record, Base):
    __tablename__ = "announcements"

    organization_id: Mapped[str | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    title: Mapped[LocalizedText] = mapped_column(JSON)
    text: Mapped[LocalizedText | None] = mapped_column(JSON)
    stated_on: Mapped[date | None] = mapped_column(Date)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    links: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


class StaffDuty(Record, Base):
    __tablename__ = "staff_duties"

    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[LocalizedText] = mapped_column(JSON)

    services: Mapped[list[Service]] = relationship(secondary=duty_services, order_by="Service.id")

    @property
    def service_ids(self) -> list[str]:
        return [service.id for service in self.services]


# --- The editor API: tokens, the audit trail, idempotent creates --------------------------------


class ApiToken(Base):
    """A bearer token of the editor API (api.store.tokens). Only a hash of its secret is stored; the
    token itself is shown once, when it is created. `public_id` is the part of the token that
    names it, so it is found without comparing secrets."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100), unique=True)
    scopes: Mapped[list[str]] = mapped_column(JSON)
    # Only records of this organization (or its sub-organizations) may be written, when set.
    organization_id: Mapped[str | None] = mapped_column(ForeignKey("organizations.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RecordVersion(Base):
    """The audit trail and the history: one row per version of a record, written in the same
    transaction as the change (and as its change-feed row, `change_seq`). `data` is the record
    as it was published from then on (for a delete: as it was last published, so the history
    keeps it); `diff` lists what an update changed, as {"op", "path", "before", "after"} with
    JSON-pointer paths. `actor` is the token's name, or `data loader` for a reload; the rows of
    one request or one reload share a `batch`. Never pruned."""

    __tablename__ = "record_versions"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(50))
    record_id: Mapped[str] = mapped_column(ID)
    version: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(10))  # create, update, delete
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    batch: Mapped[str] = mapped_column(String(36), index=True)
    actor: Mapped[str] = mapped_column(String(100))
    token_id: Mapped[int | None] = mapped_column(ForeignKey("api_tokens.id"))
    remote_addr: Mapped[str | None] = mapped_column(String(64))
    change_seq: Mapped[int | None] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    diff: Mapped[list[dict[str, Any]]] = mapped_column(JSON)

    __table_args__ = (
        Index("ix_record_versions_kind_record", "kind", "record_id", "version", unique=True),
    )


class IdempotencyKey(Base):
    """The response to a create made with an `Idempotency-Key`, replayed when the same token
    retries the same request with that key (kept for a day)."""

    __tablename__ = "idempotency_keys"

    token_id: Mapped[int] = mapped_column(
        ForeignKey("api_tokens.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    headers: Mapped[dict[str, str]] = mapped_column(JSON)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
