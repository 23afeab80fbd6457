"""SharePoint's resource-unit throttling.

Costs follow SharePoint's published resource units, classified by ``notesmig.spfacts.costs``
(the loader paces itself with the same classification): 1 for a single-item read, 2 for a
multi-item read, a create, update, delete or upload, 5 for permission operations; every request
inside ``$batch`` is counted on its own. The per-app budget refills continuously over
a one-minute window (compressed by ``time_scale``). Over budget: 429 with an integer
``Retry-After`` kept under 180 s (the SDK's retry handler refuses longer waits), and once 80% of
the window is used every answer carries ``RateLimit-Limit``/``-Remaining``/``-Reset``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

_MAX_RETRY_AFTER = 179
_WARN_AT = 0.8


@dataclass
class Decision:
    allowed: bool
    retry_after: int
    headers: dict[str, str]


class ResourceBudget:
    """A token bucket of resource units: ``per_minute`` capacity, refilled over the window."""

    def __init__(
        self, per_minute: int, time_scale: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.per_minute = per_minute
        self.window = 60.0 / time_scale
        self._rate = per_minute / self.window if per_minute else 0.0
        self._tokens = float(per_minute)
        self._clock = clock
        self._last = clock()
        self.used = 0
        self.throttled = 0

    @property
    def enabled(self) -> bool:
        return self.per_minute > 0

    def charge(self, cost: int) -> Decision:
        if not self.enabled:
            self.used += cost
            return Decision(True, 0, {})
        now = self._clock()
        self._tokens = min(self.per_minute, self._tokens + (now - self._last) * self._rate)
        self._last = now
        if self._tokens < cost:
            self.throttled += 1
            wait = (cost - self._tokens) / self._rate
            retry = min(_MAX_RETRY_AFTER, max(1, math.ceil(wait)))
            headers = self._headers()
            headers["Retry-After"] = str(retry)
            return Decision(False, retry, headers)
        self._tokens -= cost
        self.used += cost
        return Decision(True, 0, self._headers() if self._near_limit() else {})

    def _near_limit(self) -> bool:
        # Used, not left: per_minute * (1 - 0.8) is 19.999... for 100, and exactly 80% used
        # went without the headers.
        return self.per_minute - self._tokens >= self.per_minute * _WARN_AT

    def _headers(self) -> dict[str, str]:
        reset = math.ceil((self.per_minute - self._tokens) / self._rate) if self._rate else 0
        return {
            "RateLimit-Limit": str(self.per_minute),
            "RateLimit-Remaining": str(max(0, math.floor(self._tokens))),
            "RateLimit-Reset": str(reset),
        }
