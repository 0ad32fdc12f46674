"""Computed opening hours as an iCalendar (RFC 5545) feed. Plain text building, no Flask."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

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


# The wording of the feed in each language (the widget's, api/web/widget/v1.js). A text a
# source does not give in the language asked for is given in the first of FALLBACK_LANGUAGES
# it has, marked with the language it is in.
FALLBACK_LANGUAGES = ("en", "fi", "sv")
WORDS: dict[str, dict[str, str]] = {
    "en": {
        "open": "Open",
        "closed": "Closed",
        "current_clients_only": "Current clients only",
        "distance_service": "As a distance service",
        "new_clients_admitted": "New clients admitted",
        "new_clients_not_admitted": "No new clients",
        "activity_not_organised": "Some activities are not organised",
        "unknown": "Status unknown",
        "notices": "Notices in force:",
        "in_fi": "in Finnish",
        "in_sv": "in Swedish",
        "in_en": "in English",
    },
    "fi": {
        "open": "Avoinna",
        "closed": "Suljettu",
        "current_clients_only": "Vain nykyisille asiakkaille",
        "distance_service": "Etäpalveluna",
        "new_clients_admitted": "Uusia asiakkaita otetaan",
        "new_clients_not_admitted": "Uusia asiakkaita ei oteta",
        "activity_not_organised": "Osaa toiminnasta ei järjestetä",
        "unknown": "Tila ei tiedossa",
        "notices": "Voimassa olevat tiedotteet:",
        "in_fi": "suomeksi",
        "in_sv": "ruotsiksi",
        "in_en": "englanniksi",
    },
    "sv": {
        "open": "Öppet",
        "closed": "Stängt",
        "current_clients_only": "Endast för nuvarande klienter",
        "distance_service": "Som distanstjänst",
        "new_clients_admitted": "Nya klienter tas emot",
        "new_clients_not_admitted": "Nya klienter tas inte emot",
        "activity_not_organised": "En del av verksamheten ordnas inte",
        "unknown": "Läget okänt",
        "notices": "Gällande meddelanden:",
        "in_fi": "på finska",
        "in_sv": "på svenska",
        "in_en": "på engelska",
    },
}


def in_language(texts: dict[str, str | None], lang: str) -> tuple[str, str] | None:
    """A LocalizedString's text in `lang`, else in the first fallback language it has, with
    the language it is in; None where it has none."""
    for candidate in (lang, *FALLBACK_LANGUAGES):
        if text := texts.get(candidate):
            return text, candidate
    return None


def _marked(texts: dict[str, str | None], lang: str) -> str:
    """The text in `lang`; a fallback is prefixed with the language it is in: "(in Finnish)"."""
    found = in_language(texts, lang)
    if found is None:
        return ""
    text, found_lang = found
    return text if found_lang == lang else f"({WORDS[lang]['in_' + found_lang]}) {text}"


def _state(state: str, lang: str) -> str:
    """A state in words; one this version does not know, as its code."""
    return WORDS[lang].get(state, state.replace("_", " "))


def _closes_by_exception(day: DayHours) -> bool:
    """Closed all day by a notice or an exception period (a holiday, a summer closure), not
    just by the regular weekly hours (a weekend)."""
    return day.state == "closed" and bool(day.notice_ids or day.exception_ids)


def _instant(wall: datetime, zone: ZoneInfo | None) -> str:
    """A wall-clock time in the unit's zone as UTC; floating (no zone) when the zone is unknown."""
    return _utc(wall) if zone is not None else wall.strftime("%Y%m%dT%H%M%S")


def opening_hours_calendar(
    unit: Unit, facts: UnitFacts, days: list[DayHours], *, lang: str, uid_domain: str
) -> str:
    """One VEVENT per opening span, and an all-day one per day a notice or an exception
    period closes the unit; times in UTC so no VTIMEZONE is needed. Texts in `lang` (see
    FALLBACK_LANGUAGES). An event's UID is its unit, day, kind and opening time
    `@uid_domain`: the same event has the same UID whichever host serves the feed. A unit whose
    stored zone this platform does not know gets its hours as floating local times (RFC 5545:
    the wall-clock time the source gives, in no zone) rather than a failed feed."""
    zone = facts.zone_or_none()
    stamp = _utc(unit.modified_at)
    name = _marked(unit.name, lang)
    notices = {notice.id: notice for notice in facts.notices}
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//social-services-api//opening hours//EN",
        "CALSCALE:GREGORIAN",
        f"X-WR-CALNAME:{_escape(name)}",
    ]
    if zone is not None:
        lines.append(f"X-WR-TIMEZONE:{facts.timezone}")

    def event(uid: str, when: list[str], summary: str, day: DayHours) -> list[str]:
        texts = [_marked(notices[i].text, lang) for i in day.notice_ids if i in notices]
        description = "\n".join([WORDS[lang]["notices"], *(f"- {t}" for t in texts if t)])
        out = ["BEGIN:VEVENT", f"UID:{uid}@{uid_domain}", f"DTSTAMP:{stamp}", *when]
        out.append(f"SUMMARY;LANGUAGE={lang}:{_escape(summary)}")
        if any(texts):
            out.append(f"DESCRIPTION;LANGUAGE={lang}:{_escape(description)}")
        return [*out, "END:VEVENT"]

    for day in days:
        key = f"{unit.id}-{day.date.strftime('%Y%m%d')}"
        if _closes_by_exception(day):
            after = day.date + timedelta(days=1)
            when = [
                f"DTSTART;VALUE=DATE:{day.date.strftime('%Y%m%d')}",
                f"DTEND;VALUE=DATE:{after.strftime('%Y%m%d')}",
                "TRANSP:TRANSPARENT",
            ]
            lines += event(f"{key}-closed", when, f"{name}: {_state('closed', lang)}", day)
            continue
        if day.state == "closed":
            continue
        for span in day.spans:
            start = datetime.combine(day.date, span.opens, tzinfo=zone)
            end_day = day.date + timedelta(days=1) if span.closes_next_day else day.date
            end = datetime.combine(end_day, span.closes, tzinfo=zone)
            summary = name if day.state == "open" else f"{name} ({_state(day.state, lang)})"
            when = [f"DTSTART:{_instant(start, zone)}", f"DTEND:{_instant(end, zone)}"]
            uid = f"{key}-hours-{span.opens.strftime('%H%M')}"
            lines += event(uid, when, summary, day)
    lines.append("END:VCALENDAR")
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"
