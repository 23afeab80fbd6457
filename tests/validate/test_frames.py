"""A database's transform output as the tables its checks read: a row per document keyed by its
document, a row per value of a multi-valued column, files with their whole paths, the totals."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from notesmig.mapping import Mapping, load_mapping
from notesmig.records import DatabaseTotals, FieldValue, FileRow, ItemRow
from notesmig.validate.frames import build_tables

REPLICA = "0123456789ABCDEF"
MAPPING = """version: 1
database: {replica_id: "0123456789ABCDEF"}
target: {site: "contoso.sharepoint.com:/sites/notes-migration"}
forms:
  TripRequest:
    list: 出張申請
    library: 出張申請 ファイル
    items:
      Subject: {column: Title, type: text}
      Amount: {column: Amount, type: number}
      Departure: {column: Departure, type: dateTime}
      Approvers: {column: Approvers, type: multiperson}
      Link: {column: Link, type: hyperlink}
  Memo:
    list: メモ
    items:
      Subject: {column: Title, type: text}
"""
A, B = "A" * 32, "B" * 32


@pytest.fixture
def mapping(tmp_path: Path) -> Mapping:
    (tmp_path / "m.yaml").write_text(MAPPING, encoding="utf-8")
    return load_mapping(tmp_path / "m.yaml")


def row(unid: str, key: str | None = None, **fields: FieldValue) -> ItemRow:
    system = {"NotesUNID": key or unid, "SourceSha256": "0" * 64, "NotesDatabase": REPLICA}
    return ItemRow(database=REPLICA, unid=unid, list="出張申請", fields={**system, **fields},
                   sha256="0" * 64)  # fmt: skip


def file(unid: str, folder: str, name: str) -> FileRow:
    return FileRow(database=REPLICA, unid=unid, library="出張申請 ファイル", folder=folder,
                   name=name, original_name=name, size=1, sha256=None, blob=None, kind="file")  # fmt: skip


ROWS = [
    row(A, Title="東京出張", Amount=12500, Departure="2024-04-01T00:15:00Z",
        Approvers=["yamada@contoso.onmicrosoft.com", "sato@contoso.onmicrosoft.com"],
        Link={"Url": "https://example.org/a", "Description": "a"}),
    # What a check must catch: a text among numbers, a date that is none, a wrong NotesUNID.
    row(B, key="b" * 32, Title=None, Amount="12,500", Departure="来週", Approvers=[], Link=None),
]  # fmt: skip
TOTALS = DatabaseTotals(extracted=5, transformed=2, quarantined=1, excluded=1, merged=0)


def test_a_list_is_a_row_per_document_keyed_by_its_document(mapping: Mapping) -> None:
    tables = build_tables(mapping, ROWS, [], TOTALS)
    assert tables.documents == 2
    trips = tables.frames["items: 出張申請"]
    assert list(trips.columns) == [
        "document", "NotesUNID", "SourceSha256", "NotesDatabase", "Amount", "Departure",
        "Link", "Link (parsed)", "Title", "Departure (parsed)",
    ]  # fmt: skip
    assert list(trips["document"]) == [A, B]
    # The NotesUNID the row would write, not the one it is filed under.
    assert list(trips["NotesUNID"]) == [A, "b" * 32]
    # Numbers are kept as they came: a text among them stays a text.
    assert list(trips["Amount"]) == [12500, "12,500"] and trips["Amount"].dtype == object
    assert trips["Departure (parsed)"][0] == pd.Timestamp("2024-04-01T00:15:00Z")
    assert pd.isna(trips["Departure (parsed)"][1])  # not a date: nothing to range-check
    assert list(trips["Departure"]) == ["2024-04-01T00:15:00Z", "来週"]
    assert trips["Link (parsed)"][0] == "https://example.org/a"
    # Missing values are missing (what a not-null check counts), not the text "None".
    assert trips[["Title", "Link", "Link (parsed)"]].iloc[1].isna().all()
    # A list with no rows still has its table (its checks pass on nothing).
    memos = tables.frames["items: メモ"]
    assert memos.empty and "Title" in memos.columns


def test_a_multi_valued_column_is_a_row_per_value(mapping: Mapping) -> None:
    values = build_tables(mapping, ROWS, [], TOTALS).frames["values: 出張申請 / Approvers"]
    assert values.to_dict("records") == [
        {"document": A, "value": "yamada@contoso.onmicrosoft.com"},
        {"document": A, "value": "sato@contoso.onmicrosoft.com"},
    ]


def test_files_have_their_whole_path_and_folders_a_row_per_segment(mapping: Mapping) -> None:
    files = [file(A, f"aud-1/{A}", "報告.pdf"), file(B, B, "x.txt")]
    tables = build_tables(mapping, ROWS, files, TOTALS)
    listed = tables.frames["files: 出張申請 ファイル"]
    assert listed.to_dict("records")[0] == {
        "document": A, "NotesUNID": A, "name": "報告.pdf", "folder": f"aud-1/{A}",
        "path": f"sites/notes-migration/出張申請 ファイル/aud-1/{A}/報告.pdf",
    }  # fmt: skip
    segments = tables.frames["folders: 出張申請 ファイル"]
    assert segments.to_dict("records") == [
        {"document": A, "segment": "aud-1"}, {"document": A, "segment": A},
        {"document": B, "segment": B},
    ]  # fmt: skip
    # A library the mapping names has its tables even without files.
    empty = build_tables(mapping, ROWS, [], TOTALS).frames["files: 出張申請 ファイル"]
    assert empty.empty and list(empty.columns) == ["document", "NotesUNID", "name", "folder",
                                                   "path"]  # fmt: skip


def test_the_totals_say_whether_every_extracted_document_is_accounted_for(
    mapping: Mapping,
) -> None:
    totals = build_tables(mapping, ROWS, [], TOTALS).frames["totals"]
    assert totals.to_dict("records") == [
        {"database": REPLICA, "extracted": 5, "accounted": 4}
    ]  # fmt: skip
