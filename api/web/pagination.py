"""The house's pager: keyset pages in a body envelope, `{count, next, previous, results}`,
with the same links in an RFC 8288 `Link` header, and signed cursors (api.web.cursors) whose
every value is checked against the ordering before any query runs."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NoReturn

from flask import request, url_for
from sqlalchemy import BigInteger, Integer, Select, String, func, select, tuple_
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.orm.interfaces import ORMOption
from sqlalchemy.sql.elements import KeyedColumnElement
from sqlalchemy.types import TypeEngine

from api.problems import Problem, field_error
from api.store.collections import BY_MODEL
from api.store.db import db
from api.web import cursors
from api.web.pipeline import state
from api.web.published import stored

PAGE = "page"  # what a list's cursors are signed for (api.web.cursors)


def encode_cursor(direction: str, key: tuple) -> str:
    """The cursor of a page: `direction` "n" (the rows after `key`) or "p" (before it)."""
    return cursors.encode(PAGE, [direction, list(key)])


def decode_cursor(cursor: str, order_by: tuple) -> tuple[str, tuple]:
    """(direction, key) of a cursor this API issued, each part of the key of the type (and in
    the range) of its column in `order_by`; else a 400 before any query runs."""
    value = cursors.decode(PAGE, cursor)
    try:
        direction, key = value
        if direction not in ("n", "p") or not isinstance(key, list) or len(key) != len(order_by):
            raise ValueError
    except (ValueError, TypeError):
        _bad_cursor(
            "The cursor is not one this API issued; use the `next` or `previous` link as is."
        )
    if not all(fits_column(part, column.type) for part, column in zip(key, order_by, strict=True)):
        _bad_cursor(
            "The cursor does not belong to this ordering; keep the other parameters as they "
            "were when it was issued, or start again without it."
        )
    return direction, tuple(key)


def _bad_cursor(detail: str) -> NoReturn:
    raise Problem(400, detail, [field_error("cursor", detail)])


def fits_column(value: object, column_type: TypeEngine[Any]) -> bool:
    """Whether `value` can be compared with a column of `column_type` on either database: a
    string within its length and encodable, or an integer within its range."""
    if isinstance(column_type, Integer):
        bits = 64 if isinstance(column_type, BigInteger) else 32
        return (
            isinstance(value, int)
            and not isinstance(value, bool)
            and -(2 ** (bits - 1)) <= value < 2 ** (bits - 1)
        )
    if isinstance(column_type, String):
        if not isinstance(value, str) or len(value) > (column_type.length or len(value)):
            return False
        try:
            value.encode()
        except UnicodeEncodeError:  # a lone surrogate
            return False
        return True
    raise TypeError(f"the pager cannot order by a column of type {column_type!r}")


def _page_url(cursor: str) -> str:
    args = request.args.to_dict()
    args["cursor"] = cursor
    assert request.endpoint is not None  # a page is a view's answer
    return url_for(request.endpoint, _external=True, **(request.view_args or {}), **args)


def paginate(
    statement: Select,
    order_by: tuple[InstrumentedAttribute[Any] | KeyedColumnElement[Any], ...],
    args: dict,
    options: Iterable[ORMOption] = (),
) -> dict[str, Any]:
    """Keyset pagination over `statement`: `{count, next, previous, results}`.

    `order_by` must end in a unique column (the id) so the order is total; the cursor records
    the sort key of the page's first or last row, so any page costs what the first one does.
    A key that is not a model column (a search rank, a distance) must be an integer expression
    with a name (a label or a subquery's column): it is selected beside each record and set on
    it as an attribute of that name.

    The records of a collection (`statement` selects its model) are read from their stored
    published forms, as `api.web.published.Stored` (`options` are not needed); anything else
    is loaded with `options`.
    """
    from api.store.queries import per_data_version

    page_size = args["page_size"]
    direction, key = ("n", None)
    if args.get("cursor"):  # checked before any query runs
        direction, key = decode_cursor(args["cursor"], order_by)
    # Counting what a status, search or distance filter selects evaluates it on every record,
    # where a page evaluates it on a few: the count is remembered per data version.
    count = per_data_version(
        select(func.count()).select_from(statement.order_by(None).subquery()).scalar_subquery(),
        state().version,
    )
    computed = [c for c in order_by if not isinstance(c, InstrumentedAttribute)]
    keyed = [c for c in order_by if isinstance(c, InstrumentedAttribute)]
    # A page of a collection's records is read from their stored forms (api.web.published).
    entities = statement.column_descriptions
    kind = BY_MODEL.get(entities[0].get("entity")) if len(entities) == 1 else None

    columns = tuple_(*order_by) if len(order_by) > 1 else order_by[0]
    bound = key if len(order_by) > 1 else key[0] if key else None
    if direction == "n":
        if key is not None:
            statement = statement.where(columns > bound)
        statement = statement.order_by(*order_by)
    else:
        statement = statement.where(columns < bound).order_by(*(c.desc() for c in order_by))

    if kind is not None:
        model = kind.model
        statement = statement.with_only_columns(
            model.published_form, *keyed, maintain_column_froms=True
        )
    else:
        statement = statement.options(*options)
    statement = statement.add_columns(*computed).limit(page_size + 1)
    rows = list(db.session.execute(statement))
    more = len(rows) > page_size
    rows = rows[:page_size]
    if direction == "p":
        rows.reverse()
    if kind is not None:
        at = 1 + [c.key for c in keyed].index("id")
        records: list[Any] = stored(kind, ((row[at], row[0]) for row in rows))
        selected = [c.key for c in keyed] + [c.key for c in computed]
    else:
        records = [row[0] for row in rows]
        selected = [c.key for c in computed]
    keys = []
    for record, row in zip(records, rows, strict=True):
        named = dict(zip(selected, row[1:], strict=True))
        for column in computed:
            setattr(record, column.key, named[column.key])
        keys.append(tuple(named.get(c.key, getattr(record, c.key, None)) for c in order_by))

    has_next = more if direction == "n" else True
    has_previous = (key is not None) if direction == "n" else more
    links = {
        "next": _page_url(encode_cursor("n", keys[-1])) if has_next and rows else None,
        "previous": _page_url(encode_cursor("p", keys[0])) if has_previous and rows else None,
    }
    if direction == "p" and not rows and key is not None:
        links["next"] = None
    state().page_links = links
    return {"count": count, **links, "results": records}


def link_header(links: dict[str, str | None]) -> str | None:
    parts = [f'<{url}>; rel="{rel}"' for rel, url in links.items() if url]
    return ", ".join(parts) or None
