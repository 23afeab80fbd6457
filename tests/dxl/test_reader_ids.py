"""Ids and names from an export are checked where they are read: a replica id is 16 hex digits,
a UNID (own or parent) 32, a form name and a title fit the ledger; anything else is an error
naming the file and line, never a value taken as written."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from notesmig.dxl.blobs import BlobStore
from notesmig.dxl.model import NotesDocument
from notesmig.dxl.reader import MAX_FORM, MAX_TITLE
from notesmig.dxl.scan import FileReport, peek_database, scan_file
from notesmig.ledger.models import Database, Document
from notesmig.sample.dxlbuild import E, stable_hex, text_item
from tests.dxlfiles import database, document

GOOD = stable_hex("ids", 1)


def read(path: Path) -> tuple[FileReport, list[NotesDocument]]:
    report, documents = scan_file(path, BlobStore(None))
    found = list(documents)
    return report, found


@pytest.mark.parametrize(
    "replica",
    ["../../outside", "0123456789ABCDEF\n", "0123456789ABCDE", "0123456789ABCDEF0", "x" * 500,
     "０１２３４５６７８９ＡＢＣＤＥＦ"],
)  # fmt: skip
def test_a_replica_id_that_is_not_16_hex_digits_is_a_located_error(
    tmp_path: Path, replica: str
) -> None:
    path = tmp_path / "db.dxl"
    database(path, "掲示板", document("Memo", GOOD, text_item("Subject", "x")), replica=replica)
    report, [found] = read(path)
    # Before: kept as written, it named the database's folders and report pages.
    assert report.replica_id is None and found.database_replica is None
    [problem] = report.errors
    assert "is not 16 hexadecimal digits" in problem.message and not problem.fatal
    assert problem.line == 3  # the <database> element, after the declaration and DOCTYPE
    assert peek_database(path) == (None, "掲示板")  # keyed by its path, never by that text


def test_a_replica_id_in_lower_case_is_the_same_database(tmp_path: Path) -> None:
    path = tmp_path / "db.dxl"
    database(path, "掲示板", document("Memo", GOOD), replica="0123456789abcdef")
    report, [found] = read(path)
    assert report.replica_id == found.database_replica == "0123456789ABCDEF"
    assert report.errors == []
    assert peek_database(path) == ("0123456789ABCDEF", "掲示板")


def test_a_single_document_export_with_a_bad_replica_id_is_that_documents_error(
    tmp_path: Path,
) -> None:
    path = tmp_path / "one.dxl"
    note = document("Memo", GOOD, replicaid="'; DROP TABLE x")
    path.write_bytes(
        b"<?xml version='1.0' encoding='utf-8'?>\n" + etree.tostring(note, encoding="utf-8")
    )
    _, [found] = read(path)
    assert found.database_replica is None
    assert any(e.code == "bad-replica-id" and e.line == 2 for e in found.errors)


def test_a_unid_with_a_trailing_newline_is_not_a_unid(tmp_path: Path) -> None:
    path = tmp_path / "db.dxl"
    database(path, "掲示板", document("Memo", GOOD + "\n"), document("Memo", GOOD.lower()))
    _, [newline, lower] = read(path)
    # Before: `$` let the newline through and the UNID was kept with it.
    assert newline.unid is None
    assert [e.code for e in newline.errors] == ["bad-unid"]
    assert lower.unid == GOOD and lower.errors == []


@pytest.mark.parametrize(
    "parent", ["x' or 1 eq 1 or '", GOOD + "\n", "", "A" * 64 + "B" * 36, GOOD[:31]]
)
def test_a_parent_that_is_not_a_unid_is_a_located_error(tmp_path: Path, parent: str) -> None:
    path = tmp_path / "db.dxl"
    database(path, "掲示板", document("Response", stable_hex("ids", 2), parent=parent))
    _, [found] = read(path)
    # Before: kept raw (too long for the ledger's column, or naming no document).
    assert found.parent_unid is None
    [issue] = found.errors
    assert issue.code == "bad-parent" and issue.item is None  # holds the document back
    assert issue.line == 4 and "is not 32 hexadecimal digits" in issue.message


def test_a_parent_in_lower_case_is_the_same_document(tmp_path: Path) -> None:
    path = tmp_path / "db.dxl"
    database(path, "掲示板", document("Response", stable_hex("ids", 2), parent=GOOD.lower()))
    _, [found] = read(path)
    assert found.parent_unid == GOOD and found.errors == []


def test_names_longer_than_the_ledger_holds(tmp_path: Path) -> None:
    path = tmp_path / "db.dxl"
    database(path, "長" * 300, document("F" * 300, GOOD), document("Memo", stable_hex("ids", 3)))
    report, [long_form, fine] = read(path)
    # The document with a form of 300 characters carries the error; the other is untouched.
    assert [e.code for e in long_form.errors] == ["bad-form"]
    assert long_form.errors[0].item is None and long_form.errors[0].line == 4
    assert long_form.form == "F" * MAX_FORM and fine.errors == []
    # The title is cut, with a warning on the file.
    assert report.title == "長" * MAX_TITLE
    [note] = report.errors[1:]
    assert "kept its first 255" in note.message and note.line == 3 and not note.fatal
    assert peek_database(path)[1] == "長" * MAX_TITLE


def test_the_limits_are_the_ledgers_columns() -> None:
    assert Database.__table__.c.title.type.length == MAX_TITLE  # type: ignore[attr-defined]
    assert Document.__table__.c.form.type.length == MAX_FORM  # type: ignore[attr-defined]
    assert Database.__table__.c.replica_id.type.length == 16  # type: ignore[attr-defined]
    assert Document.__table__.c.parent_unid.type.length >= 32  # type: ignore[attr-defined]


@pytest.mark.parametrize("count", ["²", "٣", "9" * 5_000, "-1", " 1"])
def test_counts_that_are_no_whole_numbers_are_ignored(tmp_path: Path, count: str) -> None:
    path = tmp_path / "db.dxl"
    note = document("Memo", GOOD)
    note.find("noteinfo").set("sequence", count)  # type: ignore[union-attr]
    info = E.databaseinfo(numberofdocuments=count)
    database(path, "掲示板", info, note)
    # Before: '²'.isdigit() is true and int() raised, ending the whole file's reading.
    report, [found] = read(path)
    assert found.sequence is None and not report.failed
