"""Every collection, declared once: everything else reads `COLLECTIONS` (the loader, the
writes, tokens' scopes, the published forms and their stamping, the change feed, the dumps, the
index, the spec's names and examples, the resources that serve them).

To add a collection: its model (api/store/models.py) and migration, its schemas (schemas/), its
resource (api/resources/<name>.py), its data file (data/<name>.yaml), and one `Collection`
below. docs/architecture.md has the recipe.

No Flask here.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from marshmallow import Schema
from sqlalchemy import select, tuple_
from sqlalchemy.orm import InstrumentedAttribute, selectinload
from sqlalchemy.orm.strategy_options import _AbstractLoad

from api.store.db import AnySession
from api.store.models import (
    AccessChannel,
    Announcement,
    NoticeVersion,
    OpeningHours,
    Organization,
    Record,
    Service,
    StaffDuty,
    StatusNotice,
    Unit,
)
from schemas.access_channels import AccessChannelInputSchema, AccessChannelSchema
from schemas.announcements import AnnouncementInputSchema, AnnouncementSchema
from schemas.common import every_language
from schemas.notice_versions import NoticeVersionInputSchema, NoticeVersionSchema
from schemas.opening_hours import OpeningHoursInputSchema, OpeningHoursSchema
from schemas.organizations import OrganizationInputSchema, OrganizationSchema
from schemas.services import ServiceInputSchema, ServiceSchema
from schemas.staff_duties import StaffDutyInputSchema, StaffDutySchema
from schemas.status_notices import StatusNoticeInputSchema, StatusNoticeSchema
from schemas.units import UnitInputSchema, UnitSchema


@dataclass(frozen=True, eq=False)
class Collection:
    """One collection of records (each declared once: compared and hashed as itself)."""

    name: str  # in URLs, the change feed and the history: "access-channels"
    singular: str  # "access channel"
    plural: str  # "access channels"
    indefinite: str  # "an access channel"
    summary: str  # one line, as the index describes it: "Access channels."
    model: type[Record]
    schema: type[Schema]  # the published form
    input_schema: type[Schema]  # the record as data files and the editor API give it
    id_param: str  # the item's path parameter: "channel_id"
    example_id: str  # an id of the shipped data, for the spec's examples
    # field -> collection whose id it names (a single reference)
    refs: Mapping[str, str] = field(default_factory=dict)
    # field -> (relationship attribute, collection): a list of ids kept in a link table
    links: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    # the reference within the collection (parent, supersedes), loaded parents first
    self_ref: str | None = None
    # single references whose target publishes the way back (a unit its hours, a notice the
    # statements superseding it): writing this record changes the target's published form
    mirrored_refs: tuple[str, ...] = ()
    # collections whose records its published form embeds whole, timestamps included: they are
    # stamped first
    embeds: tuple[str, ...] = ()
    # eager loads of what its published form embeds: a page costs a fixed number of queries
    loads: tuple[_AbstractLoad, ...] = ()
    order: tuple[InstrumentedAttribute[Any], ...] = ()  # default: by id
    scope: str | None = None  # the token scope that writes it; None: read-only
    published: bool = True  # False: published only inside other records (no dump, no feed)
    jsonld: str | None = None  # the schema.org type of its JSON-LD form, if it has one
    resource: str | None = None  # its blueprint's module; default api.resources.<key>

    @property
    def key(self) -> str:
        """The name as a Python identifier and file stem: "access_channels"."""
        return self.name.replace("-", "_")

    @property
    def file_name(self) -> str:
        return f"{self.key}.yaml"

    @property
    def component(self) -> str:
        """The name of its published form in the spec: "AccessChannel"."""
        return self.schema.__name__.removesuffix("Schema")

    @property
    def resource_module(self) -> str:
        return self.resource or f"api.resources.{self.key}"

    @property
    def sort(self) -> tuple[InstrumentedAttribute[Any], ...]:
        return self.order or (self.model.id,)

    @property
    def editable(self) -> bool:
        return self.scope is not None

    @property
    def published_schema(self) -> Schema:
        """The instance of `schema` that dumps. One per collection: building one copies every
        declared field, which would cost more than the dump itself in a 100,000-record export."""
        schema = _SCHEMAS.get(self.name)
        if schema is None:
            schema = _SCHEMAS[self.name] = self.schema()
        return schema

    def dump(self, obj: Record) -> dict[str, Any]:
        """The record as published (in the languages `lang=` asked for, if any)."""
        return self.published_schema.dump(obj)

    def form(self, obj: Record) -> str:
        """The record as published in every language, as the JSON text stored with it
        (`Record.published_form`)."""
        with every_language():
            return form_text(self.dump(obj))


_SCHEMAS: dict[str, Schema] = {}


def form_text(data: dict[str, Any]) -> str:
    """A published form (dumped in every language) as the JSON text stored and served."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


CHANNEL_LOADS = (selectinload(AccessChannel.services), selectinload(AccessChannel.units))

# In the order the docs show them.
COLLECTIONS: tuple[Collection, ...] = (
    Collection(
        "units",
        "unit",
        "units",
        "a unit",
        "Service units.",
        Unit,
        UnitSchema,
        UnitInputSchema,
        "unit_id",
        "pakila-work-centre",
        refs={"parent_id": "units", "organization_id": "organizations"},
        links={"service_ids": ("services", "services")},
        self_ref="parent_id",
        embeds=("access-channels", "opening-hours"),
        loads=(
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
        scope="write:units",
        jsonld="CivicStructure",
    ),
    Collection(
        "services",
        "service",
        "services",
        "a service",
        "Services.",
        Service,
        ServiceSchema,
        ServiceInputSchema,
        "service_id",
        "rehabilitating-work-activities",
        refs={"organization_id": "organizations"},
        embeds=("access-channels",),
        loads=(
            selectinload(Service.units),
            selectinload(Service.access_channels).selectinload(AccessChannel.services),
            selectinload(Service.access_channels).selectinload(AccessChannel.units),
        ),
        scope="write:services",
        jsonld="GovernmentService",
    ),
    Collection(
        "organizations",
        "organization",
        "organizations",
        "an organization",
        "Organizations.",
        Organization,
        OrganizationSchema,
        OrganizationInputSchema,
        "organization_id",
        "social-rehabilitation-team",
        refs={"parent_id": "organizations"},
        self_ref="parent_id",
        jsonld="GovernmentOrganization",
    ),
    Collection(
        "access-channels",
        "access channel",
        "access channels",
        "an access channel",
        "Access channels.",
        AccessChannel,
        AccessChannelSchema,
        AccessChannelInputSchema,
        "channel_id",
        "pakila-work-centre-phone",
        links={"service_ids": ("services", "services"), "unit_ids": ("units", "units")},
        loads=CHANNEL_LOADS,
        scope="write:channels",
    ),
    Collection(
        "status-notices",
        "status notice",
        "status notices",
        "a status notice",
        "Status notices.",
        StatusNotice,
        StatusNoticeSchema,
        StatusNoticeInputSchema,
        "notice_id",
        "covid-2021-02-shops",
        refs={"supersedes_id": "status-notices", "version_id": "notice-versions"},
        links={"unit_ids": ("units", "units"), "service_ids": ("services", "services")},
        self_ref="supersedes_id",
        mirrored_refs=("supersedes_id", "version_id"),
        loads=(
            selectinload(StatusNotice.units),
            selectinload(StatusNotice.services),
            selectinload(StatusNotice.superseded_by),
        ),
        scope="write:notices",
        jsonld="SpecialAnnouncement",
    ),
    Collection(
        "notice-versions",
        "notice version",
        "notice versions",
        "a notice version",
        "The dated versions of each published notice.",
        NoticeVersion,
        NoticeVersionSchema,
        NoticeVersionInputSchema,
        "version_id",
        "covid-2021-later",
        refs={"replaces_id": "notice-versions", "organization_id": "organizations"},
        self_ref="replaces_id",
        mirrored_refs=("replaces_id",),
        loads=(selectinload(NoticeVersion.statements), selectinload(NoticeVersion.replaced_by)),
        scope="write:notices",
    ),
    Collection(
        "opening-hours",
        "set of opening hours",
        "sets of opening hours",
        "a set of opening hours",
        "Stored weekly hours and exception periods of units.",
        OpeningHours,
        OpeningHoursSchema,
        OpeningHoursInputSchema,
        "hours_id",
        "pakila-work-centre-weekdays",
        refs={"unit_id": "units"},
        mirrored_refs=("unit_id",),
        scope="write:units",
    ),
    Collection(
        "announcements",
        "announcement",
        "announcements",
        "an announcement",
        "Announcements.",
        Announcement,
        AnnouncementSchema,
        AnnouncementInputSchema,
        "announcement_id",
        "face-masks-in-social-and-health-care",
        refs={"organization_id": "organizations"},
        scope="write:notices",
    ),
    Collection(
        "staff-duties",
        "staff duty",
        "staff duties",
        "a staff duty",
        "Staff duties.",
        StaffDuty,
        StaffDutySchema,
        StaffDutyInputSchema,
        "duty_id",
        "duty-assess-work-ability",
        refs={"organization_id": "organizations"},
        links={"service_ids": ("services", "services")},
        loads=(selectinload(StaffDuty.services),),
        order=(StaffDuty.organization_id, StaffDuty.position, StaffDuty.id),
        scope="write:duties",
    ),
)
BY_NAME: dict[str, Collection] = {}
BY_MODEL: dict[type, Collection] = {}
PUBLISHED: tuple[Collection, ...] = ()
EDITABLE: dict[str, Collection] = {}


def _index() -> None:
    global BY_NAME, BY_MODEL, PUBLISHED, EDITABLE
    BY_NAME = {c.name: c for c in COLLECTIONS}
    BY_MODEL = {c.model: c for c in COLLECTIONS}
    PUBLISHED = tuple(c for c in COLLECTIONS if c.published)
    EDITABLE = {c.name: c for c in COLLECTIONS if c.editable}
    load_order.cache_clear()
    stamp_order.cache_clear()


def declare(*added: Collection) -> None:
    """Add collections to those declared above: for a deployment's own collections, or a
    test's. Call it before anything else reads the declarations (before `create_app`):
    the modules that use them read them once, when they are first imported."""
    global COLLECTIONS
    COLLECTIONS = (*COLLECTIONS, *added)
    _index()


def collection(name: str) -> Collection:
    return BY_NAME[name]


def _ordered(depends_on: Iterable[tuple[Collection, set[str]]]) -> tuple[Collection, ...]:
    """Collections so that each comes after those it depends on; otherwise as declared."""
    pending = dict(depends_on)
    done: list[Collection] = []
    while pending:
        ready = next(
            (c for c in COLLECTIONS if c in pending and pending[c] <= {d.name for d in done}),
            None,
        )
        if ready is None:
            raise ValueError(
                f"collections depend on each other in a loop: {sorted(c.name for c in pending)}"
            )
        done.append(ready)
        del pending[ready]
    return tuple(done)


@functools.cache
def load_order() -> tuple[Collection, ...]:
    """The order the loader writes them in: a collection after those it refers to."""
    return _ordered(
        (c, {t for t in c.refs.values() if t != c.name} | {t for _, t in c.links.values()})
        for c in COLLECTIONS
    )


@functools.cache
def stamp_order() -> tuple[Collection, ...]:
    """The order their published forms are stamped in: a collection after those it embeds."""
    return _ordered((c, set(c.embeds)) for c in COLLECTIONS)


def iter_records(
    session: AnySession, kind: Collection, batch_size: int = 500, ids: list[str] | None = None
) -> Iterator[Record]:
    """Every record of a collection in its order, fetched in keyset batches with its embeds, so
    memory stays constant however many there are. With `ids`: only those, in batches of ids."""
    if ids is not None:
        for start in range(0, len(ids), batch_size):
            chunk = ids[start : start + batch_size]
            statement = select(kind.model).options(*kind.loads).where(kind.model.id.in_(chunk))
            yield from session.scalars(statement.order_by(*kind.sort))
        return
    columns = kind.sort
    key: tuple[Any, ...] | None = None
    while True:
        statement = select(kind.model).options(*kind.loads).order_by(*columns)
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


def iter_forms(session: AnySession, kind: Collection, batch_size: int = 2000) -> Iterator[str]:
    """Every record of a collection in its order as its stored published form (JSON text, all
    languages), in keyset batches that read only the forms and the order's columns; a record
    whose form is not stored yet (a database migrated before its next load) is built."""
    columns = kind.sort
    key: tuple[Any, ...] | None = None
    while True:
        statement = select(kind.model.id, kind.model.published_form, *columns).order_by(*columns)
        if key is not None:
            after = columns[0] > key[0] if len(columns) == 1 else tuple_(*columns) > tuple_(*key)
            statement = statement.where(after)
        rows = list(session.execute(statement.limit(batch_size)))
        if not rows:
            return
        missing = [row[0] for row in rows if row[1] is None]
        built = {obj.id: kind.form(obj) for obj in iter_records(session, kind, ids=missing)}
        for row in rows:
            yield row[1] if row[1] is not None else built[row[0]]
        key = tuple(rows[-1][2:])
        if len(rows) < batch_size:
            return


_index()
