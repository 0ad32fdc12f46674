"""The status engine's input is read as plain rows (api/store/facts.py `unit_facts`), not as
records. For every unit of the shipped data and of a generated dataset, with no service named
and with each service, it must be exactly what the records themselves make of it (the way it
was read before: each hours record and notice record, the notice's services from the record).
"""

from __future__ import annotations

import conftest
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from api.domain.status import UnitFacts, applies_to_service
from api.store.db import db
from api.store.facts import engine_hours, engine_notice, unit_facts
from api.store.models import (
    OpeningHours,
    Service,
    StatusNotice,
    Unit,
    notice_services,
    notice_targets,
)


def facts_from_records(session: Session, service_id: str | None) -> dict[str, UnitFacts]:
    """Every unit's input built from its records, one unit at a time."""
    out = {}
    for unit in session.scalars(select(Unit).order_by(Unit.id)):
        hours = session.scalars(
            select(OpeningHours).where(OpeningHours.unit_id == unit.id).order_by(OpeningHours.id)
        )
        notices = session.scalars(
            select(StatusNotice)
            .join(notice_targets, notice_targets.c.status_notice_id == StatusNotice.id)
            .where(notice_targets.c.unit_id == unit.id)
            .options(selectinload(StatusNotice.services))
            .order_by(StatusNotice.id)
        )
        out[unit.id] = UnitFacts(
            unit.id,
            unit.timezone,
            tuple(engine_hours(record) for record in hours),
            tuple(
                engine_notice(notice)
                for notice in notices
                if service_id is None or applies_to_service(notice.service_ids, service_id)
            ),
        )
    return out


def assert_rows_read_as_records(app) -> None:
    with app.app_context():
        session = db.new_session()
        try:
            units = list(session.scalars(select(Unit.id)))
            # No service named, each service a notice names, and a few no notice names.
            named = set(session.scalars(select(notice_services.c.service_id)))
            others = session.scalars(select(Service.id).where(Service.id.not_in(named)).limit(3))
            services = [None, *sorted(named), *others]
            assert units and any(
                facts.notices and facts.hours
                for facts in facts_from_records(session, None).values()
            ), "the data has units with both hours and notices"
            for service_id in services:
                expected = facts_from_records(session, service_id)
                found = unit_facts(session, units, service_id)
                assert found == expected, service_id
                for unit_id, facts in found.items():  # the fields equality leaves out
                    for notice, record in zip(
                        facts.notices, expected[unit_id].notices, strict=True
                    ):
                        assert (notice.text, notice.source_urls) == (
                            record.text,
                            record.source_urls,
                        )
        finally:
            session.close()


def test_the_shipped_datas_inputs_read_as_rows_are_what_the_records_say(app):
    assert_rows_read_as_records(app)


@pytest.fixture(scope="module")
def generated_app(tmp_path_factory):
    yield from conftest.generated_app(tmp_path_factory.mktemp("generated"), 200, 5)


def test_a_generated_datasets_inputs_read_as_rows_are_what_the_records_say(generated_app):
    assert_rows_read_as_records(generated_app)
