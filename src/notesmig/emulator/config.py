"""Settings of one emulated SharePoint Online tenant, validated when made."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from notesmig.emulator.regional import ZONES, SiteTimeZone
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
    #: The tenant's accounts (Entra ID users): UPN and display name.
    users: tuple[tuple[str, str], ...] = field(default=())
    #: Entra ID groups and their members: (group, member UPN) pairs.
    groups: tuple[tuple[str, str], ...] = field(default=())
    #: Accounts already in every site's User Information List (others must be ensured).
    site_members: tuple[str, ...] = field(default=())
    #: Graph list collections (lists, columns) are paged at this size.
    page_size: int = 200
    #: No page of a collection (lists, columns, list items and their delta, a folder's
    #: children) holds more than this, whatever ``$top`` asks: SharePoint pages shorter than
    #: asked, and a client that does not follow ``@odata.nextLink`` misses the rest. None: only
    #: ``$top`` (5,000 at most) and the defaults decide, and a folder's children come in one page.
    max_page_size: int | None = None
    #: The first this many upload fragments answer 503 (a deterministic outage, for tests).
    fail_fragments: int = 0
    #: The first committed write whose path contains each of these loses its answer (a
    #: deterministic lost response, for tests).
    lose_answer_to: tuple[str, ...] = field(default=())
    #: After the first committed write by the app whose path contains this, every later app
    #: request waits for ever (signed-in users still read): the moment to kill a client at one
    #: exact step, for tests. ``/_emulator-budget`` says ``frozen``.
    freeze_after: str | None = None
    #: Whether the app may manage permissions (an app granted less answers 403 to them).
    manage_permissions: bool = True
    #: Above this many items a list or folder's inheritance cannot be broken (SharePoint:
    #: 100,000); lower it to rehearse the refusal.
    break_inheritance_max_items: int = 100_000
    #: Office files come back rewritten by property promotion (their hash changes).
    rewrite_office_files: bool = False
    #: The sites' regional time zone, by SharePoint's id (20: Osaka, Sapporo, Tokyo; 2:
    #: London, to rehearse daylight saving; see ``regional.ZONES``).
    time_zone: int = 20

    @property
    def site_time_zone(self) -> SiteTimeZone:
        return ZONES[self.time_zone]

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
        if self.page_size < 1:
            raise EmulatorConfigError("page_size must be at least 1")
        if self.max_page_size is not None and self.max_page_size < 1:
            raise EmulatorConfigError("max_page_size must be at least 1")
        if self.time_zone not in ZONES:
            raise EmulatorConfigError(
                f"time zone {self.time_zone} is not one the emulator knows ({sorted(ZONES)})"
            )
        known = {upn.lower() for upn, _ in self.users}
        for member in self.site_members:
            if self.users and member.lower() not in known:
                raise EmulatorConfigError(f"site member {member!r} is not one of the users")


def _rows(path: Path, required: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as source:
            reader = csv.DictReader(source)
            columns = set(reader.fieldnames or ())
            missing = [c for c in required if c not in columns]
            if missing:
                raise EmulatorConfigError(f"{path}:1: the header must name {', '.join(required)}")
            return [(reader.line_num, dict(row)) for row in reader]
    except (OSError, UnicodeDecodeError) as exc:
        raise EmulatorConfigError(f"{path}: cannot be read as UTF-8 CSV: {exc}") from exc


def read_users(path: Path) -> tuple[tuple[str, str], ...]:
    """Accounts from a CSV with a ``upn`` column (and optionally ``display_name``)."""
    found: dict[str, str] = {}
    for _line, row in _rows(path, ("upn",)):
        upn = (row.get("upn") or "").strip()
        if upn:
            found.setdefault(upn, (row.get("display_name") or "").strip() or upn)
    return tuple(found.items())


def read_groups(path: Path) -> tuple[tuple[str, str], ...]:
    """Group memberships from a CSV with ``group`` and ``member`` columns."""
    pairs = []
    for line, row in _rows(path, ("group", "member")):
        group, member = (row.get("group") or "").strip(), (row.get("member") or "").strip()
        if not group or not member:
            raise EmulatorConfigError(f"{path}:{line}: group and member must both be set")
        pairs.append((group, member))
    return tuple(dict.fromkeys(pairs))
