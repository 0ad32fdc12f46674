"""`/v1/units`: service units, with their services, access channels and opening hours."""

import math
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select
from werkzeug.wrappers import Response

from api.domain.status import STATUS_RULES, Status, UnitFacts, opening_hours, status_at
from api.formats.calendar import opening_hours_calendar
from api.problems import Problem
from api.store.collections import collection
from api.store.models import Service, Unit
from api.store.queries import (
    filter_common,
    unit_facts,
    where_in,
    where_in_bbox,
    where_matches,
    where_near,
    where_open_at,
    where_related,
    where_state_at,
)
from api.web.caching import clock_dependent, now_minute, versioned_by_record
from api.web.edit_log import record_as_of
from api.web.editor import register_editing
from api.web.http import (
    Blueprint,
    alternative_content,
    alternative_response,
    get_or_404,
    negotiated_format,
    published_or_404,
    raise_not_found,
)
from api.web.pagination import paginate
from api.web.published import Stored
from schemas.status import (
    CALENDAR_DAYS_AFTER,
    CALENDAR_DAYS_BEFORE,
    CALENDAR_WINDOW,
    MAX_RANGE_DAYS,
    CalendarArgsSchema,
    DateRangeArgsSchema,
    StatusArgsSchema,
    UnitDailyHoursSchema,
    UnitStatusSchema,
)
from schemas.units import UnitItemArgsSchema, UnitPageSchema, UnitQueryArgsSchema, UnitSchema

blp = Blueprint(
    "units",
    __name__,
    url_prefix="/v1/units",
    description="Service units: every location and sub-location (offices, work centres, "
    "workshops, shops), with the services offered there, every way in, and regular opening hours.",
)


@blp.route("")
@clock_dependent("at", only_with=("state", "include"))
@blp.arguments(UnitQueryArgsSchema, location="query")
@blp.response(200, UnitPageSchema)
@blp.errors(400)
@blp.doc(operationId="listUnits", responses=alternative_content("UnitPage", "geojson", "jsonld"))
def list_units(args: dict) -> dict[str, Any] | Response:
    """List service units

    Ordered by id (by relevance with `q`, by distance with `near`). Also as GeoJSON (`Accept:
    application/geo+json` or `format=geojson`; units without coordinates have `geometry: null`) and
    schema.org JSON-LD (`application/ld+json`, `format=jsonld`). Filters combine with AND; several
    values of one filter are comma-separated and match any of them. Each unit embeds its services'
    names, its access channels and its opening hours, so a portal needs no second call. `open_at`
    and `state` (read at `at`) use the same rules as the unit's status, evaluated in the database.

    `q` searches names and descriptions in every language and orders by relevance (then id).
    `near` with `radius` keeps the units within that distance, orders them nearest first (then
    id; this wins over `q`'s order) and gives each its `distance_m`; `bbox` keeps the units
    inside a box. Units without coordinates are excluded from `near` and `bbox` results.
    Cursors belong to the ordering they were issued for: keep the other parameters as they are.

    `include=status` gives each unit `statuses`: its status at each instant of `at` (up to ten,
    comma-separated; default now), the same answer as its `/status`, in a fixed number of
    queries per page however many units it holds.
    """
    statement = select(Unit)
    statement = where_related(statement, Unit.services, Service.id, args.get("service_id"))
    statement = where_in(statement, Unit.organization_id, args.get("organization_id"))
    statement = where_in(statement, Unit.parent_id, args.get("parent_id"))
    statement = where_in(statement, Unit.type, args.get("type"))
    statement = where_open_at(statement, args.get("open_at"))
    instants = args.get("at") or [now_minute()]
    statement = where_state_at(statement, args.get("state"), instants[0])
    statement = filter_common(statement, Unit, args)
    statement, rank = where_matches(statement, Unit, args.get("q"))
    statement, squared_distance = where_near(statement, args.get("near"), args.get("radius"))
    statement = where_in_bbox(statement, args.get("bbox"))
    first = squared_distance if squared_distance is not None else rank
    order = (Unit.id,) if first is None else (first, Unit.id)
    fmt = negotiated_format(args, "geojson", "jsonld")
    page = paginate(statement, order, args)
    if squared_distance is not None:
        for unit in page["results"]:
            unit.distance_m = round(math.sqrt(unit.squared_distance_m2))
    if "status" in args.get("include", ()):
        facts = unit_facts([unit.id for unit in page["results"]])
        for unit in page["results"]:
            unit.statuses = [status_at(facts[unit.id], at).in_local_time() for at in instants]
    return page if fmt == "json" else alternative_response("units", fmt, page)


@blp.route("/<unit_id>")
@versioned_by_record(Unit, "unit_id")
@blp.arguments(UnitItemArgsSchema, location="query")
@blp.response(200, UnitSchema)
@blp.errors(400, 404)
@blp.doc(operationId="getUnit", responses=alternative_content("Unit", "geojson", "jsonld"))
def get_unit(args: dict, unit_id: str) -> Stored | Response:
    """Get one service unit

    The unit with its services, access channels (addresses, phone, fax, web pages, referral
    routes) and regular opening hours.
    """
    if args.get("as_of"):
        return record_as_of("units", unit_id, args)
    unit = published_or_404(Unit, unit_id)
    fmt = negotiated_format(args, "geojson", "jsonld")
    return unit if fmt == "json" else alternative_response("units", fmt, unit)


# --- Opening status --------------------------------------------------------------------------

STATUS_DESCRIPTION = (
    "The unit's status at `at` (default now): the resulting `state`; `open_to_anyone`, the one "
    "field a badge needs; whether it is open to the public, to current clients and to new "
    "clients (each true, false or null for unknown); the delivery mode; `since` and "
    "`next_change`; the notices behind it with their text, source, version and certainty; "
    "`reasons` for whatever is unknown; and the date of the newest source behind it. The "
    "rules:\n\n" + STATUS_RULES
)


def _facts_or_404(unit_id: str) -> UnitFacts:
    """The engine's input for a unit, or the unit's 404 / 410 problem (the input holds each
    unit that exists)."""
    facts = unit_facts([unit_id]).get(unit_id)
    if facts is None:
        raise_not_found(Unit, unit_id)
    return facts


@blp.route("/<unit_id>/status")
@clock_dependent("at")
@blp.arguments(StatusArgsSchema, location="query")
@blp.response(200, UnitStatusSchema)
@blp.errors(400, 404)
@blp.doc(operationId="getUnitStatus", description=STATUS_DESCRIPTION)
def get_unit_status(args: dict, unit_id: str) -> Status:
    """Is the unit open, for whom, since when, and says who"""
    facts = _facts_or_404(unit_id)
    return status_at(facts, args.get("at") or now_minute()).in_local_time()


@blp.route("/<unit_id>/opening-hours")
@clock_dependent("start", "end")
@blp.arguments(DateRangeArgsSchema, location="query")
@blp.response(200, UnitDailyHoursSchema)
@blp.errors(400, 404)
@blp.doc(operationId="getUnitOpeningHours")
def get_unit_opening_hours(args: dict, unit_id: str) -> dict[str, Any]:
    """Computed opening hours, day by day

    Each day from `start` to `end` (inclusive, at most a year) with its state, its opening spans
    (wall-clock, unit's time zone) and the notices, exception periods and regular hours behind
    it, by the same rules as the unit's status.
    """
    facts = _facts_or_404(unit_id)
    start, end = date_range(args, facts)
    return {
        "unit_id": unit_id,
        "timezone": facts.timezone,
        "start": start,
        "end": end,
        "days": opening_hours(facts, start, end),
    }


@blp.route("/<unit_id>/opening-hours.ics")
@clock_dependent("start", "end")
@blp.arguments(CalendarArgsSchema, location="query")
@blp.response(
    200,
    {"type": "string", "format": "binary"},
    content_type="text/calendar",
    description="An iCalendar (RFC 5545) feed.",
)
@blp.errors(400, 404)
@blp.doc(operationId="getUnitOpeningHoursCalendar")
def get_unit_opening_hours_calendar(args: dict, unit_id: str) -> Response:
    """Computed opening hours as an iCalendar feed

    The same days as `opening-hours`, for a calendar app to subscribe to: one event per
    opening span (its state in the summary where the unit is open only in part, e.g. to
    current clients), and an all-day "Closed" event on each day a notice or an exception
    period (a holiday, a summer closure) closes the unit; the days the regular weekly hours
    leave closed (weekends) have no event. Each event's description gives the text of the
    notices in force that day. Texts are in `lang`. An event's UID is made of its unit, day,
    kind and opening time `@` a fixed name (`CALENDAR_UID_DOMAIN`), never of the host that
    served it, so a calendar that subscribes through another address sees the same events.
    Without `start` and `end` the feed covers 7 days back and 90 days ahead.
    """
    facts = _facts_or_404(unit_id)
    unit = get_or_404(Unit, unit_id)  # there: _facts_or_404 found it
    start, end = calendar_range(args, facts)
    body = opening_hours_calendar(
        unit,
        facts,
        opening_hours(facts, start, end),
        lang=args.get("lang") or "en",
        uid_domain=current_app.config["CALENDAR_UID_DOMAIN"],
    )
    return current_app.response_class(body, mimetype="text/calendar")


def local_today(facts: UnitFacts) -> date:
    """Today in the unit's zone (in UTC if its stored zone is none this platform knows: a
    stored value never makes a read fail)."""
    return datetime.now(facts.zone_or_none() or UTC).date()


def calendar_range(args: dict, facts: UnitFacts) -> tuple[date, date]:
    """The feed's days as `CalendarArgsSchema` documents them: a week back and 90 days ahead,
    or the same length from the one day given."""
    start, end = args.get("start"), args.get("end")
    if start is not None and end is None:
        end = start + timedelta(days=CALENDAR_WINDOW)
    elif end is not None and start is None:
        start = end - timedelta(days=CALENDAR_WINDOW)
    elif start is None:
        today = local_today(facts)
        start = today - timedelta(days=CALENDAR_DAYS_BEFORE)
        end = today + timedelta(days=CALENDAR_DAYS_AFTER)
    return date_range({"start": start, "end": end}, facts)


def date_range(args: dict, facts: UnitFacts) -> tuple[date, date]:
    """`start` and `end` as asked; one alone makes a week with it; neither, this week on."""
    start, end = args.get("start"), args.get("end")
    if start is None:
        start = end - timedelta(days=6) if end else local_today(facts)
    if end is None:
        end = start + timedelta(days=6)
    if end < start or (end - start).days >= MAX_RANGE_DAYS:
        raise Problem(400, f"`end` must be on or after `start` and within {MAX_RANGE_DAYS} days.")
    return start, end


register_editing(blp, collection("units"))
