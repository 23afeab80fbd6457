"""The extract's documents.jsonl indexed rather than held: where each document is, which records
are copies of one document, and each read back by its place."""

from __future__ import annotations

from pathlib import Path

import pytest

from notesmig.extract import extract
from notesmig.records import RecordError
from notesmig.sample.dxlbuild import stable_hex, text_item
from notesmig.transform.index import DocumentIndex
from tests.dxlfiles import database, document

BOARD = "0123456789ABCDEF"
MEMOS = "FEDCBA9876543210"
A, B, C = (stable_hex("index", n) for n in range(3))


def extracted(tmp_path: Path) -> Path:
    """Two exports of the board (B in both, and twice in the second), one of the memos (which
    hold A too: another database's A is another document), one document without a UNID."""
    drop = tmp_path / "drop"
    database(drop / "board-1.dxl", "掲示板", document("Topic", A, text_item("Subject", "一")),
             document("Topic", B, text_item("Subject", "二")), replica=BOARD)  # fmt: skip
    database(drop / "board-2.dxl", "掲示板", document("Topic", B, text_item("Subject", "二'")),
             document("Topic", C), document("Topic", B), document("Topic", "no-unid"),
             replica=BOARD.lower())  # fmt: skip
    database(drop / "memos.dxl", "メモ", document("Memo", A), replica=MEMOS)
    extract(sorted(drop.iterdir()), tmp_path / "extract")
    return tmp_path / "extract" / "documents.jsonl"


def test_copies_of_one_document_are_grouped_per_database_in_order(tmp_path: Path) -> None:
    path = extracted(tmp_path)
    index = DocumentIndex.read(path)
    assert index.extracted == {BOARD: 6, MEMOS: 1}
    groups = {(database, unid): places for database, unid, places in index.groups()}
    assert list(groups) == [(BOARD, A), (BOARD, B), (BOARD, C), (MEMOS, A)]
    assert [len(p) for p in groups.values()] == [1, 3, 1, 1]
    # Places are (byte offset, line): the line numbers of the file, in file order.
    assert [line for _, line in groups[(BOARD, B)]] == [2, 3, 5]
    assert [line for _, line in index.places()] == [1, 2, 3, 4, 5, 6, 7]
    assert [line for _, line in index.without_unid] == [6]


def test_each_document_is_read_back_at_its_place(tmp_path: Path) -> None:
    path = extracted(tmp_path)
    index = DocumentIndex.read(path)
    groups = {(database, unid): places for database, unid, places in index.groups()}
    with index.reader() as reader:
        copies = list(reader.all(groups[(BOARD, B)]))
        # Out of order too: the reader seeks.
        first = reader.at(index.places()[0])
        memo = reader.at(groups[(MEMOS, A)][0])
    assert [[i.values for i in c.items] for c in copies] == [[["二"]], [["二'"]], []]
    assert [c.source.name for c in copies] == ["board-1.dxl", "board-2.dxl", "board-2.dxl"]
    assert (first.unid, first.database_replica) == (A, BOARD)
    assert (memo.unid, memo.form, memo.database_replica) == (A, "Memo", MEMOS)
    [lost] = index.without_unid
    with index.reader() as reader:
        assert reader.at(lost).unid is None


def test_blank_lines_are_no_documents(tmp_path: Path) -> None:
    path = extracted(tmp_path)
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"\n" + lines[0] + b"   \n" + b"".join(lines[1:]))
    index = DocumentIndex.read(path)
    assert sum(index.extracted.values()) == 7
    assert [line for _, line in index.places()][:2] == [2, 4]
    with index.reader() as reader:
        assert reader.at(index.places()[1]).unid == B


@pytest.mark.parametrize(
    ("line", "why"),
    [(b"{not json\n", "not a notesmig document record: "), (b"[1, 2]\n", "not an object")],
)
def test_a_line_that_is_no_record_names_the_file_and_line(
    tmp_path: Path, line: bytes, why: str
) -> None:
    path = extracted(tmp_path)
    path.write_bytes(path.read_bytes() + line)
    with pytest.raises(RecordError, match=f"^{path}:8: ") as raised:
        DocumentIndex.read(path)
    assert why in str(raised.value)


def test_a_record_that_is_no_document_names_its_line_when_read(tmp_path: Path) -> None:
    path = tmp_path / "documents.jsonl"
    path.write_bytes(b'{"database": "0123456789ABCDEF", "unid": "' + A.encode() + b'"}\n')
    index = DocumentIndex.read(path)  # indexing reads only the database and UNID
    with index.reader() as reader, pytest.raises(RecordError, match=f"^{path}:1: not a notesmig"):
        reader.at(index.places()[0])
