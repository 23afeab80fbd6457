"""One report per DXL file: what it held, what went wrong, its hash only when read to its end;
the files named or found; and the database an export declares, read from its beginning."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from notesmig.dxl.blobs import BlobStore
from notesmig.dxl.scan import discover, peek_database, scan_file
from notesmig.sample.dxlbuild import E, file_item, stable_hex, text_item
from tests.dxlfiles import CREATED, MODIFIED, database, document

REPLICA = "0123456789ABCDEF"
TOPIC = stable_hex("scan", 1)
REPLY = stable_hex("scan", 2)


def board(path: Path) -> Path:
    """A topic with an attachment and Readers, its response, a design note and a profile."""
    database(
        path, "掲示板",
        E.acl(E.role("[Admin]"), E.aclentry(name="-Default-", level="author")),
        E.form(name="Topic"), E.view(name="All"), E.view(name="ByDate"),
        E.profiledocument(name="Settings"),
        document("Topic", TOPIC, text_item("Subject", "議題"),
                 E.item(E.richtext(E.par("本文")), name="Body"),
                 text_item("DocReaders", ["CN=山田 太郎/O=Maebashi"], readers=True),
                 text_item("DocAuthors", [], authors=True),
                 file_item("a.txt", b"12345", CREATED, MODIFIED)),
        document("Reply", REPLY, text_item("Subject", "返信"), parent=TOPIC),
        document("Reply", stable_hex("scan", 3), E.item(E.number("x"), name="N")),
        replica=REPLICA,
    )  # fmt: skip
    return path


def test_a_report_counts_what_the_file_held_once_its_documents_are_drawn(
    tmp_path: Path,
) -> None:
    path = board(tmp_path / "board.dxl")
    report, documents = scan_file(path, BlobStore(None))
    assert report.documents == 0 and report.sha256 is None  # nothing read yet
    assert [d.unid for d in documents][:2] == [TOPIC, REPLY]
    assert (report.title, report.replica_id, report.bytes) == (
        "掲示板",
        REPLICA,
        path.stat().st_size,
    )
    assert report.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert (report.documents, report.responses) == (3, 1)
    assert report.forms == {"Topic": 1, "Reply": 2}
    assert report.item_types == {"text": 2, "textlist": 2, "richtext": 1, "object": 1, "number": 1}
    assert report.richtext_items == 1
    # Readers that name someone restrict the document; an empty Authors item does not count.
    assert (report.readers_documents, report.authors_documents) == (1, 0)
    [attachment] = report.attachments
    assert (attachment.name, attachment.size, attachment.document) == ("a.txt", 5, TOPIC)
    assert report.attachment_bytes == 5
    assert report.design == {"form": 1, "view": 2} and report.profile_documents == 1
    [error] = report.errors  # the bad number, on its document, not fatal
    assert error.document == stable_hex("scan", 3) and not error.fatal and error.line == 13
    assert not report.failed


def test_the_json_form_is_what_inspect_prints(tmp_path: Path) -> None:
    report, documents = scan_file(board(tmp_path / "board.dxl"), BlobStore(None))
    list(documents)
    shown = report.as_json()
    assert json.loads(json.dumps(shown)) == shown  # plain JSON
    assert shown["forms"] == {"Reply": 2, "Topic": 1}  # sorted
    assert shown["acl"] == [{"name": "-Default-", "level": "author", "type": None, "roles": []}]
    assert shown["acl_roles"] == ["[Admin]"]
    assert shown["attachments"][0] == {"name": "a.txt", "size": 5,
        "sha256": hashlib.sha256(b"12345").hexdigest(), "document": TOPIC, "kind": "file",
        "error": None}  # fmt: skip
    assert shown["errors"][0]["fatal"] is False and shown["errors"][0]["column"] is None


def test_a_fatal_fault_ends_the_report_with_its_place_and_no_hash(tmp_path: Path) -> None:
    path = board(tmp_path / "board.dxl")
    text = path.read_text(encoding="utf-8").replace("</database>", "<document></datab>")
    path.write_text(text, encoding="utf-8")
    report, documents = scan_file(path, BlobStore(None))
    assert len(list(documents)) == 3  # everything before the fault
    assert report.failed and report.sha256 is None
    fatal = report.errors[-1]
    assert fatal.fatal and fatal.line == 14 and fatal.column is not None
    assert "malformed XML" in fatal.message
    assert report.title == "掲示板"  # what was read of the database is still reported


def test_a_file_that_cannot_be_read_is_a_fatal_error_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "gone.dxl"
    report, documents = scan_file(missing, BlobStore(None))
    assert list(documents) == []
    [error] = report.errors
    assert error.fatal and error.message.startswith(f"{missing}: cannot read:")


def test_progress_adds_up_to_the_files_size(tmp_path: Path) -> None:
    path = board(tmp_path / "board.dxl")
    steps: list[int] = []
    _, documents = scan_file(path, BlobStore(None), progress=steps.append)
    list(documents)
    assert sum(steps) == path.stat().st_size and all(step >= 0 for step in steps)


@pytest.mark.parametrize("missing", ["nothing-here"])
def test_discover_lists_only_dxl_files(tmp_path: Path, missing: str) -> None:
    (tmp_path / "a.dxl").write_text("<database/>")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.XML").write_text("<database/>")
    (tmp_path / "notes.txt").write_text("x")
    assert discover([tmp_path]) == [tmp_path / "a.dxl", tmp_path / "sub" / "b.XML"]
    assert discover([tmp_path / missing]) == [tmp_path / missing]


def test_peek_reads_the_database_from_the_beginning_only(tmp_path: Path) -> None:
    path = board(tmp_path / "board.dxl")
    assert peek_database(path) == (REPLICA, "掲示板")
    # The replica id from <databaseinfo> when the root has none.
    info = tmp_path / "info.dxl"
    database(info, "台帳", E.databaseinfo(replicaid="fedcba9876543210"), replica="none")
    assert peek_database(info) == ("FEDCBA9876543210", "台帳")
    # Broken after the root element: what the root said is still read.
    broken = tmp_path / "broken.dxl"
    broken.write_text(
        f"<?xml version='1.0'?>\n<database title='壊れ' replicaid='{REPLICA}'><<<",
        encoding="utf-8",
    )
    assert peek_database(broken) == (REPLICA, "壊れ")
    assert peek_database(tmp_path / "gone.dxl") == (None, None)
    (tmp_path / "binary.dxl").write_bytes(b"\x00\x01 not xml")
    assert peek_database(tmp_path / "binary.dxl") == (None, None)
