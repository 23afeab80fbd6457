"""What several workers share through the ledger: a lease per database and the tenant's
resource-unit bucket (on SQLite and on PostgreSQL, with workers racing for them)."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from notesmig.ledger import Ledger
from notesmig.ledger.operations import BudgetRule
from notesmig.sharepoint.budget import HEADROOM, SharedBudget

REPLICA = "B82634FA404574D2"


def ledger_at(url: str) -> Ledger:
    ledger = Ledger(url)
    ledger.upgrade()
    return ledger


def test_a_lease_keeps_a_second_run_out_until_it_ends_or_expires(ledger_url: str) -> None:
    ledger = ledger_at(ledger_url)
    assert ledger.acquire_lease(REPLICA, "run-1", 600, now=1000.0) is None
    assert ledger.acquire_lease(REPLICA, "run-2", 600, now=1001.0) == "run-1"
    assert ledger.acquire_lease(REPLICA, "run-1", 600, now=1500.0) is None  # renewed
    assert ledger.acquire_lease(REPLICA, "run-2", 600, now=2000.0) == "run-1"
    # Not renewed for its whole term: the worker died; the next run takes the database.
    assert ledger.acquire_lease(REPLICA, "run-2", 600, now=2101.0) is None
    assert ledger.acquire_lease(REPLICA, "run-1", 600, now=2102.0) == "run-2"
    ledger.release_lease(REPLICA, "run-1")  # not its lease: nothing changes
    assert ledger.acquire_lease(REPLICA, "run-3", 600, now=2103.0) == "run-2"
    ledger.release_lease(REPLICA, "run-2")
    assert ledger.acquire_lease(REPLICA, "run-3", 600, now=2104.0) is None
    # A holder known to be dead is taken over at once.
    assert ledger.acquire_lease(REPLICA, "run-4", 600, now=2105.0, dead="run-3") is None
    ledger.close()


def test_racing_workers_one_gets_the_lease(ledger_url: str) -> None:
    ledger = ledger_at(ledger_url)
    results: dict[str, str | None] = {}
    start = threading.Barrier(6)

    def worker(name: str) -> None:
        start.wait()
        results[name] = Ledger(ledger_url).acquire_lease(REPLICA, name, 600)

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [name for name, other in results.items() if other is None]
    assert len(winners) == 1
    assert {other for other in results.values() if other is not None} == {winners[0]}
    ledger.close()


def test_the_bucket_refills_at_its_rate_and_never_goes_over(ledger_url: str) -> None:
    ledger = ledger_at(ledger_url)
    rule = BudgetRule(capacity=100.0, rate=10.0)
    # It starts empty, so workers starting together do not each spend a window.
    assert ledger.spend("contoso", 5, rule, now=0.0) == pytest.approx(0.5)
    assert ledger.spend("contoso", 5, rule, now=0.5) == 0.0
    assert ledger.spend("contoso", 20, rule, now=1.0) == pytest.approx(1.5)
    assert ledger.spend("contoso", 20, rule, now=100.0) == 0.0  # full at 100, not 990
    assert ledger.spend("contoso", 81, rule, now=100.0) == pytest.approx(0.1)
    # A request dearer than the bucket goes when the bucket is full.
    assert ledger.spend("contoso", 500, rule, now=200.0) == 0.0
    assert ledger.budget_used("contoso") == 525
    # A Retry-After met by one worker stops every worker, for that long.
    ledger.pause_budget("contoso", 30.0, now=300.0)
    assert ledger.spend("contoso", 1, rule, now=310.0) == pytest.approx(20.0)
    assert ledger.spend("contoso", 1, rule, now=331.0) == 0.0
    assert ledger.spend("other-tenant", 1, rule, now=310.0) == pytest.approx(0.1)
    ledger.close()


def test_workers_sharing_a_budget_stay_under_it_together(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    ledger = ledger_at(url)
    # 600 a minute with 1% headroom: 9.9 units a second between the three of them.
    budgets = [SharedBudget(Ledger(url).spend, Ledger(url).pause_budget, "contoso", 600)
               for _ in range(3)]  # fmt: skip

    async def spend_all() -> float:
        loop = asyncio.get_running_loop()
        started = loop.time()
        await asyncio.gather(*(b.take(1) for b in budgets for _ in range(10)))
        return loop.time() - started

    seconds = asyncio.run(spend_all())
    # 30 units at 9.9 a second from an empty bucket: at least 3 seconds, however many spend
    # them (three private budgets would have taken a third of that).
    assert seconds >= 30 / (600 * HEADROOM / 60) * 0.98
    assert ledger.budget_used("contoso") == 30
    assert sum(b.used for b in budgets) == 30
    ledger.close()


def test_workers_creating_a_new_ledger_together(ledger_url: str) -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def worker() -> None:
        start.wait()
        try:
            ledger = Ledger(ledger_url)
            ledger.upgrade()
            ledger.close()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    ledger = Ledger(ledger_url)
    assert ledger.acquire_lease(REPLICA, "after", 600) is None
    ledger.close()
