"""Syncing until the cutoff: which migrated databases a scheduled sync takes, and how. Before a
database's cutoff (its mapping's, else the deployment's) its re-export is synced (new, changed
and deleted documents). The first sync after the cutoff is its last: it loads what changed up
to the switch-off, reconciles, and (reconciled without a difference) freezes the database in
the ledger; from then on its loads refuse and the sync leaves it alone. Databases never
migrated are left to ``notes_migration``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from notesmig.ledger import Ledger
from notesmig.pipeline.settings import StageSettings
from notesmig.pipeline.stages import cutoff_of, frozen_since
from notesmig.records import SourceDatabase


class SyncMode(StrEnum):
    SYNC = "sync"
    #: Past the cutoff: a last sync, then the final reconcile freezes it.
    FINAL = "final"
    FROZEN = "frozen"


@dataclass(frozen=True)
class SyncDecision:
    source: SourceDatabase
    mode: SyncMode
    cutoff: date | None


def plan_sync(
    sources: list[SourceDatabase],
    settings: StageSettings,
    ledger: Ledger,
    today: date | None = None,
) -> list[SyncDecision]:
    """What the sync does with each database found in the drop folder that was migrated."""
    mappings = settings.load_mappings()
    decisions = []
    for source in sources:
        mapping = mappings.get((source.replica_id or "").upper())
        if mapping is None or ledger.target_of(mapping.replica_id) is None:
            continue  # not migrated yet: notes_migration's to do, not a sync's
        cutoff = cutoff_of(mapping, settings)
        if ledger.frozen_at(mapping.replica_id) is not None:
            mode = SyncMode.FROZEN
        elif frozen_since(mapping, settings, today) is None:
            mode = SyncMode.SYNC
        else:
            mode = SyncMode.FINAL
        decisions.append(SyncDecision(source, mode, cutoff))
    return decisions
