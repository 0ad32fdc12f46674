"""A realistic synthetic dataset of any size, for benchmarks: organizations, services, units
with localized names and descriptions, sub-units, access channels, weekly hours and notices.

It writes straight into the database it is given (bulk inserts, then the same derived tables
the loader builds), never into `data/`. No Flask here; `flask data generate` wraps it.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Iterator
from datetime import date, timedelta

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from api.store.db import Base, utcnow
from api.store.derived import refresh_derived
from api.store.loader import store_missing_forms
from api.store.models import (
    AccessChannel,
    Change,
    OpeningHours,
    Organization,
    Service,
    StatusNotice,
    Unit,
    channel_units,
    notice_units,
    unit_services,
)

DISTRICTS = [
    ("Kallio", "Berghäll"),
    ("Pasila", "Böle"),
    ("Kannelmäki", "Gamlas"),
    ("Herttoniemi", "Hertonäs"),
    ("Malmi", "Malm"),
    ("Vuosaari", "Nordsjö"),
    ("Munkkiniemi", "Munksnäs"),
    ("Töölö", "Tölö"),
    ("Lauttasaari", "Drumsö"),
    ("Kontula", "Gårdsbacka"),
    ("Pakila", "Baggböle"),
    ("Itäkeskus", "Östra centrum"),
]
KINDS = [
    ("Työkeskus", "Arbetscentral", "Work centre", "work_centre"),
    ("Toimipiste", "Verksamhetsställe", "Office", "office"),
    ("Verstas", "Verkstad", "Workshop", "workshop"),
    ("Myymälä", "Butik", "Shop", "shop"),
]
SOURCE = ["https://example.org/synthetic"]


def _batches(rows: Iterator[dict], size: int = 5000) -> Iterator[list[dict]]:
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def generate(
    session: Session,
    units: int = 100_000,
    seed: int = 2021,
    progress: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Fill an empty database with `units` synthetic units and their surroundings."""
    Base.metadata.create_all(session.get_bind())
    rng = random.Random(seed)
    now = utcnow()
    stamp = {"created_at": now, "modified_at": now, "input_hash": "synthetic", "content_hash": None}
    record = {"notes": None, "source_urls": SOURCE, **stamp}
    counts: dict[str, int] = {}

    def put(model: type[Base], rows: Iterable[dict], table: Table | None = None) -> int:
        total = 0
        for batch in _batches(iter(rows)):
            session.execute(insert(table if table is not None else model), batch)
            total += len(batch)
            if progress and model is Unit:
                progress(len(batch))
        return total

    with session.begin():
        organizations = [
            {"id": "city", "parent_id": None, "type": "city", "description": None,
             "name": {"fi": "Kaupunki", "sv": "Staden", "en": "The city"}, **record}
        ] + [
            {"id": f"team-{n}", "parent_id": "city", "type": "team", "description": None,
             "name": {"fi": f"Tiimi {n}", "sv": f"Teamet {n}", "en": f"Team {n}"}, **record}
            for n in range(50)
        ]  # fmt: skip
        counts["organizations"] = put(Organization, organizations)
        services = [
            {"id": f"service-{n}", "organization_id": f"team-{n % 50}",
             "name": {"fi": f"Palvelu {n}", "sv": f"Tjänst {n}", "en": f"Service {n}"},
             "description": {"fi": f"Kuvaus {n}", "sv": None, "en": f"Description of service {n}"},
             "eligibility": None, "extent": None, "free_of_charge": n % 3 == 0, "fees": None,
             **record}
            for n in range(200)
        ]  # fmt: skip
        counts["services"] = put(Service, services)

        def unit_rows() -> Iterator[dict]:
            for n in range(units):
                fi_district, sv_district = DISTRICTS[n % len(DISTRICTS)]
                fi_kind, sv_kind, en_kind, kind = KINDS[n % len(KINDS)]
                parent = f"unit-{n - 1:06d}" if n % 10 == 9 else None
                yield {
                    "id": f"unit-{n:06d}",
                    "parent_id": parent,
                    "organization_id": f"team-{n % 50}",
                    "type": kind,
                    "name": {
                        "fi": f"{fi_district}n {fi_kind.lower()} {n}",
                        "sv": f"{sv_kind} i {sv_district} {n}",
                        "en": f"{fi_district} {en_kind.lower()} {n}",
                    },
                    "description": {
                        "fi": f"{fi_kind} {fi_district}ssa: kuntouttavaa työtoimintaa.",
                        "sv": None,
                        "en": f"A {en_kind.lower()} in {fi_district} offering work activities.",
                    },
                    "latitude": round(60.15 + rng.random() * 0.12, 6),
                    "longitude": round(24.85 + rng.random() * 0.25, 6),
                    "timezone": "Europe/Helsinki",
                    **record,
                }

        counts["units"] = put(Unit, unit_rows())
        put(
            Unit,
            (
                {"unit_id": f"unit-{n:06d}", "service_id": f"service-{n % 200}"}
                for n in range(units)
            ),
            unit_services,
        )

        def channel_rows() -> Iterator[dict]:
            for n in range(units):
                yield {
                    "id": f"unit-{n:06d}-phone", "type": "phone", "name": None,
                    "description": None, "contact_by": None, "address": None,
                    "number": f"+358 9 {310_00000 + n}", "url": None, **record,
                }  # fmt: skip
                yield {
                    "id": f"unit-{n:06d}-address", "type": "visiting_address", "name": None,
                    "description": None, "contact_by": None, "number": None, "url": None,
                    "address": {
                        "street_address": {"fi": f"Katu {n}", "sv": f"Gatan {n}", "en": None},
                        "additional_info": None, "postal_code": f"00{100 + n % 900}",
                        "locality": {"fi": "Helsinki", "sv": "Helsingfors", "en": "Helsinki"},
                        "po_box": None,
                    },
                    **record,
                }  # fmt: skip

        counts["access_channels"] = put(AccessChannel, channel_rows())
        put(
            AccessChannel,
            (
                {"access_channel_id": f"unit-{n:06d}-{kind}", "unit_id": f"unit-{n:06d}"}
                for n in range(units)
                for kind in ("phone", "address")
            ),
            channel_units,
        )
        weekdays = ["monday", "tuesday", "wednesday", "thursday", "friday"]
        counts["opening_hours"] = put(
            OpeningHours,
            (
                {
                    "id": f"unit-{n:06d}-hours",
                    "unit_id": f"unit-{n:06d}",
                    "kind": "regular",
                    "name": None,
                    "valid_from": None,
                    "valid_until": None,
                    "spans": [
                        {
                            "weekdays": weekdays,
                            "opens": f"{7 + n % 3:02d}:00",
                            "closes": f"{15 + n % 4:02d}:00",
                        }
                    ],
                    **record,
                }  # fmt: skip
                for n in range(units)
            ),
        )
        start = date(2021, 1, 1)
        notices = max(1, units // 100)
        counts["status_notices"] = put(
            StatusNotice,
            (
                {
                    "id": f"notice-{n:05d}",
                    "state": ("closed", "current_clients_only", "open")[n % 3],
                    "stated_on": start + timedelta(days=n % 300),
                    "supersedes_id": None,
                    "valid_from": start + timedelta(days=n % 300),
                    "valid_until": start + timedelta(days=n % 300 + 30),
                    "in_force_from": start + timedelta(days=n % 300),
                    "in_force_until": start + timedelta(days=n % 300 + 30),
                    "open_to_public": (False, None, True)[n % 3],
                    "open_to_current_clients": None,
                    "new_clients_admitted": (False, False, None)[n % 3],
                    "delivery_mode": None,
                    "text": {"fi": f"Tiedote {n}", "sv": None, "en": f"Notice {n}"},
                    **record,
                }  # fmt: skip
                for n in range(notices)
            ),
        )
        put(
            StatusNotice,
            (
                {"status_notice_id": f"notice-{n // 10:05d}", "unit_id": f"unit-{n * 10:06d}"}
                for n in range(min(units // 10, notices * 10))
            ),
            notice_units,
        )
        refresh_derived(session)
        store_missing_forms(session)
        session.execute(
            insert(Change),
            [{"kind": "units", "record_id": "synthetic", "action": "create", "changed_at": now}],
        )
    return counts
