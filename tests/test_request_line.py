"""Every request the spec allows fits in the request line gunicorn accepts.

gunicorn answers a longer request line with 414 before the app sees it (README, "Running it").
`make run` raises gunicorn's `--limit-request-line` to its maximum, 8190 bytes; this test works
out, from the spec alone, the longest request line a client can send for each operation with
every parameter at its longest valid value, percent-encoded as clients encode a query string
(everything but RFC 3986's unreserved characters as `%XX` per UTF-8 byte), and checks that it
fits. A parameter without a bound (no `maxLength`, no `maximum`) fails the test.
"""

from __future__ import annotations

import re
import string
import subprocess

import pytest
import yaml
from conftest import PROJECT_ROOT

try:  # the regex parser of the standard library (Python 3.11+: re._parser)
    from re import _parser as sre_parse
except ImportError:  # pragma: no cover
    import sre_parse

LIMIT_REQUEST_LINE = 8190
SPEC = yaml.safe_load((PROJECT_ROOT / "openapi.yaml").read_text(encoding="utf-8"))
UNRESERVED = frozenset(string.ascii_letters + string.digits + "-._~")
ANY = None  # an alphabet of every character
WIDEST = 12  # a character of four UTF-8 bytes, each `%XX`
# RFC 3339 (the `date-time` and `date` formats): digits, `-`, `:`, `.`, `+`, `T`, `Z`.
RFC_3339 = frozenset(string.digits + "-:.+TtZz")


def cost(character: str) -> int:
    return 1 if character in UNRESERVED else 3 * len(character.encode())


def widest(alphabet) -> int:
    return WIDEST if alphabet is ANY else max(cost(c) for c in alphabet)


def alphabet_of(parsed) -> frozenset[str] | None:
    """The characters a parsed regex can match (ANY if it cannot say)."""
    found: set[str] = set()
    for op, value in parsed:
        name = str(op)
        if name == "LITERAL":
            found.add(chr(value))
        elif name == "IN":
            for inner_op, inner in value:
                inner_name = str(inner_op)
                if inner_name == "LITERAL":
                    found.add(chr(inner))
                elif inner_name == "RANGE":
                    found.update(chr(c) for c in range(inner[0], inner[1] + 1))
                else:  # NEGATE, CATEGORY (\w, \d, \s: Unicode-wide)
                    return ANY
        elif name in ("SUBPATTERN",):
            inner = alphabet_of(value[-1])
            if inner is ANY:
                return ANY
            found |= inner
        elif name == "BRANCH":
            for branch in value[1]:
                inner = alphabet_of(branch)
                if inner is ANY:
                    return ANY
                found |= inner
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            inner = alphabet_of(value[2])
            if inner is ANY:
                return ANY
            found |= inner
        elif name == "AT":
            continue
        else:  # ANY (.), GROUPREF, assertions...
            return ANY
    return frozenset(found)


COMMA_SEPARATED = re.compile(r"\^(?P<item>.+)\(,(?P=item)\)\*\$")


def longest_string(schema: dict, where: str) -> int:
    """The longest valid string, percent-encoded."""
    pattern = schema.get("pattern")
    if schema.get("format") == "date":
        return 10
    length = schema.get("maxLength")
    if pattern and pattern.startswith("^") and pattern.endswith("$"):
        _low, high = sre_parse.parse(pattern).getwidth()
        if high < sre_parse.MAXREPEAT:
            length = min(length or high, high)
    assert length is not None, f"{where}: no maxLength"
    if schema.get("format") == "date-time":
        alphabet = RFC_3339
    elif pattern and pattern.startswith("^") and pattern.endswith("$"):
        items = COMMA_SEPARATED.fullmatch(pattern)
        if items:  # `a,b,c`: the most commas short items allow
            item = sre_parse.parse(items["item"])
            per_item = widest(alphabet_of(item))
            shortest = max(item.getwidth()[0], 1)
            commas = (length - shortest) // (shortest + 1)
            return commas * cost(",") + (length - commas) * per_item
        alphabet = alphabet_of(sre_parse.parse(pattern))
    else:  # no pattern, or one that need match only part of the value
        alphabet = ANY
    return length * widest(alphabet)


def longest_value(schema: dict, where: str) -> int:
    if "$ref" in schema:  # a named schema: #/components/schemas/<name>
        schema = SPEC["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    if "enum" in schema:
        return max(sum(cost(c) for c in str(value)) for value in schema["enum"])
    kind = schema.get("type")
    if kind == "boolean":
        return len("false")
    if kind == "integer":
        assert "maximum" in schema and "minimum" in schema, f"{where}: unbounded integer"
        return max(len(str(schema["minimum"])), len(str(schema["maximum"])))
    if kind == "number":
        assert "maxLength" in schema, f"{where}: unbounded number"
    if kind == "array":  # style form, explode false: comma-separated
        assert "maxItems" in schema, f"{where}: no maxItems"
        items = schema["maxItems"]
        return items * longest_value(schema["items"], where) + (items - 1) * cost(",")
    return longest_string(schema, where)


def longest_request_lines():
    """(request line length, method, path) of every operation."""
    for path, item in SPEC["paths"].items():
        for method, operation in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            parameters = [*item.get("parameters", []), *operation.get("parameters", [])]
            target = path
            query = []
            for parameter in parameters:
                if "$ref" in parameter:
                    continue  # a header (If-Match)
                where = f"{method.upper()} {path} {parameter['name']}"
                value = longest_value(parameter["schema"], where)
                if parameter["in"] == "path":
                    target = target.replace(f"{{{parameter['name']}}}", "x" * value)
                elif parameter["in"] == "query":
                    query.append(len(parameter["name"]) + 1 + value)
            uri = target + ("?" + "&" * (len(query) - 1) if query else "") + "x" * sum(query)
            yield len(f"{method.upper()} {uri} HTTP/1.1"), method.upper(), path


def test_the_longest_request_the_spec_allows_fits_gunicorns_request_line():
    lines = sorted(longest_request_lines(), reverse=True)
    assert lines[0][0] <= LIMIT_REQUEST_LINE, lines[:5]


def test_make_run_gives_gunicorn_that_limit():
    """`make run` starts the command `make -s serve-command` prints."""
    printed = subprocess.run(
        ["make", "-s", "--no-print-directory", "serve-command"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert f"--limit-request-line {LIMIT_REQUEST_LINE}" in printed


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/v1/units?service_id=" + ",".join(["a"] * 251), "service_id"),  # 501 characters
        ("/v1/units?service_id=Pakila", "service_id"),  # not an id
        ("/v1/units?lang=fi,fi,fi,fi", "lang"),
        ("/v1/units?open_at=2021-03-15T10:00:00.1234567890123456789%2B02:00", "open_at"),
        ("/v1/units?near=60." + "0" * 40 + ",24.9&radius=10", "near"),
        ("/v1/units?q=" + "x" * 101, "q"),
        ("/v1/units?cursor=not%20a%20cursor", "cursor"),
        ("/v1/changes?since=c2Vx%3A1", "since"),
        ("/hsds/services?page=1000001", "page"),
    ],
)
def test_a_value_over_its_maximum_or_out_of_its_alphabet_is_a_400(client, url, field):
    response = client.get(url)
    assert response.status_code == 400, response.json
    assert field in {error["field"] for error in response.json["errors"]}
