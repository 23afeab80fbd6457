"""The ledger as one object: every part of it on one database, shared by every worker that
opens it, at its default place when none is given."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

import notesmig.ledger
from notesmig.ledger import DEFAULT_URL, Ledger, State
from notesmig.ledger.evidence import ExportFact
from notesmig.ledger.links import LinkResult
from notesmig.ledger.models import Document
from notesmig.ledger.operations import BudgetRule
from notesmig.ledger.store import Ledger as StoreLedger
from notesmig.records import Verdict
from tests.ledger.helpers import REPLICA, link, records, unid


def test_a_document_through_every_part_of_one_ledger(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    ledger = Ledger(url)
    ledger.upgrade()
    database = ledger.register_database(REPLICA, "出張申請", "a.dxl")  # bulk
    ledger.record_extracted(database, records(2))
    ledger.record_sources(database, [ExportFact("a.dxl", None, 10, 2)], merged=0)  # evidence
    ledger.apply_transform(database, transformed=[unid(0), unid(1)], quarantined=[],
                           excluded=[], links=[link(unid(0), "doclink", REPLICA, None, unid(1))])  # fmt: skip
    assert ledger.acquire_lease(REPLICA, "run-1", 600) is None  # operations
    assert ledger.spend("contoso.sharepoint.com", 1, BudgetRule(10, 1), now=100.0) > 0
    ledger.advance(database, unid(0), State.LOADED, item_id="1")  # transitions
    ledger.advance(database, unid(1), State.LOADED, item_id="2")
    with ledger.session() as session:
        first = session.scalar(select(Document.id).where(Document.unid == unid(0)))
    assert first is not None
    ledger.record_links(first, None, [LinkResult("doclink", REPLICA, None, unid(1),  # links
                                                 "https://x/2", "direct")])  # fmt: skip
    ledger.record_verdicts(database, [Verdict(database=REPLICA, unid=unid(0), verdict="verified")],
                           [])  # fmt: skip
    ledger.record_extracted(database, records(2)[:1], complete=True)  # deletions
    ledger.close()
    # Another worker opening the same ledger sees all of it.
    other = Ledger(url)
    [status] = other.status()  # views
    assert status.states == {"verified": 1, "deleted": 1}
    assert [d.unid for d in other.pending_deletions(REPLICA)] == [unid(1)]
    assert other.acquire_lease(REPLICA, "run-2", 600) == "run-1"
    other.close()


def test_the_ledger_is_one_class_and_has_a_default_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert notesmig.ledger.Ledger is StoreLedger
    monkeypatch.chdir(tmp_path)
    ledger = Ledger()
    ledger.upgrade()
    ledger.register_database(REPLICA, None, None)
    ledger.close()
    assert DEFAULT_URL == "sqlite:///notesmig-ledger.sqlite3"
    assert (tmp_path / "notesmig-ledger.sqlite3").is_file()  # in the folder it is run from
