"""The readiness forecast on a known ledger: what is left, at the measured pace, against the
budget and the days to the cutoff."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from notesmig.sharepoint.budget import HEADROOM
from notesmig.ui.forecast import forecast, wave_order
from notesmig.ui.progress import migration_progress
from tests.ui.conftest import filled_ledger

TODAY = date(2025, 6, 2)


def test_the_forecast_of_a_known_ledger(tmp_path: Path) -> None:
    ledger = filled_ledger(tmp_path / "l.sqlite3", 700)
    progress = migration_progress(ledger, now=datetime(2025, 6, 2, 9, tzinfo=UTC))
    ledger.close()
    # Measured: 1,200 documents in 10 minutes (two loads side by side: 120 a minute), 200 MiB
    # (20 MiB a minute), 24,000 units (20 a document). Left per database: 100 documents
    # (i % 7 == 5) and 30 files of 1 MiB (those of documents not loaded). Files decide: 30 MiB
    # at 20 a minute, 1.5 minutes; the documents need 0.8, their 2,000 units 0.9 at 95% of
    # 2,400 a minute. A minute and a half of loading a day: the first database finishes today,
    # the second tomorrow.
    result = forecast(progress, cutoff=TODAY, today=TODAY, budget_per_minute=2400,
                      hours_per_day=0.025)  # fmt: skip
    assert (result.documents_per_minute, result.megabytes_per_minute) == (120.0, 20.0)
    assert result.units_per_document == 20.0
    rows = [
        (d.title, d.wave, d.documents_left, d.files_left, d.bytes_left) for d in result.databases
    ]
    assert rows == [("出張申請", "W2", 100, 30, 30 * 1_048_576),
                    ("火災ごみ減免申請", "W2", 100, 30, 30 * 1_048_576)]  # fmt: skip
    assert [d.minutes for d in result.databases] == [pytest.approx(1.5), pytest.approx(1.5)]
    assert [d.finishes for d in result.databases] == [TODAY, date(2025, 6, 3)]
    assert [d.fits for d in result.databases] == [True, False]
    assert result.waves == {"W2": False} and result.fits is False
    assert result.minutes_total == pytest.approx(3.0) and result.days_left == 0
    # With the cutoff at R7.6 (30 June) and loads around the clock, everything fits today.
    relaxed = forecast(progress, cutoff=date(2025, 6, 30), today=TODAY, budget_per_minute=2400)
    assert relaxed.fits is True and relaxed.days_left == 28
    assert {d.finishes for d in relaxed.databases} == {TODAY}


def test_a_tight_budget_decides(tmp_path: Path) -> None:
    ledger = filled_ledger(tmp_path / "l.sqlite3", 700)
    progress = migration_progress(ledger)
    ledger.close()
    # 100 a minute paced to 99: 2,000 units take 2000 / 99 = 20.2 minutes per database.
    result = forecast(progress, cutoff=TODAY, today=TODAY, budget_per_minute=100)
    assert HEADROOM == 0.99
    assert [d.minutes for d in result.databases] == [pytest.approx(2000 / 99)] * 2


def test_no_load_measured_no_estimate(tmp_path: Path) -> None:
    ledger = filled_ledger(tmp_path / "l.sqlite3", 70)
    with ledger.session() as session:
        from sqlalchemy import delete

        from notesmig.ledger.models import Run

        session.execute(delete(Run))
    progress = migration_progress(ledger)
    ledger.close()
    result = forecast(progress, cutoff=TODAY, today=TODAY, budget_per_minute=2400)
    assert result.fits is None and result.minutes_total is None
    assert all(d.minutes is None and d.fits is None for d in result.databases)
    with pytest.raises(ValueError, match="hours_per_day"):
        forecast(progress, cutoff=TODAY, today=TODAY, budget_per_minute=2400, hours_per_day=0)


def test_the_forecast_command(tmp_path: Path) -> None:
    import json
    import os
    import subprocess
    import sys

    filled_ledger(tmp_path / "l.sqlite3", 700).close()
    notesmig = str(Path(sys.executable).with_name("notesmig"))
    url = f"sqlite:///{tmp_path / 'l.sqlite3'}"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([notesmig, "forecast", "--db-url", url, *args],
                              capture_output=True, text=True, timeout=120, check=False,
                              env={**os.environ, "COLUMNS": "240"})  # fmt: skip

    fits = run("--cutoff", "R7.6", "--today", "2025-06-02", "--json")
    assert fits.returncode == 0, fits.stderr
    found = json.loads(fits.stdout)
    assert found["cutoff"] == "2025-06-30" and found["days_left"] == 28 and found["fits"] is True
    table = run("--cutoff", "令和7年6月30日", "--today", "R7.6.2")
    assert table.returncode == 0
    assert "切替日 2025-06-30 まで 28 日" in table.stdout and "間に合う" in table.stdout
    late = run("--cutoff", "2025-06-02", "--today", "2025-06-02", "--hours-per-day", "0.1")
    assert late.returncode == 0  # three minutes of loading fit into a 6-minute day
    # 10 units a minute: 2,000 units take 210 minutes a database, four one-hour days.
    tight = run(
        "--cutoff",
        "2025-06-03",
        "--today",
        "2025-06-02",
        "--ru-per-minute",
        "10",
        "--hours-per-day",
        "1",
    )
    assert tight.returncode == 1 and "間に合わない" in tight.stdout
    wrong = run("--cutoff", "令和元年4月1日")
    assert wrong.returncode == 2 and "outside the 令和 era" in wrong.stderr + wrong.stdout


def test_waves_go_in_the_order_they_are_numbered() -> None:
    waves = ["W10", "W9", "W2", "第12波", "第3波", "pilot"]
    assert sorted(waves, key=wave_order) == ["W2", "W9", "W10", "pilot", "第3波", "第12波"]
    assert max(["W9", "W10"], key=wave_order) == "W10"
