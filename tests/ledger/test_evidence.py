"""What proves the migration: the exports read, each validation, where a database went, and
the reconciler's verdicts with the repairs they schedule."""

from __future__ import annotations

from sqlalchemy import select

from notesmig.ledger import Ledger, State
from notesmig.ledger.evidence import ExportFact, Repair, ValidationFact
from notesmig.ledger.models import VALIDATE_STAGE, Database, SourceExport
from notesmig.records import Difference, TargetList, TargetPlan, Verdict
from tests.ledger.helpers import REPLICA, file_row, records, unid

OTHER = "1E9675FC9921B17D"


def database_of(ledger: Ledger, count: int = 3) -> int:
    database = ledger.register_database(REPLICA, "出張申請", None)
    ledger.record_extracted(database, records(count))
    return database


def verdict(number: int, kind: str, **values: object) -> Verdict:
    return Verdict(database=REPLICA, unid=unid(number), verdict=kind, **values)  # type: ignore[arg-type]


def test_the_exports_a_database_was_last_read_from(ledger: Ledger) -> None:
    database = database_of(ledger)
    ledger.record_sources(database, [ExportFact("/drop/a.dxl", "1" * 64, 100, 2),
                                     ExportFact("/drop/b.dxl", "2" * 64, 50, 1)], merged=1)  # fmt: skip
    # Re-exported: a.dxl's facts are replaced; b.dxl is no longer read.
    ledger.record_sources(database, [ExportFact("/drop/a.dxl", "3" * 64, 120, 3)], merged=0)
    with ledger.session() as session:
        exports = session.execute(
            select(SourceExport.path, SourceExport.sha256, SourceExport.bytes,
                   SourceExport.documents)
        ).all()  # fmt: skip
        assert session.scalar(select(Database.merged)) == 0
    assert [tuple(e) for e in exports] == [("/drop/a.dxl", "3" * 64, 120, 3)]


def test_where_a_database_went(ledger: Ledger) -> None:
    database = database_of(ledger)
    ledger.register_database(OTHER, None, None)
    assert ledger.target_of(REPLICA) is None  # never loaded
    plan = TargetPlan(replica_id=REPLICA, site="contoso.sharepoint.com:/sites/m",
                      forms={"TripRequest": "出張申請"}, lists=[TargetList(title="出張申請", columns=[])],
                      libraries=["出張申請 ファイル"])  # fmt: skip
    ledger.record_target(database, plan)
    assert ledger.target_of(REPLICA) == plan
    assert ledger.replicas() == [OTHER, REPLICA]


def test_the_latest_validation_is_the_one_read(ledger: Ledger) -> None:
    database = database_of(ledger)
    assert ledger.latest_validation(REPLICA) is None
    first = ValidationFact(3, 1, 10, 1, 0.05, False, None, [{"expectation": "a", "ok": False}])
    second = ValidationFact(3, 0, 10, 0, 0.05, False, "/docs/index.html", [])
    assert ledger.record_validation(database, first) < ledger.record_validation(database, second)
    assert ledger.latest_validation(REPLICA) == second


def test_documents_the_validation_no_longer_holds_back_are_released(ledger: Ledger) -> None:
    database = database_of(ledger)
    ledger.apply_transform(database, transformed=[unid(0), unid(1), unid(2)], quarantined=[],
                           excluded=[])  # fmt: skip
    for number in range(3):
        ledger.quarantine(database, unid(number), VALIDATE_STAGE, "value too long")
    ledger.quarantine(database, unid(1), "load", "list refused")
    assert ledger.release_held(database, VALIDATE_STAGE, keep={unid(2)}) == 2
    # Held by the load too, the second stays held; the kept one is still the validation's.
    assert ledger.states(REPLICA) == {unid(0): "transformed", unid(1): "quarantined",
                                      unid(2): "quarantined"}  # fmt: skip
    assert ledger.held_at(REPLICA, VALIDATE_STAGE) == {unid(2)}
    assert ledger.release_held(database, VALIDATE_STAGE, keep={unid(2)}) == 0


def test_the_documents_and_databases_the_reconciler_compares(ledger: Ledger) -> None:
    database = database_of(ledger, 2)
    other = ledger.register_database(OTHER, None, None)
    ledger.record_extracted(other, records(1))  # unid(0) is in both
    ledger.apply_transform(database, transformed=[unid(0)], quarantined=[], excluded=[],
                           files=[file_row(unid(0), "a.pdf"), file_row(unid(0), "b.pdf", "b")])  # fmt: skip
    ledger.advance(database, unid(0), State.LOADED, item_id="5", list_id="L1",
                   expected_fields={"Title": "出張"})  # fmt: skip
    ledger.apply_transform(
        database,
        transformed=[unid(0)],
        quarantined=[],
        excluded=[],
        files=[file_row(unid(0), "a.pdf")],
    )  # b.pdf was removed from the document in Notes
    facts = {fact.unid: fact for fact in ledger.documents_of(REPLICA)}
    assert list(facts) == [unid(0), unid(1)]
    loaded = facts[unid(0)]
    assert (loaded.state, loaded.item_id, loaded.list_id, loaded.expected_fields) == (
        "loaded", "5", "L1", {"Title": "出張"})  # fmt: skip
    assert [f.name for f in loaded.files] == ["a.pdf"]  # not the removed one
    assert facts[unid(1)].files == ()
    assert ledger.databases_holding([unid(0), unid(1), "F" * 32]) == {
        unid(0): {REPLICA, OTHER}, unid(1): {REPLICA}}  # fmt: skip


def test_verdicts_verify_documents_and_schedule_repairs(ledger: Ledger) -> None:
    database = database_of(ledger)
    for number in range(3):
        ledger.advance(database, unid(number), State.LOADED, item_id=str(number + 1))
    ledger.record_verdicts(database, [verdict(0, "verified"), verdict(1, "file-rewritten"),
                                      verdict(2, "verified")], [])  # fmt: skip
    assert set(ledger.states(REPLICA).values()) == {"verified"}
    changed = verdict(
        1, "changed", differences=[Difference(field="Title", expected="a", actual="b")]
    )
    unknown = Verdict(database=REPLICA, unid="", verdict="unexpected", subject="item:L1:99")
    ledger.record_verdicts(database, [verdict(0, "verified"), changed, verdict(2, "missing"),
                                      unknown],
                           [Repair(unid(1), rewrite_item=True),
                            Repair(unid(2), rewrite_item=True, item_gone=True)])  # fmt: skip
    # Changed or missing in SharePoint: verified no longer, and written again (the source wins).
    assert ledger.states(REPLICA) == {unid(0): "verified", unid(1): "transformed",
                                      unid(2): "transformed"}  # fmt: skip
    assert ledger.load_view(REPLICA)[unid(2)][1] is None  # its item is gone: created anew
    assert ledger.load_view(REPLICA)[unid(1)][1] == "2"  # rewritten in place
    found = {v.subject: v for v in ledger.verdicts(REPLICA)}  # the latest only, replaced
    assert {s: v.verdict for s, v in found.items()} == {
        unid(0): "verified", unid(1): "changed", unid(2): "missing", "item:L1:99": "unexpected"}  # fmt: skip
    assert found[unid(1)].differences == changed.differences
    assert ledger.last_checked(REPLICA) is not None
