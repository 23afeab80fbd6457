"""A database's checks run with GX Core (one run for the whole file: GX takes seconds): each
failing value named with its document, the balance failing the database as a whole, and a Data
Docs site that loads nothing from another host."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from notesmig.mapping import load_mapping
from notesmig.records import DatabaseTotals, FieldValue, FileRow, ItemRow
from notesmig.validate.checks import file_checks, item_checks, totals_checks
from notesmig.validate.frames import build_tables
from notesmig.validate.runner import Findings, run_checks, suite_name_of

REPLICA = "0123456789ABCDEF"
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
      Departure: {column: Departure, type: dateTime}
"""
GOOD, BAD, UNTITLED = "A" * 32, "B" * 32, "C" * 32
OUTSIDE = re.compile(r"<(?:script|link|img)\b[^>]*\b(?:src|href)=[\"'](?:https?:)?//", re.I)


def row(unid: str, **fields: FieldValue) -> ItemRow:
    system = {"NotesUNID": unid, "SourceSha256": "0" * 64, "NotesDatabase": REPLICA}
    return ItemRow(database=REPLICA, unid=unid, list="出張申請", fields={**system, **fields},
                   sha256="0" * 64)  # fmt: skip


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Findings, Path]:
    folder = tmp_path_factory.mktemp("runner")
    (folder / "m.yaml").write_text(MAPPING, encoding="utf-8")
    mapping = load_mapping(folder / "m.yaml")
    rows = [
        row(GOOD, Title="東京出張", Amount=12500, Departure="2024-04-01T00:15:00Z"),
        row(BAD, Title="大阪出張", Amount="12,500", Departure="2204-04-01T00:00:00Z"),
        row(UNTITLED, Title=None, Amount=1.5, Departure="2024-04-01T00:15:00Z"),
    ]
    files = [FileRow(database=REPLICA, unid=GOOD, library="出張申請 ファイル", folder=GOOD,
                     name="a:b.txt", original_name="a:b.txt", size=1, sha256=None, blob=None,
                     kind="file")]  # fmt: skip
    totals = DatabaseTotals(extracted=4, transformed=3)  # one document lost
    tables = build_tables(mapping, rows, files, totals)
    checks = [*item_checks(mapping, "出張申請"), *file_checks("出張申請 ファイル"),
              *totals_checks()]  # fmt: skip
    site = folder / "data-docs"
    return run_checks(REPLICA, tables, checks, site), site


def test_each_failing_value_is_named_with_its_document_and_check(
    run: tuple[Findings, Path],
) -> None:
    findings, _ = run
    assert set(findings.failures) == {BAD, UNTITLED, GOOD}
    assert [label for label, _ in findings.failures[BAD]] == [
        "number (items: 出張申請 / Amount)",
        "date-range (items: 出張申請 / Departure (parsed))",
    ]
    assert "Amount=12,500" in findings.failures[BAD][0][1]
    assert findings.failures[UNTITLED] == [("required (items: 出張申請 / Title)", "Title=(empty)")]
    [(label, detail)] = findings.failures[GOOD]
    assert label == "file-name (files: 出張申請 ファイル / name)" and "name=a:b.txt" in detail


def test_results_count_what_each_check_evaluated_and_found(run: tuple[Findings, Path]) -> None:
    findings, _ = run
    results = {r.check.label: r for r in findings.results}
    unid = results["unid-format (items: 出張申請 / NotesUNID)"]
    assert (unid.success, unid.evaluated, unid.unexpected, unid.error) == (True, 3, 0, None)
    number = results["number (items: 出張申請 / Amount)"]
    assert (number.success, number.evaluated, number.unexpected) == (False, 3, 1)
    assert number.examples == ((BAD, "Amount=12,500"),)
    shown = number.as_json()
    assert (shown["key"], shown["table"], shown["column"]) == ("number", "items: 出張申請",
                                                               "Amount")  # fmt: skip
    assert shown["examples"] == [[BAD, "Amount=12,500"]] and shown["ja"] and shown["en"]
    assert len(findings.results) == len(results)  # every check ran once


def test_the_balance_fails_the_database_not_a_document(run: tuple[Findings, Path]) -> None:
    findings, _ = run
    [(label, detail)] = findings.database_failures
    assert label == "balance (totals)" and "extracted=4" in detail and "accounted=3" in detail
    assert REPLICA not in findings.failures


def test_the_data_docs_site_is_built_and_loads_nothing_from_outside(
    run: tuple[Findings, Path],
) -> None:
    findings, site = run
    assert findings.data_docs == site / "index.html" and findings.data_docs.is_file()
    pages = list(site.rglob("*.html"))
    assert len(pages) > 1
    for page in pages:
        assert OUTSIDE.search(page.read_text(encoding="utf-8")) is None, page
    assert (site / "static" / "vendor" / "jquery" / "dist" / "jquery.min.js").is_file()


def test_suite_names_have_no_dots_or_slashes_for_gx_file_names() -> None:
    assert suite_name_of("0123456789ABCDEF", "files: 議事録 v1.2/付録", 3) == (
        "03 0123456789ABCDEF files: 議事録 v1・2・付録"
    )
    assert suite_name_of("db", "items: a\\b", 12).startswith("12 db items: a・b")
