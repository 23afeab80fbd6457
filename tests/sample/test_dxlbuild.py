"""DXL built the way Domino writes it: valid against the Domino DTD, and read back by the
extractor as exactly the values it was built from."""

from __future__ import annotations

import base64
import hashlib
import random
from datetime import date, datetime
from pathlib import Path

from lxml import etree

from notesmig.dxl.blobs import BlobStore
from notesmig.dxl.datetimes import DateTimeRange
from notesmig.dxl.model import ItemType, NotesDocument
from notesmig.dxl.reader import DxlReader
from notesmig.sample.dxlbuild import (
    E,
    RichText,
    attachment_ref,
    bold,
    datetime_item,
    datetime_range_item,
    doc_link,
    file_item,
    inline_picture,
    noteinfo,
    number_item,
    run,
    stable_hex,
    text_item,
    url_link,
)
from notesmig.sample.files import png
from tests.dxlfiles import CREATED, JST, MODIFIED, database, document

REPLICA = "0123456789ABCDEF"
UNID = stable_hex("dxlbuild", 1)
DATA = "令和6年度 予算案\n".encode() * 30
PICTURE = png(4, 3, random.Random(1))
START = datetime(2024, 4, 10, 13, 0, tzinfo=JST)
END = datetime(2024, 4, 10, 15, 30, tzinfo=JST)


def body() -> RichText:
    inner = RichText()
    inner.par("中身")
    rich = RichText()
    rich.par("左", align="left")
    rich.par(bold("太字"), " と ", run("赤", color="red", size="12pt"), align="center")
    rich.bullets(["一", "二"])
    rich.numbered(["壱"])
    rich.table([["見出し", "値"], ["a", "b"]], widths=["1in", "2in"])
    rich.section("詳細", inner)
    rich.rule()
    rich.par(url_link("https://example.org/x", "外部"), doc_link(REPLICA, "V" * 32, UNID, "文書",
             "説明"), attachment_ref("予算案.txt"), inline_picture(PICTURE, 4, 3, "図"))  # fmt: skip
    return rich


def built(path: Path) -> Path:
    database(path, "見本", document(
        "Memo", UNID,
        text_item("Subject", "件名"),
        text_item("Owners", ["CN=山田 太郎/O=Maebashi"], authors=True),
        text_item("DocReaders", ["[Admin]"], readers=True),
        number_item("Count", 3.0),
        number_item("Rates", [0.5, 2]),
        datetime_item("Due", date(2024, 4, 30)),
        datetime_item("Seen", [CREATED, MODIFIED]),
        datetime_range_item("Meeting", START, END),
        body().item("Body"),
        file_item("予算案.txt", DATA, CREATED, MODIFIED),
    ), replica=REPLICA)  # fmt: skip
    return path


def attributes(element: etree._Element) -> dict[str, str]:
    return {str(key): str(value) for key, value in element.items()}


def read(path: Path, tmp_path: Path) -> NotesDocument:
    [found] = DxlReader(path, BlobStore(tmp_path / "blobs")).documents()
    return found


def test_stable_hex_is_deterministic_upper_case_hex_of_any_length() -> None:
    assert stable_hex("a", 1) == stable_hex("a", 1) != stable_hex("a", 2)
    assert stable_hex("a", 1) == hashlib.sha256(b"a:1").hexdigest()[:32].upper()
    assert len(stable_hex("x", length=16)) == 16 and int(stable_hex("x"), 16) >= 0


def test_noteinfo_counts_one_sequence_per_change() -> None:
    once = noteinfo(255, UNID, CREATED, CREATED)
    twice = noteinfo(255, UNID, CREATED, MODIFIED)
    assert (once.get("noteid"), once.get("sequence"), twice.get("sequence")) == ("ff", "1", "2")
    assert [child.tag for child in twice] == ["created", "modified", "revised"]


def test_access_flags_are_written_as_domino_writes_them() -> None:
    assert attributes(text_item("A", "x", authors=True)) == {
        "name": "A", "authors": "true", "names": "true"
    }  # fmt: skip
    assert attributes(text_item("R", "x", readers=True)) == {
        "name": "R", "names": "true", "readers": "true"
    }  # fmt: skip
    assert attributes(text_item("P", "x")) == {"name": "P"}


def test_every_building_block_is_valid_against_the_domino_dtd(
    dxl_real: Path, tmp_path: Path
) -> None:
    dtd = etree.DTD(str(dxl_real / "domino_10_0_1.dtd"))
    path = built(tmp_path / "built.dxl")
    tree = etree.parse(str(path), etree.XMLParser(load_dtd=False, no_network=True))
    assert dtd.validate(tree), str(dtd.error_log)[:500]


def test_the_reader_gets_back_the_values_built(tmp_path: Path) -> None:
    found = read(built(tmp_path / "built.dxl"), tmp_path)
    values = {i.name: (i.type, i.values) for i in found.items if i.name != "Body"}
    assert values == {
        "Subject": (ItemType.TEXT, ["件名"]),
        "Owners": (ItemType.TEXTLIST, ["CN=山田 太郎/O=Maebashi"]),
        "DocReaders": (ItemType.TEXTLIST, ["[Admin]"]),
        "Count": (ItemType.NUMBER, [3]),  # written without a needless ".0"
        "Rates": (ItemType.NUMBERLIST, [0.5, 2]),
        "Due": (ItemType.DATETIME, [date(2024, 4, 30)]),
        "Seen": (ItemType.DATETIMELIST, [CREATED, MODIFIED]),
        "Meeting": (ItemType.DATETIMEPAIR, [DateTimeRange(START, END)]),
        "$FILE": (ItemType.ATTACHMENT, []),
    }
    owners, readers = found.item("Owners"), found.item("DocReaders")
    assert owners is not None and owners.authors and owners.names and not owners.readers
    assert readers is not None and readers.readers and readers.names and not readers.authors
    assert (found.created, found.modified, found.sequence) == (CREATED, MODIFIED, 2)
    assert found.errors == []


def test_an_attachment_and_a_picture_read_back_byte_for_byte(tmp_path: Path) -> None:
    element = file_item("予算案.txt", DATA, CREATED, MODIFIED)
    encoded = element.findtext("object/file/filedata") or ""
    assert max(len(line) for line in encoded.splitlines()) == 76  # Domino's line length
    found = read(built(tmp_path / "built.dxl"), tmp_path)
    by_kind = {a.kind: a for a in found.attachments}
    attachment, picture = by_kind["file"], by_kind["picture"]
    assert (attachment.name, attachment.size, attachment.declared_size) == (
        "予算案.txt", len(DATA), len(DATA)
    )  # fmt: skip
    assert attachment.sha256 == hashlib.sha256(DATA).hexdigest()
    assert (attachment.created, attachment.modified) == (CREATED, MODIFIED)
    assert picture.sha256 == hashlib.sha256(PICTURE).hexdigest()
    assert base64.b64decode(inline_picture(PICTURE, 4, 3, "図").findtext("png") or "") == PICTURE


def test_rich_text_declares_each_paragraph_style_once_and_reads_as_html(tmp_path: Path) -> None:
    item = body().item("Body")
    pardefs = item.findall("richtext/pardef")
    styles = [tuple(sorted((k, v) for k, v in p.attrib.items() if k != "id")) for p in pardefs]
    assert len(styles) == len(set(styles))  # each style once, however often it is used
    assert [p.get("id") for p in pardefs] == [str(n) for n in range(1, len(pardefs) + 1)]
    html = read(built(tmp_path / "built.dxl"), tmp_path).html["Body"]
    assert "<ul><li>一</li><li>二</li></ul>" in html and "<ol><li>壱</li></ol>" in html
    assert "<strong>太字</strong>" in html and "<strong>見出し</strong>" in html
    assert "<td><p>a</p></td><td><p>b</p></td>" in html
    assert "詳細" in html and "中身" in html and "<hr>" in html
    assert 'href="https://example.org/x"' in html
    assert 'data-notes-attachment="予算案.txt"' in html
    found = read(built(tmp_path / "again.dxl"), tmp_path)
    [link] = found.links
    assert (link.kind, link.database, link.document, link.description) == (
        "doclink", REPLICA, UNID, "説明"
    )  # fmt: skip


def test_text_runs_and_paragraph_content_keep_their_order() -> None:
    paragraph = RichText()
    paragraph.par("前", bold("中"), "後", E.br(), "末")
    [_pardef, par] = paragraph.blocks()
    assert par.text == "前" and [child.tag for child in par] == ["run", "br"]
    assert par[0].tail == "後" and par[1].tail == "末"
    assert attributes(run("x", style="italic", face="MS Gothic")[0]) == {
        "style": "italic", "name": "MS Gothic"
    }  # fmt: skip
