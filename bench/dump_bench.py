"""Dump benchmark: the full NDJSON export of a generated 100,000-unit dataset, its throughput
and its peak memory growth, against a baseline measured in the same run: the build of the
units' dumps (once per data version, every format) and then the download of the built file.

Baseline: serialising the same number of plain, already-built records with json.dumps, with no
database and no schema. The ratio says what the database reads, the embeds and the schema cost.
Target (issue: bulk downloads): peak memory growth of the export under 32 MB.

Run: `make bench-dump` (`make bench` runs it after the load benchmark), or
`.venv/bin/python bench/dump_bench.py --units 100000`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = ROOT / "bench" / ".data"
MEMORY_TARGET_MB = 32
# The benchmarks measure the API, not its rate limiter: "0" turns both limits off.
NO_RATE_LIMITS = {"RATE_LIMIT_READS": "0", "RATE_LIMIT_WRITES": "0"}


def schema_is_current(url: str) -> bool:
    """Whether the database at `url` has every table, column and index the models have now (a
    dataset generated before a schema change would fail on a missing table, or be measured
    without an index the API relies on)."""
    from sqlalchemy import create_engine, inspect

    from api.store.db import Base
    from api.store.models import Unit  # noqa: F401 - registers the models' tables

    engine = create_engine(url)
    try:
        found = inspect(engine)
        tables = set(found.get_table_names())
        for table in Base.metadata.sorted_tables:
            if table.name not in tables:
                return False
            columns = {column["name"] for column in found.get_columns(table.name)}
            if not {column.name for column in table.columns} <= columns:
                return False
            indexes = {index["name"] for index in found.get_indexes(table.name)}
            if not {index.name for index in table.indexes} <= indexes:
                return False
        return True
    finally:
        engine.dispose()


def dumps_dir(units: int) -> Path:
    """Where the servers of the benchmarks keep the dumps of the generated dataset."""
    return DATA / f"dumps-{units}"


def ensure_dataset(units: int) -> str:
    """The generated dataset's URL, generating it first if it is missing or out of date (its
    dumps, if any, go with it)."""
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"bench-{units}.sqlite3"
    url = f"sqlite:///{path}"
    if path.exists() and not schema_is_current(url):
        print(f"{path} predates the current models: generating it again", flush=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    if not path.exists():
        shutil.rmtree(dumps_dir(units), ignore_errors=True)
        print(f"generating {units} units into {path} ...", flush=True)
        subprocess.run(
            [str(ROOT / ".venv/bin/flask"), "--app", "wsgi", "data", "generate",
             "--units", str(units), "--database-url", url],
            check=True, cwd=ROOT, env={**os.environ, **NO_RATE_LIMITS},
        )  # fmt: skip
    return url


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def measure(label: str, chunks) -> dict:
    """Time to drain `chunks`, and the growth of the process's peak resident memory meanwhile
    (the kernel's high-water mark, reset first), so what is measured is real memory."""
    Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
    start_rss = _status_kib("VmRSS")
    started = time.perf_counter()
    size = lines = 0
    for chunk in chunks:
        size += len(chunk)
        lines += chunk.count(b"\n") if isinstance(chunk, bytes) else chunk.count("\n")
    elapsed = time.perf_counter() - started
    peak = (_status_kib("VmHWM") - start_rss) * 1024
    return {"label": label, "seconds": elapsed, "bytes": size, "records": lines, "peak": peak}


def _built(app, build):
    """The build of the units' dumps, as `measure` takes it (one chunk: nothing)."""
    build(app, "units")
    yield b""


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=100_000)
    options = parser.parse_args()
    url = ensure_dataset(options.units)

    import tempfile

    from api import create_app
    from api.resources.dumps import build

    folder = tempfile.mkdtemp(prefix="dump-bench-")
    app = create_app({"DATABASE_URL": url, "DUMPS_DIR": folder, **NO_RATE_LIMITS})
    client = app.test_client()
    client.get("/v1/units?page_size=1")  # warm up: imports, connection, caches

    # The dumps are built once per data version (every format, compressed copies too), then
    # served as a file: the build is what the records cost, the GET what a download does.
    built = measure("build of the units' dumps (all formats)", _built(app, build))
    response = client.get("/v1/dumps/units.ndjson")
    dump = measure("GET /v1/dumps/units.ndjson (built)", response.response)
    response.close()
    dump["records"] -= 1  # the head line with the change-feed cursor
    built["records"] = dump["records"]

    sample = client.get("/v1/units?page_size=1").json["results"][0]
    records = (dict(sample, id=f"unit-{n:06d}") for n in range(dump["records"]))
    baseline = measure(
        "baseline: json.dumps of built records",
        (json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in records),
    )

    print()
    header = f"{'scenario':45} {'records':>9} {'MB':>8} {'s':>7} {'rec/s':>9} {'MB/s':>7}"
    print(header + f" {'peak MB':>8} {'ratio':>6}")
    for row in (baseline, built, dump):
        rate = row["records"] / row["seconds"]
        ratio = rate / (baseline["records"] / baseline["seconds"])
        print(
            f"{row['label']:45} {row['records']:>9} {row['bytes'] / 1e6:>8.1f} "
            f"{row['seconds']:>7.2f} {rate:>9.0f} {row['bytes'] / 1e6 / row['seconds']:>7.1f} "
            f"{row['peak'] / 2**20:>8.1f} {ratio:>6.2f}"
        )
    peak_mb = max(built["peak"], dump["peak"]) / 2**20  # building it, or sending it
    verdict = "met" if peak_mb < MEMORY_TARGET_MB else "MISSED"
    print(
        f"\ntarget: export peak memory growth < {MEMORY_TARGET_MB} MB: {peak_mb:.1f} MB, {verdict}"
    )
    return 0 if dump["records"] == options.units else 1


if __name__ == "__main__":
    raise SystemExit(main())
