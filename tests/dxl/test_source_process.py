"""A large file read by a forked child: the same extract, and a lost child is a located error.

(Every hostile-input case of ``test_source.py`` also runs through the child.)
"""

from __future__ import annotations

import base64
import hashlib
import json
import multiprocessing
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import notesmig.dxl.source_process
from notesmig.dxl.blobs import BlobStore
from notesmig.dxl.reader import DxlReader
from notesmig.dxl.scan import discover
from notesmig.extract import extract
from notesmig.sample.corpus import generate
from tests.dxl.children import read_by_children

NS = "http://www.lotus.com/dxl"


@pytest.fixture
def children(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Path]]:
    """Every file is read by a child process; yields the files the children read."""
    read = read_by_children(monkeypatch)
    yield read
    assert multiprocessing.active_children() == []


def extracted(out: Path) -> tuple[bytes, dict[str, object], dict[str, str]]:
    """documents.jsonl, summary.json without its time stamp, and every blob's sha256."""
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    del summary["extracted_at"]
    blobs = {
        str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in (out / "blobs").rglob("*")
        if p.is_file()
    }
    return (out / "documents.jsonl").read_bytes(), summary, blobs


def test_the_child_gives_the_extract_byte_for_byte(
    tmp_path: Path, dxl_real: Path, monkeypatch: pytest.MonkeyPatch, children: list[Path]
) -> None:
    generate(tmp_path / "sample", scale=1, seed=7)
    files = discover([tmp_path / "sample", dxl_real])  # the real set holds a broken export too
    monkeypatch.setattr(notesmig.dxl.source_process, "MIN_BYTES", 1 << 62)
    here = extracted(extract(files, tmp_path / "here").out_dir)
    assert children == []
    monkeypatch.setattr(notesmig.dxl.source_process, "MIN_BYTES", 0)
    there = extracted(extract(files, tmp_path / "child").out_dir)
    assert children == files
    assert there[0] == here[0]
    assert there[1] == here[1]
    assert there[2] == here[2] and len(here[2]) > 50
    failed = [f for f in here[1]["files"] if any(e["fatal"] for e in f["errors"])]  # type: ignore[attr-defined]
    assert {Path(f["file"]).name for f in failed} == {
        "dotnsf-doc1-broken-sjis.xml",  # a lying encoding
        "plomino-dxlDatabaseBadXML.xml",  # malformed XML
    }


def text_database(
    path: Path, documents: int, unid_base: int = 0, last_attachment: int = 3000
) -> None:
    """Text-heavy documents of about 100 KB each, with an attachment of 3,000 bytes in every
    one (``last_attachment`` bytes in the last)."""
    body = "前橋市の掲示板です。" * 3000
    small = base64.encodebytes(os.urandom(3000)).decode()
    with path.open("w", encoding="utf-8") as sink:
        sink.write(f"<?xml version='1.0' encoding='utf-8'?>\n<database xmlns='{NS}' title='t' "
                   "replicaid='0123456789ABCDEF'>\n")  # fmt: skip
        for n in range(documents):
            last = n == documents - 1 and last_attachment != 3000
            data = base64.encodebytes(os.urandom(last_attachment)).decode() if last else small
            sink.write(
                f"<document form='Memo'><noteinfo noteid='{n + 1:x}' "
                f"unid='{unid_base + n:032X}'><created><datetime>20240401T091500,00+09"
                "</datetime></created></noteinfo>"
                f"<item name='Body'><text>{body}</text></item>"
                "<item name='$FILE'><object><file hosttype='msdos' compression='none' "
                f"name='a{n}.bin'><filedata>\n{data}</filedata></file></object></item>"
                "</document>\n"
            )
        sink.write("</database>\n")


def test_a_killed_child_ends_its_file_with_a_located_error_and_the_next_file_goes_on(
    tmp_path: Path, children: list[Path]
) -> None:
    big, after = tmp_path / "a-big.dxl", tmp_path / "b-after.dxl"
    text_database(big, 300)  # about 30 MB: far more than the pipe holds
    text_database(after, 3, unid_base=1000)
    killed: list[int] = []

    def kill_the_child(_advance: int) -> None:
        if not killed:
            [child] = multiprocessing.active_children()
            assert child.pid is not None
            os.kill(child.pid, signal.SIGKILL)
            killed.append(child.pid)
            time.sleep(0.2)

    result = extract([big, after], tmp_path / "out", progress=kill_the_child)
    first, second = result.files
    [fatal] = [e for e in first.errors if e.fatal]
    assert first.file == big
    assert "ended without a word (exit code -9)" in fatal.message
    assert 0 < first.documents < 300
    assert first.sha256 is None  # the file was not read to its end
    assert (second.documents, second.errors, second.failed) == (3, [], False)
    lines = (tmp_path / "out" / "documents.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == first.documents + 3
    assert children == [big, after]


def test_a_child_killed_inside_an_attachment_leaves_no_half_written_file(
    tmp_path: Path, children: list[Path]
) -> None:
    path = tmp_path / "big.dxl"
    text_database(path, 2, last_attachment=40 << 20)  # 40 MiB: the child writes it a while
    tmp = tmp_path / "out" / "blobs" / "tmp"
    seen_half_written: list[str] = []

    def kill_inside_the_attachment(_advance: int) -> None:
        if seen_half_written:
            return
        deadline = time.monotonic() + 10
        while not (half := [p.name for p in tmp.iterdir()]) and time.monotonic() < deadline:
            time.sleep(0.001)
        seen_half_written.extend(half)
        [child] = multiprocessing.active_children()
        assert child.pid is not None
        os.kill(child.pid, signal.SIGKILL)

    result = extract([path], tmp_path / "out", progress=kill_inside_the_attachment)
    assert seen_half_written, "the child was not caught writing the attachment"
    [report] = result.files
    assert report.failed and report.documents == 1
    assert not tmp.exists() or list(tmp.iterdir()) == []


def test_a_reader_that_stops_early_stops_the_child_and_leaves_no_partial_blob(
    tmp_path: Path, children: list[Path]
) -> None:
    path = tmp_path / "big.dxl"
    text_database(path, 300)
    store = BlobStore(tmp_path / "blobs")
    documents = DxlReader(path, store).documents()
    first = next(documents)
    assert first.attachments[0].sha256 is not None
    documents.close()
    assert multiprocessing.active_children() == []
    assert list((tmp_path / "blobs" / "tmp").iterdir()) == []
    stored = [p for p in (tmp_path / "blobs").rglob("*") if p.is_file()]
    assert 1 <= len(stored) < 300
    assert children == [path]
