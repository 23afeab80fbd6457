"""What the report says of each database, gathered from a real SQLite ledger: every document in
one outcome by the evidence of its state, the balance against the exports, and why each
document that is not verified is not."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import delete, select

from notesmig.ledger import State
from notesmig.ledger.models import Database, Document, Quarantine, VerdictRow
from notesmig.report.data import OUTCOMES, SOURCE_OUTCOMES, UNACCOUNTED, DatabaseReport, gather
from tests.report.ledgers import (
    BOARD,
    DELETED,
    EMPTY,
    EXPORT,
    HELD,
    LEFT_OUT,
    LOADED,
    MISMATCHED,
    REWRITTEN,
    SITE,
    VERIFIED,
    WAITING,
    YAMADA,
    ledger_of,
)


def board(tmp_path: Path) -> DatabaseReport:
    ledger = ledger_of(tmp_path)
    [found] = gather(ledger, [BOARD])
    ledger.close()
    return found


def test_every_document_has_one_outcome_and_the_sources_balance(tmp_path: Path) -> None:
    report = board(tmp_path)
    assert (report.replica_id, report.title, report.documents) == (BOARD, "掲示板", 8)
    assert report.outcomes == {"verified": 2, "loaded": 1, "not-loaded": 1, "mismatched": 1,
                               "quarantined": 1, "excluded": 1, "deleted": 1}  # fmt: skip
    assert list(report.outcomes) == list(OUTCOMES)
    # 8 exported, 1 a merged copy: 7 source documents; the deleted one is in no export.
    assert (report.exported, report.merged, report.source_documents) == (8, 1, 7)
    assert report.accounted == sum(report.outcomes[o] for o in SOURCE_OUTCOMES) == 7
    assert report.balanced and report.unaccounted == []
    assert report.exports == [EXPORT]
    assert report.by_form["Topic"]["verified"] == 2 and report.by_form["Reply"]["not-loaded"] == 1
    assert report.by_form["Draft"] == {**dict.fromkeys(OUTCOMES, 0), "excluded": 1}


def test_why_each_document_is_not_verified(tmp_path: Path) -> None:
    report = board(tmp_path)
    rows = {r.unid: r for r in report.exceptions}
    assert VERIFIED not in rows and set(rows) == {
        REWRITTEN, LOADED, MISMATCHED, WAITING, HELD, LEFT_OUT, DELETED
    }  # fmt: skip
    shown = {u: (r.verdict, r.reason, r.detail) for u, r in rows.items()}
    assert shown[MISMATCHED] == ("changed", "値が変更されている / changed",
                                 "Title: '議題' → '議題!'")  # fmt: skip
    assert shown[REWRITTEN][:2] == (
        "file-rewritten", "SharePoint がファイルを書き換え（プロパティ昇格） / file rewritten by SharePoint"
    )  # fmt: skip
    assert shown[LOADED][:2] == ("loaded", "移行済み・未照合 / loaded, not yet reconciled")
    assert shown[WAITING][:2] == ("not-loaded", "未移行 / not loaded")
    assert shown[HELD] == (
        "quarantined",
        "閲覧制限あり（読者フィールド）：権限を適用できるまで保留 / restricted (Readers field): "
        "held back until permissions can be applied",
        "山田 太郎/情報政策課",
    )
    assert shown[LEFT_OUT][:2] == (
        "excluded", "マッピングで対象外とされたフォーム / form excluded by the mapping"
    )  # fmt: skip
    # Before: "deleted / deleted", the only reason without its Japanese.
    assert shown[DELETED][:2] == ("deleted", "Notes で削除 / deleted in Notes")
    assert rows[MISMATCHED].web_url == f"{SITE}4" and rows[HELD].web_url == ""
    [unknown] = report.unexpected  # in SharePoint, not in the ledger
    assert (unknown.verdict, unknown.reason, unknown.web_url) == (
        "unexpected", "台帳にないアイテム・ファイル / unexpected", f"{SITE}99"
    )  # fmt: skip
    assert report.held == [(shown[HELD][1], 1)] and report.left_out == [(shown[LEFT_OUT][1], 1)]
    assert report.verdicts == {"changed": 1, "file-rewritten": 1, "unexpected": 1, "verified": 1}


def test_files_restricted_documents_threads_links_and_validation(tmp_path: Path) -> None:
    report = board(tmp_path)
    files = report.files
    assert (files.files, files.bytes, files.hash_matches, files.not_uploaded) == (3, 300, 1, 1)
    assert files.rewritten == ((f"{REWRITTEN}/報告.docx", "SOURCE", "REWRITTEN"),)
    [restricted] = report.restricted
    assert (restricted.unid, restricted.audience, restricted.access_state, restricted.verdict) == (
        VERIFIED, "aud-1", "verified", "verified"
    )  # fmt: skip
    assert restricted.readers == (("user", YAMADA, "Read"),)
    # Two responses; one loaded with its parent, one waiting for its held-back parent.
    assert (report.responses, report.threads_kept) == (2, 1)
    assert (report.links, report.links_direct, report.links_pending, report.links_broken) == (
        3, 1, 1, 1
    )  # fmt: skip
    assert report.links_waiting == [(REWRITTEN, "broken", BOARD, "9" * 32),
                                    (LOADED, "pending", BOARD, WAITING)]  # fmt: skip
    assert report.validation is not None
    assert (report.validation.rows, report.validation.expectations) == (4, 12)


def test_a_state_without_its_evidence_is_counted_in_no_outcome(tmp_path: Path) -> None:
    ledger = ledger_of(tmp_path)
    with ledger.session() as session:
        held = session.scalars(select(Document).where(Document.unid == HELD)).one()
        session.execute(delete(Quarantine).where(Quarantine.document_id == held.id))
        session.execute(delete(VerdictRow).where(VerdictRow.unid == VERIFIED))
    [report] = gather(ledger, [BOARD])
    ledger.close()
    assert sorted(report.unaccounted) == sorted([(HELD, State.QUARANTINED),
                                                 (VERIFIED, State.VERIFIED)])  # fmt: skip
    assert (report.outcomes["quarantined"], report.outcomes["verified"]) == (0, 1)
    assert report.accounted == 5 and not report.balanced
    unaccounted = [r for r in report.exceptions if r.verdict == UNACCOUNTED]
    assert {(r.unid, r.detail) for r in unaccounted} == {
        (HELD, "state: quarantined"), (VERIFIED, "state: verified")
    }  # fmt: skip
    assert unaccounted[0].reason.startswith("台帳に状態の根拠がありません")
    # Without its verdict the restricted document no longer shows one.
    assert [r.verdict for r in report.restricted] == [""]


def test_every_database_or_those_named_and_a_ledger_without_exports(tmp_path: Path) -> None:
    ledger = ledger_of(tmp_path)
    assert [r.replica_id for r in gather(ledger)] == [BOARD, EMPTY]
    assert gather(ledger, ["0000000000000000"]) == []
    [empty] = gather(ledger, [EMPTY])
    assert empty.title == EMPTY and empty.balanced and empty.validation is None
    # Documents whose exports the ledger lost: the balance cannot hold.
    with ledger.session() as session:
        database = session.scalars(select(Database).where(Database.replica_id == EMPTY)).one()
        session.add(Document(database_id=database.id, unid="A" * 32, source_sha256="0" * 64,
                             state=State.TRANSFORMED))  # fmt: skip
    [lost] = gather(ledger, [EMPTY])
    ledger.close()
    assert (lost.source_documents, lost.accounted, lost.balanced) == (0, 1, False)
