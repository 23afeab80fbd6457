"""What the ledger hands out and takes in, besides its tables."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class DocumentRecord:
    """What the ledger needs to know about one document as it is seen."""

    unid: str
    form: str | None
    parent_unid: str | None
    source_sha256: str


@dataclass(frozen=True)
class DatabaseStatus:
    replica_id: str
    title: str | None
    states: dict[str, int]
    quarantined: int
    errors: int
    update_pending: int
    #: Open quarantine reasons and how many documents each holds back.
    reasons: dict[str, int] = field(default_factory=dict)
    #: Notes names SharePoint knew no account for in the latest load.
    unknown_people: int = 0
    #: Restricted documents loaded with their unique permissions.
    restricted_loaded: int = 0
    #: Unique permission scopes notesmig made (list ACLs, audience folders).
    unique_scopes: int = 0

    @property
    def total(self) -> int:
        return sum(self.states.values())
