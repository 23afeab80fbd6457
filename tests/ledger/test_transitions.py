"""One document at a time: forward through the states, never backwards, into quarantine once
per reason; attachments, permissions and accounts recorded as the load meets them."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from notesmig.ledger import Ledger, State
from notesmig.ledger.base import UnknownDocumentError
from notesmig.ledger.models import Document, Event, Quarantine, UnknownAccount
from notesmig.records import FileRow
from tests.ledger.helpers import REPLICA, file_row, records, unid


def database_of(ledger: Ledger, count: int) -> int:
    database = ledger.register_database(REPLICA, "出張申請", None)
    ledger.record_extracted(database, records(count))
    return database


def test_many_documents_advance_in_one_transaction_as_one_at_a_time_would(
    ledger_url: str,
) -> None:
    ledger = Ledger(ledger_url)
    ledger.upgrade()
    database = ledger.register_database(REPLICA, "出張申請", None)
    ledger.record_extracted(database, records(4))
    unids = [f"{n:032X}" for n in range(4)]
    ledger.advance(database, unids[0], State.VERIFIED)
    loaded = {u: {"item_id": str(n + 1), "web_url": f"https://x/{n + 1}"}
              for n, u in enumerate(unids)}  # fmt: skip
    assert ledger.advance_many(database, State.LOADED, loaded) == 3  # the verified one stays
    assert ledger.advance_many(database, State.LOADED, loaded) == 0  # repeating is a no-op
    assert ledger.states(REPLICA) == {unids[0]: "verified", **dict.fromkeys(unids[1:], "loaded")}
    view = ledger.load_view(REPLICA)
    assert [view[u][1] for u in unids] == [None, "2", "3", "4"]
    # A ledger error of notesmig's (terminal: no retry finds the row), still a KeyError.
    with pytest.raises(UnknownDocumentError, match=f"^document {'F' * 32} is not in the ledger$"):
        ledger.advance_many(database, State.LOADED, {"F" * 32: {}})
    with pytest.raises(KeyError):
        ledger.advance(database, "E" * 32, State.LOADED)
    with pytest.raises(ValueError, match="forward"):
        ledger.advance_many(database, State.QUARANTINED, {unids[1]: {}})
    ledger.close()


def test_many_attachments_are_updated_in_one_transaction(ledger_url: str) -> None:
    ledger = Ledger(ledger_url)
    ledger.upgrade()
    database = ledger.register_database(REPLICA, "文書ライブラリ", None)
    ledger.record_extracted(database, records(2))
    unids = [f"{n:032X}" for n in range(2)]
    files = [FileRow(database=REPLICA, unid=u, original_name=f"{n}.pdf", library="L", folder=u,
                     name=f"{n}.pdf", sha256=str(n) * 64, size=10, kind="file",
                     blob=f"{n}{n}/" + str(n) * 64) for n, u in enumerate(unids)]  # fmt: skip
    ledger.apply_transform(database, transformed=unids, quarantined=[], excluded=[], files=files)
    attachments = ledger.attachment_view(REPLICA)
    ids = {key[0]: a.id for key, a in attachments.items()}
    ledger.update_attachments({ids[unids[0]]: {"state": State.LOADED, "drive_item_id": "d0"},
                               ids[unids[1]]: {"drive_item_id": "d1"}})  # fmt: skip
    after = {
        key[0]: (str(a.state), a.drive_item_id)
        for key, a in ledger.attachment_view(REPLICA).items()
    }
    assert after == {unids[0]: ("loaded", "d0"), unids[1]: ("transformed", "d1")}
    ledger.close()


def test_a_loaded_document_is_no_longer_pending_or_claimed_and_each_move_is_an_event(
    ledger: Ledger,
) -> None:
    database = database_of(ledger, 1)
    run = ledger.begin_run("load")
    with ledger.session() as session:
        row = session.scalar(select(Document))
        assert row is not None
        row.update_pending, row.claimed_by = True, "worker-1"
    assert ledger.advance(database, unid(0), State.LOADED, run_id=run, item_id="7", list_id="L1")
    with ledger.session() as session:
        row = session.scalar(select(Document))
        assert row is not None
        assert (row.state, row.update_pending, row.claimed_by) == ("loaded", False, None)
        assert (row.item_id, row.list_id) == ("7", "L1")
        events = session.execute(select(Event.run_id, Event.stage, Event.kind)).all()
    assert [tuple(e) for e in events] == [(run, "loaded", "advance")]


def test_a_document_may_always_be_held_back_or_left_out(ledger: Ledger) -> None:
    database = database_of(ledger, 2)
    for n in range(2):
        ledger.advance(database, unid(n), State.VERIFIED)
    assert ledger.advance(database, unid(0), State.QUARANTINED)
    assert ledger.advance(database, unid(1), State.EXCLUDED)
    assert not ledger.advance(database, unid(1), State.EXCLUDED)  # already there
    assert ledger.states(REPLICA) == {unid(0): "quarantined", unid(1): "excluded"}


def test_a_document_is_quarantined_once_per_reason(ledger: Ledger) -> None:
    database = database_of(ledger, 1)
    assert ledger.quarantine(database, unid(0), "load", "unknown list", "一覧がありません")
    assert not ledger.quarantine(database, unid(0), "load", "unknown list", "again")
    assert ledger.quarantine(database, unid(0), "load", "file refused")
    with ledger.session() as session:
        reasons = session.scalars(select(Quarantine.reason).order_by(Quarantine.id)).all()
        row = session.scalar(select(Document))
        assert row is not None and (row.state, row.error) == ("quarantined", "file refused")
    assert reasons == ["unknown list", "file refused"]
    [status] = ledger.status()
    assert status.quarantined == 1 and status.reasons == {"unknown list": 1, "file refused": 1}
    with pytest.raises(UnknownDocumentError):
        ledger.quarantine(database, "F" * 32, "load", "x")


def test_unknown_accounts_of_the_latest_load_replace_the_earlier_counts(ledger: Ledger) -> None:
    database = database_of(ledger, 1)
    ledger.record_unknown_people(database, {"山田 太郎/営業部/ACME": 3, "退職者/ACME": 1})
    ledger.record_unknown_people(database, {"山田 太郎/営業部/ACME": 5})
    [status] = ledger.status()
    assert status.unknown_people == 2
    with ledger.session() as session:
        counts = dict(
            session.execute(select(UnknownAccount.name, UnknownAccount.occurrences)).all()
        )
    assert counts == {"山田 太郎/営業部/ACME": 5, "退職者/ACME": 1}


def test_a_scope_is_recorded_once_and_verified_scopes_are_the_ones_compared(
    ledger: Ledger,
) -> None:
    database = database_of(ledger, 1)
    grants = [{"kind": "user", "name": "yamada@contoso.jp", "role": "Read"}]
    ledger.record_scope(database, "list-1", "aud-1", item_id="3", grants_sha256="a" * 64,
                        grants=grants, state="applied")  # fmt: skip
    assert ledger.scope_digests(REPLICA) == {}  # applied, not yet read back
    ledger.record_scope(database, "list-1", "aud-1", item_id="3", grants_sha256="b" * 64,
                        grants=grants, state="verified")  # fmt: skip
    assert ledger.scope_digests(REPLICA) == {("list-1", "aud-1"): "b" * 64}
    [scope] = ledger.scopes_of(REPLICA)
    assert (scope.item_id, scope.grants) == ("3", (("user", "yamada@contoso.jp", "Read"),))
    [status] = ledger.status()
    assert status.unique_scopes == 1


def test_access_is_planned_once_then_follows_the_load(ledger: Ledger) -> None:
    database = database_of(ledger, 3)
    ledger.set_access(database, unid(0), audience="aud-1", state="applied")
    ledger.plan_access(database, [unid(0), unid(1), unid(1)])
    # Planned only where nothing was yet: an applied scope is not planned again.
    assert ledger.access_of(database, unid(0)) == ("aud-1", "applied")
    assert ledger.access_of(database, unid(1)) == (None, "planned")
    assert ledger.access_of(database, unid(2)) == (None, None)
    assert ledger.access_view(REPLICA) == {unid(0): ("aud-1", "applied"),
                                           unid(1): (None, "planned")}  # fmt: skip
    for call in (
        lambda: ledger.set_access(database, "F" * 32, audience=None, state=None),
        lambda: ledger.access_of(database, "F" * 32),
    ):
        with pytest.raises(UnknownDocumentError):
            call()


def test_a_removed_item_is_forgotten_and_a_single_attachment_updated(ledger: Ledger) -> None:
    database = database_of(ledger, 1)
    ledger.advance(database, unid(0), State.LOADED, item_id="9", list_id="L", web_url="https://x")
    ledger.apply_transform(database, transformed=[], quarantined=[], excluded=[],
                           files=[file_row(unid(0), "a.pdf")])  # fmt: skip
    ledger.forget_item(database, unid(0))
    assert ledger.load_view(REPLICA)[unid(0)] == ("loaded", None, "a" * 64)
    assert ledger.item_lists(REPLICA) == {}
    [attachment] = ledger.attachment_view(REPLICA).values()
    ledger.update_attachment(attachment.id, drive_item_id="d-1", quickxor="q")
    [after] = ledger.attachment_view(REPLICA).values()
    assert (after.drive_item_id, after.quickxor) == ("d-1", "q")
    with ledger.session() as session:
        assert session.scalar(select(func.count()).select_from(Event)) == 1  # the advance


def test_the_loaders_outcomes_are_recorded_as_loaded_with_where_their_items_stand(
    ledger: Ledger,
) -> None:
    from notesmig.records import LoadOutcome

    database = database_of(ledger, 3)
    outcomes = [
        LoadOutcome(database=REPLICA, unid=unid(0), action="created", list_id="L1",
                    list_title="出張申請", item_id="7", web_url="https://x/7",
                    expected_fields={"Title": "研修"}),
        LoadOutcome(database=REPLICA, unid=unid(1), action="unchanged", list_id="L1",
                    list_title="出張申請", item_id="8", web_url="https://x/8"),
        LoadOutcome(database=REPLICA, unid=unid(2), action="held", reason="refused"),
    ]  # fmt: skip
    assert ledger.record_loaded(database, outcomes) == 2  # a held one is no load
    assert ledger.states(REPLICA) == {unid(0): "loaded", unid(1): "loaded", unid(2): "extracted"}
    with ledger.session() as session:
        row = session.scalars(select(Document).where(Document.unid == unid(0))).one()
        assert (row.list_id, row.list_title, row.item_id, row.web_url, row.expected_fields) == (
            "L1", "出張申請", "7", "https://x/7", {"Title": "研修"})  # fmt: skip
    assert ledger.record_loaded(database, outcomes[2:]) == 0
