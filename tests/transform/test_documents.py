"""Documents and their mapping to rows, files and outcomes: one outcome per document (so the
totals add up), copies of one document merged, responses threaded under their parents."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from lxml import etree

from notesmig.dxl.blobs import BlobStore
from notesmig.dxl.model import NotesDocument
from notesmig.dxl.reader import DxlReader
from notesmig.mapping import Mapping, load_mapping
from notesmig.mapping.users import UserDirectory
from notesmig.records import ItemRow
from notesmig.sample.dxlbuild import E, file_item, stable_hex, text_item
from notesmig.transform.documents import (
    Transformer,
    TransformResult,
    merge_copies,
    row_threads,
    threaded,
)
from tests.dxlfiles import CREATED, JST, MODIFIED, database, document

REPLICA = "0123456789ABCDEF"
MAPPING = """version: 1
database: {replica_id: "0123456789ABCDEF"}
target: {site: "contoso.sharepoint.com:/sites/notes-migration"}
exclude_forms: [Draft]
forms:
  Topic:
    list: 掲示板
    library: 掲示板 ファイル
    exclude_items: [Internal]
    items:
      Subject: {column: Title, type: text}
  Reply:
    list: 掲示板
    items:
      Subject: {column: Title, type: text}
"""
TOPIC, REPLY, NESTED = (stable_hex("documents", n) for n in range(3))


def mapping(tmp_path: Path) -> Mapping:
    (tmp_path / "m.yaml").write_text(MAPPING, encoding="utf-8")
    return load_mapping(tmp_path / "m.yaml")


def read(tmp_path: Path, *notes: etree._Element, name: str = "board.dxl") -> list[NotesDocument]:
    path = tmp_path / name
    database(path, "掲示板", *notes, replica=REPLICA)
    return list(DxlReader(path, BlobStore(tmp_path / "blobs")).documents())


def transform(tmp_path: Path, documents: list[NotesDocument]) -> TransformResult:
    board = mapping(tmp_path)
    return Transformer({REPLICA: board}, {REPLICA: UserDirectory()}).transform(documents)


def test_a_row_carries_the_system_columns_and_its_files_its_dates(tmp_path: Path) -> None:
    documents = read(tmp_path, document(
        "Topic", TOPIC, text_item("Subject", "議題"), text_item("Internal", "x"),
        text_item("Extra", "y"), file_item("a.txt", b"abc", CREATED, MODIFIED),
        E.item(E.richtext(E.par(E.doclink(database=REPLICA, document=NESTED))), name="Body"),
    ))  # fmt: skip
    result = transform(tmp_path, documents)
    [row] = result.rows
    assert (row.database, row.unid, row.list, row.form, row.depth) == (
        REPLICA, TOPIC, "掲示板", "Topic", 0
    )  # fmt: skip
    assert row.fields == {
        "NotesUNID": TOPIC, "NotesForm": "Topic", "NotesParentUNID": None,
        "NotesCreated": "2024-04-01T00:15:30Z", "NotesModified": "2024-04-03T08:45:10Z",
        "NotesAuthor": "山田 太郎/情報政策課/Maebashi", "NotesDatabase": REPLICA,
        "SourceSha256": row.sha256, "Title": "議題",
        "NotesThreadRoot": TOPIC, "NotesThreadDepth": 0,
    }  # fmt: skip
    assert row.authorship is not None and row.authorship.created == "2024-04-01T00:15:30Z"
    [file] = result.files
    assert (file.library, file.folder, file.name, file.key, file.size) == (
        "掲示板 ファイル", TOPIC, "a.txt", "$FILE/a.txt#1", 3
    )  # fmt: skip
    assert (file.created, file.modified) == ("2024-04-01T00:15:30Z", "2024-04-03T08:45:10Z")
    [link] = result.links
    assert (link.unid, link.kind, link.target_document) == (TOPIC, "doclink", NESTED)
    totals = result.totals[REPLICA]
    # Excluded and system items are not "unmapped"; an item the mapping never names is.
    assert totals.unmapped_items == {"Extra": 1, "Body": 1}
    assert (totals.extracted, totals.transformed, totals.files) == (1, 1, 1) and totals.balanced


def test_each_document_has_exactly_one_outcome_with_its_reason(tmp_path: Path) -> None:
    unids = [stable_hex("outcome", n) for n in range(6)]
    documents = read(
        tmp_path,
        document("Topic", unids[0], text_item("Subject", "載る")),
        document("Draft", unids[1]),
        document("Unknown", unids[2]),
        document("Reply", unids[3], file_item("b.txt", b"b", CREATED, MODIFIED)),
        document("Topic", unids[4], E.item(E.number("x"), name="Subject")),
        document("Topic", unids[5], E.item(E.number("x"), name="Unmapped"),
                 text_item("Subject", "載る")),
        document("Topic", "not-a-unid", text_item("Subject", "x")),
    )  # fmt: skip
    other = read(tmp_path, document("Topic", stable_hex("other", 1)), name="other.dxl")
    other[0].database_replica = "FFFFFFFFFFFFFFFF"
    result = transform(tmp_path, documents + other)
    assert sorted(r.unid for r in result.rows) == sorted([unids[0], unids[5]])
    excluded = {e.unid: e.reason for e in result.excluded}
    assert excluded == {
        unids[1]: "form excluded by the mapping",
        unids[2]: "form 'Unknown' is not mapped",
        stable_hex("other", 1): "database FFFFFFFFFFFFFFFF has no mapping",
    }
    held = {q.unid: (q.reason, q.detail) for q in result.quarantined}
    assert held[unids[3]] == (
        "files but no document library mapped for the form",
        "1 attachment(s), 0 long rich text item(s)",
    )
    assert held[unids[4]][0] == "extraction error in a mapped item"
    [(reason, detail)] = [v for k, v in held.items() if k.startswith("NOUNID-")]
    assert reason == "no valid UNID" and detail.startswith("board.dxl:12: the UNID 'not-a-unid'")
    board = result.totals[REPLICA]
    assert (board.extracted, board.transformed, board.quarantined, board.excluded) == (7, 2, 3, 2)
    assert board.balanced and result.totals["FFFFFFFFFFFFFFFF"].balanced


def test_copies_of_a_document_merge_into_the_latest(tmp_path: Path) -> None:
    first = read(tmp_path, document("Topic", TOPIC, text_item("Subject", "旧")), name="a.dxl")
    later = read(tmp_path, document("Topic", TOPIC, text_item("Subject", "新")), name="b.dxl")
    later[0].modified = MODIFIED + timedelta(days=1)
    result = transform(tmp_path, later + first)
    [row] = result.rows
    assert row.fields["Title"] == "新"
    [merged] = result.merged
    assert merged.reason == "a copy of a document read elsewhere"
    assert merged.detail == "a.dxl:4: merged into b.dxl:4"
    totals = result.totals[REPLICA]
    assert (totals.extracted, totals.transformed, totals.merged) == (2, 1, 1) and totals.balanced


def test_two_different_versions_of_the_same_moment_are_a_conflict_neither_loaded(
    tmp_path: Path,
) -> None:
    one = read(tmp_path, document("Topic", TOPIC, text_item("Subject", "甲")), name="a.dxl")
    two = read(tmp_path, document("Topic", TOPIC, text_item("Subject", "乙")), name="b.dxl")
    same = read(tmp_path, document("Topic", TOPIC, text_item("Subject", "甲")), name="c.dxl")
    result = TransformResult()
    winner, conflict = merge_copies(REPLICA, TOPIC, one + two, result)
    assert winner.source.name == "b.dxl" and conflict is not None
    assert conflict.startswith("a.dxl:4 and b.dxl:4 differ, both modified 2024-04-03")
    # The same content twice is one document, not a conflict.
    assert merge_copies(REPLICA, TOPIC, one + same, TransformResult())[1] is None
    transformed = transform(tmp_path, one + two)
    assert transformed.rows == []
    [held] = transformed.quarantined
    assert held.reason == "conflict: two different versions of one document"


def test_responses_follow_their_parents_with_their_thread(tmp_path: Path) -> None:
    documents = read(
        tmp_path,
        document("Reply", NESTED, text_item("Subject", "再返信"), parent=REPLY),
        document("Reply", REPLY, text_item("Subject", "返信"), parent=TOPIC),
        document("Topic", TOPIC, text_item("Subject", "議題")),
    )
    documents[2].created = datetime(2024, 4, 2, tzinfo=JST)  # created after its responses
    rows = transform(tmp_path, documents).rows
    assert [(r.unid, r.depth, r.fields["NotesThreadRoot"]) for r in rows] == [
        (TOPIC, 0, TOPIC), (REPLY, 1, TOPIC), (NESTED, 2, TOPIC)
    ]  # fmt: skip
    assert rows[2].fields["NotesParentUNID"] == REPLY and rows[2].parent_unid == REPLY


def test_threads_count_only_parents_that_are_rows_and_survive_cycles() -> None:
    databases = ["D1", "D1", "D1", "D1", "D2", "D1", "D1"]
    unids = ["A", "B", "C", "X", "B2", "P", "Q"]
    parents: list[str | None] = [None, "A", "B", "gone", "A", "Q", "P"]
    assert row_threads(databases, unids, parents) == [
        (0, "A"), (1, "A"), (2, "A"),
        (0, "X"),  # its parent is no row: it starts its own thread
        (0, "B2"),  # another database's A is another document
        (1, "Q"), (1, "P"),  # a cycle ends where it began
    ]  # fmt: skip
    with pytest.raises(ValueError, match="zip"):  # sequences that are not parallel
        row_threads(["D1"], ["A", "B"], [None, None])


def test_threaded_puts_the_thread_into_the_rows_columns() -> None:
    row = ItemRow(
        database=REPLICA, unid=REPLY, list="掲示板", fields={"Title": "返信"}, sha256="0" * 64
    )
    placed = threaded(row, 1, TOPIC)
    assert placed.depth == 1
    assert placed.fields == {"Title": "返信", "NotesThreadRoot": TOPIC, "NotesThreadDepth": 1}
    assert row.fields == {"Title": "返信"}  # the original row is left as it was
