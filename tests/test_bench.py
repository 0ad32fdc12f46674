"""The pure logic of the long-tail benchmark (bench/longtail.py) and its baseline app: which URLs
are asked, the verdicts and the final table. Nothing here is timed."""

from __future__ import annotations

import importlib
import pickle
import sys

import pytest

from api.config import PROJECT_ROOT

sys.path.insert(0, str(PROJECT_ROOT))

from bench.longtail import (  # noqa: E402
    cache_statuses,
    check,
    crawl,
    dump_records,
    missed,
    ratio_row,
    relative,
    report_rows,
    skipped,
    spread_ids,
    table,
    wrk_script,
)


def test_spread_ids_are_distinct_existing_and_spread_over_the_dataset():
    ids = spread_ids(100_000, 20_000)
    assert len(set(ids)) == 20_000
    assert ids[0] == "unit-000000" and ids[1] == "unit-000005"
    assert ids[-1] == "unit-099995"
    assert spread_ids(300, 20_000) == [f"unit-{n:06d}" for n in range(300)]
    assert spread_ids(0, 10) == []


def test_relative_keeps_path_and_query_only():
    assert relative("http://127.0.0.1:8000/v1/units?page_size=20&cursor=a%3D") == (
        "/v1/units?page_size=20&cursor=a%3D"
    )
    assert relative("http://h/v1/units/unit-000001") == "/v1/units/unit-000001"


def pages(count: int, next_key: str = "next") -> dict[str, dict]:
    """A fake paged API: page n links to page n + 1, the last to nothing."""
    return {
        f"/p?n={n}": {next_key: f"http://server/p?n={n + 1}" if n + 1 < count else None}
        for n in range(count)
    }


def test_crawl_follows_next_links_to_the_last_page():
    site = pages(5)
    assert crawl(site.__getitem__, "/p?n=0", "next", 100) == [f"/p?n={n}" for n in range(5)]


def test_crawl_stops_at_the_limit_and_reads_the_named_link():
    site = pages(50, "next_url")
    assert crawl(site.__getitem__, "/p?n=0", "next_url", 3) == ["/p?n=0", "/p?n=1", "/p?n=2"]


def test_crawl_refuses_links_that_go_round_in_a_circle():
    site = {"/a": {"next": "http://s/b"}, "/b": {"next": "http://s/a"}}
    with pytest.raises(ValueError, match="circle"):
        crawl(site.__getitem__, "/a", "next", 10)


def test_wrk_script_reads_the_listed_paths(tmp_path):
    listed = tmp_path / 'paths "x".txt'
    script = wrk_script(listed)
    assert 'io.lines("' in script and str(listed).replace('"', '\\"') in script
    assert 'wrk.format("GET", paths[i])' in script


@pytest.mark.parametrize(
    ("ours", "baseline", "minimum", "verdict"),
    [(500, 1000, 0.5, "MET"), (499, 1000, 0.5, "MISSED"), (300, 1000, 0.3, "MET"),
     (10, 0, 0.5, "MISSED")],
)  # fmt: skip
def test_ratio_rows_compare_ours_over_the_baseline(ours, baseline, minimum, verdict):
    row = ratio_row("distinct items vs bare WSGI", "long tail", ours, baseline, "bare WSGI",
                    minimum)  # fmt: skip
    assert row["verdict"] == verdict
    if baseline:
        assert row["measured"] == pytest.approx(ours / baseline)


def test_checks_of_the_dump():
    assert check("rate", "dump", 20_000, ">=", 20_000)["verdict"] == "MET"
    assert check("rate", "dump", 19_999, ">=", 20_000)["verdict"] == "MISSED"
    assert check("lines", "dump", 53_874, "==", 100_000)["verdict"] == "MISSED"
    assert check("lines", "dump", 100_000, "==", 100_000)["verdict"] == "MET"
    assert check("memory", "dump", 32.0, "<", 32)["verdict"] == "MISSED"
    assert check("cost", "repeats", 1.2, "<=", 1.2)["verdict"] == "MET"


def test_the_dumps_head_line_is_not_a_unit():
    head = b'{"dump":{"collection":"units","count":2000}}\n{"id":"unit-000000"}\n'
    assert dump_records(2001, head[:16]) == 2000
    assert dump_records(2000, b'{"id":"unit-000') == 2000  # no head line: every line a record
    assert dump_records(0, b"") == 0


def test_a_ratio_without_target_is_neither_met_nor_missed():
    row = ratio_row("one unit", "repeats", 10, 20, "bare WSGI", None)
    assert row["verdict"] == "no target"
    assert missed([row]) == []


def test_the_final_table_groups_rows_and_names_misses_and_skips():
    results = {
        "dump": {"rows": [check("units a second", "dump", 1743.0, ">=", 20_000, unit="/s")]},
        "long_tail": {"rows": [
            ratio_row("distinct items vs bare WSGI", "long tail", 440, 8600, "bare WSGI", 0.5),
            skipped("distinct items vs Datasette", "long tail", "datasette not installed"),
        ]},
        "repeats": {"rows": [ratio_row("first page", "repeats", 900, 1000, "bare WSGI", 0.5)]},
    }  # fmt: skip
    rows = report_rows(results)
    assert [row["group"] for row in rows] == ["repeats", "long tail", "long tail", "dump"]
    text = table(rows)
    lines = text.splitlines()
    assert lines.index("== repeats") < lines.index("== long tail") < lines.index("== dump")
    items = next(line for line in lines if line.startswith("distinct items vs bare WSGI"))
    assert items.endswith("MISSED") and "0.05" in items and "8,600" in items
    assert "skipped: datasette not installed" in text
    assert next(line for line in lines if line.startswith("units a second")).endswith("MISSED")
    assert next(line for line in lines if line.startswith("first page")).endswith("MET")
    assert missed(rows) == ["distinct items vs bare WSGI", "units a second"]


def test_the_baseline_serves_the_pre_rendered_answers(tmp_path, monkeypatch):
    answers = {
        "/v1/units/unit-000001": (200, "application/json", b'{"id":"unit-000001"}'),
        "/v1/units?page_size=20&cursor=abc": (200, "application/json", b'{"results":[]}'),
    }
    store = tmp_path / "answers.pickle"
    store.write_bytes(pickle.dumps(answers))
    monkeypatch.setenv("BENCH_BASELINE_ANSWERS", str(store))
    import bench.baseline_app

    baseline = importlib.reload(bench.baseline_app)
    started = []

    def get(path: str, query: str = "") -> bytes:
        environ = {"PATH_INFO": path, "QUERY_STRING": query}
        return b"".join(baseline.app(environ, lambda *args: started.append(args)))

    assert get("/v1/units/unit-000001") == b'{"id":"unit-000001"}'
    assert get("/v1/units", "page_size=20&cursor=abc") == b'{"results":[]}'
    assert ("Content-Length", "14") in started[-1][1]
    assert get("/", "size=5") == b'"xxx"'  # the size mode of the repeated-request benchmark
    monkeypatch.delenv("BENCH_BASELINE_ANSWERS")
    importlib.reload(bench.baseline_app)


def test_cache_statuses_count_what_nginx_logged():
    lines = [
        '200 HIT "GET /v1/units/unit-000001 HTTP/1.1"\n',
        '200 HIT "GET /v1/units?page_size=20 HTTP/1.1"\n',
        '200 EXPIRED "GET /v1/units/unit-000002 HTTP/1.1"\n',
        "\n",
        '200 HIT "GET /v1/units/unit-000001 HTTP/1.1"\n',
        '404 MISS "GET /nothing HTTP/1.1"\n',
        '200 - "GET /00001.json HTTP/1.1"\n',
    ]
    assert cache_statuses(lines) == {"HIT": 3, "EXPIRED": 1, "MISS": 1, "-": 1}
    assert list(cache_statuses(lines)) == ["HIT", "EXPIRED", "MISS", "-"]  # most frequent first
    assert cache_statuses([]) == {}


def test_a_rows_note_is_printed_below_it():
    row = ratio_row("400 repeated URLs via nginx vs static files", "nginx", 7800, 9000,
                    "nginx files", 0.8)  # fmt: skip
    row["note"] = "nginx's cache for the 39,000 measured requests: HIT 39,000"
    lines = table([row]).splitlines()
    at = next(n for n, line in enumerate(lines) if line.startswith("400 repeated URLs"))
    assert lines[at].endswith("MET") and "0.87" in lines[at]
    assert lines[at + 1] == "  nginx's cache for the 39,000 measured requests: HIT 39,000"


def test_ensure_package_installs_a_missing_program_from_debian(monkeypatch):
    sys.path.insert(0, str(PROJECT_ROOT / "bench"))
    import load_bench

    installed: list[str] = []
    ran: list[list[str]] = []

    def run(command, check, env):
        assert check and env["DEBIAN_FRONTEND"] == "noninteractive"
        ran.append(command)
        if "install" in command:
            installed.append(command[-1])

    monkeypatch.setattr(load_bench.subprocess, "run", run)
    monkeypatch.setattr(load_bench.os, "geteuid", lambda: 0)

    def find() -> str | None:
        return "/usr/sbin/nginx" if "nginx" in installed else None

    assert load_bench.ensure_package("nginx", find) == "/usr/sbin/nginx"
    assert ran == [["apt-get", "update"], ["apt-get", "install", "-y", "nginx"]]
    # Present: nothing is run.
    assert load_bench.ensure_package("nginx", find) == "/usr/sbin/nginx"
    assert len(ran) == 2
    # Still missing after the install: a clear stop, not a crash later on.
    with pytest.raises(SystemExit, match="apt-get installed wrk"):
        load_bench.ensure_package("wrk", lambda: None)
