"""The migration ledger: what happened to every Notes document, stage by stage."""

from notesmig.ledger.models import State
from notesmig.ledger.store import DEFAULT_URL, DatabaseStatus, DocumentRecord, Ledger

__all__ = ["DEFAULT_URL", "DatabaseStatus", "DocumentRecord", "Ledger", "State"]
