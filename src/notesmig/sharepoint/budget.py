"""The tenant's resource-unit budget, spent before each request, and how long to back off.

SharePoint throttles an app per tenant in resource units per minute (``notesmig.spfacts.costs``).
Spending from a token bucket kept just under the limit means a run goes as fast as the budget
allows and rarely meets a 429; a ``Retry-After`` pauses everyone for exactly that long.
"""

from __future__ import annotations

import asyncio
import random
import time


class ResourceBudget:
    """A token bucket of SharePoint resource units, kept just under the tenant's limit.

    Every request takes its units before it is sent, so a run goes as fast as the budget
    allows and rarely meets a 429; a ``Retry-After`` pauses everyone for exactly that long.
    One budget is shared by every task of a process (one tenant). It starts empty, paced at the
    sustained rate: several tasks starting together must not each spend a full window at once.
    """

    def __init__(
        self, per_minute: float, *, headroom: float = 0.95, window_seconds: float = 60.0
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
