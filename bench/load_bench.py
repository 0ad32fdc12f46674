"""Load benchmark: the API under gunicorn on a generated 100,000-unit dataset, driven by wrk,
against a baseline measured in the same run.

Worker configuration (the API and the baseline alike): gunicorn, 2 sync workers, on 127.0.0.1,
rate limits off (RATE_LIMIT_READS=0, RATE_LIMIT_WRITES=0).
Load: wrk, 1 thread, 8 connections, DURATION seconds per scenario, after a WARMUP-second run
that is not measured (each worker computes what it remembers per data version, such as the
count of a filtered list, once; the operating system caches the database file).
Baseline: a bare WSGI app returning pre-serialised bytes of the same size as the scenario's
response, under the same gunicorn settings, measured right after each scenario. The ratio is the
API's requests per second over the baseline's; the targets are the issue's.

The page after 80,000 units must cost at most 1.2 times the first page, both as deployed and as
built: each one's requests per second is taken against its own baseline's before they are
compared, because the machine's speed drifts from one scenario to the next.

wrk sends one request over and over; no process keeps answers (repeats belong to an HTTP cache
in front, deploy/nginx.conf), so every request builds its answer. The "built" columns measure a
second instance that does not remember even the data version (DATA_VERSION_TTL=0): every request
reads it. They have no target.

The rows and their verdicts also go to bench/.data/results.json ("repeats"; bench/report.py
prints every section as `make bench`'s final table).

Run: `make bench-load` (`make bench` runs it, then the long tail and the dump benchmarks). It
installs wrk from Debian (apt-get) when it is missing and generates the dataset once.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from dump_bench import DATA, NO_RATE_LIMITS, ensure_dataset  # noqa: E402
from longtail import check, ratio_row  # noqa: E402

WORKERS = 2
# The second instance: nothing remembered between requests.
NO_MEMORY = {"DATA_VERSION_TTL": "0"}
# As `make run` serves (the Makefile's SERVER): 2 workers of 4 threads; the baseline alike.
GUNICORN = [
    str(ROOT / ".venv/bin/gunicorn"),
    *("--workers", str(WORKERS), "--worker-class", "gthread", "--threads", "4"),
    *("--log-level", "warning"),
]
THREADS, CONNECTIONS = 1, 8
AT = "2021-03-15T10:00:00%2B02:00"


def ensure_package(package: str, find: Callable[[], str | None]) -> str:
    """The program that `find` finds, installing Debian's `package` first when it finds none (as
    root, or through sudo)."""
    found = find()
    if found:
        return found
    prefix = [] if os.geteuid() == 0 else ["sudo"] if shutil.which("sudo") else None
    if prefix is None:
        raise SystemExit(
            f"{package} is missing and this user cannot install it: apt-get install {package}"
        )
    print(f"{package} is missing: installing it from Debian (apt-get install {package}) ...",
          flush=True)  # fmt: skip
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run([*prefix, "apt-get", "update"], check=True, env=env)
    subprocess.run([*prefix, "apt-get", "install", "-y", package], check=True, env=env)
    found = find()
    if not found:
        raise SystemExit(f"apt-get installed {package}, but its program is not found")
    return found


def ensure_wrk() -> str:
    """wrk, installed from Debian when it is missing."""
    return ensure_package("wrk", lambda: shutil.which("wrk"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(command: list[str], port: int, env: dict | None = None, **popen) -> tuple:
    """Start `command`, listening on `port`, and wait until it answers `/`: (process, base URL)."""
    process = subprocess.Popen(
        command, cwd=ROOT, env={**os.environ, **(env or {})}, start_new_session=True, **popen
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            urllib.request.urlopen(base + "/", timeout=1)
            return process, base
        except OSError:
            time.sleep(0.1)
    stop(process)
    raise RuntimeError(f"{shlex.join(command)} did not start")


def start(app: str, env: dict) -> tuple[subprocess.Popen, str]:
    port = free_port()
    return serve([*GUNICORN, "--bind", f"127.0.0.1:{port}", app], port, env)


def stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:  # a worker still busy with a slow request
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def wrk(url: str, duration: int, headers: dict | None = None, script: Path | None = None) -> dict:
    """wrk's requests a second, p50 and p99 latency (ms) and non-2xx/3xx count; with `script`,
    a Lua script that chooses each request (bench/longtail.py)."""
    command = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{duration}s", "--timeout", "30s"]
    command.append("--latency")
    if script is not None:
        command += ["--script", str(script)]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))

    def latency(percent: str) -> float:
        found = re.search(rf"\s{percent}%\s+([\d.]+)(us|ms|s)", output)
        if found is None:  # no request completed in time
            return float("nan")
        value, unit = found.groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    return {
        "rps": rps,
        "p50": latency("50"),
        "p99": latency("99"),
        "errors": int(errors.group(1)) if errors else 0,
    }


def scenarios(base: str, units: int, database_url: str) -> list[dict]:
    def get(path: str, headers: dict | None = None):
        request = urllib.request.Request(base + path, headers=headers or {})
        with urllib.request.urlopen(request) as response:
            return response.read(), response.headers

    from api import create_app
    from api.web.pagination import encode_cursor

    skipped = units * 4 // 5  # 80,000 of 100,000
    # Cursors are signed with the key in the instance folder, the servers' alike.
    with create_app({"DATABASE_URL": database_url, **NO_RATE_LIMITS}).app_context():
        cursor = encode_cursor("n", (f"unit-{skipped - 1:06d}",))
    unit = f"unit-{units // 2:06d}"
    first_page = "/v1/units?page_size=20"
    _body, headers = get(first_page)
    return [
        {"name": "first page of units (20)", "path": first_page, "target": 0.5},
        {"name": f"page after {skipped:,} units", "path": f"{first_page}&cursor={cursor}",
         "target": "1.2x first"},
        {"name": "one unit", "path": f"/v1/units/{unit}", "target": None},
        {"name": "one unit's status", "path": f"/v1/units/{unit}/status?at={AT}",
         "target": 0.3},
        {"name": "conditional GET answered 304", "path": first_page, "target": 0.7,
         "headers": {"If-None-Match": headers["ETag"]}, "status": 304},
        {"name": "q= search", "path": "/v1/units?q=kallio%20work&page_size=20", "target": 0.2},
        {"name": "near= search", "path": "/v1/units?near=60.2,24.95&radius=2000&page_size=20",
         "target": 0.2},
        {"name": "open_at= filter", "path": f"/v1/units?open_at={AT}&page_size=20",
         "target": 0.2},
    ]  # fmt: skip


RUNS = ("api", "built")
RESULTS = DATA / "results.json"
GROUP = "repeats (wrk asks one URL over and over)"


def save_results(section: str, rows: list[dict], settings: dict) -> None:
    """Put `rows` under `section` of bench/.data/results.json, keeping the other sections (each
    benchmark writes its own; bench/report.py prints them all)."""
    try:
        results = json.loads(RESULTS.read_text())
    except (OSError, ValueError):
        results = {}
    results[section] = {"measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                        "settings": settings, "rows": rows}  # fmt: skip
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")


def ratio_of(result: dict, name: str) -> float:
    return result[name]["rps"] / result["baseline"]["rps"]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=100_000)
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    options = parser.parse_args()
    ensure_wrk()
    url = ensure_dataset(options.units)
    print(
        f"{options.units} generated units (SQLite); gunicorn, {WORKERS} sync workers; wrk, "
        f"{THREADS} thread, {CONNECTIONS} connections, {options.duration} s per scenario after "
        f"a {options.warmup} s warm-up; the baseline under the same settings.",
        flush=True,
    )
    api, api_base = start("wsgi:app", {"DATABASE_URL": url, **NO_RATE_LIMITS})
    built, built_base = start("wsgi:app", {"DATABASE_URL": url, **NO_RATE_LIMITS, **NO_MEMORY})
    results = []
    try:
        baseline, baseline_base = start("bench.baseline_app:app", {})
        try:
            # Each scenario and its baseline one after the other, so that both see the same
            # machine (other work on it comes and goes); an idle server costs the other nothing.
            for scenario in scenarios(api_base, options.units, url):
                url = api_base + scenario["path"]
                headers = scenario.get("headers", {})
                try:
                    with urllib.request.urlopen(urllib.request.Request(url, headers=headers)) as r:
                        size, status = len(r.read()), r.status
                except urllib.error.HTTPError as error:
                    size, status = 0, error.code
                assert status == scenario.get("status", 200), (scenario["name"], status)
                bare = f"{baseline_base}/?size={size}&status={status}"
                measured = {}
                runs = (
                    ("api", url, headers),
                    ("built", built_base + scenario["path"], headers),
                    ("baseline", bare, None),
                )
                for name, target, sent in runs:
                    if options.warmup:
                        wrk(target, options.warmup, sent)
                    measured[name] = wrk(target, options.duration, sent)
                results.append({**scenario, "size": size, **measured})
        finally:
            stop(baseline)
    finally:
        stop(api)
        stop(built)

    header = f"{'scenario':32} {'bytes':>7} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7}"
    print(f"\n{header} {'base req/s':>10} {'ratio':>6} {'built':>6} {'ratio':>6}  target")
    missed, rows = [], []
    for result in results:
        api_rps, base_rps = result["api"]["rps"], result["baseline"]["rps"]
        ratio, built_rps = api_rps / base_rps, result["built"]["rps"]
        target = result["target"]
        if target == "1.2x first":
            # Cost per request against the first page's, each measured against its own
            # baseline: the machine's speed drifts between scenarios. Both instances alike.
            cost = {name: ratio_of(results[0], name) / ratio_of(result, name) for name in RUNS}
            met = all(value <= 1.2 for value in cost.values())
            verdict = (
                f"cost {cost['api']:.2f}x first page (built: {cost['built']:.2f}x): "
                f"{'met' if met else 'MISSED'}"
            )
        elif target is None:
            met, verdict = True, "(no target)"
        else:
            met = ratio >= target
            verdict = f">= {target}: {'met' if met else 'MISSED'}"
        if not met:
            missed.append(result["name"])
        if target == "1.2x first":
            rows.append(check(f"{result['name']}: cost vs first page", GROUP, max(cost.values()),
                              "<=", 1.2, unit="x first"))  # fmt: skip
        else:
            rows.append(ratio_row(result["name"], GROUP, api_rps, base_rps, "bare WSGI", target))
        print(
            f"{result['name']:32} {result['size']:>7} {api_rps:>8.0f} "
            f"{result['api']['p50']:>7.2f} {result['api']['p99']:>7.2f} "
            f"{base_rps:>10.0f} {ratio:>6.2f} {built_rps:>6.0f} {built_rps / base_rps:>6.2f}  "
            f"{verdict}"
        )
        for name in RUNS:
            if result[name]["errors"]:
                print(f"  ! {name}: {result[name]['errors']} responses were not 2xx/3xx")
    save_results("repeats", rows, vars(options))
    print("\nThe dump (time and peak memory) is measured by bench/dump_bench.py (make bench-dump).")
    print(json.dumps({"missed": missed}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
