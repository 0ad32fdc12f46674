"""When each status notice is in force, derived once from its stated dates and supersession.

Sources give a notice's validity as inclusive calendar days, and sometimes leave a bound out
(the later 2021 COVID-19 notice gives no start). The rules, applied in this order:

1. `in_force_from` is `valid_from`; where that is not given and the notice supersedes another
   whose last day is known, it is the day after that last day (a new version takes over when the
   old one ends); otherwise it is null, meaning no known start.
2. `in_force_until` is `valid_until` (null = open-ended), cut short to the day before the
   earliest known `in_force_from` of any notice that supersedes it.

Plain functions over plain values, so the editor API and the status engine reuse them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class NoticeDates:
    id: str
    valid_from: date | None
    valid_until: date | None
    supersedes_id: str | None


def derive_validity(notices: list[NoticeDates]) -> dict[str, tuple[date | None, date | None]]:
    """Return {notice id: (in_force_from, in_force_until)} for every notice."""
    by_id = {n.id: n for n in notices}
    starts: dict[str, date | None] = {}
    for notice in notices:
        start = notice.valid_from
        previous = by_id.get(notice.supersedes_id) if notice.supersedes_id else None
        if start is None and previous is not None and previous.valid_until is not None:
            start = previous.valid_until + timedelta(days=1)
        starts[notice.id] = start

    successor_starts: dict[str, list[date]] = {}
    for notice in notices:
        if notice.supersedes_id and starts[notice.id] is not None:
            successor_starts.setdefault(notice.supersedes_id, []).append(starts[notice.id])

    result: dict[str, tuple[date | None, date | None]] = {}
    for notice in notices:
        end = notice.valid_until
        if notice.id in successor_starts:
            cut = min(successor_starts[notice.id]) - timedelta(days=1)
            end = cut if end is None else min(end, cut)
        result[notice.id] = (starts[notice.id], end)
    return result
