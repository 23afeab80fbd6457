"""Syncing until the cutoff: which migrated databases a scheduled sync takes, and how. Before a
database's cutoff (its mapping's, else the deployment's) its re-export is synced (new, changed
and deleted documents); after it the database is frozen (the ledger records when a sync first
found it so), and the next reconcile after that is its final one. Databases never migrated
are left to ``notes_migration``."""

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
    FINAL_RECONCILE = "final-reconcile"
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
        if frozen_since(mapping, settings, today) is None:
            mode = SyncMode.SYNC
        else:
            frozen = ledger.mark_frozen(mapping.replica_id)
            checked = ledger.last_checked(mapping.replica_id)
            done = checked is not None and checked >= frozen
            mode = SyncMode.FROZEN if done else SyncMode.FINAL_RECONCILE
        decisions.append(SyncDecision(source, mode, cutoff))
    return decisions
