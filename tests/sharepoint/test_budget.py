"""The tenant's resource-unit budget: spent before each request, never more than a window's
worth at once, paused by a Retry-After (for every worker, when shared), and the back-off."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from notesmig.ledger import Ledger
from notesmig.sharepoint.budget import HEADROOM, ResourceBudget, SharedBudget, retry_after


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    made = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    made.upgrade()
    yield made
    made.close()


def elapsed(loop: asyncio.AbstractEventLoop, started: float) -> float:
    return loop.time() - started


@pytest.mark.anyio
async def test_no_budget_never_waits_but_counts() -> None:
    budget = ResourceBudget(0)
    for _ in range(1_000):
        await budget.take(5)
    assert (budget.used, budget.waits, budget.capacity, budget.rate) == (5_000, 0.0, 0.0, 0.0)


@pytest.mark.anyio
async def test_it_starts_empty_and_paces_tasks_together_to_its_rate() -> None:
    # 6,000 a "minute" of a tenth of a second, 1% kept back: 59,400 units a second.
    budget = ResourceBudget(6_000, window_seconds=0.1)
    assert budget.capacity == pytest.approx(6_000 * HEADROOM)
    assert budget.rate == pytest.approx(6_000 * HEADROOM / 0.1)
    loop = asyncio.get_running_loop()
    started = loop.time()
    # Three tasks starting together must not each spend a window at once.
    await asyncio.gather(*(budget.take(2_970) for _ in range(3)))
    assert elapsed(loop, started) >= 3 * 2_970 / budget.rate * 0.95  # 0.15 s
    assert 0.0 < budget.waits <= 0.16  # less if a late wake-up found the bucket refilled
    assert budget.used == 3 * 2_970


@pytest.mark.anyio
async def test_an_idle_bucket_holds_one_window_at_most() -> None:
    budget = ResourceBudget(6_000, window_seconds=0.1)
    await asyncio.sleep(0.3)  # three windows idle
    await budget.take(5_940)  # one window's worth: at once
    assert budget.waits == 0.0
    await budget.take(5_940)  # not three: the next waits for the refill
    assert budget.waits == pytest.approx(0.1, abs=0.03)


@pytest.mark.anyio
async def test_a_retry_after_pauses_every_task_for_that_long() -> None:
    budget = ResourceBudget(60_000, window_seconds=0.01)
    await asyncio.sleep(0.02)
    budget.pause(0.2)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await asyncio.gather(budget.take(1), budget.take(1))
    assert elapsed(loop, started) >= 0.19
    budget.pause(0.05)
    budget.pause(0.01)  # a shorter pause never shortens the longer one
    started = loop.time()
    await budget.take(1)
    assert elapsed(loop, started) >= 0.045


@pytest.mark.anyio
async def test_a_shared_budget_spends_from_the_ledger_and_its_pause_stops_every_worker(
    ledger: Ledger,
) -> None:
    workers = [SharedBudget(ledger.spend, ledger.pause_budget, "contoso.sharepoint.com", 60_000,
                            window_seconds=0.01) for _ in range(2)]  # fmt: skip
    assert workers[0].rule.capacity == pytest.approx(60_000 * HEADROOM)
    await workers[0].take(3)
    await workers[1].take(4)
    assert ledger.budget_used("contoso.sharepoint.com") == 7
    assert [w.used for w in workers] == [3, 4]
    workers[0].pause(0.3)  # one worker met a Retry-After
    loop = asyncio.get_running_loop()
    started = loop.time()
    await workers[1].take(1)
    assert elapsed(loop, started) >= 0.25
    unpaced = SharedBudget(ledger.spend, ledger.pause_budget, "other", 0)
    await unpaced.take(9)
    assert unpaced.used == 9 and ledger.budget_used("other") == 0  # no bucket, no pacing


def test_retry_after_is_the_services_when_it_says_else_a_jittered_backoff() -> None:
    assert retry_after({"Retry-After": "2.5"}, attempt=0) == 2.5
    assert retry_after({"retry-after": "7"}, attempt=3) == 7.0
    assert retry_after({"RETRY-AFTER": "-3"}, attempt=0) == 0.0
    for attempt, ceiling in ((0, 0.5), (3, 4.0), (10, 30.0), (40, 30.0)):
        waits = {retry_after({"Retry-After": "soon"}, attempt) for _ in range(50)}
        assert all(ceiling / 2 <= w <= ceiling for w in waits), (attempt, waits)
        assert len(waits) > 1  # jittered: workers do not retry in step
    assert ceiling / 2 <= retry_after({}, 40) <= ceiling
