"""The final table of `make bench`: every target of the last runs, read from
bench/.data/results.json (each benchmark writes its own section), as MET or MISSED."""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from load_bench import RESULTS  # noqa: E402
from longtail import SECTIONS, missed, report_rows, table  # noqa: E402


def main() -> int:
    results = json.loads(RESULTS.read_text())
    for section in SECTIONS:
        if section in results:
            print(f"{section}: measured at {results[section]['measured_at']}")
    rows = report_rows(results)
    print(table(rows))
    print(f"\nresults: {RESULTS.relative_to(ROOT)}")
    print(json.dumps({"missed": missed(rows)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
