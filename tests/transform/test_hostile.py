"""Hostile and broken input in the transform: each bad document is held back with where and
why, and every other document goes on."""

from __future__ import annotations

import json
import re
from pathlib import Path

from lxml import etree
from sqlalchemy import create_engine, select

from notesmig.extract import extract
from notesmig.ledger import Ledger
from notesmig.ledger.models import Database, Document, Link
from notesmig.mapping import load_mapping
from notesmig.records import FileRow, ItemRow, Outcome, read_records
from notesmig.sample.dxlbuild import (
    E,
    RichText,
    doc_link,
    file_item,
    number_item,
    stable_hex,
    text_item,
)
from notesmig.transform.stage import run_transform
from tests.dxlfiles import CREATED, MODIFIED, database, document
from tests.services import postgres_database

REPLICA = "0123456789ABCDEF"
MAPPING = """version: 1
database: {{replica_id: "{replica}"}}
target: {{site: "contoso.sharepoint.com:/sites/notes-migration"}}
forms:
  Memo:
    list: {list}
    library: "メモ ファイル"
    items:
      Subject: {{column: Title, type: text}}
      Amount: {{column: Amount, type: number}}
      Due: {{column: Due, type: dateTime}}
      $MIME: {{column: Body, type: richtext}}
"""


def run(tmp_path: Path, *notes: etree._Element, list_name: str = '"メモ"',
        replica: str = REPLICA, title: str = "メモ", ledger_url: str | None = None,
        ) -> tuple[dict[str, Outcome], dict[str, ItemRow], Path]:  # fmt: skip
    database(tmp_path / "drop" / "memos.dxl", title, *notes, replica=replica)
    (tmp_path / "m.yaml").write_text(
        MAPPING.format(replica=replica, list=list_name), encoding="utf-8"
    )
    mapping = load_mapping(tmp_path / "m.yaml")
    extract([tmp_path / "drop" / "memos.dxl"], tmp_path / "extract")
    ledger = Ledger(ledger_url or f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    ledger.upgrade()
    result = run_transform(tmp_path / "extract", {replica: mapping}, tmp_path / "out", ledger)
    ledger.close()
    assert all(t.balanced for t in result.totals.values())
    held = {q.unid: q for q in read_records(tmp_path / "out" / "quarantine.jsonl", Outcome)}
    rows = {r.unid: r for p in (tmp_path / "out" / "items").glob("*.jsonl")
            for r in read_records(p, ItemRow)}  # fmt: skip
    return held, rows, tmp_path / "out"


def dated(unid: str, text: str, *, created: str | None = None) -> etree._Element:
    note = document(
        "Memo", unid, text_item("Subject", "予定"), E.item(E.datetime(text), name="Due")
    )
    if created is not None:
        note.find("noteinfo").find("created").find("datetime").text = created  # type: ignore[union-attr]
    return note


def test_dates_sharepoint_cannot_hold_hold_only_their_document(tmp_path: Path) -> None:
    unids = [stable_hex("d", n) for n in range(6)]
    held, rows, _ = run(
        tmp_path,
        dated(unids[0], "00010101T000000,00+09"),  # before 0001-01-01 in UTC: no such moment
        dated(unids[1], "20240401T091500,00+09", created="99991231T230000,00-05"),
        dated(unids[2], "18991231T120000,00+09"),  # before SharePoint's 1900-01-01
        dated(unids[3], "20240401T091500,00+15"),  # no zone is 15 hours from UTC
        dated(unids[4], "89001231T120000,00+09"),  # inside the range
        dated(unids[5], "20240401T091500,00+09"),
    )
    # Before: an OverflowError and no document of the run was transformed.
    assert set(rows) == {unids[4], unids[5]}
    assert rows[unids[4]].fields["Due"] == "8900-12-31T03:00:00Z"
    assert "cannot be placed in UTC" in held[unids[0]].detail
    assert "item 'created'" in held[unids[1]].detail
    assert "outside SharePoint's date range" in held[unids[2]].detail
    assert re.match(r"memos\.dxl:\d+: ", held[unids[0]].detail)  # where, and why
    # The offset beyond +-14:00 is refused when read: an extraction error on the mapped item.
    assert held[unids[3]].reason == "extraction error in a mapped item"
    assert "beyond +-14:00" in held[unids[3]].detail


def test_numbers_json_cannot_hold_are_errors_not_values(tmp_path: Path) -> None:
    unids = [stable_hex("n", n) for n in range(4)]
    notes = [document("Memo", unid, text_item("Subject", "額"), number_item("Amount", 0))
             for unid in unids]  # fmt: skip
    for note, text in zip(notes, ("NaN", "Infinity", "1e309", "1500.5"), strict=True):
        note.xpath("item[@name='Amount']/number")[0].text = text
    held, rows, _ = run(tmp_path, *notes)
    assert set(rows) == {unids[3]} and rows[unids[3]].fields["Amount"] == 1500.5
    assert {held[u].reason for u in unids[:3]} == {"extraction error in a mapped item"}
    for line in (tmp_path / "extract" / "documents.jsonl").read_text(encoding="utf-8").splitlines():
        json.loads(line, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))  # strict


def test_unids_are_32_hex_digits_and_copies_are_one_document(tmp_path: Path) -> None:
    good, copy_of = stable_hex("u", 1), stable_hex("u", 2)
    bad = [document("Memo", "", text_item("Subject", "空")),
           document("Memo", "   ", text_item("Subject", "空白")),
           document("Memo", "x' or 1 eq 1 or '#%&", text_item("Subject", "注入"))]  # fmt: skip
    first = document("Memo", copy_of, text_item("Subject", "同じ"))
    later = document("Memo", copy_of.lower(), text_item("Subject", "新しい"))  # case: the same UNID
    later.find("noteinfo").find("modified").find("datetime").text = "20240405T100000,00+09"  # type: ignore[union-attr]
    twin = document("Memo", stable_hex("u", 3), text_item("Subject", "版 A"))
    twin_b = document("Memo", stable_hex("u", 3), text_item("Subject", "版 B"))
    held, rows, out = run(tmp_path, document("Memo", good, text_item("Subject", "良")), *bad,
                          first, later, twin, twin_b)  # fmt: skip
    assert set(rows) == {good, copy_of}
    assert rows[copy_of].fields["Title"] == "新しい"  # the later modification wins
    merged = list(read_records(out / "merged.jsonl", Outcome))
    assert len(merged) == 2 and all("merged into memos.dxl:" in m.detail for m in merged)
    conflict = held[stable_hex("u", 3)]
    assert conflict.reason == "conflict: two different versions of one document"
    no_unid = [q for q in held.values() if q.reason == "no valid UNID"]
    assert len(no_unid) == 3  # each held with its place; the second one no longer crashes
    assert all(re.match(r"memos\.dxl:\d+: ", q.detail) for q in no_unid)
    assert any("is not 32 hexadecimal digits" in q.detail for q in no_unid)


def test_file_names_come_from_ids_never_from_titles(tmp_path: Path) -> None:
    for title in ("../../outside", "a/b", "出張申請" * 80):
        folder = tmp_path / str(abs(hash(title)))
        _, rows, out = run(folder, document("Memo", stable_hex("t", 1), text_item("Subject", "x")),
                           list_name=json.dumps(title[:255], ensure_ascii=False))  # fmt: skip
        assert [r.list for r in rows.values()] == [title[:255]]
        [written] = list((out / "items").iterdir())
        assert re.fullmatch(r"[0-9a-f]{16}\.jsonl", written.name)
        assert not (folder.parent / "outside").exists() and not (tmp_path / "outside").exists()


def test_a_documents_own_mime_is_converted_or_shown(tmp_path: Path) -> None:
    mime = ("MIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\n\n"
            "<p>お知らせ<img src='https://tracker.example/p.gif'><script>x()</script></p>")  # fmt: skip
    note = document("Memo", stable_hex("m", 1), text_item("Subject", "メール"))
    note.append(E.mime(mime))
    _, rows, _ = run(tmp_path, note)
    body = str(rows[stable_hex("m", 1)].fields["Body"])
    assert "お知らせ" in body and "<script" not in body
    assert "tracker.example" in body and 'src="https://tracker' not in body  # marked, not fetched


def test_disguising_characters_leave_file_names(tmp_path: Path) -> None:
    name = "請求書\u202efdp.exe"  # shows as 請求書exe.pdf
    note = document("Memo", stable_hex("f", 1), text_item("Subject", "添付"),
                    file_item(name, b"MZ", CREATED, MODIFIED))  # fmt: skip
    _, _, out = run(tmp_path, note)
    [file] = list(read_records(out / "files.jsonl", FileRow))
    assert file.name == "請求書fdp.exe" and file.original_name == name  # the original is evidence


def test_values_longer_than_the_ledgers_columns_hold_back_only_their_document(
    tmp_path: Path,
) -> None:
    # On PostgreSQL a value longer than its column is a DataError: before, one form name or
    # parent of 300 characters (or a long database title) failed the whole run's ledger write.
    good, long_form, bad_parent, linked = (stable_hex("l", n) for n in range(4))
    body = RichText()
    body.par(doc_link("X" * 40, "V" * 300, "D" * 300, "長いリンク", "説明"))
    notes = [
        document("Memo", good, text_item("Subject", "良")),
        document("Memo", linked, text_item("Subject", "リンク"), body.item("Body")),
        document("M" * 300, long_form, text_item("Subject", "長い")),
        document("Memo", bad_parent, text_item("Subject", "返信"), parent="P" * 300),
    ]
    with postgres_database("nm_hostile") as name:
        url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
        held, rows, _ = run(tmp_path, *notes, title="題" * 300, ledger_url=url)
        engine = create_engine(url)
        try:
            with engine.connect() as connection:
                titles = connection.execute(select(Database.title)).scalars().all()
                forms = dict(connection.execute(select(Document.unid, Document.form)).all())
                links = connection.execute(
                    select(Link.target_database, Link.target_view, Link.target_document)
                ).all()
        finally:
            engine.dispose()
    assert set(rows) == {good, linked}
    # A link whose ids cannot be Notes ids points nowhere (broken), the document goes on.
    assert links == [(None, None, None)]
    assert held[bad_parent].reason == "extraction error in a mapped item"
    assert "is not 32 hexadecimal digits" in held[bad_parent].detail
    assert titles == ["題" * 255]  # cut, with a warning in the extract report
    assert forms[long_form] == "M" * 255 and forms[good] == "Memo"
    summary = json.loads((tmp_path / "extract" / "summary.json").read_text(encoding="utf-8"))
    [file] = summary["files"]
    messages = [e["message"] for e in file["errors"]]
    assert any("kept its first 255" in m for m in messages)
    assert any("the form name is 300 characters long" in m for m in messages)
