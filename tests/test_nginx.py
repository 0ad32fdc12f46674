"""deploy/nginx.conf in front of gunicorn (as `make run` starts it) on a copy of the dataset:
repeats are cache hits, an expired entry is revalidated with the API's ETag (a 304 from
gunicorn), nothing with Authorization is cached, and an edit is seen once max-age has passed.

nginx is Debian's (`apt-get install nginx`; .ci/run installs it); missing, the test is skipped,
or fails with REQUIRE_SYSTEM_TESTS=1. deploy/nginx_local.py runs it (as the benchmark does):
unprivileged, in a directory of its own, the shipped file as it is but for its paths and ports.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import PROJECT_ROOT, require_system

sys.path.insert(0, str(PROJECT_ROOT))

from deploy import nginx_local  # noqa: E402
from deploy.nginx_local import free_port, stop, wait_for  # noqa: E402

MAX_AGE = 2  # seconds: CACHE_MAX_AGE of the gunicorn behind it
UNIT = "/v1/units/pakila-work-centre"
PAGE = "/v1/units?page_size=3"


@pytest.fixture
def gunicorn(database_url, tmp_path) -> Iterator[tuple[int, Path]]:
    """gunicorn with `make run`'s settings on the test's database; (port, access log)."""
    port, log = free_port(), tmp_path / "gunicorn-access.log"
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CACHE_MAX_AGE": str(MAX_AGE),
        "PROXY_FIX_X_FOR": "1",
    }
    errors = (tmp_path / "gunicorn-error.log").open("w")
    process = subprocess.Popen(
        [
            str(PROJECT_ROOT / ".venv" / "bin" / "gunicorn"),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--access-logfile",
            str(log),
            "--access-logformat",
            "%(m)s %(U)s?%(q)s %(s)s %({if-none-match}i)s",
            "wsgi:app",
        ],
        cwd=PROJECT_ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=errors,
    )
    try:
        try:
            wait_for(port, process, "gunicorn")
        except RuntimeError:
            raise AssertionError((tmp_path / "gunicorn-error.log").read_text()) from None
        yield port, log
    finally:
        stop(process)
        errors.close()


@pytest.fixture
def nginx(gunicorn) -> Iterator[str]:
    """nginx with deploy/nginx.conf in front of `gunicorn`; its base URL."""
    binary = nginx_local.binary()
    require_system("nginx", binary is not None)
    assert binary is not None
    upstream_port, _log = gunicorn
    with nginx_local.running(binary, upstream_port) as server:
        yield server.base


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


def fetch(url: str, method: str = "GET", body: bytes | None = None, **headers: str) -> Answer:
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return Answer(response.status, dict(response.headers), response.read())
    except urllib.error.HTTPError as error:
        return Answer(error.code, dict(error.headers), error.read())


def upstream_requests(log: Path, at_least: int = 0) -> list[str]:
    """What reached gunicorn: `METHOD /path?query STATUS If-None-Match`, oldest first; once
    there are `at_least` lines (gunicorn logs a request after answering it)."""
    deadline = time.monotonic() + 5
    while True:
        text = log.read_text().replace('\\"', '"') if log.exists() else ""
        lines = text.splitlines()
        if len(lines) >= at_least or time.monotonic() > deadline:
            return lines
        time.sleep(0.05)


def until_expired() -> None:
    time.sleep(MAX_AGE + 1.2)


def test_repeats_are_hits_and_expired_entries_are_revalidated_with_the_etag(nginx, gunicorn):
    _port, log = gunicorn
    for headers in ({}, {"Accept-Encoding": "gzip"}):
        first = fetch(nginx + PAGE, **headers)
        assert first.status == 200, first.body
        assert first.headers["X-Cache-Status"] == "MISS"
        again = fetch(nginx + PAGE, **headers)
        assert again.headers["X-Cache-Status"] == "HIT"
        assert again.body == first.body
        assert again.headers["ETag"] == first.headers["ETag"]
    # The variants are kept apart: the gzip copy is the API's gzip answer, with its ETag.
    assert first.headers["Content-Encoding"] == "gzip"
    assert first.headers["ETag"].endswith('-gzip"')
    assert [line.split()[:3] for line in upstream_requests(log, 2)] == [
        ["GET", PAGE, "200"],
        ["GET", PAGE, "200"],
    ]

    until_expired()
    revalidated = fetch(nginx + PAGE, **{"Accept-Encoding": "gzip"})
    assert revalidated.headers["X-Cache-Status"] == "REVALIDATED"
    assert revalidated.status == 200 and revalidated.body == first.body
    # nginx asked gunicorn with the ETag it holds, and got a 304.
    assert upstream_requests(log, 3)[-1] == f"GET {PAGE} 304 {first.headers['ETag']}"
    assert fetch(nginx + PAGE, **{"Accept-Encoding": "gzip"}).headers["X-Cache-Status"] == "HIT"
    # A client's own revalidation is answered by nginx.
    held = fetch(
        nginx + PAGE, **{"Accept-Encoding": "gzip", "If-None-Match": first.headers["ETag"]}
    )
    assert held.status == 304


def test_nothing_with_authorization_is_cached(nginx, gunicorn):
    _port, log = gunicorn
    token = {"Authorization": "Bearer sst_0123456789abcdef_not-a-real-token"}
    statuses = [fetch(nginx + UNIT, **token).headers["X-Cache-Status"] for _ in range(2)]
    assert statuses == ["BYPASS", "BYPASS"]
    assert len(upstream_requests(log, 2)) == 2
    # Nor did those fill the cache for anonymous clients.
    assert fetch(nginx + UNIT).headers["X-Cache-Status"] == "MISS"


def test_an_edit_is_seen_once_max_age_has_passed(nginx, gunicorn, database_url):
    created = subprocess.run(
        [
            str(PROJECT_ROOT / ".venv" / "bin" / "flask"),
            "--app",
            "wsgi",
            "tokens",
            "create",
            "--name",
            "nginx test",
            "--scope",
            "write:units",
        ],
        cwd=PROJECT_ROOT,
        env={**os.environ, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        check=True,
    )
    token = created.stdout.strip().splitlines()[-1]
    before = fetch(nginx + UNIT)
    assert before.status == 200 and b"Edited through nginx" not in before.body
    assert fetch(nginx + UNIT).headers["X-Cache-Status"] == "HIT"

    edited = fetch(
        nginx + UNIT,
        "PATCH",
        b'{"notes": "Edited through nginx."}',
        **{
            "Authorization": f"Bearer {token}",
            "If-Match": before.headers["ETag"],
            "Content-Type": "application/json",
        },
    )
    assert edited.status == 200, edited.body
    assert "X-Cache-Status" not in edited.headers  # a write never meets the cache
    # Until max-age has passed, the cache may still give the copy it holds...
    assert fetch(nginx + UNIT).headers["X-Cache-Status"] == "HIT"
    until_expired()
    # ...then it asks, and the API's answer (a new ETag) is the edited record.
    after = fetch(nginx + UNIT)
    assert after.headers["X-Cache-Status"] == "EXPIRED"
    assert b"Edited through nginx." in after.body
    assert after.headers["ETag"] != before.headers["ETag"]
    assert fetch(nginx + UNIT).headers["X-Cache-Status"] == "HIT"
