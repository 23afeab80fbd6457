"""The report written as a folder of static pages from a real SQLite ledger: both languages
linked to each other, the exceptions as CSV for Excel, the ledger export it was made from
(deterministic) and the evidence that ties them together."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from datetime import UTC, datetime
from pathlib import Path

from notesmig.ledger import Ledger
from notesmig.ledger.models import Database
from notesmig.report.render import (
    EXCEPTION_COLUMNS,
    ledger_export,
    page_name,
    write_report,
)
from tests.report.ledgers import BOARD, EMPTY, EXPORT, HELD, MISMATCHED, ledger_of

NOW = datetime(2025, 3, 31, 15, 30, tzinfo=UTC)
LIBRARY = "58D6B8A63270688E"


def test_pages_in_both_languages_each_linked_to_the_other(tmp_path: Path) -> None:
    ledger = ledger_of(tmp_path)
    out = tmp_path / "report"
    written = write_report(ledger, out, now=NOW)
    ledger.close()
    assert (written.folder, written.index) == (str(out), str(out / "index.html"))
    assert written.pages == 2 * (1 + 2) and written.balanced
    index = (out / "index.html").read_text(encoding="utf-8")
    english = (out / "en" / "index.html").read_text(encoding="utf-8")
    assert "2025-04-01 00:30 JST" in index  # the time as staff in Japan read it
    assert 'href="en/index.html"' in index and 'href="../index.html"' in english
    assert f'href="db/{BOARD}.html"' in index and f'href="db/{EMPTY}.html"' in english
    page = (out / "db" / f"{BOARD}.html").read_text(encoding="utf-8")
    assert f'href="../en/db/{BOARD}.html"' in page and "移行検証レポート" in page
    assert '<span data-count="balance">7 = 2 + 1 + 1 + 1 + 1 + 1</span>' in page
    assert HELD in page and "山田 太郎/情報政策課" in page
    other = (out / "en" / "db" / f"{BOARD}.html").read_text(encoding="utf-8")
    assert f'href="../../db/{BOARD}.html"' in other and "Migration validation report" in other
    assert (out / "assets" / "report.css").is_file()
    assert 'href="assets/report.css"' in index and 'href="../../assets/report.css"' in other
    # Nothing on a page is fetched from another host.
    for html in out.rglob("*.html"):
        text = html.read_text(encoding="utf-8")
        assert not re.search(r"<(?:script|link|img)\b[^>]*(?:src|href)=\"(?:https?:)?//", text)


def test_the_exceptions_are_a_csv_excel_reads_as_utf8(tmp_path: Path) -> None:
    ledger = ledger_of(tmp_path)
    written = write_report(ledger, tmp_path / "report", now=NOW)
    ledger.close()
    raw = (tmp_path / "report" / "exceptions.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    rows = list(csv.reader(io.StringIO(raw[3:].decode("utf-8"))))
    assert tuple(rows[0]) == EXCEPTION_COLUMNS
    assert written.exceptions == len(rows) - 1 == 8  # 7 documents not verified, 1 unexpected
    by_unid = {r[1]: r for r in rows[1:]}
    assert by_unid[MISMATCHED] == [BOARD, MISMATCHED, "Topic", "changed",
                                   "値が変更されている / changed", "Title: '議題' → '議題!'"]  # fmt: skip
    assert rows[-1][3] == "unexpected"


def test_the_ledger_export_and_the_evidence_let_the_report_be_checked(tmp_path: Path) -> None:
    ledger = ledger_of(tmp_path)
    write_report(ledger, tmp_path / "report", now=NOW)
    again = ledger_export(ledger, [BOARD, EMPTY])
    ledger.close()
    out = tmp_path / "report"
    export = (out / "ledger-export.json").read_bytes()
    assert export == again  # the same ledger state: the same bytes
    tables = json.loads(export)
    assert {name: len(rows) for name, rows in tables.items()} == {
        "databases": 2, "source_exports": 1, "documents": 8, "attachments": 3,
        "quarantine": 1, "verdicts": 4,
    }  # fmt: skip
    assert {"replica_id": BOARD, "title": "掲示板", "merged": 1} in tables["databases"]
    # Rows in a fixed order, whatever order the ledger hands them out in.
    assert tables["documents"] == sorted(
        tables["documents"], key=lambda r: json.dumps(r, sort_keys=True, ensure_ascii=False)
    )
    evidence = json.loads((out / "evidence.json").read_text(encoding="utf-8"))
    assert evidence["generated_at"] == "2025-03-31T15:30:00Z"
    assert evidence["ledger"] == f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    for name, digest in evidence["files"].items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest, name
    path, sha, size, count = EXPORT
    assert evidence["sources"] == [
        {"database": BOARD, "path": path, "sha256": sha, "bytes": size, "documents": count}
    ]
    board = evidence["databases"][0]
    assert (board["source_documents"], board["balanced"], board["unaccounted"]) == (7, True, 0)
    assert evidence["versions"]["python"] and "notesmig" in evidence["versions"]


def test_data_docs_are_copied_beside_and_stale_pages_removed(tmp_path: Path) -> None:
    docs = tmp_path / "validated" / "data-docs"
    (docs / "static").mkdir(parents=True)
    (docs / "index.html").write_text("<p>GX</p>", encoding="utf-8")
    (docs / "static" / "x.css").write_text("p{}", encoding="utf-8")
    ledger = ledger_of(tmp_path, data_docs=str(docs / "index.html"))
    out = tmp_path / "report"
    (out / "db").mkdir(parents=True)
    (out / "db" / "0000000000000000.html").write_text("stale", encoding="utf-8")
    (out / "README.txt").write_text("staff notes", encoding="utf-8")
    write_report(ledger, out, [BOARD], now=NOW)
    ledger.close()
    assert (out / "data-docs" / BOARD / "static" / "x.css").is_file()
    page = (out / "db" / f"{BOARD}.html").read_text(encoding="utf-8")
    assert f'href="../data-docs/{BOARD}/index.html"' in page
    assert not (out / "db" / "0000000000000000.html").exists()  # a page of an earlier report
    assert (out / "README.txt").read_text(encoding="utf-8") == "staff notes"  # not the report's
    assert sorted(p.name for p in (out / "db").iterdir()) == [f"{BOARD}.html"]


def test_a_page_is_named_by_the_replica_id_only_when_it_is_one(tmp_path: Path) -> None:
    assert page_name(LIBRARY) == LIBRARY
    for hostile in ("../../escape", "58d6b8a63270688e", f"{LIBRARY}\n", "/etc/passwd", "C:\\x"):
        assert re.fullmatch(r"replica-[0-9a-f]{16}", page_name(hostile)), hostile
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    ledger.upgrade()
    with ledger.session() as session:
        session.add(Database(replica_id="../../escape", title="外へ"))
    out = tmp_path / "deep" / "report"
    written = write_report(ledger, out)
    ledger.close()
    name = page_name("../../escape")
    assert written.pages == 4 and (out / "db" / f"{name}.html").is_file()
    assert (out / "en" / "db" / f"{name}.html").is_file()
    assert f'href="db/{name}.html"' in (out / "index.html").read_text(encoding="utf-8")
    # Nothing was written beside the report but the ledger itself.
    outside = {f.name for f in tmp_path.rglob("*") if f.is_file() and out not in f.parents}
    assert outside <= {"ledger.sqlite3", "ledger.sqlite3-wal", "ledger.sqlite3-shm"}, outside
