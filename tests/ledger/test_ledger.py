"""The ledger on SQLite and PostgreSQL: states, idempotence, change detection, resume."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlalchemy import func, select

from notesmig.ledger import DocumentRecord, Ledger, State
from notesmig.ledger.models import Database, Quarantine
from notesmig.mapping import load_mappings
from notesmig.sample.corpus import SampleFile
from notesmig.transform.stage import run_transform

REPLICA = "B82634FA404574D2"


def records(count: int, version: str = "a") -> list[DocumentRecord]:
    return [DocumentRecord(f"{n:032X}", "TripRequest", None, version * 64) for n in range(count)]


def test_new_unchanged_and_changed_documents(ledger_url: str) -> None:
    ledger = Ledger(ledger_url)
    ledger.upgrade()
    database = ledger.register_database(REPLICA, "出張申請", "shutcho.dxl")
    assert ledger.register_database(REPLICA, "出張申請", "shutcho.dxl") == database
    assert ledger.record_extracted(database, records(5)) == {"new": 5}
    assert ledger.record_extracted(database, records(5)) == {"unchanged": 5}
    first = f"{0:032X}"
    assert ledger.advance(database, first, State.TRANSFORMED)
    assert ledger.advance(database, first, State.LOADED, item_id="7", web_url="https://x/7")
    assert not ledger.advance(database, first, State.LOADED)  # repeating is a no-op
    assert not ledger.advance(database, first, State.TRANSFORMED)  # never backwards
    changed = records(5)
    changed[0] = DocumentRecord(first, "TripRequest", None, "b" * 64)
    assert ledger.record_extracted(database, changed) == {"unchanged": 4, "changed": 1}
    [status] = ledger.status()
    assert status.states == {"extracted": 5} and status.update_pending == 1
    assert ledger.states(REPLICA)[first] == "extracted"
    ledger.close()


def test_resume_after_an_interrupted_transform(
    ledger_url: str,
    sample_corpus: list[SampleFile],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from notesmig.extract import extract
    from notesmig.mapping.suggest import suggest

    extract([s.path for s in sample_corpus], tmp_path / "extract")
    (tmp_path / "mappings").mkdir()
    for sample in sample_corpus:
        (tmp_path / "mappings" / f"{sample.path.stem}.yaml").write_text(
            suggest(sample.path).yaml, encoding="utf-8"
        )
    mappings = load_mappings(tmp_path / "mappings")
    ledger = Ledger(ledger_url)
    ledger.upgrade()
    original = Ledger.apply_transform
    calls = {"n": 0}

    def crash_on_third(self: Ledger, *args: object, **kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt("worker killed")
        return original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Ledger, "apply_transform", crash_on_third)
    with pytest.raises(KeyboardInterrupt):
        run_transform(tmp_path / "extract", mappings, tmp_path / "out", ledger)
    partial = {s.replica_id: s.total for s in ledger.status()}
    assert len(partial) >= 2  # two databases were recorded before the crash
    monkeypatch.setattr(Ledger, "apply_transform", original)
    result = run_transform(tmp_path / "extract", mappings, tmp_path / "out", ledger)
    again = run_transform(tmp_path / "extract", mappings, tmp_path / "out", ledger)
    status = {s.replica_id: s for s in ledger.status()}
    for database, totals in result.totals.items():
        assert status[database].total == totals.extracted
        assert status[database].states.get("transformed", 0) == totals.transformed
        assert status[database].quarantined == totals.quarantined
    assert [r.rows for r in (result, again)] == [result.rows] * 2
    assert result.rows == sum(t.transformed for t in result.totals.values()) > 0
    with ledger.session() as session:
        entries = session.scalar(select(func.count()).select_from(Quarantine))
        assert entries == sum(t.quarantined for t in result.totals.values())  # no duplicates
        hashes = dict(session.execute(select(Database.title, Database.source_sha256)).all())
    for sample in sample_corpus:  # the ledger names the exact export each database came from
        assert hashes[sample.title] == hashlib.sha256(sample.path.read_bytes()).hexdigest()
    ledger.close()
