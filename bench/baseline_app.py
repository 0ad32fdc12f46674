"""The baseline of the load benchmarks: a bare WSGI app with no framework, database or
serialisation.

It returns pre-serialised bytes of a requested size (and status) at `/?size=N&status=S`, and,
when BENCH_BASELINE_ANSWERS names a pickle of {path and query: (status, content type, body)},
exactly those answers for those URLs (the long-tail benchmark: the same bytes for the same URLs
as the API, so that the ratio compares the API's overhead only)."""

import os
import pickle
from urllib.parse import parse_qs

_CACHE: dict[tuple[int, int], bytes] = {}
_ANSWERS: dict[str, tuple[int, str, bytes]] = {}
if os.environ.get("BENCH_BASELINE_ANSWERS"):
    with open(os.environ["BENCH_BASELINE_ANSWERS"], "rb") as file:
        _ANSWERS = pickle.load(file)
_REASONS = {200: "200 OK", 304: "304 Not Modified", 404: "404 Not Found"}


def app(environ, start_response):
    query_string = environ.get("QUERY_STRING", "")
    path = environ.get("PATH_INFO", "/")
    answer = _ANSWERS.get(f"{path}?{query_string}" if query_string else path)
    if answer is not None:
        status, content_type, body = answer
        start_response(
            _REASONS.get(status, f"{status} Other"),
            [("Content-Type", content_type), ("Content-Length", str(len(body)))],
        )
        return [body]
    query = parse_qs(query_string)
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
