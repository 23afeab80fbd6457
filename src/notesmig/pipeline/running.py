"""What a stage needs to run beside others: the tenant's budget (shared through the ledger when
several workers load at once) and the database's lease (one load of a database at a time)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import AsyncIterator

from notesmig.errors import TransientError
from notesmig.ledger import Ledger
from notesmig.pipeline.settings import StageSettings
from notesmig.sharepoint.budget import ResourceBudget, SharedBudget

#: A lease lasts this long unless renewed; a worker that dies frees its database this soon.
LEASE_SECONDS = 600.0
RENEW_SECONDS = 60.0


class DatabaseBusyError(TransientError):
    """Another run is loading (or reconciling) this database now: try again later."""


def holder_name(settings: StageSettings) -> str:
    """Who holds a lease: the Airflow run (its retries are the same holder) or this process."""
    return settings.run_id or f"{socket.gethostname()}:{os.getpid()}"


def _is_dead(holder: str) -> bool:
    """A holder that was a process of this machine and runs no more (killed, crashed)."""
    host, _, pid = holder.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def tenant_of(site: str) -> str:
    """The budget's name: SharePoint throttles an app per tenant (``host:/sites/x`` -> host)."""
    return site.split(":", 1)[0].lower()


def budget_for(settings: StageSettings, ledger: Ledger, site: str) -> ResourceBudget:
    if settings.shared_budget:
        return SharedBudget(
            ledger.spend, ledger.pause_budget, tenant_of(site), settings.ru_per_minute,
            window_seconds=settings.window_seconds,
        )  # fmt: skip
    return ResourceBudget(settings.load_budget, window_seconds=settings.window_seconds)


@contextlib.asynccontextmanager
async def database_lease(ledger: Ledger, replica_id: str, holder: str) -> AsyncIterator[None]:
    """Hold the database for the duration, renewing the lease; busy: DatabaseBusyError."""
    other = ledger.acquire_lease(replica_id, holder, LEASE_SECONDS)
    if other is not None and _is_dead(other):
        other = ledger.acquire_lease(replica_id, holder, LEASE_SECONDS, dead=other)
    if other is not None:
        raise DatabaseBusyError(
            f"データベース {replica_id} は別の実行が処理中です / database {replica_id} is being "
            f"loaded by {other}; retried later"
        )

    body = asyncio.current_task()
    lost: list[str] = []

    async def renew() -> None:
        while True:
            await asyncio.sleep(RENEW_SECONDS)
            try:
                other = await asyncio.to_thread(
                    ledger.acquire_lease, replica_id, holder, LEASE_SECONDS
                )
            except Exception:  # noqa: S112 (a ledger hiccup: the lease outlasts several tries)
                continue
            if other is not None:
                # Not renewed in time and taken over: this load must stop, not write beside it.
                lost.append(other)
                if body is not None:
                    body.cancel()
                return

    renewing = asyncio.create_task(renew())
    try:
        yield
    except asyncio.CancelledError:
        if lost:
            raise DatabaseBusyError(
                f"データベース {replica_id} の占有が失われました / lost the lease of {replica_id} "
                f"to {lost[0]}; stopped"
            ) from None
        raise
    finally:
        renewing.cancel()
        with contextlib.suppress(BaseException):
            await renewing
        if not lost:
            ledger.release_lease(replica_id, holder)
