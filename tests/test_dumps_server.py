"""The largest dump arrives whole through the server `make run` starts.

A generated dataset of 100,000 units, served by exactly the command `make run` runs (the
Makefile's SERVE, printed by `make -s serve-command`: gunicorn, 2 threaded workers, the default
30 s worker timeout). The first request builds the units' dumps in the background and is
answered 503 with Retry-After until the build is done; the NDJSON dump is then fetched over
HTTP and every line counted, once as fast as it comes and once by a client that reads it for
longer than the worker timeout (a sync worker is killed mid-file then). Slow: generating the
data takes one to two minutes on a 2-core machine and the build several more.
"""

from __future__ import annotations

import http.client
import json
import os
import shlex
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.orm import Session

from api.config import PROJECT_ROOT
from api.store.db import make_engine
from api.store.generate import generate

UNITS = int(os.environ.get("DUMP_TEST_UNITS", "100000"))  # fewer, to try the test out quickly


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_command(port: int) -> list[str]:
    """What `make run` runs, on `port`."""
    printed = subprocess.run(
        ["make", "-s", "--no-print-directory", "serve-command", "HOST=127.0.0.1", f"PORT={port}"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    command = shlex.split(printed)
    assert Path(command[0]).name == "gunicorn" and "wsgi:app" in command
    return command


@contextmanager
def fetched(port: int, path: str) -> Iterator[http.client.HTTPResponse]:
    """The response to a GET of `path`, without Accept-Encoding (the file as it is)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        connection.request("GET", path)
        yield connection.getresponse()
    finally:
        connection.close()


SLOW_READ = 35  # seconds a slow client takes to read the dump: longer than the worker timeout


def count_lines(response: http.client.HTTPResponse, seconds: float = 0) -> tuple[bytes, int, int]:
    """(the first line, how many lines, how many bytes) of the body, read in 1 MB chunks,
    spread over `seconds`."""
    total = int(response.getheader("Content-Length"))
    started = time.monotonic()
    first, lines, size = b"", 0, 0
    while chunk := response.read(1 << 20):
        if not first:
            first = chunk.split(b"\n", 1)[0]
        lines += chunk.count(b"\n")
        size += len(chunk)
        ahead = started + seconds * size / total - time.monotonic()
        if ahead > 0:
            time.sleep(ahead)
    return first, lines, size


def test_the_whole_units_dump_of_100000_units_through_make_runs_server(tmp_path):
    url = f"sqlite:///{tmp_path / 'generated.sqlite3'}"
    started = time.monotonic()
    engine = make_engine(url)
    with Session(engine) as session:
        generate(session, units=UNITS)
    engine.dispose()
    generated = time.monotonic() - started

    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DUMPS_DIR": str(tmp_path / "dumps"),
        "RATE_LIMIT_READS": "off",
        "RATE_LIMIT_WRITES": "off",
    }
    log = tmp_path / "gunicorn.log"
    with log.open("ab") as out:
        server = subprocess.Popen(
            serve_command(port),
            cwd=PROJECT_ROOT,
            env=env,
            stdout=out,
            stderr=out,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1", timeout=5):
                    break
            except OSError:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)

        build_started = time.monotonic()
        deadline = build_started + 1800
        while True:
            asked = time.monotonic()
            with fetched(port, "/v1/dumps/units.ndjson") as response:
                # Every answer comes well within the workers' 30 s timeout, built or not.
                assert time.monotonic() - asked < 25, log.read_text()[-2000:]
                if response.status == 200:
                    built = time.monotonic() - build_started
                    first, lines, size = count_lines(response)
                    fetched_in = time.monotonic() - build_started - built
                    length = int(response.getheader("Content-Length"))
                    cursor = response.getheader("Change-Feed-Cursor")
                    break
                assert response.status == 503, response.read()[:500]
                assert response.getheader("Retry-After")
                response.read()
            assert time.monotonic() < deadline, "the build took over 30 minutes"
            time.sleep(2)

        head = json.loads(first)["dump"]
        assert size == length
        assert head["count"] == UNITS
        assert lines == UNITS + 1  # the head line, then every unit
        assert head["change_feed_cursor"] == cursor

        # A slow client: the download outlasts the workers' 30 s timeout, and arrives whole.
        slow_started = time.monotonic()
        with fetched(port, "/v1/dumps/units.ndjson") as slow:
            assert count_lines(slow, seconds=SLOW_READ) == (first, lines, size)
        slow_read = time.monotonic() - slow_started
        assert slow_read > 30
        print(
            f"\n{UNITS} units: generated in {generated:.0f} s, dumps built in {built:.0f} s, "
            f"{size / 1e6:.0f} MB fetched in {fetched_in:.1f} s (and in {slow_read:.0f} s slowly)"
        )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
