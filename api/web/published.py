"""Items and pages from the records' stored published forms (`Record.published_form`, kept by
api.store.loader.stamp_representations): the JSON text is served as stored, a page is assembled
from the stored strings, and only `lang=` or what a view adds to a record (a unit's
`distance_m`, its `statuses`) parses a form again, never the ORM or marshmallow for the record
itself. A form not stored yet (a database migrated before its next load) is built as before.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from flask import current_app
from marshmallow import Schema

from api.store.collections import Collection, iter_records
from api.store.db import db
from api.web.pipeline import state
from schemas.common import only_languages


class Stored:
    """A record as the pager or an item view hands it on: its id and its stored form. A view
    may set on it, as on a record, a field its schema publishes beside the stored form (a
    unit's `distance_m`, `statuses`); anything else set on it is not published."""

    def __init__(self, kind: Collection, record_id: str, form: str) -> None:
        self.id = record_id
        self._kind, self._form = kind, form

    def _added(self) -> list[str]:
        """The fields a view set on it that its collection's schema publishes."""
        fields = self._kind.published_schema.dump_fields
        return [name for name in vars(self) if name in fields and name != "id"]

    def data(self) -> dict[str, Any]:
        """The record as published to this request: in the languages `lang=` asks for, with
        what the view added, in the schema's order."""
        data = json.loads(self._form)
        languages = state().languages
        if languages:
            data = only_languages(data, languages)
        added = self._added()
        if not added:
            return data
        schema = self._kind.published_schema
        for name in added:
            data[name] = schema.dump_fields[name].serialize(name, self)
        return {name: data[name] for name in schema.dump_fields if name in data}

    def text(self) -> str:
        """`data()` as JSON text: the stored form itself when it is that."""
        if not state().languages and not self._added():
            return self._form
        return json.dumps(self.data(), ensure_ascii=False, separators=(",", ":"))


def stored(kind: Collection, forms: Iterable[tuple[str, str | None]]) -> list[Stored]:
    """(id, stored form) pairs as `Stored`, in the same order; a form not stored yet is built."""
    pairs = list(forms)
    missing = sorted(record_id for record_id, form in pairs if form is None)
    built = {obj.id: kind.form(obj) for obj in iter_records(db.session, kind, ids=missing)}
    return [Stored(kind, record_id, form or built[record_id]) for record_id, form in pairs]


def is_stored_page(result: object) -> bool:
    return (
        isinstance(result, dict)
        and isinstance(result.get("results"), list)
        and any(isinstance(item, Stored) for item in result["results"])
    )


def stored_response(result: object, schema: Schema | None) -> object:
    """What a view returned, as the response of stored forms when it is a `Stored` record or
    a page of them (`schema` is the page's: its other fields are dumped by it); else as is."""
    if isinstance(result, Stored):
        body = result.text()
    elif schema is not None and is_stored_page(result):
        assert isinstance(result, dict)
        envelope = schema.dump({**result, "results": []})
        records = "[" + ",".join(item.text() for item in result["results"]) + "]"
        body = (
            "{"
            + ",".join(
                json.dumps(key) + ":" + (records if key == "results" else json.dumps(value))
                for key, value in envelope.items()
            )
            + "}"
        )
    else:
        return result
    return current_app.response_class(body + "\n", mimetype="application/json")
