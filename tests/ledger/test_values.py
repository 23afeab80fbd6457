"""What the ledger hands out and takes in: immutable records, and a database's status."""

from __future__ import annotations

import dataclasses

import pytest

from notesmig.ledger import DatabaseStatus, DocumentRecord
from tests.ledger.helpers import REPLICA


def test_a_status_totals_its_states_and_starts_with_nothing_else() -> None:
    status = DatabaseStatus(REPLICA, "出張申請", {"loaded": 5, "quarantined": 2, "excluded": 1},
                            quarantined=2, errors=0, update_pending=1)  # fmt: skip
    assert status.total == 8
    assert (status.reasons, status.unknown_people, status.restricted_loaded,
            status.unique_scopes) == ({}, 0, 0, 0)  # fmt: skip
    assert DatabaseStatus(REPLICA, None, {}, 0, 0, 0).total == 0
    # Every status has its own reasons, not one shared dictionary.
    other = DatabaseStatus(REPLICA, None, {}, 0, 0, 0)
    assert other.reasons is not status.reasons


def test_records_are_immutable_values() -> None:
    record = DocumentRecord("A" * 32, "TripRequest", None, "a" * 64)
    assert record == DocumentRecord("A" * 32, "TripRequest", None, "a" * 64)
    assert len({record, DocumentRecord("A" * 32, "TripRequest", None, "a" * 64)}) == 1
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.source_sha256 = "b" * 64  # type: ignore[misc]
    status = DatabaseStatus(REPLICA, None, {}, 0, 0, 0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        status.errors = 1  # type: ignore[misc]
