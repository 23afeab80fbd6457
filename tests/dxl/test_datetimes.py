"""Notes date-time text to Python values: offsets, date-only, time-only, and no guessing."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from notesmig.dxl.datetimes import (
    NotesDateTimeError,
    format_notes_datetime,
    parse_notes_datetime,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("20090527T115404,69+02", datetime(2009, 5, 27, 11, 54, 4, 690000, timezone(timedelta(hours=2)))),
        ("20200728T122240,71-04", datetime(2020, 7, 28, 12, 22, 40, 710000, timezone(timedelta(hours=-4)))),
        ("20240401T091500,00+09", datetime(2024, 4, 1, 9, 15, tzinfo=timezone(timedelta(hours=9)))),
        ("20240401T091500,00+0530", datetime(2024, 4, 1, 9, 15, tzinfo=timezone(timedelta(hours=5, minutes=30)))),
        ("20240401T091500,00-0930", datetime(2024, 4, 1, 9, 15, tzinfo=timezone(-timedelta(hours=9, minutes=30)))),
        ("20240401T091500Z", datetime(2024, 4, 1, 9, 15, tzinfo=UTC)),
        ("19750521", date(1975, 5, 21)),
        ("T115404,69", time(11, 54, 4, 690000)),
        ("T083000,00+09", time(8, 30, tzinfo=timezone(timedelta(hours=9)))),
    ],
)  # fmt: skip
def test_parse(text: str, expected: object) -> None:
    value = parse_notes_datetime(text)
    assert value == expected
    if isinstance(expected, datetime):
        assert isinstance(value, datetime) and value.utcoffset() == expected.utcoffset()


def test_no_offset_is_never_guessed() -> None:
    with pytest.raises(NotesDateTimeError, match="no UTC offset"):
        parse_notes_datetime("20240401T091500,00")


def test_no_offset_with_a_named_zone() -> None:
    value = parse_notes_datetime("20240401T091500,00", ZoneInfo("Asia/Tokyo"))
    assert value == datetime(2024, 4, 1, 0, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    "text", ["", "2024", "20241301", "20240230", "20240401T250000", "20240401+09", "T1200", "abc",
             "20240401T091500,00+25"],
)  # fmt: skip
def test_rejects(text: str) -> None:
    with pytest.raises(NotesDateTimeError):
        parse_notes_datetime(text)


offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda m: timezone(timedelta(minutes=m))
)
aware = st.datetimes(
    min_value=datetime(1900, 1, 1), max_value=datetime(2099, 12, 31), timezones=offsets
).map(lambda d: d.replace(microsecond=d.microsecond // 10000 * 10000))


@given(aware)
def test_round_trip_keeps_instant_and_offset(value: datetime) -> None:
    parsed = parse_notes_datetime(format_notes_datetime(value))
    assert parsed == value
    assert isinstance(parsed, datetime) and parsed.utcoffset() == value.utcoffset()


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31)))
def test_round_trip_dates(value: date) -> None:
    assert parse_notes_datetime(format_notes_datetime(value)) == value
