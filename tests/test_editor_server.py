"""The editor API under a real gunicorn server on 127.0.0.1: eight writer threads making
conditional updates lose none; and after `kill -9` in the middle of that load, the SQLite
database passes its integrity check and holds every write that was acknowledged."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from conftest import PROJECT_ROOT

from api.store.db import make_engine
from api.store.tokens import create_token

WRITERS = 8
# Two writers per record, so that every record sees conflicting conditional updates.
RECORDS = (
    "/v1/status-notices/covid-2021-summer-closure",
    "/v1/status-notices/covid-2021-later-pakila-shop",
    "/v1/units/uusix-suvilahti",
    "/v1/services/rehabilitating-work-activities",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn serving the app over `url` (2 gthread workers, 4 threads each)."""

    def __init__(self, url: str, log: Path):
        self.url, self.log = url, log
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> Server:
        env = {
            **os.environ,
            "DATABASE_URL": self.url,
            "RATE_LIMIT_READS": "off",
            "RATE_LIMIT_WRITES": "off",
        }
        command = [
            sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{self.port}",
            "--workers", "2", "--threads", "4", "--worker-class", "gthread",
            "--access-logfile", "-", "--error-logfile", "-", "wsgi:app",
        ]  # fmt: skip
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                command, cwd=PROJECT_ROOT, env=env, stdout=out, stderr=out, start_new_session=True
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.base}/v1", timeout=2) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.2)
        self.kill()
        raise AssertionError(f"gunicorn did not start:\n{self.log.read_text()}")

    def kill(self) -> None:
        """kill -9 the master and its workers at once."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=30)


def call(method: str, url: str, body=None, headers=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@dataclass
class Ledger:
    """What the writers were told: every acknowledged write as (record, notes before, after)."""

    acknowledged: list[tuple[str, str | None, str]] = field(default_factory=list)
    conflicts: int = 0
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def writer(base: str, token: str, number: int, updates: int, ledger: Ledger, stop: threading.Event):
    path = RECORDS[number % len(RECORDS)]
    done = 0
    while done < updates and not stop.is_set():
        try:
            status, headers, body = call("GET", base + path)
            assert status == 200, (status, body)
            before = json.loads(body)["notes"]
            notes = f"writer {number}, update {done}"
            status, _headers, body = call(
                "PATCH",
                base + path,
                {"notes": notes},
                {"Authorization": f"Bearer {token}", "If-Match": headers["ETag"]},
            )
        except (OSError, http.client.HTTPException) as error:  # the server is gone (crash test)
            with ledger.lock:
                ledger.failures.append(f"{path}: {error}")
            return
        with ledger.lock:
            if 200 <= status < 300:
                ledger.acknowledged.append((path, before, notes))
                done += 1
            elif status == 412:
                ledger.conflicts += 1
            else:
                ledger.failures.append(f"{path}: {status} {body[:200]!r}")
                return


def run_writers(base: str, token: str, updates: int, ledger: Ledger, stop: threading.Event):
    threads = [
        threading.Thread(target=writer, args=(base, token, n, updates, ledger, stop))
        for n in range(WRITERS)
    ]
    for thread in threads:
        thread.start()
    return threads


def history(base: str, path: str) -> list[dict]:
    versions, url = [], f"{base}{path}/history?page_size=500"
    while url:
        status, _headers, body = call("GET", url)
        assert status == 200, body
        page = json.loads(body)
        versions.extend(page["results"])
        url = page["next"]
    return versions


def assert_every_acknowledged_write_is_kept(base: str, ledger: Ledger) -> None:
    """Each acknowledged write is one version whose `notes` went from what its writer had read
    to what it wrote: had two writers both succeeded from one ETag, one version's `before`
    would be the other's write, not what its own writer read."""
    for path in RECORDS:
        changes = [
            (entry["before"], entry["after"])
            for version in history(base, path)
            for entry in version["diff"]
            if entry["path"] == "/notes"
        ]
        mine = [(before, after) for p, before, after in ledger.acknowledged if p == path]
        assert sorted(mine, key=str) == sorted(changes, key=str), path
        # And they form one chain: each starts from the previous one's result.
        for (_, previous), (before, _) in zip(changes, changes[1:], strict=False):
            assert before == previous, path


def _token(url: str) -> str:
    from sqlalchemy.orm import Session

    engine = make_engine(url)
    with Session(engine) as session, session.begin():
        value = create_token(session, "load test", ["admin"])
    engine.dispose()
    return value


def test_eight_writers_lose_no_update(database_url, tmp_path):
    token = _token(database_url)
    log = tmp_path / "gunicorn.log"
    server = Server(database_url, log).start()
    try:
        ledger, stop = Ledger(), threading.Event()
        for thread in run_writers(server.base, token, 30, ledger, stop):
            thread.join(timeout=600)
        assert not ledger.failures, ledger.failures[:5]
        assert len(ledger.acknowledged) == WRITERS * 30
        assert ledger.conflicts > 0  # the writers did collide
        assert_every_acknowledged_write_is_kept(server.base, ledger)
    finally:
        server.stop()
    logged = log.read_text()
    assert "PATCH /v1/" in logged  # the access log is there, and has no token in it
    assert token not in logged and token.split("_", 2)[2] not in logged


def test_kill_9_mid_load_keeps_every_acknowledged_write(loaded_database, tmp_path):
    """On SQLite (the durability setting is SQLite's) in either test mode."""
    path = tmp_path / "crash.sqlite3"
    shutil.copyfile(loaded_database, path)
    url = f"sqlite:///{path}"
    token = _token(url)
    server = Server(url, tmp_path / "gunicorn.log").start()
    ledger, stop = Ledger(), threading.Event()
    threads = run_writers(server.base, token, 1000, ledger, stop)
    try:
        deadline = time.monotonic() + 300
        while len(ledger.acknowledged) < 60 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(ledger.acknowledged) >= 60, ledger.failures[:5]
        server.kill()  # in the middle of the load: writers are mid-request
    finally:
        stop.set()
        server.kill()
        for thread in threads:
            thread.join(timeout=120)
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
    restarted = Server(url, tmp_path / "gunicorn-after.log").start()
    try:
        assert_every_acknowledged_write_is_kept_or_one_more(restarted.base, ledger)
    finally:
        restarted.stop()


def assert_every_acknowledged_write_is_kept_or_one_more(base: str, ledger: Ledger) -> None:
    """After a crash a write may have committed without its answer reaching the client; that
    write is in the history too, so the history holds every acknowledged write and at most
    one unacknowledged one per writer."""
    for path in RECORDS:
        kept = {
            (entry["before"], entry["after"])
            for version in history(base, path)
            for entry in version["diff"]
            if entry["path"] == "/notes"
        }
        mine = {(before, after) for p, before, after in ledger.acknowledged if p == path}
        assert mine <= kept, (path, sorted(mine - kept, key=str))
        assert len(kept - mine) <= WRITERS, path
