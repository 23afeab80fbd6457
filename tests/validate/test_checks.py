"""The checks a mapping gives a database's rows: which expectation reads which table and column,
with what arguments, and notes in both languages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from notesmig.mapping import Mapping, load_mapping
from notesmig.spfacts.names import REFUSED_NAME_PATTERN
from notesmig.validate.checks import (
    EARLIEST_SANE,
    LATEST_SANE,
    LINK_PATTERN,
    SHA256_PATTERN,
    UNID_PATTERN,
    UPN_PATTERN,
    UTC_PATTERN,
    Check,
    file_checks,
    item_checks,
    totals_checks,
)

MAPPING = """version: 1
database: {replica_id: "0123456789ABCDEF"}
target: {site: "contoso.sharepoint.com:/sites/notes-migration"}
forms:
  TripRequest:
    list: 出張申請
    library: 出張申請 ファイル
    items:
      Subject: {column: Title, type: text, required: true}
      Amount: {column: Amount, type: number}
      Departure: {column: Departure, type: dateOnly}
      Status: {column: Status, type: choice, choices: [申請中, 承認]}
      Transport: {column: Transport, type: multichoice, choices: [電車, バス], allow_other: true}
      Approvers: {column: Approvers, type: multiperson}
      Link: {column: Link, type: hyperlink}
      Body: {column: Body, type: richtext}
      Paid: {column: Paid, type: boolean}
  TripReport:
    list: 出張申請
    items:
      Title: {column: Title, type: text}
  Memo:
    list: メモ
    items:
      Owner: {column: Owner, type: person}
"""
TRIPS = "items: 出張申請"


@pytest.fixture
def mapping(tmp_path: Path) -> Mapping:
    (tmp_path / "m.yaml").write_text(MAPPING, encoding="utf-8")
    return load_mapping(tmp_path / "m.yaml")


def reads(checks: list[Check]) -> list[tuple[str, str, str | None, str]]:
    return [(c.key, c.table, c.column, c.expectation) for c in checks]


def test_every_list_is_checked_for_its_key_hash_and_database(mapping: Mapping) -> None:
    checks = item_checks(mapping, "メモ")
    assert reads(checks) == [
        ("unid-present", "items: メモ", "NotesUNID", "ExpectColumnValuesToNotBeNull"),
        ("unid-unique", "items: メモ", "NotesUNID", "ExpectColumnValuesToBeUnique"),
        ("unid-format", "items: メモ", "NotesUNID", "ExpectColumnValuesToMatchRegex"),
        ("source-hash", "items: メモ", "SourceSha256", "ExpectColumnValuesToMatchRegex"),
        ("database", "items: メモ", "NotesDatabase", "ExpectColumnValuesToBeInSet"),
        ("person", "items: メモ", "Owner", "ExpectColumnValuesToMatchRegex"),
    ]
    arguments = {c.key: c.arguments for c in checks}
    assert arguments["unid-format"] == {"regex": UNID_PATTERN}
    assert arguments["source-hash"] == {"regex": SHA256_PATTERN}
    assert arguments["database"] == {"value_set": ["0123456789ABCDEF"]}
    assert arguments["person"] == {"regex": UPN_PATTERN}
    assert all(c.ja and c.en and c.ja != c.en for c in checks)  # notes in both languages


def test_each_column_is_checked_by_its_type_once_whatever_the_forms(mapping: Mapping) -> None:
    checks = item_checks(mapping, "出張申請")[5:]
    assert reads(checks) == [
        ("required", TRIPS, "Title", "ExpectColumnValuesToNotBeNull"),
        ("text-length", TRIPS, "Title", "ExpectColumnValueLengthsToBeBetween"),
        ("number", TRIPS, "Amount", "ExpectColumnValuesToBeInTypeList"),
        ("date-format", TRIPS, "Departure", "ExpectColumnValuesToMatchRegex"),
        ("date-range", TRIPS, "Departure (parsed)", "ExpectColumnValuesToBeBetween"),
        ("choice", TRIPS, "Status", "ExpectColumnValuesToBeInSet"),
        # Other transports are allowed: no choice check on Transport.
        ("person", "values: 出張申請 / Approvers", "value", "ExpectColumnValuesToMatchRegex"),
        ("link", TRIPS, "Link (parsed)", "ExpectColumnValuesToMatchRegex"),
        ("multiline-length", TRIPS, "Body", "ExpectColumnValueLengthsToBeBetween"),
        ("boolean", TRIPS, "Paid", "ExpectColumnValuesToBeInTypeList"),
    ]  # TripReport's Title is the same column: checked once, as TripRequest says
    by_key = {c.key: c for c in checks}
    assert by_key["text-length"].arguments == {"min_value": 0, "max_value": 255}
    assert by_key["multiline-length"].arguments == {"min_value": 0, "max_value": 63_999}
    assert by_key["date-range"].arguments == {"min_value": EARLIEST_SANE,
                                              "max_value": LATEST_SANE}  # fmt: skip
    assert by_key["choice"].arguments == {"value_set": ["申請中", "承認"]}
    assert (by_key["required"].ja, by_key["required"].en) == (
        "必須項目「Subject」に値がある", "The required item 'Subject' has a value."
    )  # fmt: skip


def test_a_check_names_itself_as_a_held_back_document_shows_it(mapping: Mapping) -> None:
    checks = {c.key: c for c in item_checks(mapping, "出張申請")}
    assert checks["date-range"].label == "date-range (items: 出張申請 / Departure (parsed))"
    [balance] = totals_checks()
    assert balance.label == "balance (totals)" and balance.column is None
    assert balance.arguments == {"column_A": "extracted", "column_B": "accounted"}


def test_files_and_folders_are_checked_for_names_and_paths_sharepoint_accepts() -> None:
    checks = file_checks("出張申請 ファイル")
    assert [(c.key, c.table, c.column) for c in checks] == [
        ("file-name", "files: 出張申請 ファイル", "name"),
        ("name-length", "files: 出張申請 ファイル", "name"),
        ("folder-name", "folders: 出張申請 ファイル", "segment"),
        ("name-length", "folders: 出張申請 ファイル", "segment"),
        ("file-path", "files: 出張申請 ファイル", "path"),
        ("file-unid", "files: 出張申請 ファイル", "NotesUNID"),
    ]
    assert checks[0].arguments == {"regex": REFUSED_NAME_PATTERN}
    assert checks[4].arguments == {"min_value": 1, "max_value": 400}


@pytest.mark.parametrize(
    ("pattern", "good", "bad"),
    [
        (UNID_PATTERN, ["8FAFEA17124D221DC12575C300355976"],
         ["8fafea17124d221dc12575c300355976", "8FAFEA17", "NOUNID-" + "A" * 24]),
        (UTC_PATTERN, ["2024-04-01T00:15:30Z"], ["2024-04-01T09:15:30+09:00", "2024-04-01"]),
        (UPN_PATTERN, ["yamada@contoso.onmicrosoft.com"], ["山田 太郎", "a@b@c", "@x"]),
        (LINK_PATTERN, ["https://x.org", "HTTP://x", "mailto:a@b", "notes://s/db.nsf"],
         ["javascript:alert(1)", "ftp://x", "//x.org"]),
        (REFUSED_NAME_PATTERN, ["a:b.txt", " a", "a.", "CON.txt", "~$x.docx", "_vti_x", ""],
         ["報告.docx", "a b.txt"]),
    ],
)  # fmt: skip
def test_the_patterns_say_what_sharepoint_takes(
    pattern: str, good: list[str], bad: list[str]
) -> None:
    # The name pattern finds what is refused; the others match what is accepted.
    matches = [bool(re.search(pattern, text)) for text in good + bad]
    assert matches == [True] * len(good) + [False] * len(bad)
