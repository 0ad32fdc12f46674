"""The framework's floor: Flask alone, with no database, schema or pipeline, serving the same
answers as the bare WSGI baseline (BENCH_BASELINE_ANSWERS) from memory through one route.

The long-tail benchmark measures it beside the API and the bare WSGI app. It has no target: it
says how much of the gap to the bare WSGI app any Flask app pays (routing, the request and
response objects, contexts) before it does any work, so the API's own cost is the rest."""

import os
import pickle

from flask import Flask, Response, request

_ANSWERS: dict[str, tuple[int, str, bytes]] = {}
if os.environ.get("BENCH_BASELINE_ANSWERS"):
    with open(os.environ["BENCH_BASELINE_ANSWERS"], "rb") as file:
        _ANSWERS = pickle.load(file)

app = Flask(__name__)


@app.route("/", defaults={"path": ""})
@app.route("/<path:path>")
def answer(path: str) -> Response:
    query = request.query_string.decode("latin-1")
    found = _ANSWERS.get(f"{request.path}?{query}" if query else request.path)
    if found is None:  # `/` answers 200, as the bare WSGI app's does: the bench waits for it
        return Response(b"", status=200 if not path else 404)
    status, content_type, body = found
    return Response(body, status=status, content_type=content_type)
