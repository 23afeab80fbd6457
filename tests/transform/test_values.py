"""Notes values to the value of one SharePoint column: what each column type takes, and the
values it refuses with the item named (never truncated, never guessed)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from notesmig.dxl.datetimes import DateTimeRange
from notesmig.dxl.model import Item, ItemType, ItemValue, RawValue
from notesmig.mapping.model import ColumnType, ItemMapping, UserPolicy
from notesmig.mapping.users import UserDirectory
from notesmig.transform.values import ConversionError, Converted, convert, offset_text, utc_text

JST = timezone(timedelta(hours=9))
YAMADA = "CN=山田 太郎/OU=情報政策課/O=Maebashi"


def spec(kind: ColumnType, **extra: object) -> ItemMapping:
    return ItemMapping("Field", "Column", kind, "項目", **extra)  # type: ignore[arg-type]


def item(*values: ItemValue, kind: ItemType = ItemType.TEXTLIST) -> Item:
    return Item("Field", kind, list(values))


def fields(
    mapping: ItemMapping,
    found: Item | None,
    *,
    html: str | None = None,
    users: UserDirectory | None = None,
    policy: UserPolicy | None = None,
) -> dict[str, object]:
    return convert(mapping, found, html, users or UserDirectory(), policy or UserPolicy()).fields


def refused(mapping: ItemMapping, found: Item) -> str:
    with pytest.raises(ConversionError) as raised:
        fields(mapping, found)
    assert raised.value.item == "Field" and str(raised.value).startswith("item 'Field': ")
    return raised.value.reason


def test_utc_text_is_what_sharepoint_stores_and_refuses_what_it_cannot_hold() -> None:
    assert utc_text(datetime(2024, 4, 1, 9, 15, 30, 990000, tzinfo=JST)) == "2024-04-01T00:15:30Z"
    assert utc_text(date(2024, 4, 1)) == "2024-04-01T00:00:00Z"
    assert utc_text(datetime(1900, 1, 1, 9, 0, tzinfo=JST), "Due") == "1900-01-01T00:00:00Z"
    with pytest.raises(ConversionError, match="outside SharePoint's date range"):
        utc_text(datetime(1899, 12, 31, 23, 0, tzinfo=UTC), "Due")
    with pytest.raises(ConversionError, match="cannot be placed in UTC") as raised:
        utc_text(datetime(1, 1, 1, 0, 0, tzinfo=JST), "Due")
    assert raised.value.item == "Due"
    assert offset_text(datetime(2024, 4, 1, tzinfo=JST)) == "+09:00"
    assert offset_text(datetime(2024, 4, 1, tzinfo=timezone(timedelta(hours=-4)))) == "-04:00"


def test_an_absent_or_empty_item_empties_its_column_and_companions() -> None:
    assert fields(spec(ColumnType.TEXT), None) == {"Column": None}
    assert fields(spec(ColumnType.PERSON), item("")) == {"Column": None, "ColumnNotes": None}
    assert fields(spec(ColumnType.DATETIME, keep_offset=True), None) == {
        "Column": None, "ColumnOffset": None
    }  # fmt: skip


def test_text_joins_values_and_refuses_what_does_not_fit() -> None:
    assert fields(spec(ColumnType.TEXT), item("予算", "人事")) == {"Column": "予算; 人事"}
    assert fields(spec(ColumnType.MULTILINE), item("一", "二")) == {"Column": "一\n二"}
    assert fields(spec(ColumnType.TEXT, join=" / "), item("a", 2.0)) == {"Column": "a / 2"}
    assert fields(spec(ColumnType.TEXT), item("あ" * 255)) == {"Column": "あ" * 255}
    assert refused(spec(ColumnType.TEXT), item("あ" * 256)) == (
        "256 characters do not fit a text column (255)"
    )
    assert refused(spec(ColumnType.TEXT), item(RawValue("1", b"\x00"))) == (
        "raw item data has no text form"
    )


def test_rich_text_is_the_converted_html_or_paragraphs_of_the_text() -> None:
    assert fields(spec(ColumnType.RICHTEXT), None, html="<p>本文</p>") == {"Column": "<p>本文</p>"}
    assert fields(spec(ColumnType.RICHTEXT), None, html="") == {"Column": None}
    assert fields(spec(ColumnType.RICHTEXT), item("a < b", "二行目")) == {
        "Column": "<p>a &lt; b</p><p>二行目</p>"
    }  # fmt: skip


@pytest.mark.parametrize(
    ("value", "number"),
    [(12, 12), (12.5, 12.5), ("1,200", 1200), ("1,200.5", 1200.5), ("-3", -3)],
)
def test_numbers_keep_their_value(value: ItemValue, number: float) -> None:
    converted = fields(spec(ColumnType.NUMBER), item(value))["Column"]
    assert converted == number and type(converted) is type(number)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("abc", "'abc' is not a number"),
        ("1.5e999", "'1.5e999' is not a number SharePoint can hold"),
        (float("nan"), "nan is not a number SharePoint can hold"),
        (True, "a truth value is not a number"),
        (date(2024, 4, 1), "'2024-04-01' is not a number"),
    ],
)
def test_what_is_no_number_is_refused(value: ItemValue, reason: str) -> None:
    assert refused(spec(ColumnType.NUMBER), item(value)) == reason


def test_a_single_value_column_refuses_several_values() -> None:
    assert refused(spec(ColumnType.NUMBER), item(1, 2)) == (
        "2 values for a single-value number column"
    )


def test_date_times_go_to_utc_with_their_offset_kept_when_asked() -> None:
    moment = datetime(2024, 4, 1, 9, 15, tzinfo=JST)
    assert fields(spec(ColumnType.DATETIME, keep_offset=True), item(moment)) == {
        "Column": "2024-04-01T00:15:00Z", "ColumnOffset": "+09:00"
    }  # fmt: skip
    assert fields(spec(ColumnType.DATEONLY), item(moment)) == {"Column": "2024-04-01T00:00:00Z"}
    # A date alone has no offset to keep.
    assert fields(spec(ColumnType.DATETIME, keep_offset=True), item(date(2024, 4, 1))) == {
        "Column": "2024-04-01T00:00:00Z", "ColumnOffset": ""
    }  # fmt: skip
    # Text that states its moment is read as that moment.
    assert fields(spec(ColumnType.DATETIME), item("2024-04-01T09:15:00+09:00")) == {
        "Column": "2024-04-01T00:15:00Z"
    }  # fmt: skip
    assert fields(spec(ColumnType.DATETIME), item("2024-04-01")) == {
        "Column": "2024-04-01T00:00:00Z"
    }  # fmt: skip
    assert fields(spec(ColumnType.DATEONLY), item("2024-04-01 23:30")) == {
        "Column": "2024-04-01T00:00:00Z"
    }  # fmt: skip


@pytest.mark.parametrize("zone", ["UTC", "Asia/Tokyo", "America/New_York"])
def test_a_date_time_text_without_an_offset_is_refused_whatever_the_machines_zone(
    monkeypatch: pytest.MonkeyPatch, zone: str
) -> None:
    import time

    monkeypatch.setenv("TZ", zone)
    time.tzset()
    try:
        # Before: read in the zone of the machine running the transform (09:00 became
        # 00:00Z on a worker in Tokyo, 09:00Z on one in UTC).
        assert refused(spec(ColumnType.DATETIME), item("2024-04-01 09:00")) == (
            "'2024-04-01 09:00' has no UTC offset: the moment it means cannot be known"
        )
    finally:
        monkeypatch.undo()
        time.tzset()


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("来週", "'来週' is not a date-time"),
        (12, "'12' is not a date or date-time"),
        (
            DateTimeRange(date(2024, 4, 1), date(2024, 4, 2)),
            "'2024-04-01/2024-04-02' is not a date or date-time",
        ),
    ],
)
def test_what_is_no_date_is_refused(value: ItemValue, reason: str) -> None:
    assert refused(spec(ColumnType.DATETIME), item(value)) == reason


@pytest.mark.parametrize(
    ("value", "truth"),
    [(1, True), (0, False), (2.5, True), ("はい", True), ("YES", True), (" true ", True),
     ("いいえ", False), ("0", False)],
)  # fmt: skip
def test_yes_no_columns(value: ItemValue, truth: bool) -> None:
    assert fields(spec(ColumnType.BOOLEAN), item(value)) == {"Column": truth}


def test_yes_no_with_the_mappings_own_true_values() -> None:
    mapping = spec(ColumnType.BOOLEAN, true_values=("済",))
    assert fields(mapping, item("済")) == {"Column": True}
    assert fields(mapping, item("はい")) == {"Column": False}


def test_choices_within_their_set_or_refused() -> None:
    choice = spec(ColumnType.CHOICE, choices=("申請中", "承認"))
    assert fields(choice, item("承認")) == {"Column": "承認"}
    assert refused(choice, item("却下")) == "'却下' is not one of the mapped choices"
    assert refused(choice, item("申請中", "承認")) == "2 values for a single-choice column"
    several = spec(ColumnType.MULTICHOICE, choices=("a", "b"))
    assert fields(several, item("a", "b")) == {"Column": ["a", "b"]}
    other = spec(ColumnType.MULTICHOICE, choices=("a",), allow_other=True)
    assert fields(other, item("a", "z")) == {"Column": ["a", "z"]}


def test_people_become_accounts_with_their_notes_names_beside(tmp_path: Path) -> None:
    users_csv = tmp_path / "users.csv"
    users_csv.write_text(f"notes_name,upn\n{YAMADA},yamada@contoso.onmicrosoft.com\n", "utf-8")
    users = UserDirectory.from_csv(users_csv)
    many = spec(ColumnType.MULTIPERSON)
    found = convert(many, item(YAMADA, "CN=Nobody/O=Elsewhere", YAMADA), None, users,
                    UserPolicy())  # fmt: skip
    assert found == Converted(
        {"Column": ["yamada@contoso.onmicrosoft.com"],
         "ColumnNotes": "山田 太郎/情報政策課/Maebashi\nNobody/Elsewhere\n山田 太郎/情報政策課/Maebashi"},
        ("CN=Nobody/O=Elsewhere",),
    )  # fmt: skip
    fallback = UserPolicy(unknown="fallback", fallback="admin@contoso.onmicrosoft.com")
    assert fields(spec(ColumnType.PERSON), item("CN=Nobody/O=Elsewhere"), users=users,
                  policy=fallback)["Column"] == "admin@contoso.onmicrosoft.com"  # fmt: skip
    with pytest.raises(ConversionError, match="has no account and the policy is fail"):
        fields(spec(ColumnType.PERSON), item("CN=Nobody/O=Elsewhere"), users=users,
               policy=UserPolicy(unknown="fail"))  # fmt: skip
    with pytest.raises(ConversionError, match="2 names for a single-person column"):
        fields(spec(ColumnType.PERSON), item(YAMADA, YAMADA), users=users)


def test_links_and_lookups() -> None:
    link = spec(ColumnType.HYPERLINK)
    assert fields(link, item(" https://example.org/a ")) == {
        "Column": {"Url": "https://example.org/a", "Description": "https://example.org/a"}
    }  # fmt: skip
    assert fields(link, item("notes://server/db.nsf"))["Column"] == {
        "Url": "notes://server/db.nsf", "Description": "notes://server/db.nsf"
    }  # fmt: skip
    assert refused(link, item("javascript:alert(1)")) == "'javascript:alert(1)' is not a link"
    assert fields(spec(ColumnType.LOOKUP), item(" 総務課 ")) == {"Column": "総務課"}
