"""Hypothesis pieces shared by the status engine's property tests (tests/test_status_*.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from hypothesis import strategies as st

from api.domain.notices import Start, Window
from api.domain.status import STATE_ORDER, Notice

tri = st.sampled_from([None, True, False])


def draw_notices(
    draw: st.DrawFn,
    period: Callable[[], tuple[date | None, date | None]],
    day_or_none: Callable[[], date | None],
) -> tuple[Notice, ...]:
    """Up to three notices over the days `period` and `day_or_none` draw, sharing one undated
    version start: some begin with it, some end with it."""
    earliest, latest = period()
    version = Start("v", earliest, latest)
    notices = []
    for index in range(draw(st.integers(0, 3))):
        start, end = period()
        role = draw(st.sampled_from(["plain", "plain", "begins", "replaced"]))
        window = Window(
            from_day=None if role == "begins" else start,
            until_day=end,
            begins=version if role == "begins" else None,
            replaced=version if role == "replaced" else None,
            trusted_until=day_or_none() if end is None and draw(st.booleans()) else None,
        )
        notices.append(
            Notice(
                f"n{index}",
                draw(st.sampled_from(STATE_ORDER)),
                window,
                draw(tri),
                draw(tri),
                draw(tri),
                draw(st.sampled_from([None, "on_site", "distance", "partly_distance"])),
            )
        )
    return tuple(notices)
