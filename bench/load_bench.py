"""Load benchmark: the API under gunicorn on a generated 100,000-unit dataset, driven by wrk,
against a baseline measured in the same run.

Worker configuration (the API and the baseline alike): gunicorn, 2 sync workers, on 127.0.0.1.
Load: wrk, 1 thread, 8 connections, DURATION seconds per scenario.
Baseline: a bare WSGI app returning pre-serialised bytes of the same size as the scenario's
response, under the same gunicorn settings. The ratio is the API's requests per second over the
baseline's; the targets are the issue's.

Run: `make bench-load` (installs wrk from Debian if missing; generates the dataset once).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from dump_bench import ensure_dataset  # noqa: E402

GUNICORN = [str(ROOT / ".venv/bin/gunicorn"), "--workers", "2", "--log-level", "warning"]
AT = "2021-03-15T10:00:00%2B02:00"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(app: str, env: dict) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [*GUNICORN, "--bind", f"127.0.0.1:{port}", app],
        cwd=ROOT,
        env={**os.environ, **env},
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(base + "/", timeout=1)
            return process, base
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{app} did not start")


def stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:  # a worker still busy with a slow request
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def wrk(url: str, duration: int, headers: dict | None = None) -> dict:
    command = ["wrk", "-t1", "-c8", f"-d{duration}s", "--timeout", "30s", "--latency"]
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


def scenarios(base: str) -> list[dict]:
    def get(path: str, headers: dict | None = None):
        request = urllib.request.Request(base + path, headers=headers or {})
        with urllib.request.urlopen(request) as response:
            return response.read(), response.headers

    from api.http import encode_cursor

    cursor = encode_cursor("n", ("unit-079999",))
    first_page = "/v1/units?page_size=20"
    _body, headers = get(first_page)
    return [
        {"name": "first page of units (20)", "path": first_page, "target": 0.5},
        {"name": "page after 80,000 units", "path": f"{first_page}&cursor={cursor}",
         "target": "1.2x first"},
        {"name": "one unit", "path": "/v1/units/unit-050000", "target": None},
        {"name": "one unit's status", "path": f"/v1/units/unit-050000/status?at={AT}",
         "target": 0.3},
        {"name": "conditional GET answered 304", "path": first_page, "target": 0.7,
         "headers": {"If-None-Match": headers["ETag"]}, "status": 304},
        {"name": "q= search", "path": "/v1/units?q=kallio%20work&page_size=20", "target": 0.2},
        {"name": "near= search", "path": "/v1/units?near=60.2,24.95&radius=2000&page_size=20",
         "target": 0.2},
        {"name": "open_at= filter", "path": f"/v1/units?open_at={AT}&page_size=20",
         "target": 0.2},
    ]  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=100_000)
    parser.add_argument("--duration", type=int, default=5)
    options = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk is missing: apt-get install wrk", file=sys.stderr)
        return 2
    url = ensure_dataset(options.units)
    api, api_base = start("wsgi:app", {"DATABASE_URL": url})
    results = []
    try:
        for scenario in scenarios(api_base):
            request = urllib.request.Request(
                api_base + scenario["path"], headers=scenario.get("headers", {})
            )
            try:
                with urllib.request.urlopen(request) as response:
                    size = len(response.read())
                    status = response.status
            except urllib.error.HTTPError as error:
                size, status = 0, error.code
            assert status == scenario.get("status", 200), (scenario["name"], status)
            measured = wrk(api_base + scenario["path"], options.duration, scenario.get("headers"))
            results.append({**scenario, "size": size, "api": measured})
    finally:
        stop(api)

    baseline, baseline_base = start("bench.baseline_app:app", {})
    try:
        for result in results:
            status = result.get("status", 200)
            path = f"/?size={result['size']}&status={status}"
            result["baseline"] = wrk(baseline_base + path, options.duration)
    finally:
        stop(baseline)

    first = results[0]["api"]["rps"]
    header = f"{'scenario':32} {'bytes':>7} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7}"
    print(f"\n{header} {'base req/s':>10} {'ratio':>6}  target")
    missed = []
    for result in results:
        api_rps, base_rps = result["api"]["rps"], result["baseline"]["rps"]
        ratio = api_rps / base_rps
        target = result["target"]
        if target == "1.2x first":
            met = first / api_rps <= 1.2
            verdict = f"cost {first / api_rps:.2f}x first page: {'met' if met else 'MISSED'}"
        elif target is None:
            met, verdict = True, "(no target)"
        else:
            met = ratio >= target
            verdict = f">= {target}: {'met' if met else 'MISSED'}"
        if not met:
            missed.append(result["name"])
        print(
            f"{result['name']:32} {result['size']:>7} {api_rps:>8.0f} "
            f"{result['api']['p50']:>7.2f} {result['api']['p99']:>7.2f} "
            f"{base_rps:>10.0f} {ratio:>6.2f}  {verdict}"
        )
        if result["api"]["errors"]:
            print(f"  ! {result['api']['errors']} responses were not 2xx/3xx")
    print("\nThe dump (time and peak memory) is measured by bench/dump_bench.py (make bench).")
    print(json.dumps({"missed": missed}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
