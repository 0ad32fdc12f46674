"""The baseline of the load benchmark: a bare WSGI app that returns pre-serialised bytes of a
requested size (and status), with no framework, database or serialisation."""

from urllib.parse import parse_qs

_CACHE: dict[tuple[int, int], bytes] = {}


def app(environ, start_response):
    query = parse_qs(environ.get("QUERY_STRING", ""))
    size = int(query.get("size", ["2"])[0])
    status = int(query.get("status", ["200"])[0])
    body = _CACHE.get((size, status))
    if body is None:
        body = _CACHE[(size, status)] = (b'"' + b"x" * max(size - 2, 0) + b'"')[:size]
    if status == 304:
        start_response("304 Not Modified", [("ETag", '"baseline"')])
        return [b""]
    start_response(
        "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]
