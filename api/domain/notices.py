"""When each notice statement is in force, and for how long it can be trusted: derived once from
the stated dates, the notice's dated versions and the knowledge horizon. Plain functions over
plain values (no Flask, no database): the loader, the editor API and the status engine use them.

A published notice (such as the COVID-19 notice of the social rehabilitation pages) comes in
versions: each version is a dated publication of the whole notice, made of statements (one per
unit group and claim), and each version replaces the whole earlier one from the day it takes
effect. The rules, in one place (the README quotes them):

1. **A version takes effect** on its `published_on` day. Where no source dates it, the sources
   imply bounds instead: `published_not_before` / `published_not_after` (by default, not before
   the day after the version it replaces took effect, and no later bound). Within the bounds the
   day is unknown; nothing here invents one.
2. **A statement starts** on its own `valid_from` when it gives one (a dated claim speaks for its
   own days, whenever it was published), else when its version takes effect. A statement of no
   version (one an editor published alone) starts on `valid_from`, else on `stated_on`, else has
   no known start and is read as in force from any earlier day.
3. **A statement ends** on its own `valid_until`; else, when it repeats the claim (the same state)
   of the statement it supersedes and that one gave its own end, on that end (a later source's
   silence does not lift an end an earlier source gave for the same units); else on its
   version's `valid_until`. Whatever its end, it is over once the next version takes effect (for
   a statement of no version: once a statement superseding it starts).
4. **Trust.** A statement with no end is trusted for `horizon_days` after a source last said it
   (`stated_on`, else its version's `published_on`, else the earliest day its version can have
   been published); past that day (`trusted_until`) what it says is unknown. A statement with an
   end is trusted to its end. Opening hours work the same way with `verified_on`.

The exact first and last day in force are published where the sources fix them, and otherwise
only their bounds (`in_force_bounds`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

# A day before any source: the `trusted_until` of a statement no source dates at all.
NEVER = date(1900, 1, 1)


@dataclass(frozen=True)
class VersionDates:
    """A version of a published notice, as its sources date it."""

    id: str
    published_on: date | None = None
    published_not_before: date | None = None
    published_not_after: date | None = None
    valid_until: date | None = None
    replaces_id: str | None = None


@dataclass(frozen=True)
class StatementDates:
    """A statement of a notice, as its sources date it."""

    id: str
    state: str
    valid_from: date | None = None
    valid_until: date | None = None
    stated_on: date | None = None
    version_id: str | None = None
    supersedes_id: str | None = None


@dataclass(frozen=True)
class Start:
    """The day something took effect: exactly `earliest` when both bounds are equal, else some
    day from `earliest` to `latest` (None: unbounded on that side) that the sources do not give.
    `key` names the unknown, so that everything waiting on the same day moves together (a
    version's statements begin, and the version it replaces ends, on the same day)."""

    key: str
    earliest: date | None
    latest: date | None

    def started(self, day: date, assumed: dict[str, bool]) -> bool:
        """Whether it had taken effect by `day`; inside the bounds, as `assumed` for `key`."""
        if self.latest is not None and day >= self.latest:
            return True
        if self.earliest is not None and day < self.earliest:
            return False
        return assumed[self.key]

    def undecided_on(self, day: date) -> bool:
        return not (
            (self.latest is not None and day >= self.latest)
            or (self.earliest is not None and day < self.earliest)
        )


@dataclass(frozen=True)
class Window:
    """When a statement is in force, as the engine reads it: from `from_day` (its own start;
    None: no bound) once `begins` has taken effect (its version), up to `until_day` (its own or
    inherited end, or its version's) and until `replaced` takes effect (the next version, or a
    superseding statement of no version). `trusted_until`: the last day it can be relied on;
    `said_on`: when a source last said it, as far as the sources date it."""

    from_day: date | None = None
    until_day: date | None = None
    begins: Start | None = None
    replaced: Start | None = None
    trusted_until: date | None = None
    said_on: date | None = None

    def in_force_on(self, day: date, assumed: dict[str, bool]) -> bool:
        return (
            (self.from_day is None or self.from_day <= day)
            and (self.until_day is None or day <= self.until_day)
            and (self.begins is None or self.begins.started(day, assumed))
            and (self.replaced is None or not self.replaced.started(day, assumed))
        )

    def trusted_on(self, day: date) -> bool:
        return self.trusted_until is None or day <= self.trusted_until

    def unknowns_on(self, day: date) -> set[str]:
        """The unknown days this window depends on at `day`."""
        return {
            s.key for s in (self.begins, self.replaced) if s is not None and s.undecided_on(day)
        }

    # --- The published form ------------------------------------------------------------------

    def first_day_bounds(self) -> tuple[date | None, date | None]:
        """(earliest, latest) first day in force; None: unbounded."""
        if self.begins is None:
            return self.from_day, self.from_day
        earliest, latest = self.begins.earliest, self.begins.latest
        if self.from_day is not None:  # (a statement with its own start has no `begins`)
            earliest = self.from_day if earliest is None else max(earliest, self.from_day)
            latest = None if latest is None else max(latest, self.from_day)
        return earliest, latest

    def last_day_bounds(self) -> tuple[date | None, date | None]:
        """(earliest, latest) last day in force; None: unbounded (no known end)."""
        if self.replaced is None:
            return self.until_day, self.until_day

        def cut(day: date | None) -> date | None:
            if day is None:
                return self.until_day
            before = day - timedelta(days=1)
            return before if self.until_day is None else min(self.until_day, before)

        earliest = None if self.replaced.earliest is None else cut(self.replaced.earliest)
        return earliest, cut(self.replaced.latest)


@dataclass(frozen=True)
class Bounds:
    """What is published about when a statement or a version is in force: the exact first and
    last day where the sources fix them (else null), and the bounds they imply."""

    in_force_from: date | None
    in_force_until: date | None
    from_earliest: date | None
    from_latest: date | None
    until_earliest: date | None
    until_latest: date | None

    def as_dict(self) -> dict[str, str | None]:
        return {
            "from_earliest": _iso(self.from_earliest),
            "from_latest": _iso(self.from_latest),
            "until_earliest": _iso(self.until_earliest),
            "until_latest": _iso(self.until_latest),
        }


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def bounds_of(window: Window) -> Bounds:
    from_earliest, from_latest = window.first_day_bounds()
    until_earliest, until_latest = window.last_day_bounds()
    return Bounds(
        in_force_from=from_earliest if from_earliest == from_latest else None,
        in_force_until=until_latest if until_earliest == until_latest else None,
        from_earliest=from_earliest,
        from_latest=from_latest,
        until_earliest=until_earliest,
        until_latest=until_latest,
    )


@dataclass
class Derived:
    """Everything derived: each statement's window, and the published bounds of statements and
    versions."""

    windows: dict[str, Window] = field(default_factory=dict)
    version_bounds: dict[str, Bounds] = field(default_factory=dict)
    statement_bounds: dict[str, Bounds] = field(default_factory=dict)


def version_starts(versions: list[VersionDates]) -> dict[str, Start]:
    """The day each version took effect (rule 1), oldest first along `replaces_id`."""
    by_id = {v.id: v for v in versions}
    starts: dict[str, Start] = {}

    def start_of(version: VersionDates, seen: frozenset[str] = frozenset()) -> Start:
        if version.id in starts:
            return starts[version.id]
        if version.published_on is not None:
            start = Start(version.id, version.published_on, version.published_on)
        else:
            earliest = version.published_not_before
            previous = by_id.get(version.replaces_id) if version.replaces_id else None
            if earliest is None and previous is not None and previous.id not in seen:
                before = start_of(previous, seen | {version.id})
                if before.earliest is not None:
                    earliest = before.earliest + timedelta(days=1)
            start = Start(version.id, earliest, version.published_not_after)
        starts[version.id] = start
        return start

    for version in versions:
        start_of(version)
    return starts


def derive(
    statements: list[StatementDates], versions: list[VersionDates], horizon_days: int
) -> Derived:
    """Each statement's window (rules 2–4) and the published bounds of statements and
    versions."""
    starts = version_starts(versions)
    versions_by_id = {v.id: v for v in versions}
    successor_of = {v.replaces_id: v.id for v in versions if v.replaces_id}
    by_id = {s.id: s for s in statements}
    superseding: dict[str, list[StatementDates]] = {}
    for statement in statements:
        if statement.supersedes_id:
            superseding.setdefault(statement.supersedes_id, []).append(statement)
    horizon = timedelta(days=horizon_days)
    derived = Derived()

    def own_start(statement: StatementDates) -> date | None:
        return statement.valid_from or (None if statement.version_id else statement.stated_on)

    def own_end(statement: StatementDates, seen: frozenset[str] = frozenset()) -> date | None:
        """Its own end, else the one the statement it repeats gave (rule 3)."""
        if statement.valid_until is not None or statement.id in seen:
            return statement.valid_until
        previous = by_id.get(statement.supersedes_id) if statement.supersedes_id else None
        if previous is not None and previous.state == statement.state:
            return own_end(previous, seen | {statement.id})
        return None

    for statement in statements:
        version = versions_by_id.get(statement.version_id) if statement.version_id else None
        begins = None
        if version is not None and statement.valid_from is None:
            begins = starts[version.id]
        until = own_end(statement)
        if until is None and version is not None:
            until = version.valid_until
        replaced = None
        own = [own_start(s) for s in superseding.get(statement.id, []) if not s.version_id]
        later = [day for day in own if day is not None]
        if later:  # an editor published a successor of its own: it ends this one
            first = min(later)
            replaced = Start(f"{statement.id}:superseded", first, first)
        elif version is not None and version.id in successor_of:
            replaced = starts[successor_of[version.id]]
        said = statement.stated_on
        if said is None and version is not None:
            said = version.published_on or starts[version.id].earliest
        if said is None and version is None:
            said = statement.valid_from
        trusted_until = None
        if until is None:
            trusted_until = NEVER if said is None else said + horizon
        window = Window(own_start(statement), until, begins, replaced, trusted_until, said)
        derived.windows[statement.id] = window
        derived.statement_bounds[statement.id] = bounds_of(window)

    for version in versions:
        start = starts[version.id]
        replaced = starts.get(successor_of.get(version.id, ""), None)
        window = Window(None, version.valid_until, start, replaced)
        derived.version_bounds[version.id] = bounds_of(window)
    return derived


def hours_trusted_until(
    valid_until: date | None, verified_on: date | None, valid_from: date | None, horizon_days: int
) -> date | None:
    """Rule 4 for opening hours: hours with an end are trusted to it; open-ended hours for
    `horizon_days` after a source last gave them (`verified_on`, else their `valid_from`)."""
    if valid_until is not None:
        return None
    said = verified_on or valid_from
    return NEVER if said is None else said + timedelta(days=horizon_days)


# --- Stored form -----------------------------------------------------------------------------


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _start_json(start: Start | None) -> dict | None:
    if start is None:
        return None
    return {"key": start.key, "earliest": _iso(start.earliest), "latest": _iso(start.latest)}


def _start_from(data: dict | None) -> Start | None:
    if data is None:
        return None
    return Start(data["key"], _day(data["earliest"]), _day(data["latest"]))


def window_json(window: Window) -> dict:
    """A window as stored beside its statement (the engine's input)."""
    return {
        "from_day": _iso(window.from_day),
        "until_day": _iso(window.until_day),
        "begins": _start_json(window.begins),
        "replaced": _start_json(window.replaced),
        "trusted_until": _iso(window.trusted_until),
        "said_on": _iso(window.said_on),
    }


def window_from(data: dict | None) -> Window:
    if not data:
        return Window()
    return Window(
        _day(data["from_day"]),
        _day(data["until_day"]),
        _start_from(data["begins"]),
        _start_from(data["replaced"]),
        _day(data["trusted_until"]),
        _day(data.get("said_on")),
    )


def possible_days(window: Window) -> tuple[date | None, date | None]:
    """The first and last day the statement can have been in force and trusted (None:
    unbounded), for `active_at`."""
    first, _ = window.first_day_bounds()
    _, last = window.last_day_bounds()
    if window.trusted_until is not None:
        last = window.trusted_until if last is None else min(last, window.trusted_until)
    return first, last
