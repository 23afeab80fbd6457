"""The cutoff as the team writes it: Japanese era dates, Gregorian dates, and clear errors for
dates that cannot exist."""

from __future__ import annotations

from datetime import date

import pytest

from notesmig.cutoff import CutoffError, parse_cutoff


@pytest.mark.parametrize(
    ("written", "day"),
    [
        ("R7.6", date(2025, 6, 30)),  # the city's cutoff: the month's last day
        ("R7.6.30", date(2025, 6, 30)),
        ("r7/6/1", date(2025, 6, 1)),
        ("令和7年6月30日", date(2025, 6, 30)),
        ("令和7年6月", date(2025, 6, 30)),
        ("令和７年６月３０日", date(2025, 6, 30)),  # full-width digits
        ("令和元年5月1日", date(2019, 5, 1)),
        ("令和元年", date(2019, 12, 31)),
        ("R8.2", date(2026, 2, 28)),
        ("R6.2", date(2024, 2, 29)),  # a leap year
        ("平成31年4月30日", date(2019, 4, 30)),
        ("平成31年", date(2019, 4, 30)),  # a year alone in an era's last year: its last day
        ("H31.4", date(2019, 4, 30)),
        ("昭和64年1月7日", date(1989, 1, 7)),
        ("昭和64年1月", date(1989, 1, 7)),
        ("2025-06-30", date(2025, 6, 30)),
        ("2025/6/30", date(2025, 6, 30)),
        ("2025-06", date(2025, 6, 30)),
        ("2025年6月30日", date(2025, 6, 30)),
        (" 2025-06-30 ", date(2025, 6, 30)),
    ],
)
def test_cutoffs_as_written(written: str, day: date) -> None:
    assert parse_cutoff(written) == day


@pytest.mark.parametrize(
    ("written", "why"),
    [
        ("令和元年4月1日", "outside the 令和 era"),  # 令和 began on 1 May 2019
        ("R1.4", "outside the 令和 era"),
        ("平成32年1月1日", "outside the 平成 era"),
        ("平成31年5月1日", "outside the 平成 era"),
        ("令和0年", "no such era year"),
        ("2025-02-29", "2025-02 has no day 29"),
        ("R7.2.30", "2025-02 has no day 30"),
        ("R7.13", "no month 13"),
        ("2025-00-10", "no month 0"),
        ("来年の春", "not a date"),
        ("", "not a date"),
        ("大正15年", "not a date"),
    ],
)
def test_impossible_cutoffs_say_why(written: str, why: str) -> None:
    with pytest.raises(CutoffError, match=why) as raised:
        parse_cutoff(written)
    assert repr(written) in str(raised.value)  # the text as written, to find it
    assert isinstance(raised.value, ValueError)
