"""Notes binary item data: $REF note references and MIME parts, built byte by byte."""

from __future__ import annotations

import base64
import struct
from pathlib import Path

import pytest

from notesmig.dxl.blobs import BlobStore
from notesmig.dxl.notesdata import NotesDataError, decode_mime_part, decode_noteref_list
from notesmig.dxl.reader import DxlReader

PARENT = "C12575C3002B6B52C12575C3002B6B5E"


def noteref(unid: str) -> bytes:
    file_hi, file_lo, note_hi, note_lo = (int(unid[i : i + 8], 16) for i in range(0, 32, 8))
    return struct.pack("<HIIII", 1, file_lo, file_hi, note_lo, note_hi)


def mime_part(headers: str, body: bytes) -> bytes:
    head = headers.encode()
    return struct.pack("<HIBBHHHHI", 2, 2, 2, 0, len(head) + len(body), 0, len(head), 0, 0) + (
        head + body
    )


def test_noteref_list_decodes_to_the_parent_unid() -> None:
    assert decode_noteref_list(noteref(PARENT)) == [PARENT]
    with pytest.raises(NotesDataError, match="promises 2 entries"):
        decode_noteref_list(struct.pack("<H", 2) + b"\0" * 16)


def test_mime_part_text_and_attachment() -> None:
    part, body = decode_mime_part(
        mime_part(
            "Content-Type: text/plain; charset=iso-2022-jp\r\n\r\n", "申請".encode("iso-2022-jp")
        )
    )
    assert (part.content_type, part.text) == ("text/plain", "申請")
    assert body == "申請".encode("iso-2022-jp")
    with pytest.raises(NotesDataError, match="shorter than its header"):
        decode_mime_part(b"\x02\x00")


@pytest.mark.parametrize("form", ["raw", "text"])
def test_responses_found_through_ref(tmp_path: Path, form: str) -> None:
    if form == "raw":
        value = (
            f"<rawitemdata type='400'>{base64.b64encode(noteref(PARENT)).decode()}</rawitemdata>"
        )
    else:
        value = f"<text>{PARENT}</text>"
    (tmp_path / "r.dxl").write_text(
        "<note class='document' xmlns='http://www.lotus.com/dxl'><noteinfo unid='"
        "00000000000000000000000000000001'/><item name='Form'><text>Response</text></item>"
        f"<item name='$REF'>{value}</item></note>"
    )
    [doc] = DxlReader(tmp_path / "r.dxl", BlobStore(None)).documents()
    assert (doc.form, doc.parent_unid, doc.is_response) == ("Response", PARENT, True)


def test_mime_items_give_html_and_attachments(tmp_path: Path) -> None:
    html_part = mime_part(
        "Content-Type: text/html; charset=utf-8\r\n\r\n", "<p>本文<script>x</script></p>".encode()
    )
    pdf = b"%PDF-1.7 report"
    file_part = mime_part(
        'Content-Type: application/pdf\r\nContent-Disposition: attachment; filename="report.pdf"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n",
        base64.b64encode(pdf),
    )
    items = "".join(
        f"<item name='Body'><rawitemdata type='19'>{base64.b64encode(p).decode()}</rawitemdata></item>"
        for p in (html_part, file_part)
    )
    (tmp_path / "m.dxl").write_text(
        "<document form='Memo' xmlns='http://www.lotus.com/dxl'><noteinfo unid='"
        f"00000000000000000000000000000002'/>{items}</document>"
    )
    store = BlobStore(tmp_path / "blobs")
    [doc] = DxlReader(tmp_path / "m.dxl", store).documents()
    assert doc.html["Body"] == "<p>本文</p>"
    [attachment] = doc.attachments
    assert (attachment.name, attachment.kind, attachment.size) == ("report.pdf", "mime", len(pdf))
    assert store.path_of(attachment.sha256).read_bytes() == pdf  # type: ignore[arg-type]
