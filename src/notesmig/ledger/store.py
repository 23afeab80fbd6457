"""The migration ledger: every document tracked from source to target, across runs and workers.

SQLite (a file, WAL mode) by default; PostgreSQL for several Airflow workers, where claims use
``SELECT ... FOR UPDATE SKIP LOCKED`` so no two workers ever take the same document. On SQLite
``BEGIN IMMEDIATE`` makes every claim a single writer. Transitions are idempotent: repeating
one is a no-op, and a document whose source hash changed is scheduled again as an update.

The ledger is split by job: :mod:`.base` (connection, schema, runs), :mod:`.bulk` (a stage of a
database at once), :mod:`.transitions` (one document at a time, claims), :mod:`.views`
(reading), :mod:`.evidence` (sources, validations, verdicts), :mod:`.operations` (leases,
the shared budget, runs per database), :mod:`.links` (the link map), :mod:`.deletions`
(what Notes deleted).
"""

from __future__ import annotations

from notesmig.ledger.base import DEFAULT_URL, LedgerBase
from notesmig.ledger.bulk import BulkRecording
from notesmig.ledger.deletions import DeletionRecords
from notesmig.ledger.evidence import Evidence
from notesmig.ledger.links import LinkRecords
from notesmig.ledger.operations import Operations
from notesmig.ledger.transitions import Transitions
from notesmig.ledger.values import Claimed, DatabaseStatus, DocumentRecord, worker_name
from notesmig.ledger.views import Views

__all__ = [
    "DEFAULT_URL",
    "Claimed",
    "DatabaseStatus",
    "DocumentRecord",
    "Ledger",
    "LedgerBase",
    "worker_name",
]


class Ledger(BulkRecording, Transitions, Views, Evidence, Operations, LinkRecords, DeletionRecords):
    """Access to one ledger database (any SQLAlchemy URL)."""
