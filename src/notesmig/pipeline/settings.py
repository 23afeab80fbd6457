"""Where a migration reads and writes, and where it loads to: validated when made.

The same settings drive ``notesmig migrate`` and the Airflow DAG's tasks (which build them from
configuration and connections, never from values a user types into the trigger form).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from notesmig.errors import TerminalError
from notesmig.links.urls import DEFAULT_REDIRECTOR, redirector_base
from notesmig.mapping.loader import MappingError, load_mappings
from notesmig.mapping.model import Mapping
from notesmig.sharepoint.client import GraphEndpoint
from notesmig.spfacts.costs import DEFAULT_RU_PER_MINUTE


class SettingsError(TerminalError, ValueError):
    """Settings that cannot describe a working migration."""


def mask_url(url: str) -> str:
    """A database URL with its password replaced by ``***`` (for anything shown)."""
    from sqlalchemy.engine import make_url  # noqa: PLC0415 (SQLAlchemy only when a URL is shown)

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparseable URL is shown as its scheme only
        return url.split(":", 1)[0] + ":***"


@dataclass(frozen=True)
class StageSettings:
    """What every stage needs to know."""

    work: Path
    mappings: Path
    ledger_url: str = field(repr=False)
    graph: GraphEndpoint = field(default_factory=GraphEndpoint)
    site: str | None = None
    ru_per_minute: int = DEFAULT_RU_PER_MINUTE
    #: Load tasks that may run at once (the sharepoint_graph pool's slots): each takes an
    #: equal share of the tenant's budget, so together they stay under it.
    concurrent_loads: int = 1
    wave: str | None = None
    #: Seconds in a budget window (60 against a tenant; less against a time-compressed emulator).
    window_seconds: float = 60.0
    #: Whether the validation builds its Data Docs site (the auditors' evidence).
    data_docs: bool = True
    #: Spend from the tenant's budget kept in the ledger, shared by every worker (Airflow),
    #: rather than a budget of this process's own.
    shared_budget: bool = False
    #: The Airflow run this stage belongs to (the holder of its database's lease).
    run_id: str | None = None
    #: The redirector's base URL: Notes links to documents not (yet) in SharePoint point there.
    redirector: str = DEFAULT_REDIRECTOR
    #: The day Notes is switched off (a mapping's own cutoff wins): after it, loads refuse.
    cutoff: date | None = None

    def __post_init__(self) -> None:
        # Stages hand folders to libraries (GX's stores) that refuse relative paths.
        object.__setattr__(self, "work", Path(self.work).absolute())
        object.__setattr__(self, "redirector", redirector_base(self.redirector))
        if self.ru_per_minute < 0:
            raise SettingsError("ru_per_minute must be 0 (no pacing) or more")
        if self.concurrent_loads < 1:
            raise SettingsError("concurrent_loads must be at least 1")
        if self.site is not None and ":/" not in self.site:
            raise SettingsError(f"site {self.site!r} is not host:/sites/NAME")
        if self.window_seconds <= 0:
            raise SettingsError("window_seconds must be positive")

    def __repr__(self) -> str:
        return (
            f"StageSettings(work={self.work!s}, mappings={self.mappings!s}, "
            f"ledger={mask_url(self.ledger_url)}, graph={self.graph!r}, site={self.site!r})"
        )

    @property
    def load_budget(self) -> int:
        """Resource units per minute for one load task."""
        return self.ru_per_minute // self.concurrent_loads

    def load_mappings(self) -> dict[str, Mapping]:
        mappings = load_mappings(self.mappings)
        if self.site is None:
            return mappings
        return {k: dataclasses.replace(m, site=self.site) for k, m in mappings.items()}

    def mapping_for(self, replica_id: str) -> Mapping:
        found = self.load_mappings().get(replica_id.upper())
        if found is None:
            raise MappingError(
                self.mappings,
                [(None, "database.replica_id", f"no mapping for database {replica_id}")],
            )
        return found
