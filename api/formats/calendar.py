"""Computed opening hours as an iCalendar (RFC 5545) feed. Plain text building, no Flask."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from api.domain.status import DayHours, UnitFacts
from api.store.models import Unit

# Control characters TEXT may not hold (RFC 5545 3.3.11), once line breaks are escaped.
CONTROLS = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def _escape(text: str) -> str:
    """TEXT as RFC 5545 writes it: every line break (CRLF, LF or a bare CR, which a reader
    may take for the end of the line) as `\\n`, and no other control characters."""
    text = text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")
    return CONTROLS.sub("", text)


def _fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space (RFC 5545 3.1)."""
    data = line.encode("utf-8")
    if len(data) <= 75:
        return line
    parts: list[str] = []
    current = b""
    for char in line:
        encoded = char.encode("utf-8")
        if len(current) + len(encoded) > (75 if not parts else 74):
            parts.append(current.decode("utf-8"))
            current = b""
        current += encoded
    parts.append(current.decode("utf-8"))
    return "\r\n ".join(parts)


def _utc(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _name(names: dict[str, str | None]) -> str:
    return next((name for lang in ("en", "fi", "sv") if (name := names.get(lang))), "")


def opening_hours_calendar(unit: Unit, facts: UnitFacts, days: list[DayHours], host: str) -> str:
    """One VEVENT per opening span; times in UTC so no VTIMEZONE is needed."""
    zone = facts.zone
    stamp = _utc(unit.modified_at)
    name = _name(unit.name)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//social-services-api//opening hours//EN",
        "CALSCALE:GREGORIAN",
        f"X-WR-CALNAME:{_escape(name)}",
        f"X-WR-TIMEZONE:{facts.timezone}",
    ]
    for day in days:
        if day.state == "closed":
            continue
        for span in day.spans:
            start = datetime.combine(day.date, span.opens, tzinfo=zone)
            end_day = day.date + timedelta(days=1) if span.closes_next_day else day.date
            end = datetime.combine(end_day, span.closes, tzinfo=zone)
            summary = name if day.state == "open" else f"{name} ({day.state.replace('_', ' ')})"
            description = ", ".join(day.notice_ids)
            lines += [
                "BEGIN:VEVENT",
                f"UID:{unit.id}-{day.date.isoformat()}-{span.opens.strftime('%H%M')}@{host}",
                f"DTSTAMP:{stamp}",
                f"DTSTART:{_utc(start)}",
                f"DTEND:{_utc(end)}",
                f"SUMMARY:{_escape(summary)}",
            ]
            if description:
                lines.append(f"DESCRIPTION:{_escape('Notices in force: ' + description)}")
            lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"
