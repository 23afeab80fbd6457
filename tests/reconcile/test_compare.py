"""Is what SharePoint holds what was loaded? Each value brought to one form on both sides, so a
difference found is a real one and SharePoint's own forms of a value are none."""

from __future__ import annotations

from typing import Any

import pytest

from notesmig.mapping.model import ColumnType
from notesmig.reconcile.compare import (
    FieldPlan,
    actual_value,
    differences,
    expected_people,
    normalise,
    same,
)
from notesmig.sharepoint.provision import ColumnInfo

YAMADA, SATO = "yamada@contoso.onmicrosoft.com", "sato@contoso.onmicrosoft.com"
UPN_OF = {11: YAMADA, 12: SATO}
PLANS = {
    "Title": FieldPlan("Title", ColumnInfo("Title", "text"), ColumnType.TEXT),
    "Body": FieldPlan("Body", ColumnInfo("Body", "text"), ColumnType.RICHTEXT),
    "Amount": FieldPlan("Amount", ColumnInfo("Amount", "number"), ColumnType.NUMBER),
    "Due": FieldPlan("Due", ColumnInfo("Due", "dateTime"), ColumnType.DATETIME),
    "NotesCreated": FieldPlan("NotesCreated", ColumnInfo("NotesCreated", "dateTime"), None),
    "Paid": FieldPlan("Paid", ColumnInfo("Paid", "boolean"), ColumnType.BOOLEAN),
    "Tags": FieldPlan("Tags", ColumnInfo("Tags", "choice", multi=True), ColumnType.MULTICHOICE),
    "Approvers": FieldPlan("Approvers", ColumnInfo("Approvers", "personOrGroup", multi=True),
                           ColumnType.MULTIPERSON),
    "Owner": FieldPlan("Owner", ColumnInfo("Owner", "personOrGroup"), ColumnType.PERSON),
    "Link": FieldPlan("Link", ColumnInfo("Link", "hyperlinkOrPicture"), ColumnType.HYPERLINK),
    "Dept": FieldPlan("Dept", ColumnInfo("Dept", "lookup"), ColumnType.LOOKUP),
}  # fmt: skip
#: What the transform wrote, and what Graph gives back for the same values.
EXPECTED: dict[str, Any] = {
    "Title": "一行目\n二行目", "Body": "<p>本文 <b>太字</b></p>", "Amount": 1200,
    "Due": "2024-04-01T00:15:00Z", "NotesCreated": "2024-04-01T09:15:30+09:00", "Paid": True,
    "Tags": ["予算", "人事"], "Approvers": [YAMADA.upper(), SATO, "CN=Nobody/O=Elsewhere"],
    "Owner": YAMADA, "Link": {"Url": "https://example.org/a", "Description": "a"}, "Dept": "7",
}  # fmt: skip
ACTUAL: dict[str, Any] = {
    "Title": "一行目\r\n二行目", "Body": '<div class="ExternalClass12"><p>本文\n<strong>太字</strong></p></div>',
    "Amount": 1200.0, "Due": "2024-04-01T00:15:00.000Z", "NotesCreated": "2024-04-01T00:15:30Z",
    "Paid": True, "Tags": ["人事", "予算"], "ApproversLookupId": ["12", 11], "OwnerLookupId": "11",
    "Link": "https://example.org/a", "DeptLookupId": 7,
}  # fmt: skip


def test_sharepoints_own_forms_of_the_values_loaded_are_no_differences() -> None:
    assert differences(EXPECTED, ACTUAL, PLANS, UPN_OF) == []


@pytest.mark.parametrize(
    ("column", "actual", "shown_expected", "shown_actual"),
    [
        ("Title", "一行目 二行目", "一行目\n二行目", "一行目 二行目"),
        ("Body", "<p>本文 太字!</p>", "本文 太字", "本文 太字!"),
        ("Amount", 1200.5, 1200.0, 1200.5),
        ("Due", "2024-04-01T00:16:00Z", "2024-04-01T00:15:00Z", "2024-04-01T00:16:00Z"),
        ("Paid", False, True, False),
        ("Tags", ["予算"], ["予算", "人事"], ["予算"]),
        (
            "Link",
            {"Url": "https://example.org/b"},
            "https://example.org/a",
            "https://example.org/b",
        ),
    ],
)
def test_a_real_difference_is_found_and_shown_as_the_ledger_keeps_it(
    column: str, actual: Any, shown_expected: Any, shown_actual: Any
) -> None:
    found = differences(EXPECTED, {**ACTUAL, column: actual}, PLANS, UPN_OF)
    assert [(d.field, d.expected, d.actual) for d in found] == [
        (column, shown_expected, shown_actual)
    ]


def test_people_are_compared_by_account_those_without_one_never_written() -> None:
    only_yamada = {**ACTUAL, "ApproversLookupId": [11], "OwnerLookupId": 12}
    found = {d.field: d for d in differences(EXPECTED, only_yamada, PLANS, UPN_OF)}
    assert sorted(found) == ["Approvers", "Owner"]
    assert (found["Approvers"].expected, found["Approvers"].actual) == (
        sorted([YAMADA, SATO]), [YAMADA]
    )  # fmt: skip
    assert (found["Owner"].expected, found["Owner"].actual) == ([YAMADA], [SATO])
    # A person SharePoint does not know by id is shown by the id.
    unknown = FieldPlan("Owner", ColumnInfo("Owner", "personOrGroup"), ColumnType.PERSON)
    assert normalise(99, unknown, UPN_OF) == frozenset({"#99"})
    # A name without an account: nothing expected, and nothing there is right.
    assert expected_people("CN=Nobody/O=Elsewhere", {YAMADA}) is None
    assert differences({"Owner": "CN=Nobody/O=Elsewhere"}, {}, PLANS, UPN_OF) == []


def test_a_value_without_its_column_and_empty_values() -> None:
    found = differences({"Gone": "値", "Empty": "", "Title": ""}, {}, PLANS, UPN_OF)
    assert [(d.field, d.expected, d.actual) for d in found] == [("Gone", "値", "(no column)")]
    # Empty is empty whatever its form: None, "" and [] are one.
    assert differences({"Tags": []}, {"Tags": None}, PLANS, UPN_OF) == []
    assert normalise("", PLANS["Title"], UPN_OF) is None


def test_long_texts_are_shortened_where_they_are_shown() -> None:
    long = "長" * 400
    [found] = differences({"Title": long}, {"Title": long + "!"}, PLANS, UPN_OF)
    assert found.expected == "長" * 297 + "..." and len(found.actual) == 300


def test_which_field_sharepoint_reports_a_value_in() -> None:
    assert actual_value({"OwnerLookupId": 11, "Owner": "x"}, PLANS["Owner"]) == 11
    assert actual_value({"DeptLookupId": 7}, PLANS["Dept"]) == 7
    assert actual_value({"Title": "t"}, PLANS["Title"]) == "t"
    assert actual_value({"Title": "t"}, FieldPlan("Title", None, ColumnType.TEXT)) is None


def test_numbers_compare_by_value_and_text_that_is_no_number_as_text() -> None:
    assert same(0.1 + 0.2, 0.3) and not same(0.3, 0.31)
    assert normalise("12", PLANS["Amount"], UPN_OF) == 12.0
    assert normalise("abc", PLANS["Amount"], UPN_OF) == "abc"
    assert normalise("not a date", PLANS["Due"], UPN_OF) == "not a date"
