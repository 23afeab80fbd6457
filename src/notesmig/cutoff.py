"""The cutoff: the day Notes is switched off, as a migration team writes it.

Accepted: Japanese era dates (``令和7年6月30日``, ``令和7年6月``, ``令和元年``, ``R7.6.30``,
``R7.6``; 令和, 平成 and 昭和, full-width digits too) and Gregorian ones (``2025-06-30``,
``2025/6/30``, ``2025-06``). A month without a day means its last day (R7.6 is 2025-06-30); a
year alone means 31 December (or the era's last day, in its last year). A date that cannot
exist (2月30日, 平成32年, 令和元年4月: 令和 began on 1 May 2019) is an error naming the text
and why.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from notesmig.errors import TerminalError


class CutoffError(TerminalError, ValueError):
    """A cutoff that is not a date, or not one that exists."""


@dataclass(frozen=True)
class Era:
    name: str
    letter: str
    first: date
    last: date | None

    def year(self, number: int) -> int:
        return self.first.year + number - 1


ERAS = (
    Era("令和", "R", date(2019, 5, 1), None),
    Era("平成", "H", date(1989, 1, 8), date(2019, 4, 30)),
    Era("昭和", "S", date(1926, 12, 25), date(1989, 1, 7)),
)
_BY_NAME = {e.name: e for e in ERAS} | {e.letter: e for e in ERAS}
_KANJI = re.compile(r"^(令和|平成|昭和)(元|\d{1,2})年(?:(\d{1,2})月(?:(\d{1,2})日)?)?$")
_LETTER = re.compile(r"^([RHS])(\d{1,2})(?:[./-](\d{1,2})(?:[./-](\d{1,2}))?)?$", re.IGNORECASE)
_GREGORIAN = re.compile(r"^(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?$")
_GREGORIAN_KANJI = re.compile(r"^(\d{4})年(?:(\d{1,2})月(?:(\d{1,2})日)?)?$")


def _day(text: str, year: int, month: str | None, day: str | None) -> date:
    month_number = int(month) if month else 12
    if not 1 <= month_number <= 12:
        raise CutoffError(
            f"{text!r}: {month_number}月はありません / there is no month {month_number}"
        )
    last = calendar.monthrange(year, month_number)[1]
    day_number = int(day) if day else last
    if not 1 <= day_number <= last:
        raise CutoffError(
            f"{text!r}: {year}年{month_number}月に{day_number}日はありません / "
            f"{year}-{month_number:02d} has no day {day_number}"
        )
    return date(year, month_number, day_number)


def parse_cutoff(text: str) -> date:
    """The cutoff ``text`` names (see the module's docstring for what is accepted)."""
    written = unicodedata.normalize("NFKC", text).strip().replace(" ", "")
    if found := _KANJI.match(written) or _LETTER.match(written):
        era = _BY_NAME[found.group(1).upper() if found.group(1).isascii() else found.group(1)]
        number = 1 if found.group(2) == "元" else int(found.group(2))
        if number < 1:
            raise CutoffError(f"{text!r}: {era.name}{number}年はありません / no such era year")
        when = _day(text, era.year(number), found.group(3), found.group(4))
        if not found.group(4) and era.last is not None and when > era.last:
            # A year or month alone in an era's last one (平成31年, 昭和64年1月): its last day.
            last_month = (when.year, when.month) == (era.last.year, era.last.month)
            last_year = not found.group(3) and when.year == era.last.year
            if last_month or last_year:
                when = era.last
        start = era.first if found.group(3) else date(era.first.year, 1, 1)
        if when < start or (era.last is not None and when > era.last):
            span = f"{era.first.isoformat()} – {era.last.isoformat() if era.last else ''}"
            raise CutoffError(
                f"{text!r}: {era.name}の期間外です / outside the {era.name} era ({span})"
            )
        return when
    if found := _GREGORIAN.match(written) or _GREGORIAN_KANJI.match(written):
        return _day(text, int(found.group(1)), found.group(2), found.group(3))
    raise CutoffError(
        f"{text!r}: 日付として読めません（例 R7.6、令和7年6月30日、2025-06-30） / "
        "not a date (e.g. R7.6, 令和7年6月30日, 2025-06-30)"
    )
