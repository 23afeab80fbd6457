"""No report file shows the ledger's password, whatever the ledger URL holds."""

from __future__ import annotations

from pathlib import Path

from notesmig.ledger import Ledger
from notesmig.report.render import write_report
from tests.services import postgres_database


def test_the_report_never_shows_the_ledgers_password(tmp_path: Path) -> None:
    with postgres_database("nm_mask") as name:
        # Trust authentication takes any password: one is given so that it could leak.
        ledger = Ledger(f"postgresql+psycopg://postgres:Hunter2-secret@127.0.0.1:5432/{name}")
        try:
            ledger.upgrade()
            write_report(ledger, tmp_path / "report")
        finally:
            ledger.close()
    written = [p for p in (tmp_path / "report").rglob("*") if p.is_file()]
    assert any(p.suffix == ".json" for p in written)
    for path in written:
        data = path.read_bytes()
        assert b"Hunter2" not in data, path
    evidence = (tmp_path / "report" / "evidence.json").read_text(encoding="utf-8")
    assert "postgres:***@127.0.0.1" in evidence
