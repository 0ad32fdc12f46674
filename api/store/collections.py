"""The published kinds of record, in one registry: model, output schema, what each embeds (the
eager loads that keep a page at a fixed number of queries) and their order.

No Flask here: the endpoints, the loader (which stamps `modified_at` when a record's published
representation changes), the change feed and the dumps all use it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from marshmallow import Schema
from sqlalchemy import select, tuple_
from sqlalchemy.orm import InstrumentedAttribute, Session, selectinload

from api.store.models import (
    AccessChannel,
    Announcement,
    NoticeVersion,
    OpeningHours,
    Organization,
    Service,
    StaffDuty,
    StatusNotice,
    Unit,
)
from schemas.access_channels import AccessChannelSchema
from schemas.announcements import AnnouncementSchema
from schemas.notice_versions import NoticeVersionSchema
from schemas.opening_hours import OpeningHoursSchema
from schemas.organizations import OrganizationSchema
from schemas.services import ServiceSchema
from schemas.staff_duties import StaffDutySchema
from schemas.status_notices import StatusNoticeSchema
from schemas.units import UnitSchema


@dataclass(frozen=True)
class Kind:
    name: str  # as in the URL: "units", "access-channels"
    model: type
    schema: type[Schema]
    options: tuple = ()
    order: tuple[InstrumentedAttribute, ...] = ()
    published: bool = True  # False: only embedded in other records (opening hours)

    @property
    def sort(self) -> tuple[InstrumentedAttribute, ...]:
        return self.order or (self.model.id,)

    def dump(self, obj: Any) -> dict:
        # One schema instance per kind: building one copies every declared field, which would
        # cost more than the dump itself in a 100,000-record export.
        schema = _SCHEMAS.get(self.name)
        if schema is None:
            schema = _SCHEMAS[self.name] = self.schema()
        return schema.dump(obj)


_SCHEMAS: dict[str, Schema] = {}


CHANNEL_OPTIONS = (selectinload(AccessChannel.services), selectinload(AccessChannel.units))

# In the order a representation depends on another's timestamps: what is embedded comes first.
KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind("organizations", Organization, OrganizationSchema),
        Kind("opening-hours", OpeningHours, OpeningHoursSchema, published=False),
        Kind("access-channels", AccessChannel, AccessChannelSchema, CHANNEL_OPTIONS),
        Kind(
            "status-notices",
            StatusNotice,
            StatusNoticeSchema,
            (
                selectinload(StatusNotice.units),
                selectinload(StatusNotice.services),
                selectinload(StatusNotice.superseded_by),
            ),
        ),
        Kind(
            "notice-versions",
            NoticeVersion,
            NoticeVersionSchema,
            (selectinload(NoticeVersion.statements), selectinload(NoticeVersion.replaced_by)),
        ),
        Kind("announcements", Announcement, AnnouncementSchema),
        Kind(
            "staff-duties",
            StaffDuty,
            StaffDutySchema,
            (selectinload(StaffDuty.services),),
            (StaffDuty.organization_id, StaffDuty.position, StaffDuty.id),
        ),
        Kind(
            "units",
            Unit,
            UnitSchema,
            (
                selectinload(Unit.services),
                selectinload(Unit.access_channels).selectinload(AccessChannel.services),
                selectinload(Unit.access_channels).selectinload(AccessChannel.units),
                selectinload(Unit.opening_hours),
                # `ways_in`: the referral and contact channels of the services offered here.
                *(
                    selectinload(Unit.services)
                    .selectinload(Service.access_channels)
                    .selectinload(embedded)
                    for embedded in (AccessChannel.services, AccessChannel.units)
                ),
            ),
        ),
        Kind(
            "services",
            Service,
            ServiceSchema,
            (
                selectinload(Service.units),
                selectinload(Service.access_channels).selectinload(AccessChannel.services),
                selectinload(Service.access_channels).selectinload(AccessChannel.units),
            ),
        ),
    )
}
PUBLISHED = tuple(kind for kind in KINDS.values() if kind.published)


def kind_of(model: type) -> Kind:
    return next(kind for kind in KINDS.values() if kind.model is model)


def iter_records(
    session: Session, kind: Kind, batch_size: int = 500, ids: list[str] | None = None
) -> Iterator[Any]:
    """Every record of a kind in its order, fetched in keyset batches with its embeds, so memory
    stays constant however many there are. With `ids`: only those, in batches of ids."""
    if ids is not None:
        for start in range(0, len(ids), batch_size):
            chunk = ids[start : start + batch_size]
            statement = select(kind.model).options(*kind.options).where(kind.model.id.in_(chunk))
            yield from session.scalars(statement.order_by(*kind.sort))
        return
    columns = kind.sort
    key = None
    while True:
        statement = select(kind.model).options(*kind.options).order_by(*columns)
        if key is not None:
            after = columns[0] > key[0] if len(columns) == 1 else tuple_(*columns) > tuple_(*key)
            statement = statement.where(after)
        rows = list(session.scalars(statement.limit(batch_size)))
        if not rows:
            return
        yield from rows
        key = tuple(getattr(rows[-1], column.key) for column in columns)
        if len(rows) < batch_size:
            return


def representation(kind: Kind, obj: Any) -> dict:
    """A record as published, without its own timestamps (which follow from it)."""
    data = kind.dump(obj)
    data.pop("created_at", None)
    data.pop("modified_at", None)
    return data
