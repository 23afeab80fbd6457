"""Bounded concurrency for the loader.

Against a real tenant a round trip takes 100 ms or more, and much of a load is sequences of
calls that depend on each other (a restricted document: its item in its audience's folder,
then its content, then its Notes authorship; an audience's folder: created, its inheritance
broken, its grants added and read back). One sequence at a time, the round trips and not the
tenant's budget would set the pace. ``Bounded`` runs up to ``limit`` such sequences at once;
the budget (``notesmig.sharepoint.budget``) still paces every request.

The first failure stops the others and is raised as itself, not inside an ``ExceptionGroup``:
an Airflow task retries by the error's kind (transient or terminal), which a group would hide.
What finished before it is in the ledger, so a rerun carries on from there.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from types import TracebackType
from typing import Any

from notesmig.errors import Terminal

#: Sequences of dependent calls in flight at once per load task. Eight keep a tenant's
#: budget busy at round trips of up to about 8 / (requests per second) each.
SEQUENCES_IN_PARALLEL = 8


class Bounded:
    """Up to ``limit`` coroutines running at once; leaving the block waits for all of them.

    ``async with Bounded(4) as pool: await pool.start(work())`` starts ``work()`` as soon as
    fewer than four are running, raising the failure of one that finished meanwhile."""

    def __init__(self, limit: int = SEQUENCES_IN_PARALLEL) -> None:
        if limit < 1:
            raise ValueError(f"limit must be at least 1, not {limit}")
        self.limit = limit
        self._running: set[asyncio.Task[None]] = set()

    async def __aenter__(self) -> Bounded:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        try:
            if error is None:
                await self.settle(0)
        finally:
            for task in self._running:
                task.cancel()
            await asyncio.gather(*self._running, return_exceptions=True)
            self._running.clear()

    async def start(self, work: Coroutine[Any, Any, None]) -> None:
        """Start ``work`` once there is room for it."""
        try:
            await self.settle(self.limit - 1)
        except BaseException:
            work.close()  # never started: no "coroutine was never awaited" warning
            raise
        self._running.add(asyncio.ensure_future(work))

    async def settle(self, at_most: int = 0) -> None:
        """Wait until at most ``at_most`` are running (0: all done), raising the first
        failure among those that finished."""
        while len(self._running) > at_most:
            done, _pending = await asyncio.wait(self._running, return_when=asyncio.FIRST_COMPLETED)
            self._running.difference_update(done)
            failures = [error for task in done if (error := task.exception()) is not None]
            if failures:
                # Two at once: a terminal one wins (retrying cannot help), and every failure
                # is retrieved, so none is reported as "never retrieved".
                raise next((e for e in failures if isinstance(e, Terminal)), failures[0])
