"""The pure parts of the long-tail benchmark (bench/longtail_bench.py): which URLs to ask, the wrk
script that cycles through them, the verdicts and the final table. No servers, no timing."""

from __future__ import annotations

import json
import operator
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from urllib.parse import urlsplit

COMPARE = {">=": operator.ge, "<=": operator.le, "<": operator.lt, "==": operator.eq}


def spread_ids(units: int, count: int) -> list[str]:
    """`count` ids of the generated dataset (api/store/generate.py names them unit-000000 on),
    spread evenly over all `units` of them; all of them when there are fewer."""
    count = min(count, units)
    if count <= 0:
        return []
    return [f"unit-{n * units // count:06d}" for n in range(count)]


def relative(url: str) -> str:
    """The path and query of an absolute URL: what wrk sends and what the baseline is keyed by."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def crawl(fetch: Callable[[str], dict], first: str, next_key: str, limit: int) -> list[str]:
    """The paths of the pages a client sees by following `next_key` links from `first` (a path),
    at most `limit` of them. `fetch` takes a path and returns the page's JSON."""
    paths = [first]
    while len(paths) < limit:
        following = fetch(paths[-1]).get(next_key)
        if not following:
            break
        path = relative(following)
        if path in paths:
            raise ValueError(f"the {next_key!r} links go round in a circle at {path}")
        paths.append(path)
    return paths


WRK_SCRIPT = """\
-- Cycles through the paths listed in {paths}, one a line: each request asks the next one.
local paths = {{}}
for line in io.lines({paths_literal}) do paths[#paths + 1] = line end
local i = 0
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
"""


def wrk_script(paths_file: Path) -> str:
    """A wrk Lua script that sends the paths listed in `paths_file` in turn, round and round."""
    return WRK_SCRIPT.format(paths=paths_file.name, paths_literal=json.dumps(str(paths_file)))


def check(
    scenario: str, group: str, measured: float, compare: str, threshold: float, **extra: object
) -> dict:
    """One row of the results: `measured` against its target (`compare` `threshold`)."""
    met = COMPARE[compare](measured, threshold)
    return {
        "scenario": scenario, "group": group, "measured": measured, "target": compare,
        "threshold": threshold, "verdict": "MET" if met else "MISSED", **extra,
    }  # fmt: skip


def ratio_row(
    scenario: str,
    group: str,
    ours: float,
    baseline: float,
    baseline_name: str,
    minimum: float | None,
) -> dict:
    """A row comparing requests per second: ours over the baseline's, at least `minimum` (None:
    no target, the row is for information)."""
    ratio = ours / baseline if baseline else 0.0
    row = check(scenario, group, ratio, ">=", minimum or 0.0, ours=ours, baseline=baseline,
                baseline_name=baseline_name, unit="x")  # fmt: skip
    if minimum is None:
        row.update(target=None, threshold=None, verdict="no target")
    return row


def skipped(scenario: str, group: str, reason: str) -> dict:
    return {"scenario": scenario, "group": group, "verdict": "skipped", "reason": reason}


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:,.1f}" if abs(value) < 100 else f"{value:,.0f}"


def table(rows: list[dict]) -> str:
    """The final table: scenario, ours req/s, baseline req/s, ratio, target, MET/MISSED; grouped
    (repeats apart from the long tail), a skipped scenario with its reason, a row's note (what
    nginx's cache did) on the line below it."""
    lines = []
    head = f"{'scenario':44} {'ours':>10} {'baseline':>10} {'vs':11} {'ratio':>7} {'target':>14}"
    group = None
    for row in rows:
        if row["group"] != group:
            group = row["group"]
            lines += ["", f"== {group}", head + "  verdict"]
        if row["verdict"] == "skipped":
            lines.append(f"{row['scenario']:44} skipped: {row['reason']}")
            continue
        unit = row.get("unit") or ""
        ours, baseline = row.get("ours", row["measured"]), row.get("baseline")
        against = row.get("baseline_name", "")
        ratio = f"{row['measured']:.2f}" if unit.startswith("x") else ""
        if "ours" not in row and unit.startswith("x"):
            ours = None
        target = f"{row['target']} {row['threshold']:,g}{unit}" if row["target"] else ""
        lines.append(
            f"{row['scenario']:44} {_number(ours):>10} {_number(baseline):>10} {against:11} "
            f"{ratio:>7} {target:>14}  {row['verdict']}"
        )
        if row.get("note"):
            lines.append(f"  {row['note']}")
    return "\n".join(lines)


def cache_statuses(lines: Iterable[str]) -> dict[str, int]:
    """How many requests each cache status has in nginx's access log lines (deploy/nginx_local.py's
    format: `status cache-status "request"`; "-" where no cache was asked), most frequent first."""
    counts = Counter(line.split(maxsplit=2)[1] for line in lines if line.strip())
    return dict(counts.most_common())


def dump_records(lines: int, start: bytes) -> int:
    """The records among the `lines` of an NDJSON dump that starts with `start`: every line but
    its head line `{"dump": {...}}` (the count and the change-feed cursor)."""
    return lines - 1 if start.startswith(b'{"dump"') else lines


def missed(rows: list[dict]) -> list[str]:
    return [row["scenario"] for row in rows if row["verdict"] == "MISSED"]


# The sections of bench/.data/results.json, in the final table's order: repeats apart from the
# long tail.
SECTIONS = ("repeats", "long_tail", "dump", "nginx")


def report_rows(results: dict) -> list[dict]:
    """The rows of every section present in `results`, in SECTIONS order."""
    return [row for section in SECTIONS for row in results.get(section, {}).get("rows", [])]
