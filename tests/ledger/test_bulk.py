"""A whole stage of a database recorded at once: registration, extraction (new, unchanged,
changed, deleted, restored) and the transform's outcomes, files and links, idempotently."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from notesmig.ledger import DocumentRecord, Ledger, State
from notesmig.ledger.models import Attachment, Database, Document, Link, Quarantine
from notesmig.records import FileRow
from tests.ledger.helpers import REPLICA, file_row, held, left_out, link, records, unid


def test_transform_outcomes_are_idempotent(ledger_url: str) -> None:
    ledger = Ledger(ledger_url)
    ledger.upgrade()
    database = ledger.register_database(REPLICA, "出張申請", None)
    ledger.record_extracted(database, records(4))
    unids = [f"{n:032X}" for n in range(4)]
    files = [FileRow(database=REPLICA, unid=unids[0], original_name="a:b.pdf", library="L",
                     folder=unids[0], name="a_b.pdf", sha256="c" * 64, size=10, kind="file",
                     blob="cc/" + "c" * 64)]  # fmt: skip
    outcome = {
        "transformed": unids[:2],
        "quarantined": [
            held(unids[2], "restricted (Readers field)", "山田 太郎/情報政策課/Maebashi")
        ],
        "excluded": [left_out(unids[3], "form 'X' is not mapped")],
        "links": [link(unids[0], "doclink", "58D6B8A63270688E", "V", "D")],
    }
    first = ledger.apply_transform(database, files=files, **outcome)  # type: ignore[arg-type]
    again = ledger.apply_transform(database, files=files, **outcome)  # type: ignore[arg-type]
    assert first == again == {"transformed": 2, "quarantined": 1, "excluded": 1}
    with ledger.session() as session:
        assert session.scalar(select(func.count()).select_from(Quarantine)) == 1
        assert session.scalar(select(func.count()).select_from(Attachment)) == 1
    [status] = ledger.status()
    assert status.states == {"excluded": 1, "quarantined": 1, "transformed": 2}
    assert (status.quarantined, status.errors) == (1, 0)
    [entry] = ledger.quarantined(REPLICA)
    assert (entry["unid"], entry["reason"], entry["detail"]) == (unids[2], "restricted (Readers field)",
                                                              "山田 太郎/情報政策課/Maebashi")  # fmt: skip
    # The mapping is fixed and the document now transforms: its quarantine entry is resolved.
    ledger.apply_transform(database, transformed=[unids[2]], quarantined=[], excluded=[])
    [status] = ledger.status()
    assert status.quarantined == 0 and status.states["transformed"] == 3
    ledger.close()


def test_a_database_is_registered_once_and_keeps_its_exports_hash(ledger: Ledger) -> None:
    first = ledger.register_database(REPLICA, "出張申請", "a.dxl", "1" * 64)
    assert ledger.register_database(REPLICA, "出張申請 (新)", "b.dxl") == first
    with ledger.session() as session:
        row = session.scalar(select(Database))
        assert row is not None
        assert (row.title, row.source_file, row.source_sha256) == (
            "出張申請 (新)",
            "b.dxl",
            "1" * 64,
        )
    assert ledger.register_database("1E9675FC9921B17D", None, None) != first


def test_a_complete_export_without_a_document_deletes_it_and_its_return_restores_it(
    ledger: Ledger,
) -> None:
    database = ledger.register_database(REPLICA, None, None)
    ledger.record_extracted(database, records(3))
    ledger.advance(database, unid(0), State.LOADED, item_id="1", list_id="L")
    # An export read only in part says nothing of what is missing from it.
    assert ledger.record_extracted(database, records(3)[1:]) == {"unchanged": 2}
    assert ledger.record_extracted(database, records(3)[1:], complete=True) == {
        "unchanged": 2, "deleted": 1}  # fmt: skip
    assert ledger.states(REPLICA)[unid(0)] == "deleted"
    [pending] = ledger.pending_deletions(REPLICA)
    assert (pending.unid, pending.item_id, pending.list_id) == (unid(0), "1", "L")
    again = ledger.record_extracted(database, records(3)[1:], complete=True)
    assert again == Counter(unchanged=2)  # deleted once (a Counter: "deleted" is 0)
    restored = ledger.record_extracted(database, records(3, "b")[:1] + records(3)[1:],
                                       complete=True)  # fmt: skip
    assert restored == Counter(restored=1, unchanged=2)
    assert ledger.states(REPLICA)[unid(0)] == "extracted"
    assert ledger.pending_deletions(REPLICA) == []
    [status] = ledger.status()
    assert status.update_pending == 1  # its item is still in SharePoint: updated, not created
    with ledger.session() as session:
        assert session.scalar(select(Database.documents)) == 3


def test_a_document_already_loaded_is_not_transformed_again(ledger: Ledger) -> None:
    database = ledger.register_database(REPLICA, None, None)
    ledger.record_extracted(database, records(2))
    ledger.advance(database, unid(0), State.LOADED)
    outcome = ledger.apply_transform(database, transformed=[unid(0), unid(1)],
                                     quarantined=[], excluded=[left_out(unid(0), "form unmapped")])  # fmt: skip
    assert outcome == {"already past transform": 1, "transformed": 1}
    assert ledger.states(REPLICA) == {unid(0): "loaded", unid(1): "transformed"}


def test_a_file_keeps_its_row_when_renamed_and_is_removed_when_no_longer_named(
    ledger: Ledger,
) -> None:
    database = ledger.register_database(REPLICA, None, None)
    ledger.record_extracted(database, records(1))
    both = [file_row(unid(0), "a.pdf", "a", key="Body/a.pdf/0"),
            file_row(unid(0), "b.pdf", "b", key="Body/b.pdf/0")]  # fmt: skip
    ledger.apply_transform(database, transformed=[unid(0)], quarantined=[], excluded=[], files=both)
    ids = {a.name: a.id for a in ledger.attachment_view(REPLICA).values()}
    ledger.update_attachments({i: {"state": State.LOADED, "drive_item_id": f"d{i}"}
                               for i in ids.values()})  # fmt: skip
    # a.pdf is renamed (same key, same bytes), b.pdf was removed from the document in Notes.
    renamed = file_row(unid(0), "a (1).pdf", "a", key="Body/a.pdf/0")
    outcome = ledger.apply_transform(database, transformed=[unid(0)], quarantined=[],
                                     excluded=[], files=[renamed])  # fmt: skip
    assert outcome == {"transformed": 1, "files removed": 1}
    after = {a.id: (a.name, str(a.state), a.drive_item_id)
             for a in ledger.attachment_view(REPLICA).values()}  # fmt: skip
    assert after == {
        ids["a.pdf"]: ("a (1).pdf", "transformed", None),  # the same file, uploaded again
        ids["b.pdf"]: ("b.pdf", "deleted", f"d{ids['b.pdf']}"),  # its drive item awaits the load
    }


def test_a_documents_many_links_are_replaced_once_however_they_are_batched(
    ledger: Ledger,
) -> None:
    database = ledger.register_database(REPLICA, None, None)
    ledger.record_extracted(database, records(2))
    many = [link(unid(0), "doclink", "58D6B8A63270688E", None, f"{n:032X}") for n in range(700)]
    links = [*many, link(unid(1), "url", None, None, None)]
    ledger.apply_transform(database, transformed=[unid(0), unid(1)], quarantined=[],
                           excluded=[], links=links)  # fmt: skip
    ledger.apply_transform(database, transformed=[unid(0), unid(1)], quarantined=[],
                           excluded=[], links=links)  # fmt: skip
    with ledger.session() as session:
        counts = dict(
            session.execute(
                select(Document.unid, func.count(Link.id))
                .join(Link, Link.document_id == Document.id)
                .group_by(Document.unid)
            ).all()
        )
    # Before keeping a document's links in one batch, its second batch deleted the first's.
    assert counts == {unid(0): 700, unid(1): 1}


def test_changed_documents_go_back_to_extracted_as_updates(ledger: Ledger) -> None:
    database = ledger.register_database(REPLICA, None, None)
    ledger.record_extracted(database, records(1200))
    ledger.advance(database, unid(1100), State.LOADED, item_id="5")
    ledger.advance(database, unid(1101), State.TRANSFORMED)
    changed = records(1200)
    for n in (1100, 1101):
        changed[n] = DocumentRecord(unid(n), "TripRequest", unid(0), "b" * 64)
    assert ledger.record_extracted(database, changed) == {"unchanged": 1198, "changed": 2}
    [status] = ledger.status()
    # Only the loaded one is an update of an item; the other was never in SharePoint.
    assert status.states == {"extracted": 1200} and status.update_pending == 1
