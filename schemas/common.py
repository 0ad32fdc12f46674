"""Shared schema pieces: LocalizedString, Address, the page envelope, problem details, ids."""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar, Token
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

import marshmallow as ma
from marshmallow import ValidationError, fields, post_dump, validate, validates_schema
from webargs.fields import DelimitedList

LANGUAGES: tuple[str, ...] = ("fi", "sv", "en")
_output_languages: ContextVar[tuple[str, ...]] = ContextVar("output_languages", default=LANGUAGES)

ID_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?$"
ID_DESCRIPTION = "Stable, opaque identifier; never changes once published."

# Sizes of input, far above anything the data needs: text for people, a web address, the ids
# in one list (PostgreSQL takes at most 65,535 parameters in one statement), source pages.
MAX_TEXT = 10_000
MAX_URL = 2_000
MAX_IDS = 1_000
MAX_SOURCE_URLS = 50


def set_output_languages(languages: tuple[str, ...]) -> Token:
    """Dump LocalizedStrings with only these language keys (the `lang=` parameter) until
    `reset_output_languages(token)`."""
    return _output_languages.set(languages)


def reset_output_languages(token: Token) -> None:
    _output_languages.reset(token)


@contextmanager
def every_language() -> Iterator[None]:
    """Dump LocalizedStrings in every language inside the block, whatever `lang=` asked: for
    what is stored (a record's published form, its history)."""
    token = set_output_languages(LANGUAGES)
    try:
        yield
    finally:
        reset_output_languages(token)


def only_languages(value: object, languages: tuple[str, ...]) -> object:
    """What `lang=` does to a published record, applied to one already dumped (a stored form or
    version): every LocalizedString (an object of the three language keys) keeps `languages`."""
    if isinstance(value, dict):
        if value.keys() == _LANGUAGE_KEYS:
            return _pick(value, languages)
        return {key: only_languages(item, languages) for key, item in value.items()}
    if isinstance(value, list):
        return [only_languages(item, languages) for item in value]
    return value


_LANGUAGE_KEYS = frozenset(LANGUAGES)


def _pick(localized: Mapping[str, str | None], languages: tuple[str, ...]) -> dict[str, str | None]:
    """A LocalizedString with only `languages`, in that order."""
    return {lang: localized.get(lang) for lang in languages}


class Schema(ma.Schema):
    """The house base schema: unknown keys are an error, on input and in query strings.
    A subclass's docstring becomes its description in the spec."""

    class Meta:
        unknown = ma.RAISE

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # Only the class's own docstring describes it; a parent's is not inherited.
        options = {"unknown": cls.Meta.unknown}
        if "Meta" in cls.__dict__:
            options.update({k: v for k, v in vars(cls.Meta).items() if not k.startswith("_")})
        options.pop("description", None)
        if doc := cls.__dict__.get("__doc__"):
            options["description"] = inspect.cleandoc(doc)
        # A class made here replaces the declared one, which mypy cannot follow.
        cls.Meta = type("Meta", (), options)  # type: ignore[misc,assignment]


class OutputSchema(Schema):
    """Base of response schemas: clients must accept fields added later within v1."""

    class Meta:
        unknown = ma.EXCLUDE


# --- Strict input ----------------------------------------------------------------------------


class Pattern(validate.Regexp):
    """`validate.Regexp` over the whole value. The pattern keeps its `^...$`, which the spec
    publishes (ECMA-262, where `$` is the end of the text), but Python's `$` also matches before
    a final newline, so it is matched with `fullmatch`: `08:00\\n` is not a time."""

    regex: re.Pattern[str]  # made from a text pattern

    # Text only: marshmallow's Regexp also takes bytes, which no field here gives it.
    def __call__(self, value: str) -> str:  # type: ignore[override]
        if self.regex.fullmatch(value) is None:
            raise ValidationError(self._format_error(value))
        return value


class StrictFloat(fields.Float):
    """A JSON number: a string such as `"60.2"` is not read as one (nor is a boolean)."""

    def _validated(self, value: object) -> float:
        if isinstance(value, str):
            raise self.make_error("invalid", input=value)
        return super()._validated(value)


class StrictInteger(fields.Integer):
    """A JSON integer: `3`, or `3.0`, the same number in JSON (and in JSON Schema); not `3.5`,
    `"3"` or `true`."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(strict=True, **kwargs)

    def _validated(self, value: object) -> int:
        if isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return super()._validated(value)


class StrictBoolean(fields.Boolean):
    """JSON `true` or `false`: not `"yes"`, `1` or `"true"`."""

    def _deserialize(
        self, value: object, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


def flatten_errors(
    messages: object, *, whole: str = "(record)", locations: tuple[str, ...] = (), prefix: str = ""
) -> list[tuple[str, str]]:
    """marshmallow's (or webargs') nested error messages as [(dotted.field, message)], for
    the loader's report and the problems' `errors`. `whole` names an error of the whole record;
    `locations` are top-level keys that only say where a field was (webargs' "query")."""
    if isinstance(messages, dict):
        out: list[tuple[str, str]] = []
        for key, value in messages.items():
            name: str
            if key in locations and not prefix:
                name = prefix
            else:
                name = f"{prefix}.{key}" if prefix else str(key)
            out.extend(flatten_errors(value, whole=whole, locations=locations, prefix=name))
        return out
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return [(prefix or whole, " ".join(messages))]
    if isinstance(messages, list):
        return [
            pair
            for m in messages
            for pair in flatten_errors(m, whole=whole, locations=locations, prefix=prefix)
        ]
    return [(prefix or whole, str(messages))]


# --- Identifiers, URLs and enumerations --------------------------------------------------------


def Id(**kwargs: Any) -> fields.String:  # noqa: N802 - a field factory reads like a field class
    metadata = {"description": ID_DESCRIPTION, "example": "pakila-work-centre", "maxLength": 100}
    metadata.update(kwargs.pop("metadata", {}))
    return fields.String(
        validate=Pattern(ID_PATTERN, error="Not a valid id (lowercase slug)."),
        metadata=metadata,
        **kwargs,
    )


def IdList(**kwargs: Any) -> fields.List:  # noqa: N802
    return fields.List(Id(), validate=validate.Length(max=MAX_IDS), **kwargs)


def _validate_http_url(value: str) -> None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or re.search(r"\s", value):
        raise ValidationError("Not a valid http(s) URL.")


def HttpUrl(**kwargs: Any) -> fields.String:  # noqa: N802
    """A web address. Internationalised host names (e.g. pakilantyökeskus.fi) are allowed,
    so the spec's format is `iri`, not `uri`."""
    metadata = {"format": "iri"}
    metadata.update(kwargs.pop("metadata", {}))
    return fields.String(
        validate=[validate.Length(max=MAX_URL), _validate_http_url], metadata=metadata, **kwargs
    )


def Enum(values: tuple[str, ...], description: str, **kwargs: Any) -> fields.String:  # noqa: N802
    """An extensible enumeration in a response: a string whose known values the description
    lists. No closed `enum` in the spec, so generated clients accept values added later."""
    known = ", ".join(f"`{v}`" for v in values)
    metadata = {
        "description": f"{description} Known values: {known}. Extensible: tolerate new values.",
        "example": values[0],
    }
    metadata.update(kwargs.pop("metadata", {}))
    return fields.String(metadata=metadata, **kwargs)


def Choice(values: tuple[str, ...], description: str, **kwargs: Any) -> fields.String:  # noqa: N802
    """One of today's values, in input (the data files, query strings, the editor API)."""
    metadata = {"description": description, "example": values[0]}
    metadata.update(kwargs.pop("metadata", {}))
    return fields.String(validate=validate.OneOf(values), metadata=metadata, **kwargs)


# --- LocalizedString -------------------------------------------------------------------------


class LocalizedStringSchema(Schema):
    """Text for people in Finnish, Swedish and English. A language that no source gives is null;
    no language is ever filled with another language's text."""

    fi = fields.String(
        allow_none=True,
        load_default=None,
        validate=validate.Length(max=MAX_TEXT),
        metadata={"example": "Pakilan työkeskus"},
    )
    sv = fields.String(
        allow_none=True,
        load_default=None,
        validate=validate.Length(max=MAX_TEXT),
        metadata={"example": "Baggböle arbetscentral"},
    )
    en = fields.String(
        allow_none=True,
        load_default=None,
        validate=validate.Length(max=MAX_TEXT),
        metadata={"example": "Pakila Work Centre"},
    )

    @post_dump
    def _only_requested_languages(
        self, data: dict[str, str | None], **_kwargs: object
    ) -> dict[str, str | None]:
        wanted = _output_languages.get()
        if wanted == LANGUAGES:
            return data
        return _pick(data, wanted)

    @validates_schema
    def _not_empty_strings(self, data: dict[str, str | None], **_kwargs: object) -> None:
        for lang, text in data.items():
            if text is not None and not text.strip():
                raise ValidationError("Use null, not an empty string.", lang)


def Localized(*, nullable: bool = True, **kwargs: Any) -> fields.Nested:  # noqa: N802
    """A LocalizedString field. `nullable=False`: never null, and at least one language given."""
    return fields.Nested(
        LocalizedStringSchema,
        allow_none=nullable,
        validate=[] if nullable else [_has_some_language],
        **kwargs,
    )


def _has_some_language(value: dict) -> None:
    if not any(value.get(lang) for lang in LANGUAGES):
        raise ValidationError("At least one language must be given.")


# --- Addresses -------------------------------------------------------------------------------


class AddressSchema(Schema):
    """A visiting or postal address as published. Street and locality are LocalizedStrings
    because Finnish and Swedish names differ (Hopeatie / Silvervägen)."""

    street_address = Localized(load_default=None, metadata={"description": "Street and number."})
    additional_info = Localized(
        load_default=None, metadata={"description": "Floor, entrance or similar."}
    )
    postal_code = fields.String(
        allow_none=True,
        load_default=None,
        validate=Pattern(r"^\d{5}$", error="Use five digits."),
        metadata={"example": "00440"},
    )
    locality = Localized(load_default=None, metadata={"description": "Post office locality."})
    po_box = fields.String(
        allow_none=True,
        load_default=None,
        validate=validate.Length(min=1, max=20),
        metadata={
            "description": "Post office box number, for postal addresses.",
            "example": "8647",
        },
    )


# --- Links ---------------------------------------------------------------------------------


class LinkSchema(Schema):
    """A link as a source shows it: its text in each language the source gives, and its
    address, null where no source gives it (an address is never guessed)."""

    text = Localized(
        nullable=False,
        required=True,
        metadata={"description": "The link's text as published."},
    )
    url = HttpUrl(
        required=True,
        allow_none=True,
        metadata={"description": "Where it leads; null where no source gives the address."},
    )


def Links(**kwargs: Any) -> fields.List:  # noqa: N802
    """The links a source shows on a record, in the source's order."""
    metadata = {"description": "Links the sources show with it, in their order."}
    metadata.update(kwargs.pop("metadata", {}))
    return fields.List(fields.Nested(LinkSchema), metadata=metadata, **kwargs)


# --- Records ---------------------------------------------------------------------------------


class RecordSchema(OutputSchema):
    """Output fields every record has."""

    id = Id(required=True)
    created_at = fields.DateTime(
        required=True, metadata={"description": "When the record was first published (RFC 3339)."}
    )
    modified_at = fields.DateTime(
        required=True, metadata={"description": "When the record last changed (RFC 3339)."}
    )
    source_urls = fields.List(
        HttpUrl(), required=True, metadata={"description": "Public pages the facts come from."}
    )
    notes = fields.String(
        allow_none=True,
        required=True,
        metadata={"description": "Editorial notes on provenance, gaps and disagreements."},
    )


class InForceBoundsSchema(OutputSchema):
    """When a statement or a version can have been in force, as the sources bound it: its first
    day lies from `from_earliest` to `from_latest`, its last from `until_earliest` to
    `until_latest` (null: no bound on that side). Equal bounds are an exact day."""

    # Stored as JSON text: strings in the form of dates.
    from_earliest = fields.String(required=True, allow_none=True, metadata={"format": "date"})
    from_latest = fields.String(required=True, allow_none=True, metadata={"format": "date"})
    until_earliest = fields.String(required=True, allow_none=True, metadata={"format": "date"})
    until_latest = fields.String(required=True, allow_none=True, metadata={"format": "date"})


class RecordInputSchema(Schema):
    """Input fields every record has (the loader's and the editor API's)."""

    id = Id(required=True)
    source_urls = fields.List(
        HttpUrl(), required=True, validate=validate.Length(min=1, max=MAX_SOURCE_URLS)
    )
    notes = fields.String(
        allow_none=True, load_default=None, validate=validate.Length(max=MAX_TEXT)
    )


class RefSchema(OutputSchema):
    id = Id(required=True)
    name = Localized(nullable=False, required=True)


# --- Collections -----------------------------------------------------------------------------


class PageSchema(OutputSchema):
    """The envelope of every collection page."""

    count = fields.Integer(
        required=True, metadata={"description": "Number of results across all pages."}
    )
    next = fields.String(
        required=True,
        allow_none=True,
        metadata={"format": "uri", "description": "The next page, or null on the last one."},
    )
    previous = fields.String(
        required=True,
        allow_none=True,
        metadata={"format": "uri", "description": "The previous page, or null on the first one."},
    )


def page_of(item_schema: type[Schema]) -> type[Schema]:
    """A named page envelope (`UnitPage`, ...) so generated clients get one clean type each."""
    name = item_schema.__name__.removesuffix("Schema") + "PageSchema"
    noun = item_schema.__name__.removesuffix("Schema")
    return type(
        name,
        (PageSchema,),
        {
            "__doc__": f"One page of {noun} results, with links to the next and previous pages.",
            "results": fields.List(fields.Nested(item_schema), required=True),
        },
    )


# A comma-separated filter's length: dozens of ids, and every parameter of a list at its
# longest still fits in a request line (tests/test_request_line.py).
MAX_FILTER = 500


class CommaSeparated(fields.String):
    """A query parameter with several comma-separated values, `service_id=a,b`, read as a list.

    Documented as one string with a pattern rather than as an array: a query string carries
    text, and clients pass the comma-joined value as is."""

    def __init__(self, item_pattern: str, max_length: int = MAX_FILTER, **kwargs: Any) -> None:
        self.pattern = re.compile(f"^{item_pattern}(,{item_pattern})*$")
        self.max_length = max_length
        metadata = {
            "pattern": self.pattern.pattern,
            "maxLength": max_length,
            **kwargs.pop("metadata", {}),
        }
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(  # type: ignore[override]  # a String in the spec, read as a list
        self, value: object, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> list[str]:
        text = super()._deserialize(value, attr, data, **kwargs)
        self._check_values(text)
        if len(text) > self.max_length:
            raise ValidationError(f"At most {self.max_length} characters.")
        self._check(text)
        return list(dict.fromkeys(text.split(",")))

    def _check_values(self, text: str) -> None:
        """Checks that name a wrong value before its length is (a closed list's)."""

    def _check(self, text: str) -> None:
        if not self.pattern.fullmatch(text):
            raise ValidationError(f"Expected comma-separated values: {self.pattern.pattern}")


def one_of(values: tuple[str, ...]) -> str:
    """The one message for a value outside a closed list, in a filter, a format or a record
    (marshmallow's `OneOf` says the same)."""
    return f"Must be one of: {', '.join(values)}."


class CommaSeparatedChoices(CommaSeparated):
    """A comma-separated filter over a closed list (`type=shop,office`): a value outside it is
    a 400 whose message lists the allowed values. The spec gives the list in the description
    and as the pattern."""

    def __init__(self, values: tuple[str, ...], **kwargs: Any) -> None:
        self.choices = values
        kwargs.setdefault("max_length", len(",".join(values)))  # every value, once
        super().__init__("(" + "|".join(re.escape(v) for v in values) + ")", **kwargs)

    def _check_values(self, text: str) -> None:
        unknown = [value for value in text.split(",") if value not in self.choices]
        if unknown:
            named = ", ".join(repr(value) for value in dict.fromkeys(unknown))
            raise ValidationError(f"Unknown value {named}. {one_of(self.choices)}")


def ChoiceFilter(values: tuple[str, ...], description: str, example: str) -> CommaSeparated:  # noqa: N802
    """A filter over one of today's values; several are comma-separated (any match)."""
    known = ", ".join(f"`{v}`" for v in values)
    return CommaSeparatedChoices(
        values,
        metadata={
            "description": f"{description} One or more of {known}, comma-separated (any match).",
            "example": example,
        },
    )


def IdFilter(description: str, example: str) -> CommaSeparated:  # noqa: N802
    """Ids (or enumeration values: lower case, digits, `-` and `_`), comma-separated."""
    return CommaSeparated(
        "[a-z0-9_-]+",
        metadata={
            "description": f"{description} Several values are comma-separated (any match).",
            "example": example,
        },
    )


# Instants and days in query strings are limited to years the engine can search around.
YEAR_PATTERN = "^(19|20|21)[0-9]{2}-"
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2199, 12, 31)


def _in_supported_years(value: date | datetime) -> None:
    day = value.date() if isinstance(value, datetime) else value
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValidationError("Supported years are 1900–2199.")


# What an instant with an unencoded `+` looks like once a query string decodes it to a space.
_PLUS_AS_SPACE = re.compile(r"^\S+T\S+ \d{2}(:?\d{2})?$")
PLUS_AS_SPACE_MESSAGE = (
    "The offset's `+` arrived as a space: in a query string `+` means a space. Write it as "
    "`%2B` (`2021-03-15T10:00:00%2B02:00`), or give the instant in UTC with `Z` "
    "(`2021-03-15T08:00:00Z`)."
)


# An instant's longest form, with microseconds: 2021-03-15T10:00:00.123456+02:00 is 32.
MAX_INSTANT = 40


class InstantField(fields.AwareDateTime):
    """An aware RFC 3339 instant (at most MAX_INSTANT characters) that explains the most common
    mistake in writing one."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["metadata"] = {"maxLength": MAX_INSTANT, **kwargs.get("metadata", {})}
        super().__init__(**kwargs)

    def _deserialize(
        self, value: object, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> datetime:
        if isinstance(value, str) and _PLUS_AS_SPACE.match(value):
            raise ValidationError(PLUS_AS_SPACE_MESSAGE)
        if isinstance(value, str) and len(value) > MAX_INSTANT:
            raise ValidationError(f"At most {MAX_INSTANT} characters.")
        return super()._deserialize(value, attr, data, **kwargs)


def Instant(description: str, example: str) -> fields.AwareDateTime:  # noqa: N802
    """A query-string instant: RFC 3339 with an offset, years 1900–2199."""
    return InstantField(
        validate=_in_supported_years,
        metadata={"description": description, "example": example, "pattern": YEAR_PATTERN},
    )


MAX_INSTANTS = 10


def Instants(**kwargs: Any) -> DelimitedList:  # noqa: N802
    """A query-string list of instants, comma-separated (at most MAX_INSTANTS), each as
    `Instant` reads it; documented as an array (`style: form`, `explode: false`)."""
    item = InstantField(validate=_in_supported_years, metadata={"pattern": YEAR_PATTERN})
    return DelimitedList(item, validate=validate.Length(min=1, max=MAX_INSTANTS), **kwargs)


def Day(description: str, example: str) -> fields.Date:  # noqa: N802
    """A query-string calendar day, YYYY-MM-DD, years 1900–2199."""
    return fields.Date(
        validate=_in_supported_years,
        metadata={"description": description, "example": example, "pattern": YEAR_PATTERN},
    )


def DataDay() -> fields.Date:  # noqa: N802
    """An optional calendar day in the data (validity bounds), years 1900–2199."""
    return fields.Date(allow_none=True, load_default=None, validate=_in_supported_years)


def LanguageFilter() -> CommaSeparated:  # noqa: N802
    return CommaSeparatedChoices(
        LANGUAGES,
        metadata={
            "description": "Only these languages in LocalizedStrings (comma-separated fi, sv, en).",
            "example": "fi,en",
        },
    )


# Letters of the Latin alphabets (with their accented forms) and digits: a search must have one.
SEARCH_PATTERN = "[0-9A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f]"


def _has_a_word(value: str) -> None:
    if not re.search(SEARCH_PATTERN, value):
        raise ValidationError("Search for at least one letter or digit.")


MAX_SEARCH = 100  # characters of a search; a few words, and any script fits a request line


def SearchText(noun: str, example: str) -> fields.String:  # noqa: N802
    """`q=`: full-text search over names and descriptions in every language."""
    return fields.String(
        validate=[validate.Length(min=1, max=MAX_SEARCH), _has_a_word],
        metadata={
            "description": f"Full-text search over the {noun}' names and descriptions in "
            "Finnish, Swedish and English. Every word must match, as a prefix (`uusi` finds "
            "Uusix), ignoring case and accents (`kylasaari` finds Kyläsaari). Results are "
            "ordered by relevance, name matches first, then by id.",
            "example": example,
            "pattern": SEARCH_PATTERN,
        },
    )


# A cursor is base64url, a dot and base64url (api.cursors); the longest one issued is about
# 250 characters (a relevance or distance and a 100-character id).
CURSOR_PATTERN = r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)?$"
MAX_CURSOR = 500


class PageArgsSchema(Schema):
    """The pager's query parameters."""

    page_size = fields.Integer(
        load_default=20,
        validate=validate.Range(min=1, max=500),
        metadata={"description": "Results per page (1–500).", "example": 20},
    )
    cursor = fields.String(
        validate=[
            validate.Length(min=1, max=MAX_CURSOR),
            Pattern(CURSOR_PATTERN, error="Not a cursor this API issued."),
        ],
        metadata={
            "description": "Opaque position from a `next` or `previous` link. Do not build it.",
            "pattern": CURSOR_PATTERN,
        },
    )


class ListArgsSchema(PageArgsSchema):
    """Query parameters every collection takes."""

    lang = LanguageFilter()
    modified_since = Instant(
        "Only records modified at or after this instant (RFC 3339 with offset).",
        "2021-01-01T00:00:00+02:00",
    )


class ItemArgsSchema(Schema):
    """Query parameters every item endpoint takes."""

    lang = LanguageFilter()
    as_of = Instant(
        "The record as it was published at this instant (RFC 3339 with offset), from its "
        "history: 404 if it did not exist yet, 410 if it had been deleted. In any `format` the "
        "item offers.",
        "2021-03-15T12:00:00+02:00",
    )


FORMAT_MEDIA_TYPES = {
    "json": "application/json",
    "geojson": "application/geo+json",
    "jsonld": "application/ld+json",
    "ttl": "text/turtle",
}


def Format(*choices: str) -> fields.String:  # noqa: N802
    """`format=`: another representation, like sending its media type in `Accept`."""
    listed = ", ".join(f"`{c}` ({FORMAT_MEDIA_TYPES[c]})" for c in choices)
    # A pattern, not an `enum`: generated clients then take a plain string, not a one-off type.
    pattern = f"^({'|'.join(choices)})$"
    return fields.String(
        validate=Pattern(pattern, error=one_of(choices)),
        metadata={
            "description": f"The representation: {listed}. Default: from `Accept`, else JSON.",
            "pattern": pattern,
            "example": "json",
        },
    )


class LinkedDataItemArgsSchema(ItemArgsSchema):
    """Item parameters of records that also have a schema.org JSON-LD form."""

    format = Format("json", "jsonld")


# --- Problems (RFC 9457) ---------------------------------------------------------------------


class FieldErrorSchema(OutputSchema):
    field = fields.String(
        required=True,
        metadata={"description": "The parameter or field that was wrong.", "example": "page_size"},
    )
    message = fields.String(
        required=True,
        metadata={
            "description": "What was wrong with it.",
            "example": "Must be between 1 and 500.",
        },
    )


class ProblemSchema(OutputSchema):
    """An RFC 9457 problem: every error response has this shape."""

    type = fields.String(
        required=True, metadata={"description": "Problem type URI.", "example": "about:blank"}
    )
    title = fields.String(required=True, metadata={"example": "Not Found"})
    status = fields.Integer(required=True, metadata={"example": 404})
    detail = fields.String(required=True, metadata={"example": "No unit with id 'no-such-unit'."})
    instance = fields.String(
        required=True, metadata={"description": "The request path.", "example": "/v1/units/x"}
    )
    errors = fields.List(
        fields.Nested(FieldErrorSchema),
        metadata={"description": "For validation problems: every field that was wrong."},
    )
