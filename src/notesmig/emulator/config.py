"""Settings of one emulated SharePoint Online tenant, validated when made."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from notesmig.errors import TerminalError
from notesmig.spfacts.costs import DEFAULT_RU_PER_MINUTE


class EmulatorConfigError(TerminalError, ValueError):
    """A setting that cannot describe a working emulator."""


@dataclass(frozen=True)
class EmulatorConfig:
    """What the emulated tenant is and how it behaves.

    ``time_scale`` compresses time for throttling: at 60, a one-minute budget window lasts one
    real second. ``fault_rate`` is the share of requests that fail before doing anything (503,
    500, 504, dropped connections, slow answers); ``lost_response_rate`` the share of committed
    writes whose response is then lost, the hardest case for idempotency.
    """

    data_dir: Path
    hostname: str = "contoso.sharepoint.com"
    sites: tuple[str, ...] = ("notes-migration",)
    ru_per_minute: int = DEFAULT_RU_PER_MINUTE
    time_scale: float = 1.0
    fault_rate: float = 0.0
    lost_response_rate: float = 0.0
    slow_seconds: float = 0.5
    seed: int = 0
    token: str | None = None
    upload_session_seconds: int = 3_600
    users: tuple[tuple[str, str], ...] = field(default=())

    def __post_init__(self) -> None:
        if not self.hostname or "/" in self.hostname or ":" in self.hostname:
            raise EmulatorConfigError(f"hostname {self.hostname!r} is not a host name")
        if not self.sites:
            raise EmulatorConfigError("at least one site is needed")
        for site in self.sites:
            if not site or "/" in site:
                raise EmulatorConfigError(f"site {site!r} must be a single path segment")
        if self.ru_per_minute < 0:
            raise EmulatorConfigError("ru_per_minute must be 0 (no throttling) or more")
        if self.time_scale <= 0:
            raise EmulatorConfigError("time_scale must be positive")
        for name in ("fault_rate", "lost_response_rate"):
            value = getattr(self, name)
            if not 0 <= value <= 1:
                raise EmulatorConfigError(f"{name} must be between 0 and 1, not {value}")
        if self.upload_session_seconds <= 0:
            raise EmulatorConfigError("upload_session_seconds must be positive")
