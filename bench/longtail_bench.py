"""Long-tail benchmark: requests nobody asked before, on the generated dataset, each scenario
measured against the bare WSGI baseline (and Datasette where the issue names it) in the same run.

- distinct items: wrk cycles through ITEMS different `/v1/units/{id}` URLs (ids spread over
  the dataset); target >= 0.5x the bare WSGI app serving the same bytes for the same URLs, and
  >= 2x Datasette serving the same SQLite file (its row JSON for the same ids);
- distinct statuses: `/v1/units/{id}/status?at=...` for the same ids; target >= 0.3x bare WSGI;
- a crawl of distinct list pages: the pages a client sees following `next` from
  `/v1/units?page_size=20` (collected by crawling once, at most PAGES of them), cycled by wrk;
  >= 0.5x bare WSGI and >= 2x Datasette's table JSON followed by its `next_url` the same way;
- the whole units NDJSON dump through `make run`'s server command (the Makefile passes it):
  units a second (>= 20,000), that every unit arrives (every line but the head line), and the
  growth of the server's memory (resident memory of the gunicorn master and workers from /proc,
  sampled during the download, its peak over the value before) < 32 MB. That is the download
  of the built file: the server builds it on the first request (answering 503 until it is
  done, as it does when the build outlasts DUMPS_BUILD_WAIT), into bench/.data/dumps-UNITS,
  before the measurement, as `make run` builds the dumps ahead (bench/dump_bench.py measures
  the build);
- repeated requests with nginx in front: deploy/nginx.conf (run by deploy/nginx_local.py, as
  tests/test_nginx.py runs it) in front of `make run`'s server command, asked for NGINX_ITEMS
  `/v1/units/{id}` and up to NGINX_PAGES list pages (300 and 100), each once as wrk asks it (a
  MISS: the API answers, nginx stores it) and once more to check it is a HIT; then wrk cycles
  through them against that nginx and against the same nginx (a second server block, the same
  worker and log format) serving the bytes it gave as static files, in turn (ROUNDS: cache,
  files, files, cache, DURATION seconds each, so that a drift of the machine's speed weighs on
  both alike), each side's requests a second the mean of its runs; target >= 0.8x. The row's
  note counts the cache statuses nginx logged for the measured requests (HIT, EXPIRED, ...), so
  that the reader sees the cache answered, and the processor time nginx used a request on
  each side (from /proc: what a cache hit costs nginx beyond a file, whatever else the machine
  is doing). The API's max-age (CACHE_MAX_AGE, 60 s) is as
  deployed: in a run longer than that, entries expire and are revalidated.

The API runs as `make run` starts it (gunicorn, 2 workers of 4 threads) with rate limits off;
it keeps no answers of its own (repeats belong to a cache in front), so wrk coming back to a URL
once its list is done measures a built answer again. The data version is remembered as deployed
(DATA_VERSION_TTL).
The bare WSGI baseline (bench/baseline_app.py) runs under the same gunicorn settings and serves
the API's own answers to the same URLs, fetched before the measurement (FETCHERS at a time, over
kept-alive connections; the run prints how long each part took). Datasette (a dev extra)
runs as its `datasette serve -i` does, one process; it is skipped when not installed. Flask
alone (bench/flask_floor_app.py) serves the same answers from memory for the items and pages,
under the same settings: a row with no target, the ceiling of any Flask app against bare WSGI.
wrk: 1 thread, 8 connections, a warm-up run that is not measured, then DURATION seconds.

Results: a table of every target as MET or MISSED, and bench/.data/results.json ("long_tail",
"dump" and "nginx" sections; bench/load_bench.py writes "repeats"). `make bench` runs it after
the repeated-request benchmark (`make bench-longtail` alone; `--only nginx` one part). wrk and
nginx are installed from Debian (apt-get) when missing.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import pickle
import shlex
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from dump_bench import (  # noqa: E402
    DATA,
    MEMORY_TARGET_MB,
    NO_RATE_LIMITS,
    dumps_dir,
    ensure_dataset,
)
from load_bench import (  # noqa: E402
    AT,
    RESULTS,
    ensure_package,
    ensure_wrk,
    free_port,
    save_results,
    serve,
    start,
    stop,
    wrk,
)
from longtail import (  # noqa: E402
    cache_statuses,
    check,
    crawl,
    dump_records,
    missed,
    ratio_row,
    skipped,
    spread_ids,
    table,
    wrk_script,
)

from deploy import nginx_local  # noqa: E402

PAGE_SIZE = 20
DUMP_RATE_TARGET = 20_000
GROUP = "long tail (requests nobody asked before)"
DUMP_GROUP = "whole units NDJSON dump through `make run`'s server"
NGINX_GROUP = "repeated requests with nginx in front (deploy/nginx.conf's cache)"
NGINX_TARGET = 0.8
PARTS = ("long-tail", "dump", "nginx")


@contextmanager
def timed(what: str):
    """Says how long the block took (what the wall time of a run goes to, besides wrk's)."""
    started = time.perf_counter()
    yield
    print(f"  {what}: {time.perf_counter() - started:.1f} s", flush=True)


def fetch(base: str, path: str) -> tuple[int, str, bytes]:
    with urllib.request.urlopen(base + path, timeout=60) as response:
        return response.status, response.headers.get("Content-Type", ""), response.read()


class Connection:
    """GETs over one kept-alive HTTP/1.1 connection to `base` (opened again when the server has
    closed it). `as_wrk`: with no Accept-Encoding header, as wrk asks (nginx's cache keys by it;
    otherwise http.client sends `identity`, as urllib does)."""

    def __init__(self, base: str, as_wrk: bool = False) -> None:
        self.host, self.as_wrk = urlsplit(base).netloc, as_wrk
        self.connection: http.client.HTTPConnection | None = None

    def get(self, path: str) -> tuple[int, http.client.HTTPMessage, bytes]:
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, timeout=60)
            try:
                self.connection.putrequest("GET", path, skip_accept_encoding=self.as_wrk)
                self.connection.endheaders()
                response = self.connection.getresponse()
                return response.status, response.headers, response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()  # the server closed an idle connection: once more on a new one
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


# Answers fetched at once before a measurement: enough to keep both of the server's workers
# busy while this process reads and stores the answers (the machine may have only 2 cores).
FETCHERS = 4


def ask(base: str, paths: list[str], as_wrk: bool = False) -> list[tuple]:
    """(status, headers, body) of a GET of each of `paths`, in order, FETCHERS at a time, each
    fetcher over its own kept-alive connection."""
    local = threading.local()
    opened: list[Connection] = []

    def get(path: str) -> tuple:
        if not hasattr(local, "connection"):
            local.connection = Connection(base, as_wrk)
            opened.append(local.connection)
        return local.connection.get(path)

    try:
        with ThreadPoolExecutor(FETCHERS) as pool:
            return list(pool.map(get, paths))
    finally:
        for connection in opened:
            connection.close()


def fetch_all(
    base: str, paths: list[str], as_wrk: bool = False
) -> dict[str, tuple[int, str, bytes]]:
    """The answers to `paths` as (status, Content-Type, body); every one must be a 200."""
    answers = {}
    for path, (status, headers, body) in zip(paths, ask(base, paths, as_wrk), strict=True):
        if status != 200:
            raise SystemExit(f"{path} answered {status}")
        answers[path] = (status, headers.get("Content-Type", ""), body)
    return answers


def get_json(base: str, answers: dict | None = None, as_wrk: bool = False):
    """A page's JSON by its path (asked over one kept-alive connection), keeping each answer
    in `answers` as fetch_all does when given."""
    connection = Connection(base, as_wrk)

    def get(path: str) -> dict:
        status, headers, body = connection.get(path)
        if status != 200:
            raise SystemExit(f"{path} answered {status}")
        if answers is not None:
            answers[path] = (status, headers.get("Content-Type", ""), body)
        return json.loads(body)

    return get


def write_paths(name: str, paths: list[str]) -> Path:
    """The wrk script that cycles through `paths` (written beside the list of them)."""
    listed = DATA / f"paths-{name}.txt"
    listed.write_text("".join(path + "\n" for path in paths))
    script = DATA / f"paths-{name}.lua"
    script.write_text(wrk_script(listed))
    return script


def cycle(base: str, script: Path, duration: int, warmup: int) -> dict:
    if warmup:
        wrk(base + "/", warmup, script=script)
    return wrk(base + "/", duration, script=script)


def start_datasette(path: Path) -> tuple[subprocess.Popen, str] | None:
    datasette = ROOT / ".venv/bin/datasette"
    if not datasette.exists():
        return None
    port = free_port()
    command = [str(datasette), "serve", "-i", str(path), "--host", "127.0.0.1", "--port",
               str(port), "--setting", "suggest_facets", "off"]  # fmt: skip
    return serve(command, port, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def long_tail(options, url: str, database: Path) -> list[dict]:
    ids = spread_ids(options.units, options.items)
    api, api_base = start("wsgi:app", {"DATABASE_URL": url, **NO_RATE_LIMITS})
    try:
        items = [f"/v1/units/{unit}" for unit in ids]
        statuses = [f"/v1/units/{unit}/status?at={AT}" for unit in ids]
        first = f"/v1/units?page_size={PAGE_SIZE}"
        print(f"fetching {len(ids):,} units, their statuses, and crawling up to "
              f"{options.pages:,} pages for the baseline ...", flush=True)  # fmt: skip
        answers: dict = {}
        with timed("the crawl"):
            pages = crawl(get_json(api_base, answers), first, "next", options.pages)
            if pages[-1] not in answers:  # the crawl stopped at the limit before asking for it
                answers.update(fetch_all(api_base, pages[-1:]))
        with timed(f"{len(items):,} units"):
            answers.update(fetch_all(api_base, items))
        with timed(f"{len(statuses):,} statuses"):
            answers.update(fetch_all(api_base, statuses))
        store = DATA / "baseline-answers.pickle"
        store.write_bytes(pickle.dumps(answers))
        scripts = {name: write_paths(name, paths) for name, paths in
                   (("items", items), ("statuses", statuses), ("pages", pages))}  # fmt: skip
        baseline, baseline_base = start(
            "bench.baseline_app:app", {"BENCH_BASELINE_ANSWERS": str(store)}
        )
        try:
            if fetch(baseline_base, items[0]) != answers[items[0]]:
                raise SystemExit("the baseline does not serve the API's bytes")
            measured = {}
            for name, script in scripts.items():
                print(f"measuring {name} ({sum(1 for _ in open(script.with_suffix('.txt'))):,}"
                      " distinct URLs) ...", flush=True)  # fmt: skip
                measured[name] = {
                    "ours": cycle(api_base, script, options.duration, options.warmup),
                    "baseline": cycle(baseline_base, script, options.duration, options.warmup),
                }
        finally:
            stop(baseline)
        floor, floor_base = start(
            "bench.flask_floor_app:app", {"BENCH_BASELINE_ANSWERS": str(store)}
        )
        try:
            if fetch(floor_base, items[0]) != answers[items[0]]:
                raise SystemExit("the Flask floor does not serve the API's bytes")
            for name in ("items", "pages"):
                print(f"measuring {name} on Flask alone ...", flush=True)
                measured[name]["flask"] = cycle(
                    floor_base, scripts[name], options.duration, options.warmup
                )
        finally:
            stop(floor)
    finally:
        stop(api)
    datasette = datasette_scenarios(options, database, ids)

    rows = []
    labels = {"items": ("distinct items", 0.5), "statuses": ("distinct statuses", 0.3),
              "pages": ("crawl of distinct list pages", 0.5)}  # fmt: skip
    for name, (label, minimum) in labels.items():
        ours, baseline = measured[name]["ours"], measured[name]["baseline"]
        rows.append(ratio_row(f"{label} vs bare WSGI", GROUP, ours["rps"], baseline["rps"],
                              "bare WSGI", minimum))  # fmt: skip
        rows[-1]["errors"] = {"ours": ours["errors"], "baseline": baseline["errors"]}
        if name == "statuses":
            continue
        # No target: what Flask alone reaches serving the same bytes from memory, the ceiling
        # of any Flask app (bench/flask_floor_app.py); the API's own cost is the rest.
        flask = measured[name]["flask"]
        rows.append(ratio_row(f"Flask alone serving the {name}", GROUP, flask["rps"],
                              baseline["rps"], "bare WSGI", None))  # fmt: skip
        rows[-1]["errors"] = {"flask": flask["errors"], "baseline": baseline["errors"]}
        label_vs = f"{label} vs Datasette"
        if datasette is None:
            rows.append(skipped(label_vs, GROUP, "datasette not installed (a dev extra)"))
        else:
            rows.append(ratio_row(label_vs, GROUP, ours["rps"], datasette[name]["rps"],
                                  "Datasette", 2.0))  # fmt: skip
            rows[-1]["errors"] = {"ours": ours["errors"], "datasette": datasette[name]["errors"]}
    return rows


def datasette_scenarios(options, database: Path, ids: list[str]) -> dict | None:
    """Datasette on the same SQLite file: the row JSON of the same ids, and its table JSON
    crawled by `next_url` from a first page of the same size."""
    started = start_datasette(database)
    if started is None:
        return None
    process, base = started
    try:
        name = database.stem
        rows = [f"/{name}/units/{unit}.json" for unit in ids]
        with timed("Datasette's crawl"):
            pages = crawl(get_json(base), f"/{name}/units.json?_size={PAGE_SIZE}", "next_url",
                          options.pages)  # fmt: skip
        status, _type, _body = fetch(base, rows[0])
        if status != 200:
            raise SystemExit(f"datasette answered {status} for {rows[0]}")
        measured = {}
        for kind, paths in (("items", rows), ("pages", pages)):
            print(f"measuring Datasette {kind} ({len(paths):,} distinct URLs) ...", flush=True)
            script = write_paths(f"datasette-{kind}", paths)
            measured[kind] = cycle(base, script, options.duration, options.warmup)
        return measured
    finally:
        stop(process)


def server_processes(master: int):
    """(/proc entry, fields of its stat after the name) of a server's master and its workers
    (its children)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(entry.name) == master or int(fields[1]) == master:
                yield entry, fields
        except (OSError, ValueError, IndexError):  # a process that just ended
            continue


def server_rss_kib(master: int) -> int:
    """Resident memory of the gunicorn master and its workers, from /proc."""
    total = 0
    for entry, _fields in server_processes(master):
        try:
            for line in (entry / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:  # a process that just ended
            continue
    return total


def server_cpu_seconds(master: int) -> float:
    """The processor time (user and system) a server's master and workers have used so far."""
    ticks = sum(int(fields[11]) + int(fields[12]) for _entry, fields in server_processes(master))
    return ticks / os.sysconf("SC_CLK_TCK")


@contextmanager
def run_server(options, url: str, name: str, env: dict | None = None):
    """`make run`'s server command (options.server_command) on a free port, its errors logged to
    bench/.data/{name}-server.log: (process, base URL, port)."""
    port = free_port()
    command = [*shlex.split(options.server_command), "--bind", f"127.0.0.1:{port}"]
    log_path = DATA / f"{name}-server.log"
    print(f"the API ({name}): {shlex.join(command)} (its log: "
          f"{log_path.relative_to(ROOT)})", flush=True)  # fmt: skip
    with log_path.open("w") as log:
        env = {"DATABASE_URL": url, **NO_RATE_LIMITS, **(env or {})}
        process, base = serve(command, port, env, stdout=subprocess.DEVNULL, stderr=log)
        try:
            yield process, base, port
        finally:
            stop(process)


def wait_for_build(base: str, path: str) -> float:
    """Ask for the dump at `path` until the server has built it (until then it answers 503 with
    Retry-After: a build outlasting DUMPS_BUILD_WAIT goes on in the background); the seconds
    that took (about 0 when it was built already)."""
    started = time.perf_counter()
    while True:
        try:
            with urllib.request.urlopen(urllib.request.Request(base + path, method="HEAD")):
                return time.perf_counter() - started
        except urllib.error.HTTPError as error:
            if error.code != 503:
                raise SystemExit(f"{path} answered {error.code}") from None
            time.sleep(float(error.headers.get("Retry-After") or 1))


def dump(options, url: str) -> list[dict]:
    """The whole units NDJSON dump through `make run`'s server command: the download of the
    built file. `make run` builds the dumps ahead (`flask dumps build`); here the server builds
    them on the first request, into a folder of the dataset's (bench/.data/dumps-UNITS, kept
    for the next run: once per data version), before the download is measured."""
    dumps = {"DUMPS_DIR": str(dumps_dir(options.units))}
    with run_server(options, url, "dump", dumps) as (process, base, _port):
        for part in ("organizations", "units"):
            built = wait_for_build(base, f"/v1/dumps/{part}.ndjson")
        print(f"the server built the units' dumps in {built:.1f} s (about 0: built before)",
              flush=True)  # fmt: skip
        # Both workers warmed up alike (imports, connections, a small dump), several at once so
        # that each answers some: the growth measured is the big dump's, not a first request's.
        warm = ["/v1/units?page_size=20", "/v1/dumps/organizations.ndjson"] * 8
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda path: fetch(base, path), warm))
        before = server_rss_kib(process.pid)
        peak = [before]
        done = threading.Event()

        def sample() -> None:
            while not done.wait(0.05):
                peak[0] = max(peak[0], server_rss_kib(process.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        lines = size = 0
        start = b""
        cut = None
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(base + "/v1/dumps/units.ndjson", timeout=600) as answer:
                while chunk := answer.read(1 << 16):
                    start = start or chunk[:16]
                    lines += chunk.count(b"\n")
                    size += len(chunk)
        except (http.client.HTTPException, OSError) as error:
            cut = f"{type(error).__name__}: {error}"
        seconds = time.perf_counter() - started
        done.set()
        sampler.join()
        after = server_rss_kib(process.pid)
        peak[0] = max(peak[0], after)
    growth_mb = (peak[0] - before) / 1024
    records = dump_records(lines, start)
    rate = records / seconds if seconds else 0.0
    print(
        f"dump: {records:,} units, {size / 1e6:.1f} MB in {seconds:.2f} s; server memory "
        f"{before / 1024:.1f} MB before, {peak[0] / 1024:.1f} MB at the peak, "
        f"{after / 1024:.1f} MB after" + (f"; cut off ({cut})" if cut else ""),
        flush=True,
    )
    return [
        check("units a second", DUMP_GROUP, rate, ">=", DUMP_RATE_TARGET, unit="/s",
              seconds=seconds, bytes=size, build_seconds=built),
        check("units that arrived (== units)", DUMP_GROUP, records, "==", options.units,
              error=cut),
        check("server memory growth, MB", DUMP_GROUP, growth_mb, "<", MEMORY_TARGET_MB,
              unit=" MB", before_kib=before, peak_kib=peak[0], after_kib=after),
    ]  # fmt: skip


# The same nginx serving the same bytes as static files: what its cache is measured against.
STATIC_SERVER = """
    server {{
        listen 127.0.0.1:{port};
        access_log {{dir}}/static-access.log cache_status;
        default_type application/json;
        root {{dir}}/static;
    }}
"""


def logged_run(
    base: str, script: Path, log: Path, duration: int, nginx: int
) -> tuple[dict, dict[str, int]]:
    """wrk cycling through `script` for `duration` seconds, with the processor time the `nginx`
    master and worker used per request (µs), and the cache statuses it logged in `log`."""
    offset, cpu = log.stat().st_size, server_cpu_seconds(nginx)
    measured = wrk(base + "/", duration, script=script)
    requests = measured["rps"] * duration
    measured["cpu_us"] = (server_cpu_seconds(nginx) - cpu) / requests * 1e6 if requests else 0.0
    with log.open() as lines:
        lines.seek(offset)
        return measured, cache_statuses(lines)


# The order of the runs of nginx's cache and of its static files: a drift of the machine's speed
# during the runs (other work on it comes and goes) weighs on both alike.
ROUNDS = ("cached", "files", "files", "cached")


def nginx_repeats(options, url: str, program: str) -> list[dict]:
    """Repeated requests through nginx (deploy/nginx.conf) in front of `make run`'s server,
    against the same nginx serving the same bytes as static files."""
    items = [f"/v1/units/{unit}" for unit in spread_ids(options.units, options.nginx_items)]
    static_port = free_port()
    extra = STATIC_SERVER.format(port=static_port)
    with (
        run_server(options, url, "nginx", {"PROXY_FIX_X_FOR": "1"}) as (_, _b, port),
        nginx_local.running(program, port, extra) as proxy,
    ):
        static_base = f"http://127.0.0.1:{static_port}"
        print(f"nginx (deploy/nginx.conf) in front of it: {proxy.base}, static files: "
              f"{static_base}; filling its cache with {len(items):,} units and up to "
              f"{options.nginx_pages:,} list pages ...", flush=True)  # fmt: skip
        # Each URL once through nginx, as wrk asks it: a MISS, answered by the API and stored.
        # Those bytes, as nginx gave them, are the static files.
        answers: dict[str, tuple[int, str, bytes]] = {}
        first = f"/v1/units?page_size={PAGE_SIZE}"
        pages = crawl(get_json(proxy.base, answers, as_wrk=True), first, "next",
                      options.nginx_pages)  # fmt: skip
        paths = pages + items
        rest = [path for path in paths if path not in answers]
        answers.update(fetch_all(proxy.base, rest, as_wrk=True))
        static = proxy.directory / "static"
        static.mkdir()
        static.chmod(0o755)  # whatever the umask: nginx may run as `nobody` (deploy/nginx_local.py)
        static_paths = [f"/{n:05d}.json" for n in range(len(paths))]
        for path, name in zip(paths, static_paths, strict=True):
            (static / name[1:]).write_bytes(answers[path][2])
            (static / name[1:]).chmod(0o644)
        # Now every URL is a HIT with those bytes, and the static server has the same bytes.
        hits = ask(proxy.base, paths, as_wrk=True)
        served = ask(static_base, static_paths, as_wrk=True)
        for path, name, hit, file in zip(paths, static_paths, hits, served, strict=True):
            cache = hit[1].get("X-Cache-Status")
            if (hit[0], cache, hit[2]) != (200, "HIT", answers[path][2]):
                raise SystemExit(f"{path} through nginx: {hit[0]} {cache}, not the stored HIT")
            if (file[0], file[2]) != (200, hit[2]):
                raise SystemExit(f"{static_base}{name} does not serve the bytes of {path}")
        print(f"measuring {len(paths):,} distinct URLs repeated through nginx's cache and the same "
              f"bytes as static files (in turn: {', '.join(ROUNDS)}) ...", flush=True)  # fmt: skip
        runs = {
            "cached": (proxy.base, write_paths("nginx", paths), proxy.directory / "access.log"),
            "files": (static_base, write_paths("nginx-static", static_paths),
                      proxy.directory / "static-access.log"),
        }  # fmt: skip
        for base, script, _log in runs.values():
            if options.warmup:
                wrk(base + "/", options.warmup, script=script)
        measured: dict[str, list[dict]] = {name: [] for name in runs}
        statuses: Counter[str] = Counter()
        for name in ROUNDS:
            result, logged = logged_run(*runs[name], options.duration, proxy.process.pid)
            measured[name].append(result)
            if name == "cached":
                statuses.update(logged)
    # Each side's runs last as long: its requests a second over all of them is their mean.
    rps, cpu = (
        {name: sum(run[key] for run in runs) / len(runs) for name, runs in measured.items()}
        for key in ("rps", "cpu_us")
    )
    errors = {name: sum(run["errors"] for run in runs) for name, runs in measured.items()}
    scenario = f"{len(paths):,} repeated URLs via nginx vs static files"
    row = ratio_row(scenario, NGINX_GROUP, rps["cached"], rps["files"], "nginx files", NGINX_TARGET)
    total = sum(statuses.values())
    mix = ", ".join(f"{name} {count:,}" for name, count in statuses.most_common())
    row.update(
        errors=errors,
        cache_statuses=dict(statuses.most_common()),
        nginx_cpu_us=cpu,
        note=f"nginx's cache for the {total:,} measured requests: {mix or 'none logged'}; "
        f"nginx's processor time a request: {cpu['cached']:.0f} µs cached, "
        f"{cpu['files']:.0f} µs files",
    )
    return [row]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=20_000, help="distinct units and statuses")
    parser.add_argument("--pages", type=int, default=1_000, help="distinct list pages at most")
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument(
        "--server-command",
        default=f"{ROOT}/.venv/bin/gunicorn --workers 2 --worker-class gthread --threads 4 "
        "--access-logfile - wsgi:app",
        help="make run's server command, without --bind (the Makefile passes its own)",
    )
    parser.add_argument("--nginx-items", type=int, default=300,
                        help="distinct units repeated through nginx")  # fmt: skip
    parser.add_argument("--nginx-pages", type=int, default=100,
                        help="distinct list pages repeated through nginx, at most")  # fmt: skip
    parser.add_argument("--only", choices=PARTS, help="one part, to try it out")
    options = parser.parse_args()
    parts = [options.only] if options.only else list(PARTS)
    ensure_wrk()
    program = ensure_package("nginx", nginx_local.binary) if "nginx" in parts else ""
    url = ensure_dataset(options.units)
    database = Path(url.removeprefix("sqlite:///"))
    settings = vars(options)
    print(
        f"{options.units:,} generated units (SQLite); wrk, 1 thread, 8 connections, "
        f"{options.warmup} s warm-up then {options.duration} s a scenario.",
        flush=True,
    )
    rows = []
    for part, section, run in (
        ("long-tail", "long_tail", lambda: long_tail(options, url, database)),
        ("dump", "dump", lambda: dump(options, url)),
        ("nginx", "nginx", lambda: nginx_repeats(options, url, program)),
    ):
        if part in parts:
            measured = run()
            save_results(section, measured, settings)
            rows += measured
    print(table(rows))
    print(f"\nresults: {RESULTS.relative_to(ROOT)}")
    print(json.dumps({"missed": missed(rows)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
