"""Notes date-time text (as DXL writes it) to Python values.

DXL writes ``20090527T115404,69+02``: local date and time, hundredths of a second after the
comma, and the effective UTC offset (already including daylight saving; the ``dst`` attribute
only says that it was in effect). A value may also be a date alone (``19750521``) or a time
alone (``T115404,69``). A date and time without an offset is a wall-clock time in an unknown
zone: it is only turned into an aware datetime when the caller names the zone to assume.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo

from notesmig.errors import TerminalError

_PATTERN = re.compile(
    r"""
    ^\s*
    (?:(?P<year>\d{4})(?P<month>\d{2})(?P<day>\d{2}))?
    (?:T(?P<hour>\d{2})(?P<minute>\d{2})(?P<second>\d{2})(?:[,.](?P<fraction>\d{1,6}))?)?
    (?P<zone>Z|[+-]\d{2}(?::?\d{2})?)?
    \s*$
    """,
    re.VERBOSE,
)

NotesDateValue = datetime | date | time


class NotesDateTimeError(TerminalError, ValueError):
    """The text is not a Notes date-time, or one that cannot be placed in time."""


@dataclass(frozen=True)
class DateTimeRange:
    """A Notes date-time pair (``<datetimepair>``): a range such as a meeting's start and end."""

    start: NotesDateValue
    end: NotesDateValue


# Offsets seen so far, by their text: a file has a handful, read hundreds of thousands of times.
_ZONES: dict[str, timezone] = {}


def _zone(text: str) -> timezone:
    known = _ZONES.get(text)
    if known is not None:
        return known
    zone = _new_zone(text)
    if len(_ZONES) < 256:
        _ZONES[text] = zone
    return zone


def _new_zone(text: str) -> timezone:
    if text == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours = int(digits[:2])
    minutes = int(digits[2:4]) if len(digits) > 2 else 0
    # No time zone is further than 14 hours from UTC (Line Islands, +14:00).
    if minutes > 59 or hours * 60 + minutes > 14 * 60:
        raise NotesDateTimeError(f"offset {text!r} is beyond +-14:00")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def parse_notes_datetime(text: str, assume_tz: tzinfo | None = None) -> NotesDateValue:
    """Parse one DXL ``<datetime>`` text.

    Returns an aware :class:`datetime` for a date and time, a :class:`date` for a date alone
    and a :class:`time` (aware when an offset is given) for a time alone. A date and time
    without an offset needs ``assume_tz``; without it this raises rather than guess.
    """
    fast = _common_form(text)
    if fast is not None:
        return fast
    match = _PATTERN.match(text)
    if match is None or (match["year"] is None and match["hour"] is None):
        raise NotesDateTimeError(f"not a Notes date-time: {text!r}")
    zone = _zone(match["zone"]) if match["zone"] else None
    clock: time | None = None
    try:
        if match["hour"] is not None:
            fraction = (match["fraction"] or "").ljust(6, "0")
            clock = time(
                int(match["hour"]), int(match["minute"]), int(match["second"]), int(fraction)
            )
        day = (
            date(int(match["year"]), int(match["month"]), int(match["day"]))
            if match["year"] is not None
            else None
        )
    except ValueError as exc:
        raise NotesDateTimeError(f"not a valid date-time: {text!r} ({exc})") from exc
    if day is None:
        assert clock is not None
        return clock.replace(tzinfo=zone)
    if clock is None:
        if zone is not None:
            raise NotesDateTimeError(f"a date alone cannot carry an offset: {text!r}")
        return day
    if zone is None:
        if assume_tz is None:
            raise NotesDateTimeError(
                f"date-time {text!r} has no UTC offset; name the zone to assume "
                "(--assume-tz) rather than guess"
            )
        zone_info: tzinfo = assume_tz
    else:
        zone_info = zone
    return datetime.combine(day, clock, tzinfo=zone_info)


def _common_form(text: str) -> datetime | None:
    """``20090616T144827,04+02``, the form Domino writes nearly always, read by position; any
    other text (or an impossible value) is left to the full pattern and its messages."""
    if len(text) != 21 or text[8] != "T" or text[15] != "," or text[18] not in "+-":
        return None
    digits = text[:8] + text[9:15] + text[16:18] + text[19:]
    # isdecimal is what the pattern's \d accepts (any Unicode decimal digit).
    if not digits.isdecimal():
        return None
    try:
        return datetime(
            int(text[:4]), int(text[4:6]), int(text[6:8]),
            int(text[9:11]), int(text[11:13]), int(text[13:15]), int(text[16:18]) * 10000,
            tzinfo=_zone(text[18:]),
        )  # fmt: skip
    except ValueError:
        return None


def format_notes_datetime(value: NotesDateValue) -> str:
    """The DXL text for a value (inverse of :func:`parse_notes_datetime` for aware values)."""
    if isinstance(value, datetime):
        text = value.strftime("%Y%m%dT%H%M%S") + f",{value.microsecond // 10000:02d}"
        return text + _format_offset(value.utcoffset())
    if isinstance(value, date):
        return value.strftime("%Y%m%d")
    text = value.strftime("T%H%M%S") + f",{value.microsecond // 10000:02d}"
    return text + _format_offset(value.utcoffset())


def _format_offset(offset: timedelta | None) -> str:
    if offset is None:
        return ""
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}" + (f"{rest:02d}" if rest else "")


def isoformat(value: NotesDateValue | DateTimeRange) -> str:
    """ISO 8601 text of a value, ranges as ``start/end`` (ISO 8601 interval form)."""
    if isinstance(value, DateTimeRange):
        return f"{value.start.isoformat()}/{value.end.isoformat()}"
    return value.isoformat()
