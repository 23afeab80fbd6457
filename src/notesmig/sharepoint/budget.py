"""The tenant's resource-unit budget, spent before each request, and how long to back off.

SharePoint throttles an app per tenant in resource units per minute (``notesmig.spfacts.costs``).
Spending from a token bucket kept just under the limit means a run goes as fast as the budget
allows and rarely meets a 429; a ``Retry-After`` pauses everyone for exactly that long.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable

from notesmig.ledger.operations import BudgetRule

#: The share of the tenant's limit the loader paces itself to. Close to all of it: the bucket
#: never spends more than this within any window, and a 429 that still comes (SharePoint's
#: accounting is approximate) pauses every task for its Retry-After.
HEADROOM = 0.99


class ResourceBudget:
    """A token bucket of SharePoint resource units, kept just under the tenant's limit.

    Every request takes its units before it is sent, so a run goes as fast as the budget
    allows and rarely meets a 429; a ``Retry-After`` pauses everyone for exactly that long.
    One budget is shared by every task of a process (one tenant). It starts empty, paced at the
    sustained rate: several tasks starting together must not each spend a full window at once.
    """

    def __init__(
        self, per_minute: float, *, headroom: float = HEADROOM, window_seconds: float = 60.0
    ) -> None:
        self.capacity = max(1.0, per_minute * headroom) if per_minute else 0.0
        self.rate = self.capacity / window_seconds if per_minute else 0.0
        self._tokens = 0.0
        self._last = time.monotonic()
        self._paused_until = 0.0
        self._lock = asyncio.Lock()
        self.used = 0
        self.waits = 0.0

    async def take(self, units: int) -> None:
        self.used += units
        if not self.rate:
            return
        async with self._lock:
            while True:
                now = time.monotonic()
                if now < self._paused_until:
                    await self._sleep(self._paused_until - now)
                    continue
                self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
                self._last = now
                if self._tokens >= units:
                    self._tokens -= units
                    return
                await self._sleep((units - self._tokens) / self.rate)

    async def _sleep(self, seconds: float) -> None:
        self.waits += seconds
        await asyncio.sleep(seconds)

    def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, time.monotonic() + seconds)
        self._tokens = 0.0


class SharedBudget(ResourceBudget):
    """The tenant's budget shared by every worker of a deployment (one tenant, one budget): the
    bucket lives in the ledger, so two Celery workers loading two databases together stay under
    the tenant's limit, and a Retry-After that one of them meets pauses them all.

    ``spend`` and ``pause`` are the ledger's (``Ledger.spend``/``Ledger.pause_budget``): passed
    in, so this module stays free of the ledger's imports.
    """

    def __init__(
        self,
        spend: Callable[[str, int, BudgetRule], float],
        pause: Callable[[str, float], None],
        name: str,
        per_minute: float,
        *,
        headroom: float = HEADROOM,
        window_seconds: float = 60.0,
    ) -> None:
        super().__init__(per_minute, headroom=headroom, window_seconds=window_seconds)
        self.name = name
        self._spend = spend
        self._pause = pause
        self.rule = BudgetRule(self.capacity, self.rate)

    async def take(self, units: int) -> None:
        self.used += units
        if not self.rate:
            return
        while True:
            # The ledger's transaction runs off the event loop: other tasks go on meanwhile.
            wait = await asyncio.to_thread(self._spend, self.name, units, self.rule)
            if wait <= 0:
                return
            await self._sleep(min(wait, 5.0))

    def pause(self, seconds: float) -> None:
        super().pause(seconds)
        self._pause(self.name, seconds)


def retry_after(headers: dict[str, str], attempt: int) -> float:
    """Seconds to wait: the service's Retry-After (fractional honoured), else backoff."""
    for key, value in headers.items():
        if key.lower() == "retry-after":
            try:
                return max(0.0, float(value))
            except ValueError:
                break
    backoff: float = min(30.0, 0.5 * 2**attempt)
    return backoff * (0.5 + random.random() / 2)  # noqa: S311 (jitter, not security)
