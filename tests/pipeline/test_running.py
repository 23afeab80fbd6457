"""What a stage needs beside others: its lease holder's name, the tenant's budget (its own or
shared through the ledger) and the database's lease, held, renewed, lost and taken over."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import notesmig.pipeline.running
from notesmig.errors import TransientError
from notesmig.ledger import Ledger
from notesmig.pipeline.running import (
    DatabaseBusyError,
    budget_for,
    database_lease,
    holder_name,
    tenant_of,
)
from notesmig.pipeline.settings import StageSettings
from notesmig.sharepoint.budget import HEADROOM, ResourceBudget, SharedBudget

REPLICA = "B82634FA404574D2"
SITE = "Contoso.SharePoint.com:/sites/notes-migration"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    made = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    made.upgrade()
    yield made
    made.close()


def settings(tmp_path: Path, **values: Any) -> StageSettings:
    return StageSettings(work=tmp_path, mappings=tmp_path, ledger_url="sqlite://", **values)


def test_the_holder_is_the_airflow_run_or_this_process(tmp_path: Path) -> None:
    assert holder_name(settings(tmp_path, run_id="manual__2025-06-01")) == "manual__2025-06-01"
    assert holder_name(settings(tmp_path)) == f"{socket.gethostname()}:{os.getpid()}"


def test_the_budget_is_the_tenants() -> None:
    assert tenant_of(SITE) == "contoso.sharepoint.com"
    assert tenant_of("contoso.sharepoint.com:/sites/other") == tenant_of(SITE)


@pytest.mark.anyio
async def test_a_load_paces_itself_to_its_share_or_spends_from_the_shared_bucket(
    tmp_path: Path, ledger: Ledger
) -> None:
    own = budget_for(settings(tmp_path, ru_per_minute=2_400, concurrent_loads=4), ledger, SITE)
    assert type(own) is ResourceBudget and own.capacity == pytest.approx(600 * HEADROOM)
    shared = budget_for(
        settings(tmp_path, ru_per_minute=2_400, concurrent_loads=4, shared_budget=True,
                 window_seconds=0.01),
        ledger,
        SITE,
    )  # fmt: skip
    # Shared by every worker: the whole tenant's budget, not a share of it.
    assert isinstance(shared, SharedBudget) and shared.name == "contoso.sharepoint.com"
    assert shared.rule.capacity == pytest.approx(2_400 * HEADROOM)
    assert shared.rule.rate == pytest.approx(2_400 * HEADROOM / 0.01)
    await shared.take(3)
    await shared.take(2)
    assert ledger.budget_used("contoso.sharepoint.com") == 5


@pytest.mark.anyio
async def test_a_lease_keeps_others_out_while_held_and_is_released_after(ledger: Ledger) -> None:
    async with database_lease(ledger, REPLICA, "run-1"):
        with pytest.raises(DatabaseBusyError, match="loaded by run-1") as caught:
            async with database_lease(ledger, REPLICA, "run-2"):
                pytest.fail("two runs held one database")
        assert isinstance(caught.value, TransientError)  # Airflow retries it later
        assert ledger.acquire_lease(REPLICA, "run-3", 600) == "run-1"
    assert ledger.acquire_lease(REPLICA, "run-3", 600) is None


@pytest.mark.anyio
async def test_a_lease_is_released_when_the_body_fails(ledger: Ledger) -> None:
    with pytest.raises(RuntimeError, match="load failed"):
        async with database_lease(ledger, REPLICA, "run-1"):
            raise RuntimeError("load failed")
    assert ledger.acquire_lease(REPLICA, "run-2", 600) is None


@pytest.mark.anyio
async def test_the_lease_of_a_dead_process_of_this_machine_is_taken_over(ledger: Ledger) -> None:
    finished = subprocess.Popen([sys.executable, "-c", "pass"])
    finished.wait()
    dead = f"{socket.gethostname()}:{finished.pid}"
    assert ledger.acquire_lease(REPLICA, dead, 600) is None
    async with database_lease(ledger, REPLICA, "run-1"):
        assert ledger.acquire_lease(REPLICA, "run-2", 600) == "run-1"
    # Another machine's holder (or this one's live process) is never presumed dead.
    for alive in (f"elsewhere.example:{finished.pid}", f"{socket.gethostname()}:{os.getpid()}"):
        assert ledger.acquire_lease(REPLICA, alive, 600) is None
        with pytest.raises(DatabaseBusyError, match=re.escape(alive)):
            async with database_lease(ledger, REPLICA, "run-1"):
                pass
        ledger.release_lease(REPLICA, alive)


@pytest.mark.anyio
async def test_a_lost_lease_stops_the_load_and_is_left_to_its_new_holder(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(notesmig.pipeline.running, "RENEW_SECONDS", 0.05)
    with pytest.raises(DatabaseBusyError, match=f"lost the lease of {REPLICA} to run-2"):
        async with database_lease(ledger, REPLICA, "run-1"):
            # Not renewed in time (a stalled worker): another run took the database.
            assert ledger.acquire_lease(REPLICA, "run-2", 600, dead="run-1") is None
            await asyncio.sleep(5)
            pytest.fail("the load went on beside the new holder")
    assert ledger.acquire_lease(REPLICA, "run-3", 600) == "run-2"
