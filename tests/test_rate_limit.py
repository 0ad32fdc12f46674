"""Rate limits: anonymous reads per address, writes per token, 429 with Retry-After and the
RateLimit headers; counters in each process's memory, or shared by every process using the same
Redis/Valkey; never a write to the database."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import textwrap
import time
import types

import limits.storage.memory
import pytest
from conftest import PROJECT_ROOT, require_system
from sqlalchemy import event
from sqlalchemy.engine import Engine

from api import create_app
from api.store.db import db
from api.web.ratelimit import address_key, parse_policy, token_public_id

START = 1_699_999_990.0  # 2023-11-14T22:13:10Z
OFF = {"RATE_LIMIT_READS": "off", "RATE_LIMIT_WRITES": "off"}
TOKEN_A = "sst_0123456789abcdef_s3cr3t-Part_of-the-token"
TOKEN_A_OTHER_SECRET = "sst_0123456789abcdef_another-secret"
TOKEN_B = "sst_fedcba9876543210_yet-another-secret"


class Clock:
    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    """The clock of the limiter and of the in-memory counters' windows alike."""
    fake = Clock()
    monkeypatch.setattr(limits.storage.memory, "time", types.SimpleNamespace(time=fake))
    return fake


@pytest.fixture
def make_app(database_url, clock):
    """`make_app(RATE_LIMIT_READS="3/minute", ...)`: an app with those limits (the rest off)
    on the test's database, whose limiter reads `clock`."""

    def make(**config):
        app = create_app({"TESTING": True, "DATABASE_URL": database_url, **OFF, **config})
        app.extensions["ratelimit"].clock = clock
        return app

    yield make
    db.session.remove()
    db.engine.dispose()


def counter_keys(app) -> list[str]:
    """The keys of the counters the app's in-memory storage holds."""
    return list(app.extensions["ratelimit"].storage.storage)


def test_reads_over_the_limit_get_a_429_problem_with_retry_after(make_app, clock):
    client = make_app(RATE_LIMIT_READS="3/minute").test_client()
    remaining, resets = [], []
    for _ in range(3):
        response = client.get("/v1/units")
        assert response.status_code == 200
        assert response.headers["RateLimit-Limit"] == "3"
        assert response.headers["RateLimit-Policy"] == "3;w=60"
        remaining.append(response.headers["RateLimit-Remaining"])
        resets.append(response.headers["RateLimit-Reset"])
        clock.now += 5
    assert remaining == ["2", "1", "0"]
    assert resets == ["60", "55", "50"]  # the window opened with the first request

    response = client.get("/v1/units/pakila-work-centre")
    assert response.status_code == 429
    assert response.mimetype == "application/problem+json"
    assert response.json["status"] == 429
    assert response.json["title"] == "Too Many Requests"
    assert response.json["instance"] == "/v1/units/pakila-work-centre"
    assert "3 reads a minute per client address" in response.json["detail"]
    assert response.headers["Retry-After"] == "45"  # 15 s after the window opened
    assert response.headers["RateLimit-Remaining"] == "0"
    assert response.headers["RateLimit-Reset"] == "45"
    # A refusal is no representation of the resource: nothing may cache or revalidate it.
    assert "ETag" not in response.headers
    assert "Cache-Control" not in response.headers
    assert "Last-Modified" not in response.headers
    # ... but a browser may read it.
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Retry-After" in response.headers["Access-Control-Expose-Headers"]


def test_head_and_304_revalidations_count_as_reads(make_app):
    client = make_app(RATE_LIMIT_READS="3/minute").test_client()
    etag = client.get("/v1/units").headers["ETag"]
    revalidated = client.get("/v1/units", headers={"If-None-Match": etag})
    assert revalidated.status_code == 304
    assert revalidated.headers["RateLimit-Remaining"] == "1"
    assert client.head("/v1/units").headers["RateLimit-Remaining"] == "0"
    assert client.get("/v1/units", headers={"If-None-Match": etag}).status_code == 429


def test_preflights_and_docs_assets_are_not_counted(make_app):
    client = make_app(RATE_LIMIT_READS="1/minute").test_client()
    for _ in range(3):
        preflight = client.options(
            "/v1/units",
            headers={"Origin": "https://example.org", "Access-Control-Request-Method": "GET"},
        )
        assert preflight.status_code < 300
        assert "RateLimit-Limit" not in preflight.headers
        with client.get("/docs/assets/swagger-ui.css") as asset:
            assert asset.status_code == 200
            assert "RateLimit-Limit" not in asset.headers
    assert client.get("/v1").headers["RateLimit-Remaining"] == "0"
    assert client.get("/v1").status_code == 429


def test_each_address_has_its_own_allowance(make_app):
    client = make_app(RATE_LIMIT_READS="1/minute").test_client()
    first = {"REMOTE_ADDR": "203.0.113.1"}
    assert client.get("/v1", environ_base=first).status_code == 200
    assert client.get("/v1", environ_base=first).status_code == 429
    assert client.get("/v1", environ_base={"REMOTE_ADDR": "203.0.113.2"}).status_code == 200
    # An IPv6 client is one /64: the next address in it is the same client.
    assert client.get("/v1", environ_base={"REMOTE_ADDR": "2001:db8::1"}).status_code == 200
    assert client.get("/v1", environ_base={"REMOTE_ADDR": "2001:db8::2"}).status_code == 429
    assert client.get("/v1", environ_base={"REMOTE_ADDR": "2001:db8:0:1::1"}).status_code == 200


def test_reads_with_a_token_are_counted_by_address(make_app):
    client = make_app(RATE_LIMIT_READS="1/minute", RATE_LIMIT_WRITES="5/minute").test_client()
    assert client.get("/v1").status_code == 200
    response = client.get("/v1", headers={"Authorization": f"Bearer {TOKEN_A}"})
    assert response.status_code == 429
    assert response.headers["RateLimit-Limit"] == "1"


def test_writes_are_counted_per_token_public_id_apart_from_the_address(make_app):
    app = make_app(RATE_LIMIT_WRITES="2/minute")
    client = app.test_client()

    def post(token: str | None = None):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return client.post("/v1/announcements", json={}, headers=headers)

    # Whatever the write would answer (no such route yet, or 401/422), it is counted first.
    assert post(TOKEN_A).status_code != 429
    assert post(TOKEN_A).headers["RateLimit-Remaining"] == "0"
    refused = post(TOKEN_A_OTHER_SECRET)  # the same public id: the same allowance
    assert refused.status_code == 429
    assert "2 writes a minute per token" in refused.json["detail"]
    # Another token, and anonymous writes from the same address, have their own allowances.
    assert post(TOKEN_B).headers["RateLimit-Remaining"] == "1"
    assert post().headers["RateLimit-Remaining"] == "1"
    assert post("not-a-token").headers["RateLimit-Remaining"] == "0"
    assert post().status_code == 429
    assert client.delete("/v1/units/pakila-work-centre").status_code == 429
    # Reads are not limited here, and never use up the writes' allowance.
    response = client.get("/v1")
    assert response.status_code == 200
    assert "RateLimit-Limit" not in response.headers

    keys = counter_keys(app)
    assert sorted(keys) == [
        "ratelimit/writes/addr:127.0.0.1/2/60/second",
        "ratelimit/writes/token:0123456789abcdef/2/60/second",
        "ratelimit/writes/token:fedcba9876543210/2/60/second",
    ]
    for token in (TOKEN_A, TOKEN_A_OTHER_SECRET, TOKEN_B):
        secret = token.split("_", 2)[2]
        assert not any(secret in key for key in keys)


@pytest.mark.parametrize("value", ["off", "0", "OFF"])
def test_a_disabled_policy_sets_no_headers_and_no_limit(make_app, value):
    client = make_app(RATE_LIMIT_READS=value, RATE_LIMIT_WRITES="1/minute").test_client()
    for _ in range(5):
        response = client.get("/v1")
        assert response.status_code == 200
        assert not [name for name in response.headers.keys() if name.startswith("RateLimit")]
    assert client.post("/v1/units").status_code != 429
    assert client.post("/v1/units").status_code == 429


def test_with_both_policies_off_nothing_is_counted_or_stored(make_app, database_url):
    app = make_app(RATE_LIMIT_STORAGE_URL="redis://127.0.0.1:1/0")  # never even opened
    for _ in range(3):
        assert "RateLimit-Limit" not in app.test_client().get("/v1").headers
        assert "RateLimit-Limit" not in app.test_client().post("/v1/units").headers
    assert app.extensions["ratelimit"].storage is None


def test_a_new_window_starts_a_new_count(make_app, clock):
    client = make_app(RATE_LIMIT_READS="2/minute").test_client()
    assert client.get("/v1").status_code == 200
    clock.now += 40
    assert client.get("/v1").headers["RateLimit-Reset"] == "20"
    refused = client.get("/v1")
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "20"
    clock.now += 19.5
    assert client.get("/v1").headers["Retry-After"] == "1"  # rounded up, never 0
    clock.now += 0.5  # the window has ended: the next request opens another
    response = client.get("/v1")
    assert response.status_code == 200
    assert response.headers["RateLimit-Remaining"] == "1"
    assert response.headers["RateLimit-Reset"] == "60"


def test_ended_windows_are_forgotten(make_app, clock):
    app = make_app(RATE_LIMIT_READS="5/minute")
    client = app.test_client()
    for address in ("203.0.113.1", "203.0.113.2"):
        client.get("/v1", environ_base={"REMOTE_ADDR": address})
    assert len(counter_keys(app)) == 2
    clock.now += 120  # both windows have ended
    client.get("/v1", environ_base={"REMOTE_ADDR": "203.0.113.3"})
    deadline = time.monotonic() + 10  # the storage's own timer drops them
    while len(counter_keys(app)) > 1 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert counter_keys(app) == ["ratelimit/reads/addr:203.0.113.3/5/60/second"]


def test_proxy_fix_takes_the_client_from_x_forwarded_for(make_app):
    app = make_app(RATE_LIMIT_READS="1/minute", PROXY_FIX_X_FOR=1)
    proxied = app.test_client()
    for client_address in ("198.51.100.7", "198.51.100.8"):
        headers = {"X-Forwarded-For": f"10.0.0.1, {client_address}"}
        assert proxied.get("/v1", headers=headers).status_code == 200
        assert proxied.get("/v1", headers=headers).status_code == 429
    assert sorted(counter_keys(app)) == [
        "ratelimit/reads/addr:198.51.100.7/1/60/second",
        "ratelimit/reads/addr:198.51.100.8/1/60/second",
    ]
    # Without it, the header is a client's say-so, and is ignored.
    direct = make_app(RATE_LIMIT_READS="1/minute").test_client()
    assert direct.get("/v1", headers={"X-Forwarded-For": "198.51.100.9"}).status_code == 200
    assert direct.get("/v1", headers={"X-Forwarded-For": "198.51.100.10"}).status_code == 429


def test_a_storage_failure_lets_requests_through(make_app, caplog):
    # Nothing listens on port 1: every increment fails.
    app = make_app(RATE_LIMIT_READS="1/minute", RATE_LIMIT_STORAGE_URL="redis://127.0.0.1:1/0")
    for _ in range(3):
        response = app.test_client().get("/v1")
        assert response.status_code == 200
        assert "RateLimit-Limit" not in response.headers
    assert "rate limit storage failed" in caplog.text


def test_a_malformed_policy_or_storage_is_refused_at_startup(database_url):
    with pytest.raises(ValueError, match="RATE_LIMIT_READS|reads"):
        create_app({"TESTING": True, "DATABASE_URL": database_url, "RATE_LIMIT_READS": "lots"})
    for url in ("sqlite:///counters.sqlite3", "async+memory://"):
        with pytest.raises(ValueError, match="RATE_LIMIT_STORAGE_URL"):
            create_app(
                {
                    "TESTING": True,
                    "DATABASE_URL": database_url,
                    "RATE_LIMIT_READS": "5/minute",
                    "RATE_LIMIT_STORAGE_URL": url,
                }
            )
    db.engine.dispose()


def test_policies_tokens_and_addresses_parse_as_documented():
    assert parse_policy("reads", "600/minute").header == "600;w=60"
    assert parse_policy("reads", "1000 / hour").header == "1000;w=3600"
    assert parse_policy("writes", "50/10 seconds").header == "50;w=10"
    assert parse_policy("writes", "5/days").header == "5;w=86400"
    assert parse_policy("reads", "off") is None
    assert parse_policy("reads", 0) is None
    for bad in ("600", "600/fortnight", "-1/minute", "0/minute", "5/0 seconds", "x/minute"):
        with pytest.raises(ValueError):
            parse_policy("reads", bad)
    assert token_public_id(f"Bearer {TOKEN_A}") == "0123456789abcdef"
    assert token_public_id(f"bearer {TOKEN_B}") == "fedcba9876543210"
    assert token_public_id("Bearer sst_abc") is None
    assert token_public_id("Bearer sst__secret") is None
    assert token_public_id(f"Basic {TOKEN_A}") is None
    assert token_public_id(None) is None
    assert address_key("203.0.113.5") == "203.0.113.5"
    assert address_key("2001:db8:1:2:3:4:5:6") == "2001:db8:1:2::/64"
    assert address_key("::ffff:203.0.113.5") == "203.0.113.5"
    assert address_key(None) == "unknown"


def test_an_anonymous_read_writes_nothing_to_any_database(make_app, database_url, tmp_path):
    """Counting a read writes to no database (the API's or any other): a read-only role or a
    read replica can serve the reads. Every engine's statements are watched."""
    app = make_app(RATE_LIMIT_READS="50/minute", RATE_LIMIT_WRITES="50/minute")
    client = app.test_client()
    statements: list[str] = []

    def watch(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(Engine, "before_cursor_execute", watch)
    try:
        first = client.get("/v1/units?page_size=3")
        assert first.headers["RateLimit-Remaining"] == "49"
        revalidated = client.get(
            "/v1/units?page_size=3", headers={"If-None-Match": first.headers["ETag"]}
        )
        assert revalidated.status_code == 304
        assert client.get("/v1/units/pakila-work-centre").status_code == 200
        assert client.head("/v1/units/pakila-work-centre/status").status_code == 200
        assert client.get("/v1/units/nope").status_code == 404
    finally:
        event.remove(Engine, "before_cursor_execute", watch)
    assert statements  # the reads did read the database
    writes = [
        statement
        for statement in statements
        if statement.lstrip().split(None, 1)[0].upper()
        in ("INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER")
    ]
    assert writes == []
    assert not list(tmp_path.rglob("*rate-limits*"))  # nor a file of counters beside it


def test_every_operation_documents_the_429(make_app):
    spec = make_app().test_client().get("/v1/openapi.json").json
    response = spec["components"]["responses"]["TooManyRequests"]
    assert list(response["content"]) == ["application/problem+json"]
    assert {"Retry-After", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"} <= set(
        response["headers"]
    )
    methods = {"get", "head", "post", "put", "patch", "delete"}
    for item in spec["paths"].values():
        for operation in (item[method] for method in methods & set(item)):
            assert operation["responses"]["429"] == {
                "$ref": "#/components/responses/TooManyRequests"
            }


# A worker process: its own app, engines and limiter, on the storage the test gives it.
WORKER = textwrap.dedent(
    """
    import json, sys
    from api import create_app
    from api.store.db import db

    database_url, storage_url, requests = sys.argv[1], sys.argv[2], int(sys.argv[3])
    app = create_app({"TESTING": True, "DATABASE_URL": database_url,
                      "RATE_LIMIT_READS": "20/minute", "RATE_LIMIT_WRITES": "off",
                      "RATE_LIMIT_STORAGE_URL": storage_url})
    client = app.test_client()
    sys.stdin.readline()  # start together
    results = []
    for _ in range(requests):
        response = client.get("/v1")
        results.append([response.status_code, response.headers.get("RateLimit-Remaining")])
    db.session.remove()
    db.engine.dispose()
    print(json.dumps(results))
    """
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def redis_url(tmp_path):
    """A throwaway Redis (Debian's `redis-server`; Valkey's `valkey-server` will do) on a free
    loopback port, persisting nothing."""
    server = shutil.which("valkey-server") or shutil.which("redis-server")
    require_system("redis-server or valkey-server", server is not None)
    port = free_port()
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


def run_workers(database_url: str, storage_url: str, count: int, requests: int) -> list[list]:
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, database_url, storage_url, str(requests)],
            cwd=PROJECT_ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(count)
    ]
    results = []
    try:
        for worker in workers:
            worker.stdin.write("go\n")
            worker.stdin.flush()
        for worker in workers:
            out, err = worker.communicate(timeout=120)
            assert worker.returncode == 0, err
            results.append(json.loads(out))
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.communicate()
    return results


def test_two_processes_share_one_count_in_redis(database_url, redis_url):
    results = run_workers(database_url, redis_url, 2, 15)
    # 30 requests against one allowance of 20: each process alone stays within it.
    assert all(len(result) == 15 for result in results)
    statuses = [status for result in results for status, _ in result]
    assert statuses.count(200) == 20
    assert statuses.count(429) == 10
    # Every count from 1 to 20 was handed out exactly once: the increments are atomic.
    remaining = sorted(int(left) for result in results for status, left in result if status == 200)
    assert remaining == list(range(20))


def test_without_a_storage_url_each_process_counts_on_its_own(database_url):
    """The default (memory): what docs/deploy.md says, a server of N worker processes lets
    N times the limit through."""
    results = run_workers(database_url, "", 2, 15)
    for result in results:
        assert [status for status, _ in result] == [200] * 15
        assert [left for _, left in result] == [str(19 - n) for n in range(15)]
