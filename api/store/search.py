"""Full-text search over units' and services' names and descriptions (fi, sv and en), behind
one interface for both databases: an FTS5 virtual table in SQLite, a tsvector column with a GIN
index in PostgreSQL.

Text is normalised here in Python for both engines (case folded, diacritics removed, split into
words), so "kylasaari" finds "Kyläsaari" and both engines see the same words. Every word of a
query is a prefix ("uusi" finds "Uusix") and all of them must match. No Flask here: the loader
and the generator refresh the index; the endpoints query it.

Relevance is an integer, lower is better, so that a page cursor can carry it: records whose
names match every word come first, then records that match only with their descriptions; within
each group the engine's own score (FTS5 bm25, PostgreSQL ts_rank) orders them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    CompoundSelect,
    Connection,
    Integer,
    MetaData,
    Select,
    bindparam,
    case,
    cast,
    column,
    delete,
    event,
    false,
    func,
    insert,
    literal,
    literal_column,
    select,
    table,
    text,
    union_all,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import ColumnClause

from api.store.db import AnySession, Base
from api.store.models import Service, Unit

TABLE = "search_index"
index = table(
    TABLE,
    column("kind"),
    column("record_id"),
    column("name"),
    column("description"),
    column("document"),
)
SEARCHED: dict[str, type[Unit | Service]] = {"units": Unit, "services": Service}
LANGUAGES = ("fi", "sv", "en")
# A rank is `group * GROUP + score`, the score in 0..SCORE (lower is more relevant).
SCORE = 1_000_000
GROUP = 10 * SCORE
NAME_WEIGHT = 10.0  # bm25 weight of the name column against the description's 1.0

SQLITE_DDL = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {TABLE} USING fts5("
    "kind UNINDEXED, record_id UNINDEXED, name, description, "
    'tokenize="unicode61 remove_diacritics 2")',
)
POSTGRESQL_DDL = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} (kind varchar(20) NOT NULL, "
    "record_id varchar(100) NOT NULL, name text NOT NULL, description text NOT NULL, "
    "document tsvector NOT NULL, PRIMARY KEY (kind, record_id))",
    f"CREATE INDEX IF NOT EXISTS ix_{TABLE}_document ON {TABLE} USING gin (document)",
)
# Names weigh A, descriptions D: ts_filter(document, '{a}') is the name alone.
POSTGRESQL_INSERT = text(
    f"INSERT INTO {TABLE} (kind, record_id, name, description, document) "
    "VALUES (:kind, :record_id, :name, :description, "
    "setweight(to_tsvector('simple', :name), 'A') || "
    "setweight(to_tsvector('simple', :description), 'D'))"
)
SIMPLE: ColumnClause[Any] = literal_column("'simple'::regconfig")


def words(value: str | None) -> list[str]:
    """The words of `value` as both engines index them: case folded, without diacritics."""
    if not value:
        return []
    decomposed = unicodedata.normalize("NFKD", value)
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return re.findall(r"[^\W_]+", plain.casefold())


def _document(texts: Iterable[dict | None]) -> str:
    return " ".join(
        " ".join(words(localized.get(lang)))
        for localized in texts
        if localized
        for lang in LANGUAGES
        if localized.get(lang)
    )


# --- The index -------------------------------------------------------------------------------


def create_search_index(connection: Connection) -> None:
    """Create the index table if it is missing (raw DDL: SQLAlchemy has no FTS5 tables)."""
    ddl = SQLITE_DDL if connection.dialect.name == "sqlite" else POSTGRESQL_DDL
    for statement in ddl:
        connection.execute(text(statement))


@event.listens_for(Base.metadata, "after_create")
def _after_create(_metadata: MetaData, connection: Connection, **_kwargs: object) -> None:
    create_search_index(connection)


@event.listens_for(Base.metadata, "after_drop")
def _after_drop(_metadata: MetaData, connection: Connection, **_kwargs: object) -> None:
    connection.execute(text(f"DROP TABLE IF EXISTS {TABLE}"))


def refresh_search_index(session: Session) -> None:
    """Make the index match the units and services. Call inside the writing transaction; an
    index that already matches is not written (a reload that changes nothing changes nothing)."""
    connection = session.connection()
    create_search_index(connection)
    wanted = {}
    for kind, model in SEARCHED.items():
        for record_id, name, description in session.execute(
            select(model.id, model.name, model.description)
        ):
            wanted[(kind, record_id)] = (_document([name]), _document([description]))
    existing = {
        (kind, record_id): (name, description)
        for kind, record_id, name, description in session.execute(
            select(index.c.kind, index.c.record_id, index.c.name, index.c.description)
        )
    }
    if existing == wanted:
        return
    session.execute(delete(index))
    rows = [
        {"kind": kind, "record_id": record_id, "name": name, "description": description}
        for (kind, record_id), (name, description) in sorted(wanted.items())
    ]
    if not rows:
        return
    if connection.dialect.name == "sqlite":
        session.execute(insert(index), rows)
        session.execute(text(f"INSERT INTO {TABLE}({TABLE}) VALUES ('optimize')"))
    else:
        session.execute(POSTGRESQL_INSERT, rows)


def refresh_search_entries(session: Session, ids: dict[str, set[str]]) -> None:
    """Make the index entries of these records (kind -> ids, "units" or "services") match
    them: after a write that changed a few records; deleted ones leave the index."""
    connection = session.connection()
    for kind, model in SEARCHED.items():
        wanted = sorted(ids.get(kind, ()))
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            session.execute(delete(index).where(index.c.kind == kind, index.c.record_id.in_(chunk)))
            rows = [
                {
                    "kind": kind,
                    "record_id": record_id,
                    "name": _document([name]),
                    "description": _document([description]),
                }
                for record_id, name, description in session.execute(
                    select(model.id, model.name, model.description).where(model.id.in_(chunk))
                )
            ]
            if not rows:
                continue
            if connection.dialect.name == "sqlite":
                session.execute(insert(index), rows)
            else:
                session.execute(POSTGRESQL_INSERT, rows)


# --- Queries ---------------------------------------------------------------------------------


def matches(session: AnySession, kind: str, query: str) -> Select | CompoundSelect:
    """`(record_id, rank)` of the records of `kind` ("units", "services") matching every word
    of `query` as a prefix, one row per record; lower ranks are more relevant. A query with no
    words matches nothing."""
    terms = words(query)
    if not terms:
        return select(index.c.record_id, literal(0, Integer).label("rank")).where(false())
    if session.get_bind().dialect.name == "sqlite":
        return _sqlite_matches(kind, terms)
    return _postgresql_matches(kind, terms)


def _sqlite_matches(kind: str, terms: list[str]) -> CompoundSelect:
    expression = " AND ".join(f'"{term}"*' for term in terms)
    names = f"name : ({expression})"
    fts: ColumnClause[Any] = literal_column(TABLE)
    score = func.bm25(fts, 0.0, 0.0, NAME_WEIGHT, 1.0)  # negative: more negative is better
    scored = cast(func.round(SCORE / (1.0 - score)), Integer)

    def matching(number: int, match: str) -> ColumnElement[Any]:
        return fts.op("MATCH")(bindparam(f"match_{number}", match))

    # Every record whose names match also matches in some column, and ranks in the first group
    # (its score there is under GROUP): the second group leaves those records out, so the
    # groups are disjoint and no record is scored twice, grouped or deduplicated.
    by_name = select(index.c.record_id, scored.label("rank")).where(
        matching(0, names), index.c.kind == kind
    )
    named: Select = select(literal_column("rowid")).select_from(index).where(matching(1, names))
    elsewhere = select(index.c.record_id, (scored + GROUP).label("rank")).where(
        matching(2, expression),
        literal_column(f"{TABLE}.rowid").not_in(named.correlate(None)),
        index.c.kind == kind,
    )
    return union_all(by_name, elsewhere)


def _postgresql_matches(kind: str, terms: list[str]) -> Select:
    query = func.to_tsquery(SIMPLE, " & ".join(f"{term}:*" for term in terms))
    names_only = func.ts_filter(index.c.document, literal_column("'{a}'::\"char\"[]"))
    grouped = case((names_only.op("@@")(query), 0), else_=GROUP)
    # Normalisation 32 maps the score into 0..1 (rank / (rank + 1)).
    scored = cast(func.round(SCORE * (1 - func.ts_rank(index.c.document, query, 32))), BigInteger)
    return select(index.c.record_id, cast(grouped + scored, Integer).label("rank")).where(
        index.c.document.op("@@")(query), index.c.kind == kind
    )
