"""What Notes deleted since the load, as the ledger keeps it for the next sync: documents and
files pending, what the load did with them, and the freeze at the cutoff."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from notesmig.ledger import Ledger, State
from notesmig.ledger.models import Event
from notesmig.records import Verdict
from tests.ledger.helpers import REPLICA, file_row, records, unid


def synced(ledger: Ledger) -> int:
    """Four loaded documents, each with a file in SharePoint; then Notes deletes the first and
    removes the second's file."""
    database = ledger.register_database(REPLICA, None, None)
    ledger.record_extracted(database, records(4))
    files = [file_row(unid(n), f"{n}.pdf", str(n), key=f"Body/{n}.pdf") for n in range(4)]
    ledger.apply_transform(database, transformed=[unid(n) for n in range(4)], quarantined=[],
                           excluded=[], files=files)  # fmt: skip
    for n in range(4):
        ledger.advance(database, unid(n), State.LOADED, item_id=str(n + 1), list_id="L1")
    ledger.update_attachments({a.id: {"drive_item_id": f"drive-{key[0][-1]}"}
                               for key, a in ledger.attachment_view(REPLICA).items()})  # fmt: skip
    changed = records(4, "b")[1:2] + records(4)[2:]  # the second changed: its file removed
    ledger.record_extracted(database, changed, complete=True)
    ledger.apply_transform(database, transformed=[unid(1)], quarantined=[], excluded=[], files=[])
    return database


def test_deleted_documents_and_removed_files_wait_for_the_load(ledger: Ledger) -> None:
    synced(ledger)
    [pending] = ledger.pending_deletions(REPLICA)
    assert (pending.unid, pending.list_id, pending.item_id) == (unid(0), "L1", "1")
    # The deleted document's file and the removed attachment, both still in the library.
    assert [(f.unid, f.library, f.drive_item_id) for f in ledger.removed_files(REPLICA)] == [
        (unid(0), "L", "drive-0"), (unid(1), "L", "drive-1")]  # fmt: skip
    assert (ledger.document_count(REPLICA), ledger.file_count(REPLICA)) == (4, 4)


def test_what_the_load_did_is_recorded_once_and_done_deletions_count_no_more(
    ledger: Ledger,
) -> None:
    synced(ledger)
    [pending] = ledger.pending_deletions(REPLICA)
    ledger.record_deletion(pending.document_id, "held", item_gone=False)
    assert ledger.pending_deletions(REPLICA) == [pending]  # held: tried again next sync
    assert ledger.document_count(REPLICA) == 4
    ledger.record_deletion(pending.document_id, "recycled", item_gone=True)
    ledger.record_deletion(pending.document_id, "recycled", item_gone=True)
    assert ledger.pending_deletions(REPLICA) == []
    assert ledger.load_view(REPLICA)[unid(0)] == ("deleted", None, "a" * 64)
    # An earlier deletion, done, never widens the share of deletions allowed later.
    assert ledger.document_count(REPLICA) == 3
    with ledger.session() as session:
        events = session.scalars(select(Event.message).where(Event.kind == "deletion")).all()
    assert events == ["held", "recycled"]
    ledger.record_deletion(999_999, "recycled", item_gone=True)  # gone from the ledger: nothing


def test_a_removed_file_leaves_the_library_count(ledger: Ledger) -> None:
    synced(ledger)
    first, second = ledger.removed_files(REPLICA)
    ledger.record_file_removed(second.attachment_id)
    assert ledger.removed_files(REPLICA) == [first]
    assert ledger.file_count(REPLICA) == 3


def test_a_database_is_frozen_once_and_its_last_reconcile_known(ledger: Ledger) -> None:
    database = ledger.register_database(REPLICA, None, None)
    assert ledger.frozen_at(REPLICA) is None and ledger.last_checked(REPLICA) is None
    before = datetime.now(UTC)
    ledger.mark_frozen(REPLICA)
    frozen = ledger.frozen_at(REPLICA)
    assert frozen is not None and frozen.tzinfo is not None and frozen >= before
    ledger.mark_frozen(REPLICA)
    assert ledger.frozen_at(REPLICA) == frozen  # the first freeze stands
    ledger.mark_frozen("FFFFFFFFFFFFFFFF")  # a database the ledger does not know: nothing
    assert ledger.frozen_at("FFFFFFFFFFFFFFFF") is None
    ledger.record_verdicts(database, [], [])
    assert ledger.last_checked(REPLICA) is None  # nothing was checked
    ledger.record_extracted(database, records(1))
    ledger.record_verdicts(database, [Verdict(database=REPLICA, unid=unid(0),
                                              verdict="missing")], [])  # fmt: skip
    checked = ledger.last_checked(REPLICA)
    assert checked is not None and checked.tzinfo is not None and checked >= before
