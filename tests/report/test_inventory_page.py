"""The discovery's inventory as a page in Japanese and in English: a row per database found in
the drop folder with its figures, complexity and mapping, every value from an export escaped."""

from __future__ import annotations

import re
from pathlib import Path

from notesmig.pipeline.inventory import take_inventory
from notesmig.records import Inventory
from notesmig.report.inventory_page import render_inventory
from notesmig.sample.dxlbuild import file_item, stable_hex, text_item
from tests.dxlfiles import CREATED, MODIFIED, database, document

BOARD = "0123456789ABCDEF"
HOSTILE = "FEDCBA9876543210"


def inventory(tmp_path: Path) -> Inventory:
    drop, mappings = tmp_path / "drop", tmp_path / "mappings"
    topic = stable_hex("inventory", 1)
    database(drop / "board.dxl", "掲示板",
             document("Topic", topic, text_item("Subject", "議題"),
                      file_item("a.txt", b"x" * 12_345, CREATED, MODIFIED)),
             document("Reply", stable_hex("inventory", 2), parent=topic),
             document("Reply", stable_hex("inventory", 3), parent=topic),
             replica=BOARD)  # fmt: skip
    database(drop / "hostile.dxl", "<script>alert(1)</script>",
             document("<b>Form</b>", stable_hex("inventory", 4),
                      text_item("R", ["[Admin]"], readers=True)),
             replica=HOSTILE)  # fmt: skip
    mappings.mkdir()
    (mappings / "board.yaml").write_text(
        f'version: 1\ndatabase: {{replica_id: "{BOARD}"}}\n'
        'target: {site: "contoso.sharepoint.com:/sites/notes-migration"}\nforms: {}\n',
        encoding="utf-8",
    )
    return take_inventory(drop, mappings, tmp_path / "drafts")


def row_of(page: str, key: str) -> str:
    found = re.search(rf'<tr data-replica="{key}">(.*?)</tr>', page, re.S)
    assert found is not None, key
    return found.group(1)


def test_a_row_per_database_with_its_figures_in_both_languages(tmp_path: Path) -> None:
    found = inventory(tmp_path)
    render_inventory(found, tmp_path / "page")
    page = (tmp_path / "page" / "index.html").read_text(encoding="utf-8")
    english = (tmp_path / "page" / "en" / "index.html").read_text(encoding="utf-8")
    assert '<html lang="ja">' in page and "Notes データベースの棚卸し" in page
    assert "Inventory of the Notes databases" in english
    assert f"受け取りフォルダー: {tmp_path / 'drop'}" in page
    board = row_of(page, BOARD)
    cells = re.findall(r'<td class="n">([^<]*)</td>', board)
    # documents, responses, files, their bytes (with thousands separators), restricted
    assert cells == ["3", "2", "1", "12,345", "0"]
    assert "Reply 2、Topic 1" in board and "掲示板" in board
    assert f"{tmp_path / 'mappings' / 'board.yaml'}" in board
    # One document in three has a file: a library rather than a list.
    assert "<strong>文書ライブラリ</strong>" in board
    assert "<strong>document library</strong>" in row_of(english, BOARD)
    hostile = row_of(page, HOSTILE)
    assert "セキュリティ付きワークフロー" in hostile and "下書き: " in hostile
    assert "Draft: " not in row_of(english, HOSTILE) and "draft: " in row_of(english, HOSTILE)


def test_values_from_an_export_are_escaped_and_nothing_is_fetched(tmp_path: Path) -> None:
    render_inventory(inventory(tmp_path), tmp_path / "page")
    for page in (tmp_path / "page" / "index.html", tmp_path / "page" / "en" / "index.html"):
        text = page.read_text(encoding="utf-8")
        assert "<script>alert(1)</script>" not in text and "<b>Form</b>" not in text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
        assert "&lt;b&gt;Form&lt;/b&gt; 1" in text
        assert not re.search(r"<(?:script|link|img)\b[^>]*(?:src|href)=\"(?:https?:)?//", text)


def test_the_pages_link_to_each_other_and_to_their_stylesheet(tmp_path: Path) -> None:
    folder = tmp_path / "page"
    render_inventory(inventory(tmp_path), folder)
    page = (folder / "index.html").read_text(encoding="utf-8")
    english = (folder / "en" / "index.html").read_text(encoding="utf-8")
    assert 'href="en/index.html"' in page and 'href="../index.html"' in english
    assert 'href="assets/report.css"' in page and 'href="../assets/report.css"' in english
    assert (folder / "assets" / "report.css").stat().st_size > 0
    # Rendered again into the same folder (the next discovery run): the same pages.
    render_inventory(inventory(tmp_path / "again"), folder)
    assert (folder / "index.html").is_file() and (folder / "en" / "index.html").is_file()


def test_a_database_without_a_mapping_or_draft_says_none(tmp_path: Path) -> None:
    found = inventory(tmp_path)
    entry = next(d for d in found.databases if d.replica_id == HOSTILE)
    bare = found.model_copy(
        update={"databases": [entry.model_copy(update={"draft": None, "mapping": None})]}
    )
    render_inventory(bare, tmp_path / "page")
    page = (tmp_path / "page" / "index.html").read_text(encoding="utf-8")
    assert row_of(page, HOSTILE).rstrip().endswith("<td>なし</td>")
