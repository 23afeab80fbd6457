"""The failures the real service produces, injected on purpose: seeded, so runs repeat.

Before a request does anything: 429 and 503 (with ``Retry-After``), 500, 504, a dropped
connection or a slow answer. After a write committed: its answer lost, the hardest case for a
client's idempotency.
"""

from __future__ import annotations

import random

from notesmig.emulator.graph_errors import GraphError

FAULTS = ("429", "503", "500", "504", "reset", "slow")


class FaultInjector:
    """Seeded random failures: before a request does anything, or after a write committed."""

    def __init__(self, rate: float, lost_rate: float, seed: int) -> None:
        self.rate = rate
        self.lost_rate = lost_rate
        self._random = random.Random(seed)  # noqa: S311 (reproducible faults, not secrets)
        self.injected: dict[str, int] = dict.fromkeys((*FAULTS, "lost"), 0)

    def before(self, *, allow_connection_faults: bool = True) -> str | None:
        if not self.rate or self._random.random() >= self.rate:
            return None
        kinds = FAULTS if allow_connection_faults else FAULTS[:4]
        fault = self._random.choice(kinds)
        self.injected[fault] += 1
        return fault

    def lose_response(self) -> bool:
        if self.lost_rate and self._random.random() < self.lost_rate:
            self.injected["lost"] += 1
            return True
        return False

    def retry_after(self) -> int:
        return self._random.randint(1, 3)


def fault_error(kind: str, retry_after: int) -> GraphError:
    """Graph's answer for an injected fault of ``kind`` (429, 503, 504 or 500)."""
    if kind == "429":
        return GraphError(429, "activityLimitReached", "The request has been throttled.",
                          {"Retry-After": str(retry_after)})  # fmt: skip
    if kind == "503":
        return GraphError(
            503,
            "serviceNotAvailable",
            "The service is temporarily unavailable.",
            {"Retry-After": str(retry_after)},
        )
    if kind == "504":
        return GraphError(504, "gatewayTimeout", "The gateway timed out.")
    return GraphError(500, "generalException", "An internal server error occurred.")
