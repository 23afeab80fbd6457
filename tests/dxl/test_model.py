"""The extractor's records: a document's key and items, and the JSON and text forms of values."""

from __future__ import annotations

import base64
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import pytest

from notesmig.dxl.datetimes import DateTimeRange
from notesmig.dxl.model import (
    Item,
    ItemType,
    ItemValue,
    MimePart,
    NotesDocument,
    RawValue,
    as_text,
    value_to_json,
)

JST = timezone(timedelta(hours=9))


def _document(unid: str | None, *, line: int | None = 4, **extra: object) -> NotesDocument:
    document = NotesDocument(
        unid=unid, noteid="8fa", form="Memo", parent_unid=None, source=Path("db.dxl"), line=line
    )
    for name, value in extra.items():
        setattr(document, name, value)
    return document


def test_the_key_is_the_unid_or_a_stable_key_from_where_the_document_was_read() -> None:
    assert _document("8FAFEA17124D221DC12575C300355976").key == "8FAFEA17124D221DC12575C300355976"
    first, again, elsewhere = _document(None), _document(None), _document(None, line=9)
    assert first.key == again.key  # the same place: the same key on every run
    assert first.key != elsewhere.key  # another line of the file: another document
    assert first.key.startswith("NOUNID-") and len(first.key) == len("NOUNID-") + 24
    assert first.key[7:].isupper() and int(first.key[7:], 16) >= 0  # upper-case hex
    # An empty UNID is no UNID either.
    assert _document("").key.startswith("NOUNID-")


def test_items_are_found_by_name_whatever_its_case_first_one_wins() -> None:
    subject = Item("Subject", ItemType.TEXT, ["一つ目"])
    document = _document("A" * 32, items=[subject, Item("SUBJECT", ItemType.TEXT, ["二つ目"])])
    assert document.item("subject") is subject
    assert document.item("Subject") is subject
    assert document.item("Body") is None
    assert not document.is_response
    assert _document("B" * 32, parent_unid="A" * 32).is_response


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("会議", "会議"),
        (12, 12),
        (12.5, 12.5),
        (date(1975, 5, 21), "1975-05-21"),
        (datetime(2024, 4, 1, 9, 15, 30, tzinfo=JST), "2024-04-01T09:15:30+09:00"),
        (time(11, 54, 4, 690000), "11:54:04.690000"),
        (
            DateTimeRange(datetime(2024, 4, 1, 9, 0, tzinfo=JST),
                          datetime(2024, 4, 1, 10, 30, tzinfo=JST)),
            "2024-04-01T09:00:00+09:00/2024-04-01T10:30:00+09:00",
        ),
        (RawValue("1", b"\x00\x01\xff"), {"notes_type": "1", "base64": "AAH/"}),
        (
            MimePart("text/plain", {"Content-Type": "text/plain"}, "本文", 6),
            {"content_type": "text/plain", "headers": {"Content-Type": "text/plain"},
             "text": "本文", "size": 6},
        ),
    ],
)  # fmt: skip
def test_the_json_form_of_each_kind_of_value(value: ItemValue, shown: object) -> None:
    assert value_to_json(value) == shown


def test_raw_bytes_survive_their_json_form() -> None:
    data = bytes(range(256))
    shown = value_to_json(RawValue("19", data))
    assert base64.b64decode(shown["base64"]) == data


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("x", "x"),
        (2.0, "2"),  # no needless ".0"
        (2.5, "2.5"),
        (-3, "-3"),
        (True, "true"),
        (False, "false"),
        (date(2024, 4, 1), "2024-04-01"),
        (datetime(2024, 4, 1, 9, 15, tzinfo=JST), "2024-04-01T09:15:00+09:00"),
        (DateTimeRange(date(2024, 4, 1), date(2024, 4, 3)), "2024-04-01/2024-04-03"),
        (MimePart("text/html", {}, "<p>本文</p>", 14), "<p>本文</p>"),
        (MimePart("image/png", {}, None, 120), ""),
    ],
)
def test_the_text_form_of_each_kind_of_value(value: ItemValue, text: str) -> None:
    assert as_text(value) == text


def test_raw_item_data_has_no_text_form() -> None:
    with pytest.raises(TypeError, match="raw item data has no text form"):
        as_text(RawValue("1", b"\x00"))
