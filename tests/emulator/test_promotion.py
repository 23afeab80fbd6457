"""``promotion``: SharePoint's property promotion, rehearsed: an Office file comes back from a
library with SharePoint's metadata written into it (other bytes, size and hash), any other file
as it was sent."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from notesmig.emulator.promotion import is_promoted, promote
from notesmig.spfacts.quickxor import QuickXorHash
from tests.emulator.helpers import SITE_PATH, session, start

CUSTOM = "docProps/custom.xml"


def package(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name, data in parts.items():
            target.writestr(name, data)
    return out.getvalue()


def quick_xor(data: bytes) -> str:
    hasher = QuickXorHash()
    hasher.update(data)
    return hasher.b64digest()


@pytest.mark.parametrize(
    ("name", "promoted"),
    [("報告.docx", True), ("BOOK.XLSX", True), ("old.doc", True), ("deck.pptx", True),
     ("photo.jpg", False), ("a.pdf", False), ("docx", False), ("a.docx.txt", False)],
)  # fmt: skip
def test_which_files_are_promoted(name: str, promoted: bool) -> None:
    assert is_promoted(name) is promoted


def test_an_ooxml_package_gains_its_custom_properties_and_keeps_the_rest() -> None:
    source = package({"[Content_Types].xml": b"<Types/>", "word/document.xml": "本文".encode()})
    kept = promote(source, item_id="drive/folder/a.docx")
    with zipfile.ZipFile(io.BytesIO(kept)) as result:
        assert set(result.namelist()) == {"[Content_Types].xml", "word/document.xml", CUSTOM}
        assert result.read("word/document.xml") == "本文".encode()
        properties = result.read(CUSTOM).decode()
    assert "_dlc_DocIdItemGuid" in properties and "<vt:lpwstr>drive/folder/a.docx<" in properties
    # Promoted again (a replaced file), the part is replaced, not added twice.
    again = promote(kept, item_id="drive/folder/b.docx")
    with zipfile.ZipFile(io.BytesIO(again)) as result:
        assert result.namelist().count(CUSTOM) == 1
        assert b"drive/folder/b.docx" in result.read(CUSTOM)
    # Deterministic: the same file uploaded twice is promoted to the same bytes.
    assert promote(source, item_id="i") == promote(source, item_id="i")


def test_a_legacy_file_has_its_properties_appended() -> None:
    source = b"\xd0\xcf\x11\xe0 legacy .doc"
    kept = promote(source, item_id="x")
    assert kept.startswith(source + b"\r\n<?xml") and kept.endswith(b"</Properties>")


def test_a_library_keeps_promoted_bytes_only_when_asked(tmp_path: Path) -> None:
    source = package({"word/document.xml": b"<w:document/>"})
    for option, rewritten in (
        ("--rewrite-office-files", True),
        ("--no-rewrite-office-files", False),
    ):
        with start(tmp_path / option, "--ru-per-minute", "0", option) as emulator:
            client = session(emulator.graph_url)
            drive = client.get(f"/sites/{SITE_PATH}/drive").json()["id"]
            for name in ("a.docx", "a.pdf"):
                stored = client.put(f"/drives/{drive}/root:/{name}:/content", content=source)
                assert stored.status_code == 201, stored.text
                item = stored.json()
                back = client.get(f"/drives/{drive}/items/{item['id']}/content").content
                changed = rewritten and name.endswith(".docx")
                assert (back != source) is changed
                # What Graph says of the file is what it now holds, not what was sent.
                assert item["size"] == len(back)
                assert item["file"]["hashes"]["quickXorHash"] == quick_xor(back)
                if changed:
                    assert CUSTOM in zipfile.ZipFile(io.BytesIO(back)).namelist()
                    assert item["file"]["hashes"]["quickXorHash"] != quick_xor(source)
