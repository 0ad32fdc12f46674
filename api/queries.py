"""Small query helpers the collection endpoints share, so no resource builds these by hand."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import Select, or_
from sqlalchemy.orm import InstrumentedAttribute


def local_date(instant: datetime) -> date:
    """The calendar day an instant falls on in the dataset's zone (validity days are local)."""
    return instant.astimezone(ZoneInfo(current_app.config["DEFAULT_TIMEZONE"])).date()


def filter_common(statement: Select, model, args: dict) -> Select:
    """Filters every collection takes."""
    if args.get("modified_since") is not None:
        statement = statement.where(model.modified_at >= args["modified_since"])
    return statement


def where_in(statement: Select, column: InstrumentedAttribute, values: list[str] | None) -> Select:
    """`column` is one of `values` (a comma-separated filter); no filter when absent."""
    return statement if values is None else statement.where(column.in_(values))


def where_related(statement: Select, relationship, target_id, values: list[str] | None) -> Select:
    """The record links to at least one of `values` through a many-to-many relationship."""
    return statement if values is None else statement.where(relationship.any(target_id.in_(values)))


def where_valid_on(
    statement: Select,
    start: InstrumentedAttribute,
    end: InstrumentedAttribute,
    instant: datetime | None,
) -> Select:
    """In force on the local day of `instant`; a null bound is open on that side."""
    if instant is None:
        return statement
    day = local_date(instant)
    return statement.where(or_(start.is_(None), start <= day), or_(end.is_(None), end >= day))
