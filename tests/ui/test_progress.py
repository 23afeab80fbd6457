"""The Migration view's figures: right, narrowed by database, wave and reason, and read in the
same few aggregate queries whether the ledger holds 700 documents or 100,000."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import event

from notesmig.ledger import Ledger
from notesmig.reasons import READER_NO_ACCOUNT, VALUE_DOES_NOT_FIT
from notesmig.ui.progress import ProgressFilter, migration_progress, waves_of
from tests.ui.conftest import filled_ledger

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


@contextmanager
def counted(ledger: Ledger) -> Iterator[list[str]]:
    statements: list[str] = []

    def seen(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(ledger.engine, "before_cursor_execute", seen)
    try:
        yield statements
    finally:
        event.remove(ledger.engine, "before_cursor_execute", seen)


def test_figures_per_database_and_wave(tmp_path: Path) -> None:
    ledger = filled_ledger(tmp_path / "l.sqlite3", 700)
    progress = migration_progress(ledger, budget_per_minute=2400, now=NOW)
    rows = {(r.title, r.wave): r for r in progress.databases}
    assert sorted(rows) == [("出張申請", "W1"), ("出張申請", "W2"), ("火災ごみ減免申請", "W1"),
                            ("火災ごみ減免申請", "W2")]  # fmt: skip
    fire = rows[("火災ごみ減免申請", "W1")]
    # Even i of 0..699: 350 documents, states cycling through seven (i % 7), 50 of each.
    assert (fire.documents, fire.verified, fire.loaded, fire.held, fire.waiting, fire.excluded) == (
        350, 150, 50, 50, 50, 50)  # fmt: skip
    # Refused by SharePoint, not held back: i % 70 == 5, all odd, so all in W2.
    assert fire.failed == 0 and rows[("火災ごみ減免申請", "W2")].failed == 10
    total = progress.totals
    assert total.documents == 1400 and total.verified == 600 and total.held == 200
    assert total.files == 140 and total.files_done == 80 and total.bytes_done == 80 * 1_048_576
    assert total.failed == 20
    assert fire.lists == {"申請": "https://contoso.sharepoint.com/sites/m/Lists/4BFEA2B6D741A32A"}
    # Two runs of the same 10 minutes (side by side), 600 documents, 100 MiB and 12,000 units
    # each: the pace is over the 10 minutes they covered, not the 20 they add up to.
    tp = progress.throughput
    assert (tp.runs, tp.minutes, tp.documents) == (2, 10.0, 1200)
    assert tp.documents_per_minute == 120.0 and tp.megabytes_per_minute == 20.0
    assert tp.units_per_minute == 2400.0 and tp.budget_share == 1.0
    # 200 documents wait; at 120 a minute, 1 minute 40 seconds.
    assert progress.eta_minutes == pytest.approx(200 / 120)
    assert progress.eta is not None and progress.eta.minute == 1
    assert progress.waves == ["W1", "W2"] and waves_of(progress) == {"W1": 700, "W2": 700}
    held = {(h.title, h.reason): h.documents for h in progress.held}
    assert held[("出張申請", READER_NO_ACCOUNT.en)] == 50
    assert held[("出張申請", VALUE_DOES_NOT_FIT.en)] == 50
    ledger.close()


def test_narrowed_by_database_wave_and_reason(tmp_path: Path) -> None:
    ledger = filled_ledger(tmp_path / "l.sqlite3", 700)
    chosen = ProgressFilter(database="B82634FA404574D2", wave="W1", reason=READER_NO_ACCOUNT.en)
    progress = migration_progress(ledger, chosen, now=NOW)
    assert [(r.title, r.wave) for r in progress.databases] == [("出張申請", "W1")]
    assert progress.databases[0].documents == 350
    # Held for this reason: i % 14 == 4 (even, so W1), 50 documents.
    assert [(h.title, h.reason, h.documents) for h in progress.held] == [
        ("出張申請", READER_NO_ACCOUNT.en, 50)
    ]
    # Only this database's run: 600 documents in 10 minutes; 50 of its W1 documents wait.
    assert (progress.throughput.runs, progress.throughput.documents) == (1, 600)
    assert progress.eta_minutes == pytest.approx(50 / 60)
    assert sorted(progress.choices) == ["4BFEA2B6D741A32A", "B82634FA404574D2"]
    w2 = migration_progress(ledger, ProgressFilter(wave="W2"), now=NOW)
    assert w2.throughput.runs == 0 and w2.eta_minutes is None  # no run of W2 measured
    ledger.close()


@pytest.mark.slow
def test_the_same_queries_for_100000_documents(tmp_path: Path) -> None:
    small = filled_ledger(tmp_path / "small.sqlite3", 700)
    large = filled_ledger(tmp_path / "large.sqlite3", 50_000)
    with counted(small) as few:
        migration_progress(small, now=NOW)
    with counted(large) as many:
        progress = migration_progress(large, now=NOW)
    assert progress.totals.documents == 100_000
    many = [s for s in many if not s.startswith("BEGIN")]
    few = [s for s in few if not s.startswith("BEGIN")]
    assert len(many) == len(few) == 7
    # Aggregates only: no statement reads documents one by one.
    assert all("GROUP BY" in s or "DISTINCT" in s or "FROM runs" in s or "FROM databases" in s
               for s in many)  # fmt: skip
    small.close()
    large.close()
