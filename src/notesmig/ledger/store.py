"""The migration ledger: every document tracked from source to target, across runs and workers.

SQLite (a file, WAL mode) by default; PostgreSQL for several Airflow workers. Workers never
share a database's documents: a load (or reconciliation) holds the database's lease
(:mod:`.operations`, rows locked ``FOR UPDATE`` on PostgreSQL), and on SQLite every transaction
is ``BEGIN IMMEDIATE``, one writer at a time. Transitions are idempotent: repeating one is a
no-op, and a document whose source hash changed is scheduled again as an update.

The ledger is split by job: :mod:`.base` (connection, schema, runs), :mod:`.bulk` (a stage of a
database at once), :mod:`.transitions` (one document at a time), :mod:`.views`
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
from notesmig.ledger.values import DatabaseStatus, DocumentRecord
from notesmig.ledger.views import Views

__all__ = [
    "DEFAULT_URL",
    "DatabaseStatus",
    "DocumentRecord",
    "Ledger",
    "LedgerBase",
]


class Ledger(BulkRecording, Transitions, Views, Evidence, Operations, LinkRecords, DeletionRecords):
    """Access to one ledger database (any SQLAlchemy URL)."""
