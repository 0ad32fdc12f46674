"""Our records as Open Referral HSDS 3.1 objects: plain functions, no Flask.

The `/hsds` profile (api/resources/hsds.py) gathers a `Snapshot` (the records one response
maps, and the opening-status engine's verdicts at one instant that they need) and these
functions turn it into HSDS dictionaries. The mapping, field by field, and the reasons for it
are in docs/hsds.md.

- Ids are UUIDs, `uuid5(NAMESPACE, "<kind>/<our id>")`, so they never change while our ids
  don't, and anyone can recompute them.
- HSDS text fields are single strings: we give the first language a source gives, in the
  order en, sv, fi (never a translation); the other languages' names go to `alternate_name`.
- A field we have no value for is left out (HSDS fields are not nullable); arrays are `[]`.
"""

from __future__ import annotations

import math
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from api.domain.status import WEEKDAYS, Notice, NoticeConsidered, Status
from api.store.models import AccessChannel, OpeningHours, Organization, Service, StaffDuty, Unit

HSDS_VERSION = "3.1"
# Fixed once for this API; every HSDS id is uuid5(NAMESPACE, "<kind>/<our id>").
NAMESPACE = uuid.UUID("5d6c1f7e-2b0a-4c8e-9a51-3f0e8d2b7c41")
TEXT_LANGUAGES = ("en", "sv", "fi")
# Every address in the dataset is in Helsinki, which is in the region of Uusimaa, Finland.
STATE_PROVINCE = "Uusimaa"
COUNTRY = "FI"
RRULE_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
ACTIVE, TEMPORARILY_CLOSED = "active", "temporarily closed"


def hsds_id(kind: str, key: str) -> str:
    """The HSDS UUID of our record `key` of `kind` (service, location, organization, ...)."""
    return str(uuid.uuid5(NAMESPACE, f"{kind}/{key}"))


# --- Text ------------------------------------------------------------------------------------


def text(value: dict[str, str | None] | None) -> str | None:
    """The first language a source gives, in the order en, sv, fi; None if none does."""
    for lang in TEXT_LANGUAGES:
        if value and value.get(lang):
            return value[lang]
    return None


def other_languages(value: dict[str, str | None] | None) -> str | None:
    """The texts `text()` did not pick, tagged with their language: "fi: ...; sv: ..."."""
    chosen = text(value)
    others = [
        f"{lang}: {value[lang]}"
        for lang in ("fi", "sv", "en")
        if value and value.get(lang) and value[lang] != chosen
    ]
    return "; ".join(others) or None


def as_uri(iri: str) -> str:
    """An IRI as the URI HSDS asks for: the host in IDNA (pakilantyökeskus.fi ->
    xn--pakilantykeskus-...), other non-ASCII characters percent-encoded. Same address."""
    parts = urlsplit(iri)
    host = parts.hostname or ""
    netloc = parts.netloc.replace(host, host.encode("idna").decode("ascii")) if host else ""
    safe = "/%:@!$&'()*+,;=~-._?"
    return urlunsplit(
        (
            parts.scheme,
            netloc,
            quote(parts.path, safe=safe),
            quote(parts.query, safe=safe),
            quote(parts.fragment, safe=safe),
        )
    )


def _compact(record: dict[str, Any]) -> dict[str, Any]:
    """Leave out fields we have no value for (HSDS fields are not nullable)."""
    return {key: value for key, value in record.items() if value is not None}


def _instant(value: datetime) -> str:
    return value.isoformat(timespec="milliseconds")


# --- The input -------------------------------------------------------------------------------


@dataclass
class Snapshot:
    """What the mapping reads for one response: the records it maps (not the whole dataset),
    and the engine's verdicts at `at`.

    `unit_status` is a unit's status (all notices); `service_status` is the status of a
    (unit, service) pair, counting only notices that concern that service; `offered_at` is the
    number of units offering each service; `named_notices` are the notices in force at `at`
    that name the service. A unit no notice targets has no verdict in either map: it has no
    notices, so nothing closes it by notice and it adds nothing to an alert."""

    at: datetime
    organizations: list[Organization]
    services: list[Service]
    units: list[Unit]
    channels: list[AccessChannel]
    duties: list[StaffDuty]
    unit_status: dict[str, Status]
    service_status: dict[tuple[str, str], Status]
    offered_at: dict[str, int] = field(default_factory=dict)
    named_notices: dict[str, list[Notice]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.organization_by_id = {org.id: org for org in self.organizations}
        self.units_of: defaultdict[str, list[Unit]] = defaultdict(list)
        for unit in self.units:
            self.units_of[unit.organization_id].append(unit)
        self.services_of: defaultdict[str, list[Service]] = defaultdict(list)
        for service in self.services:
            self.services_of[service.organization_id].append(service)
        self.duties_of: defaultdict[str, list[StaffDuty]] = defaultdict(list)
        for duty in sorted(self.duties, key=lambda d: (d.organization_id, d.position)):
            self.duties_of[duty.organization_id].append(duty)
        self.statuses_of: defaultdict[str, list[Status]] = defaultdict(list)
        for (_, service_id), status in sorted(self.service_status.items()):
            self.statuses_of[service_id].append(status)


# --- Status and alert ------------------------------------------------------------------------


def closed_by_notice(status: Status) -> bool:
    """The status is closed, by a `closed` notice certainly in force. Hours that say closed
    (evenings, weekends) do not make a service "temporarily closed", nor does a notice the
    sources leave in doubt."""
    return status.state == "closed" and any(
        notice.state == "closed" and notice.certainty == "in_force" for notice in status.notices
    )


def alert(notices: Iterable[Notice | NoticeConsidered]) -> str | None:
    """The texts of the notices, by notice id, one paragraph each."""
    texts = [text(n.text) for n in sorted(notices, key=lambda n: n.id)]
    return "\n\n".join(t for t in texts if t) or None


def service_state(snap: Snapshot, service: Service) -> tuple[str, str | None]:
    """(HSDS status, alert) of a service at `snap.at`.

    Temporarily closed when a `closed` notice in force closes it at every unit offering it (or,
    for a service offered at no unit, when a `closed` notice in force names it); else active.
    The alert is the text of every notice in force that concerns the service: those naming it,
    and those naming no service at a unit offering it."""
    statuses = snap.statuses_of[service.id]
    notices: dict[str, Notice | NoticeConsidered] = {
        n.id: n for status in statuses for n in status.notices
    }
    notices.update({n.id: n for n in snap.named_notices.get(service.id, [])})
    if offered_at := snap.offered_at.get(service.id, 0):
        # Closed at every unit: each has a verdict (units without notices have none) closed by
        # a notice.
        closed = len(statuses) == offered_at and all(closed_by_notice(s) for s in statuses)
    else:
        closed = any(n.state == "closed" for n in notices.values())
    return (TEMPORARILY_CLOSED if closed else ACTIVE), alert(notices.values())


def _status_fields(status: Status | None) -> dict[str, Any]:
    """The `status`/`alert` extension on locations and service_at_locations (None: a unit no
    notice targets, active and without alert)."""
    if status is None:
        return {"status": ACTIVE, "alert": None}
    return {
        "status": TEMPORARILY_CLOSED if closed_by_notice(status) else ACTIVE,
        "alert": alert(status.notices),
    }


# --- Organizations ---------------------------------------------------------------------------


def organization_basic(org: Organization) -> dict[str, Any]:
    return _compact(
        {
            "id": hsds_id("organization", org.id),
            "name": text(org.name),
            "alternate_name": other_languages(org.name),
            # Required by HSDS; an empty string where no source describes the organization.
            "description": text(org.description) or "",
            "parent_organization_id": hsds_id("organization", org.parent_id)
            if org.parent_id
            else None,
        }
    )


def duty_attribute(duty: StaffDuty, entity: str, owner_id: str) -> dict[str, Any]:
    """A staff duty as an HSDS attribute (no taxonomy term: the duties are free text)."""
    return _compact(
        {
            "id": hsds_id("attribute", f"{duty.id}@{entity}/{owner_id}"),
            "link_id": hsds_id(entity, owner_id),
            "link_entity": entity,
            "link_type": "staff_duty",
            "label": f"Staff duty {duty.position}",
            "value": text(duty.text),
        }
    )


def web_page_urls(channel: AccessChannel, owner: str, owner_id: str) -> list[dict[str, Any]]:
    """One HSDS url object per language a web page channel gives."""
    label = text(channel.name)
    if label is None and channel.units:
        label = text(channel.units[0].name)
    return [
        _compact(
            {
                "id": hsds_id("url", f"{channel.id}/{lang}@{owner}/{owner_id}"),
                "url": as_uri(url),
                "label": f"{label} ({lang})" if label else lang,
                f"{owner}_id": hsds_id(owner, owner_id),
            }
        )
        for lang in TEXT_LANGUAGES
        if channel.url and (url := channel.url.get(lang))
    ]


def organization_full(snap: Snapshot, org: Organization) -> dict[str, Any]:
    websites = [
        url
        for unit in snap.units_of[org.id]
        for channel in unit.access_channels
        if channel.type == "web_page"
        for url in web_page_urls(channel, "organization", org.id)
    ]
    unique_websites = list({url["id"]: url for url in websites}.values())
    return {
        **organization_basic(org),
        "additional_websites": unique_websites,
        "funding": [],
        "contacts": [],
        "phones": [],
        "locations": [location_full(snap, unit) for unit in snap.units_of[org.id]],
        "programs": [],
        "organization_identifiers": [],
        "attributes": [
            duty_attribute(duty, "organization", org.id) for duty in snap.duties_of[org.id]
        ],
        "metadata": [],
        "services": [service_basic(snap, service) for service in snap.services_of[org.id]],
    }


# --- Locations -------------------------------------------------------------------------------


def address(channel: AccessChannel, unit: Unit) -> dict[str, Any] | None:
    """A visiting (physical) or postal address; None if it lacks what HSDS requires."""
    raw = channel.address or {}
    street = text(raw.get("street_address"))
    line_1 = street or (f"PO Box {raw['po_box']}" if raw.get("po_box") else None)
    city = text(raw.get("locality"))
    if not (line_1 and city and raw.get("postal_code")):
        return None
    return _compact(
        {
            "id": hsds_id("address", f"{channel.id}@{unit.id}"),
            "location_id": hsds_id("location", unit.id),
            "address_1": line_1,
            "address_2": text(raw.get("additional_info")),
            "city": city,
            "state_province": STATE_PROVINCE,
            "postal_code": raw["postal_code"],
            "country": COUNTRY,
            "address_type": "physical" if channel.type == "visiting_address" else "postal",
        }
    )


def phone(channel: AccessChannel, owner: str, owner_id: str) -> dict[str, Any]:
    """A phone or fax channel; `type` from RFC 6350 (voice, fax)."""
    return _compact(
        {
            "id": hsds_id("phone", f"{channel.id}@{owner}/{owner_id}"),
            f"{owner}_id": hsds_id(owner, owner_id),
            "number": channel.number,
            "type": "fax" if channel.type == "fax" else "voice",
            "description": text(channel.description),
            "languages": [],
        }
    )


def schedules(unit: Unit, owner: str, owner_id: str) -> list[dict[str, Any]]:
    """The unit's opening hours as HSDS schedules: one weekly RRULE entry (freq WEEKLY, byday,
    opens_at, closes_at) per span, bounded by valid_from/valid_to; an exception period is extra
    entries (a closed one is an entry with no hours)."""
    entries = []
    for record in sorted(unit.opening_hours, key=lambda r: r.id):
        common = {
            f"{owner}_id": hsds_id(owner, owner_id),
            "valid_from": record.valid_from.isoformat() if record.valid_from else None,
            "valid_to": record.valid_until.isoformat() if record.valid_until else None,
            "description": _schedule_description(record),
            "notes": f"Wall-clock times in the {unit.timezone} time zone."
            + (
                " An exception period: replaces the regular hours on its days."
                if record.kind == "exception"
                else ""
            ),
        }
        if not record.spans:
            key = f"{record.id}@{owner}/{owner_id}"
            entries.append(_compact({"id": hsds_id("schedule", key), **common}))
        for index, span in enumerate(record.spans):
            days = sorted(WEEKDAYS.index(day) for day in span["weekdays"])
            key = f"{record.id}/{index}@{owner}/{owner_id}"
            entries.append(
                _compact(
                    {
                        "id": hsds_id("schedule", key),
                        **common,
                        "freq": "WEEKLY",
                        "byday": ",".join(RRULE_DAYS[day] for day in days),
                        "opens_at": span["opens"],
                        "closes_at": span["closes"],
                    }
                )
            )
    return entries


def _schedule_description(record: OpeningHours) -> str | None:
    name = text(record.name)
    if record.kind == "exception":
        closed = "" if record.spans else "Closed"
        return ": ".join(part for part in (closed or "Exception", name) if part)
    return name


def location_basic(snap: Snapshot, unit: Unit) -> dict[str, Any]:
    return _compact(
        {
            "id": hsds_id("location", unit.id),
            # Every unit is a place or a team working on site; none is virtual or postal-only.
            "location_type": "physical",
            "organization_id": hsds_id("organization", unit.organization_id),
            "name": text(unit.name),
            "alternate_name": other_languages(unit.name),
            "description": text(unit.description),
            "latitude": unit.latitude,
            "longitude": unit.longitude,
            "external_identifier": unit.id,
            "external_identifier_type": "social-services-api unit id",
            **_status_fields(snap.unit_status.get(unit.id)),
        }
    )


def location_full(snap: Snapshot, unit: Unit) -> dict[str, Any]:
    addresses = [
        address(channel, unit)
        for channel in unit.access_channels
        if channel.type in ("visiting_address", "postal_address")
    ]
    return {
        **_compact(location_basic(snap, unit)),
        "languages": [],
        "addresses": [a for a in addresses if a],
        "contacts": [],
        "accessibility": [],
        "phones": [
            phone(channel, "location", unit.id)
            for channel in unit.access_channels
            if channel.type in ("phone", "fax")
        ],
        "schedules": schedules(unit, "location", unit.id),
        "attributes": [],
        "metadata": [],
    }


# --- Services --------------------------------------------------------------------------------


def application_process(service: Service) -> str | None:
    """The access routes: who refers a client, and who may make contact."""
    referrals = [
        f"{text(c.name)} ({description.rstrip('.')})"
        if (description := text(c.description))
        else text(c.name)
        for c in service.access_channels
        if c.type == "referral"
    ]
    contacts = [text(c.name) for c in service.access_channels if c.type == "contact"]
    lines = []
    if referrals:
        lines.append("Referral through: " + "; ".join(r for r in referrals if r) + ".")
    if contacts:
        lines.append("Contact may be made by: " + "; ".join(c for c in contacts if c) + ".")
    return "\n".join(lines) or None


def fees_description(service: Service) -> str | None:
    fees = text(service.fees)
    if fees is None and service.free_of_charge is True:
        return "Free of charge."
    return fees


def service_basic(snap: Snapshot, service: Service) -> dict[str, Any]:
    """The one-to-one fields of a service (HSDS `service_list`), with its status at `at`."""
    status, service_alert = service_state(snap, service)
    pages = [c for c in service.access_channels if c.type == "web_page"]
    urls = [url for channel in pages for url in web_page_urls(channel, "service", service.id)]
    return _compact(
        {
            "id": hsds_id("service", service.id),
            "organization_id": hsds_id("organization", service.organization_id),
            "name": text(service.name),
            "alternate_name": other_languages(service.name),
            "description": text(service.description),
            "url": urls[0]["url"] if urls else None,
            "status": status,
            "application_process": application_process(service),
            "fees_description": fees_description(service),
            "eligibility_description": text(service.eligibility),
            "alert": service_alert,
            "last_modified": _instant(service.modified_at),
            "organization": organization_basic(snap.organization_by_id[service.organization_id]),
        }
    )


def service_full(snap: Snapshot, service: Service) -> dict[str, Any]:
    """A fully nested service (HSDS `service`)."""
    pages = [c for c in service.access_channels if c.type == "web_page"]
    urls = [url for channel in pages for url in web_page_urls(channel, "service", service.id)]
    extent = text(service.extent)
    return {
        **service_basic(snap, service),
        "additional_urls": urls[1:],
        "phones": [
            phone(channel, "service", service.id)
            for channel in service.access_channels
            if channel.type in ("phone", "fax")
        ],
        # The extent ("periods of 3 months, 1–4 days a week") is when the service runs.
        "schedules": [
            {
                "id": hsds_id("schedule", f"extent@service/{service.id}"),
                "service_id": hsds_id("service", service.id),
                "description": extent,
            }
        ]
        if extent
        else [],
        "service_areas": [],
        "service_at_locations": [
            service_at_location_full(snap, unit, service, with_service=False)
            for unit in service.units
        ],
        "languages": [],
        "funding": [],
        "cost_options": [],
        "required_documents": [],
        "contacts": [],
        "capacities": [],
        "attributes": [
            duty_attribute(duty, "service", service.id)
            for duty in sorted(snap.duties, key=lambda d: (d.organization_id, d.position))
            if service.id in duty.service_ids
        ],
        "metadata": [],
    }


# --- Service at location ---------------------------------------------------------------------


def service_at_location_key(unit: Unit, service: Service) -> str:
    return f"{unit.id}/{service.id}"


def sal_description(snap: Snapshot, unit: Unit, service: Service) -> str | None:
    """Distance-service channels naming this unit and service (or naming no unit / service)."""
    texts = [
        text(channel.description) or text(channel.name)
        for channel in snap.channels
        if channel.type == "distance_service"
        and (not channel.units or unit.id in channel.unit_ids)
        and (not channel.services or service.id in channel.service_ids)
    ]
    return " ".join(t for t in texts if t) or None


def service_at_location_basic(snap: Snapshot, unit: Unit, service: Service) -> dict[str, Any]:
    return _compact(
        {
            "id": hsds_id("service_at_location", service_at_location_key(unit, service)),
            "service_id": hsds_id("service", service.id),
            "location_id": hsds_id("location", unit.id),
            "description": sal_description(snap, unit, service),
            **_status_fields(snap.service_status.get((unit.id, service.id))),
        }
    )


def service_at_location_list_item(snap: Snapshot, unit: Unit, service: Service) -> dict:
    return {
        **service_at_location_basic(snap, unit, service),
        "location": location_basic(snap, unit),
        "service": service_basic(snap, service),
    }


def service_at_location_full(
    snap: Snapshot, unit: Unit, service: Service, *, with_service: bool = True
) -> dict[str, Any]:
    key = service_at_location_key(unit, service)
    record = {
        **service_at_location_basic(snap, unit, service),
        "service_areas": [],
        "contacts": [],
        "phones": [],
        "schedules": schedules(unit, "service_at_location", key),
        "location": location_full(snap, unit),
        "attributes": [],
        "metadata": [],
    }
    if with_service:
        record["service"] = service_basic(snap, service)
    return record


# --- Pages -----------------------------------------------------------------------------------


def page(records: list, page_number: int, per_page: int, to_hsds: Callable) -> dict[str, Any]:
    """HSDS's Page envelope over `records`, mapping only this page's with `to_hsds`."""
    selected = records[(page_number - 1) * per_page : page_number * per_page]
    return envelope(len(records), page_number, per_page, [to_hsds(r) for r in selected])


def envelope(total: int, page_number: int, per_page: int, contents: list) -> dict[str, Any]:
    """HSDS's Page envelope: page `page_number` of `total` entities, `per_page` a page,
    holding `contents`. `size` is the number of entities on this page; `empty` says this page
    has none."""
    total_pages = math.ceil(total / per_page)
    return {
        "total_items": total,
        "total_pages": total_pages,
        "page_number": page_number,
        "size": len(contents),
        "first_page": page_number == 1,
        "last_page": page_number >= total_pages,
        "empty": not contents,
        "contents": contents,
    }


def matches(search: str | None, *texts: dict[str, str | None] | None) -> bool:
    """Case-insensitive substring search in every language of the given texts."""
    if not search:
        return True
    needle = search.casefold()
    return any(
        needle in value.casefold()
        for localized in texts
        if localized
        for value in localized.values()
        if value
    )
