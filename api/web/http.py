"""The house's own HTTP pieces: the Api and Blueprint subclasses (the spec's problem
responses, unions and examples), the one handler that renders every failure as RFC 9457
problem+json, strict query strings, content negotiation (`format=`, `lang=`) and the lookup of
an item that may be gone. The pager is api/web/pagination.py, the pipeline api/web/pipeline.py.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any, NoReturn, TypeVar, cast

import flask_smorest
import yaml
from apispec import BasePlugin
from flask import current_app, request, url_for
from marshmallow import RAISE, Schema
from sqlalchemy import select
from sqlalchemy.orm.interfaces import ORMOption
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from api.formats.exports import FORMATS as DUMP_FORMATS
from api.formats.linked_data import JSONLD_BUILDERS, document, feature_collection, unit_feature
from api.problems import Problem, field_error
from api.store.collections import BY_MODEL, BY_NAME, COLLECTIONS, EDITABLE, PUBLISHED
from api.store.db import db
from api.store.history import deletion
from api.store.models import Record
from api.web import pagination
from api.web.pipeline import BaseStep, state
from api.web.published import Stored, stored, stored_response
from schemas.access_channels import CHANNEL_SCHEMAS, OtherChannelSchema
from schemas.common import (
    FORMAT_MEDIA_TYPES,
    LANGUAGES,
    ProblemSchema,
    flatten_errors,
    reset_output_languages,
    set_output_languages,
)

PROBLEM_JSON = "application/problem+json"

# The spec as YAML (`make openapi`, /v1/openapi.yaml) is written by PyYAML (YAML 1.1), which
# writes the string "00099" (a postal code) plain, and YAML 1.2 readers (Redocly, Spectral,
# openapi-typescript) read that as the number 99. A string of digits is quoted instead.
for _dumper in (yaml.Dumper, yaml.SafeDumper):
    _dumper.add_implicit_resolver(
        "tag:yaml.org,2002:int", re.compile(r"^[-+]?[0-9]+$"), list("-+0123456789")
    )
# A download a generated client hands over as bytes (openapi-python-client: a `File`).
BINARY = {"type": "string", "format": "binary"}

_F = TypeVar("_F", bound=Callable[..., Any])
_R = TypeVar("_R", bound=Record)

# Error responses the spec declares, by status: component name and description.
ERROR_RESPONSES = {
    400: ("BadRequest", "A parameter is malformed, out of range or unknown."),
    404: ("NotFound", "No such record."),
    410: ("Gone", "The record was deleted; the change feed has its tombstone."),
    406: ("NotAcceptable", "`Accept` allows none of the media types offered; `detail` lists them."),
    500: ("InternalServerError", "Unexpected error; nothing was changed."),
    # The editor API's (api/editor.py)
    401: ("Unauthorized", "No valid bearer token; see `WWW-Authenticate`."),
    403: ("Forbidden", "The token lacks the scope, or the record is another organization's."),
    409: ("Conflict", "The id exists already, or other records still refer to this one."),
    412: ("PreconditionFailed", "`If-Match` no longer matches: the record changed meanwhile."),
    413: ("ContentTooLarge", "The body is larger than the server accepts."),
    415: ("UnsupportedMediaType", "The body must be application/json in UTF-8, not encoded."),
    422: ("UnprocessableContent", "The record is not valid; `errors` lists every field."),
    428: ("PreconditionRequired", "Updates and deletes need `If-Match` with the ETag."),
    503: ("ServiceUnavailable", "The database is busy; retry after `Retry-After` seconds."),
}


def render(problem: Problem) -> Response:
    """A problem as its RFC 9457 response: the one place an error becomes an answer."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": problem.title,
        "status": problem.status,
        "detail": problem.detail,
        "instance": request.path,
    }
    if problem.errors:
        body["errors"] = problem.errors
    response = current_app.response_class(
        json.dumps(body, ensure_ascii=False), status=problem.status, mimetype=PROBLEM_JSON
    )
    response.headers.update(problem.headers)
    return response


def _from_http_exception(error: HTTPException) -> Problem:
    """Werkzeug's own errors (no route, a method not allowed, a parameter webargs refused)
    as a problem, keeping their headers (`Allow` on a 405)."""
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    errors = None
    if "messages" in data:
        errors = [
            field_error(fld, message)
            for fld, message in flatten_errors(
                data["messages"], whole="(request)", locations=WEBARGS_LOCATIONS
            )
        ]
        detail = "Invalid " + ", ".join(sorted({e["field"] for e in errors})) + "."
    else:
        detail = data.get("message") or error.description or HTTPStatus(status).phrase
    headers = {name: value for name, value in error.get_headers() if name != "Content-Type"}
    return Problem(status, detail, errors, headers)


# webargs nests its messages by location; the field name is what a user knows.
WEBARGS_LOCATIONS = ("query", "json", "headers", "path")


class Parser(FlaskParser):
    """Query strings are strict: an unknown parameter is a 400, not silently dropped."""

    DEFAULT_UNKNOWN_BY_LOCATION = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, "query": RAISE}
    DEFAULT_VALIDATION_STATUS = 400


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = Parser()

    def arguments(self, schema: type[Schema] | Schema, **kwargs: Any) -> Callable[[_F], _F]:
        """flask-smorest's, with one instance of `schema` per declaration: given a class,
        webargs would build a new instance (and copy its fields) for every request."""
        return super().arguments(schema() if isinstance(schema, type) else schema, **kwargs)

    def response(
        self,
        status_code: int | str,
        schema: type[Schema] | Schema | str | dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Callable[[_F], _F]:
        """flask-smorest's, and a view's record or page of records read from their stored
        forms (api.web.published) is answered as stored, not dumped by `schema` again."""
        document = super().response(status_code, schema, **kwargs)
        resolved = schema() if isinstance(schema, type) else schema
        page_schema = resolved if isinstance(resolved, Schema) else None

        def decorator(func: _F) -> _F:
            @functools.wraps(func)
            def view(*args: object, **view_args: object) -> object:
                return stored_response(func(*args, **view_args), page_schema)

            return cast(_F, document(view))

        return decorator

    def errors(self, *statuses: int) -> Callable[[_F], _F]:
        """Declare the problem responses an operation can return (400, 404, ...). An item that
        can be missing can also have been deleted: 404 brings 410 along."""
        if 404 in statuses:
            statuses = (*statuses, 410)

        def decorator(func: _F) -> _F:
            for status in (*statuses, 500):
                func = self.alt_response(status, response=ERROR_RESPONSES[status][0])(func)
            return func

        return decorator


# The query parameters only the CSV dump takes (schemas.dumps.DumpArgsSchema).
CSV_ONLY = ("bom", "nulls")


def without_fmt(spec: Any, dropped: tuple[str, ...] = ()) -> Any:  # noqa: ANN401 - a path item or one of its values
    """A dump's path item or operation without its `fmt` path parameter (and `dropped`)."""
    names = ("fmt", *dropped)
    if isinstance(spec, list):
        return [p for p in spec if not (isinstance(p, dict) and p.get("name") in names)]
    if isinstance(spec, dict) and "parameters" in spec:
        return {**spec, "parameters": without_fmt(spec["parameters"], dropped)}
    return spec


# A collection's JSON dump (api.formats.exports): where it stands, then the records.
JSON_DUMP = {
    "type": "object",
    "description": "A collection dump: the records as their item endpoint publishes them, "
    "with the change-feed cursor the dump stands at.",
    "required": ["collection", "count", "data_version", "change_feed_cursor", "changes", "results"],
    "properties": {
        "collection": {"type": "string", "example": "units"},
        "count": {"type": "integer", "description": "How many records `results` holds."},
        "data_version": {
            "type": "integer",
            "description": "The data version the dump was built from (the change feed's position).",
        },
        "change_feed_cursor": {
            "type": "string",
            "description": "`/v1/changes?since=<this>` gives every change made after the dump.",
        },
        "changes": {
            "type": "string",
            "format": "uri-reference",
            "description": "That change-feed URL, relative to the API.",
        },
        "results": {"type": "array", "items": {"type": "object"}},
    },
}


class PathParameterExamples(BasePlugin):
    """An apispec plugin: an example for every path parameter Flask's URL rules declare (each
    collection's id from its declaration; the HSDS ids as the view computes them)."""

    def path_helper(
        self,
        path: str | None = None,
        operations: dict[str, Any] | None = None,
        parameters: list[dict[str, Any]] | None = None,
        **kwargs: Any,
    ) -> None:
        from api.formats.hsds import hsds_id

        examples: dict[str, str] = {c.id_param: c.example_id for c in COLLECTIONS}
        examples.update(collection="units", fmt="ndjson")
        by_path = {
            "/hsds/services/{id}": hsds_id("service", "rehabilitating-work-activities"),
            "/hsds/organizations/{id}": hsds_id("organization", "social-rehabilitation-team"),
            "/hsds/service_at_locations/{id}": hsds_id(
                "service_at_location", "pakila-work-centre/rehabilitating-work-activities"
            ),
        }
        for parameter in parameters or []:
            if parameter.get("in") != "path" or "example" in parameter:
                continue
            # No id is longer (api.store.models.ID): a request line always fits.
            parameter["schema"]["maxLength"] = 100
            example = by_path.get(path or "") if parameter["name"] == "id" else None
            example = example or examples.get(parameter["name"])
            if example:
                parameter["example"] = example


class Api(flask_smorest.Api):
    """flask-smorest with RFC 9457 errors, problem responses in the spec and the access-channel
    union written as a discriminated `oneOf`."""

    ERROR_SCHEMA = ProblemSchema
    DEFAULT_ERROR_RESPONSE_NAME = None

    def _register_responses(self) -> None:
        self.spec.components.schema("Problem", schema=ProblemSchema)
        for _status, (name, description) in ERROR_RESPONSES.items():
            self.spec.components.response(
                name,
                {
                    "description": description,
                    "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
                },
            )

    def _register_pagination_header(self) -> None:
        """Our pages are body envelopes with Link headers, not flask-smorest's X-Pagination."""

    def _register_error_handlers(self) -> None:
        """One handler renders every failure: a Problem raised anywhere, Werkzeug's own
        errors, and anything unexpected (a 500 that tells nothing of the cause)."""
        self._app.register_error_handler(Exception, self.handle_error)

    def handle_error(self, error: Exception) -> Response:
        if isinstance(error, Problem):
            return render(error)
        if isinstance(error, HTTPException):
            return render(_from_http_exception(error))
        current_app.logger.exception("unexpected error on %s", request.path)
        return render(Problem(500, "An unexpected error occurred. It has been logged."))

    def finalize_spec(self) -> None:
        """Unions marshmallow cannot describe: access channels by `type`, change records by
        collection; and examples for the path parameters Flask's URL rules declare."""
        self.add_access_channel_union()
        self.add_editor_components()
        self.negotiate_other_representations()
        self.split_dump_formats()
        self.spec.components.schema("JsonDump", JSON_DUMP)
        self.spec.components.schema(
            "JsonLdDocument",
            {"type": "object", "description": "A JSON-LD document with an inline @context."},
        )
        self.spec.components.schema(
            "GeoJson",
            {
                "type": "object",
                "required": ["type"],
                "properties": {
                    "type": {"type": "string", "enum": ["Feature", "FeatureCollection"]}
                },
                "description": "An RFC 7946 GeoJSON Feature or FeatureCollection.",
            },
        )
        change = self.spec.components.schemas.get("Change")
        if change:
            records = [c.component for c in PUBLISHED]
            change["properties"]["record"] = {
                "description": change["properties"]["record"].get("description", ""),
                "anyOf": [{"$ref": f"#/components/schemas/{name}"} for name in records]
                + [{"type": "null"}],
            }

    def negotiate_other_representations(self) -> None:
        """`format=` (GeoJSON, JSON-LD, NDJSON) is left out of the operations' parameters: an
        operation's generated client function parses its JSON, and would fail on another body.
        The server still takes `format=` (and `Accept`, where the parameter says so); the
        description says how, and the media types stay in the 200 response."""
        for item in self.spec._paths.values():
            for operation in (op for op in item.values() if isinstance(op, dict)):
                parameters = operation.get("parameters", [])
                dropped = [
                    p for p in parameters if p.get("in") == "query" and p["name"] == "format"
                ]
                if not dropped:
                    continue
                operation["parameters"] = [p for p in parameters if p not in dropped]
                operation["description"] = (
                    f"{operation.get('description', '').rstrip()}\n\n"
                    "**Other representations**, by `format=` (left out of the parameters: "
                    f"generated clients read the JSON): {dropped[0]['description']}"
                )

    def split_dump_formats(self) -> None:
        """`/v1/dumps/{collection}.{fmt}` as one path per format, each with its own operation
        and media type (the same view serves them): a generated client then returns the JSON
        dump parsed and the NDJSON and CSV dumps as files (bytes), instead of parsing a CSV as
        JSON."""
        item = self.spec._paths.pop("/v1/dumps/{collection}.{fmt}", None)
        if item is None:
            return
        operation = item["get"]
        for fmt, media_type in DUMP_FORMATS.items():
            split = copy.deepcopy(operation)
            split["operationId"] = f"getDump{fmt.capitalize()}"
            split["summary"] = f"Download a whole collection as {fmt.upper()}"
            json_dump = {"$ref": "#/components/schemas/JsonDump"}
            schema = json_dump if media_type == "application/json" else BINARY
            split["responses"]["200"]["content"] = {media_type: {"schema": dict(schema)}}
            dropped = () if fmt == "csv" else CSV_ONLY
            self.spec._paths[f"/v1/dumps/{{collection}}.{fmt}"] = {
                **{key: without_fmt(copy.deepcopy(value), dropped) for key, value in item.items()},
                "get": without_fmt(split, dropped),
            }
        # The CSV's null marker as a named schema, so that a client generator names its type.
        self.spec.components.schema("CsvNulls", {"type": "string", "enum": ["empty", "marked"]})
        for parameter in self.spec._paths["/v1/dumps/{collection}.csv"]["get"]["parameters"]:
            if parameter.get("name") == "nulls":
                description = parameter["schema"].get("description")
                parameter["schema"] = {"$ref": "#/components/schemas/CsvNulls"}
                if description and "description" not in parameter:
                    parameter["description"] = description

    def add_editor_components(self) -> None:
        """The editor API's bearer scheme, Location header, and request bodies: each editable
        collection's input record, and the same with nothing required for a merge patch."""
        self.spec.components.security_scheme(
            "bearerAuth",
            {
                "type": "http",
                "scheme": "bearer",
                "description": "An editor token (`flask tokens create`); its scopes say what "
                "it may write.",
            },
        )
        self.spec.components.header(
            "Location",
            {"description": "The new record's URL.", "schema": {"type": "string", "format": "uri"}},
        )
        for collection in EDITABLE.values():
            schema = collection.input_schema
            self.spec.components.schema(f"{collection.component}Input", schema=schema)
            self.spec.components.schema(f"{collection.component}Patch", schema=schema(partial=True))

    def add_access_channel_union(self) -> None:
        """Publish `AccessChannel` as a `oneOf` of the typed channel schemas, keyed by `type`."""
        mapping = {}
        for kind, schema in CHANNEL_SCHEMAS.items():
            name = schema.__name__.removesuffix("Schema")
            if name not in self.spec.components.schemas:
                self.spec.components.schema(name, schema=schema)
            mapping[kind] = f"#/components/schemas/{name}"
        # The catch-all comes last: generated clients try the members in order, so a type
        # added after they were generated still parses (as an OtherChannel) instead of failing
        # the whole page. Its `type` excludes the known ones, so exactly one member matches.
        self.spec.components.schema("OtherChannel", schema=OtherChannelSchema)
        other = self.spec.components.schemas["OtherChannel"]
        other["properties"]["type"]["not"] = {"enum": list(mapping)}
        self.spec.components.schemas["AccessChannel"] = {
            "description": "An access channel. `type` says which of the typed schemas it is; "
            "a type added later arrives as an `OtherChannel` (the fields every channel has): "
            "clients must tolerate types they do not know.",
            "anyOf": [{"$ref": ref} for ref in mapping.values()]
            + [{"$ref": "#/components/schemas/OtherChannel"}],
        }


# --- Request helpers -------------------------------------------------------------------------


def requested_languages() -> tuple[str, ...] | None:
    """The languages `lang=` asks for, or None when it is absent or malformed (the view's
    argument parsing reports a malformed value as a 400)."""
    raw = request.args.get("lang")
    if not raw:
        return None
    languages = tuple(dict.fromkeys(raw.split(",")))
    return languages if all(lang in LANGUAGES for lang in languages) else None


class Languages(BaseStep):
    """`lang=` shapes every LocalizedString of the answer, and sets Content-Language."""

    def before(self) -> Response | None:
        languages = requested_languages()
        if languages:
            state().languages = languages
            state().language_token = set_output_languages(languages)
        return None

    def after(self, response: Response) -> Response:
        languages = state().languages
        if languages and response.status_code < 400:
            response.headers["Content-Language"] = ", ".join(languages)
        return response

    def teardown(self, error: BaseException | None) -> None:
        token = state().language_token
        if token is not None:
            reset_output_languages(token)


class PageLinks(BaseStep):
    """A collection page's links go in an RFC 8288 Link header too."""

    def after(self, response: Response) -> Response:
        links = state().page_links
        if links and (header := pagination.link_header(links)):
            existing = response.headers.get("Link")
            response.headers["Link"] = f"{header}, {existing}" if existing else header
        return response


def negotiated_format(args: dict, *choices: str) -> str:
    """`format=` if given, else the best of `choices` for the `Accept` header, else `json`."""
    if args.get("format"):
        return args["format"]
    offered = [FORMAT_MEDIA_TYPES[choice] for choice in ("json", *choices)]
    best = request.accept_mimetypes.best_match(offered, default="application/json")
    return next(name for name, media in FORMAT_MEDIA_TYPES.items() if media == best)


def alternative_response(
    kind_name: str, fmt: str, data: dict[str, Any] | Record | Stored
) -> Response:
    """A page or an item in GeoJSON or JSON-LD, built from the records as published."""
    kind = BY_NAME[kind_name]
    page = data if isinstance(data, dict) else None
    items = data["results"] if isinstance(data, dict) else [data]
    records = [obj.data() if isinstance(obj, Stored) else kind.dump(obj) for obj in items]
    return published_alternative(kind_name, fmt, records, page)


def published_alternative(
    kind_name: str, fmt: str, records: list[Any], page: dict[str, Any] | None = None
) -> Response:
    """The same from records in their published form: a page's, or one item's (also a version
    from its history)."""
    if fmt == "geojson":
        body = feature_collection(records, page) if page else unit_feature(records[0])
    else:
        base = url_for("index.get_index", _external=True)
        body = document([JSONLD_BUILDERS[kind_name](record, base) for record in records])
    return current_app.response_class(
        current_app.json.dumps(body), mimetype=FORMAT_MEDIA_TYPES[fmt]
    )


def alternative_content(json_schema: str, *choices: str) -> dict:
    """The 200 response with its other media types, for `@blp.doc(responses=...)`:
    `json_schema` names the JSON component, `choices` the other formats."""
    schemas = {"json": json_schema, "geojson": "GeoJson", "jsonld": "JsonLdDocument"}
    return {
        "200": {
            "description": "OK",
            "content": {
                FORMAT_MEDIA_TYPES[choice]: {
                    "schema": {"$ref": f"#/components/schemas/{schemas[choice]}"}
                }
                for choice in ("json", *choices)
            },
        }
    }


def get_or_404(model: type[_R], record_id: str, options: Iterable[ORMOption] = ()) -> _R:
    """The record, or 410 Gone if it was deleted (its history ends in a deletion), or 404."""
    obj = db.session.get(model, record_id, options=list(options))
    if obj is not None:
        return obj
    raise_not_found(model, record_id)


def published_or_404(model: type[Record], record_id: str) -> Stored:
    """The record as stored published (api.web.published), or 410 Gone or 404 as `get_or_404`.
    The form read with the request's validators is used when there is one for this record."""
    known = state().record_form
    if known is not None and known[0] is model and known[1] == record_id:
        return stored(BY_MODEL[model], [(record_id, known[2])])[0]
    form = db.session.execute(
        select(model.published_form).where(model.id == record_id)
    ).one_or_none()
    if form is None:
        raise_not_found(model, record_id)
    return stored(BY_MODEL[model], [(record_id, form[0])])[0]


def raise_not_found(model: type[Record], record_id: str) -> NoReturn:
    """The problem for a record that is not there: 410 Gone if it was deleted, else 404."""
    collection = BY_MODEL[model]
    noun = collection.singular
    gone = deletion(db.session, collection.name, record_id)
    if gone is not None:
        raise Problem(
            410, f"The {noun} '{record_id}' was deleted at {gone.recorded_at.isoformat()}."
        )
    raise Problem(404, f"No {noun} with id '{record_id}'.")
