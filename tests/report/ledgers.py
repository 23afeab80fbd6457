"""A SQLite ledger holding one database in every outcome, written row by row as the stages
write them, for the tests of what the report says."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from notesmig.ledger import Ledger, State
from notesmig.ledger.evidence import ValidationFact
from notesmig.ledger.models import (
    AccessScope,
    Attachment,
    Database,
    Document,
    Link,
    Quarantine,
    SourceExport,
    VerdictRow,
)
from notesmig.reasons import FORM_EXCLUDED, READERS_HELD

BOARD = "0123456789ABCDEF"
EMPTY = "FEDCBA9876543210"
#: One document per outcome (and a verified one whose file SharePoint rewrote).
VERIFIED, REWRITTEN, LOADED, MISMATCHED, WAITING, HELD, LEFT_OUT, DELETED = (
    f"{n:X}" * 32 for n in range(1, 9)
)
SITE = "https://contoso.sharepoint.com/sites/notes-migration/Lists/board/DispForm.aspx?ID="
YAMADA = "yamada@contoso.onmicrosoft.com"
#: The export held eight documents, one a copy merged into another: seven source documents.
EXPORT = ("drop/board.dxl", "ab" * 32, 4096, 8)
MERGED = 1


def ledger_of(tmp_path: Path, data_docs: str | None = None) -> Ledger:
    """A ledger of the board (every outcome) and of a database not exported yet."""
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    ledger.upgrade()
    with ledger.session() as session:
        board = Database(replica_id=BOARD, title="掲示板", merged=MERGED)
        session.add_all([board, Database(replica_id=EMPTY, title=None)])
        session.flush()
        path, sha, size, count = EXPORT
        session.add(SourceExport(database_id=board.id, path=path, sha256=sha, bytes=size,
                                 documents=count))  # fmt: skip
        states = {
            VERIFIED: (State.VERIFIED, "Topic", None),
            REWRITTEN: (State.VERIFIED, "Topic", None),
            LOADED: (State.LOADED, "Reply", VERIFIED),  # a response loaded with its parent
            MISMATCHED: (State.LOADED, "Topic", None),
            WAITING: (State.TRANSFORMED, "Reply", HELD),  # its parent is held back
            HELD: (State.QUARANTINED, "Topic", None),
            LEFT_OUT: (State.EXCLUDED, "Draft", None),
            DELETED: (State.DELETED, "Topic", None),
        }
        documents = {}
        for number, (unid, (state, form, parent)) in enumerate(states.items(), start=1):
            documents[unid] = Document(
                database_id=board.id, unid=unid, form=form, parent_unid=parent,
                source_sha256="0" * 64, state=state, list_id="L1",
                web_url=f"{SITE}{number}" if state in (State.LOADED, State.VERIFIED) else None,
                error=str(FORM_EXCLUDED) if state == State.EXCLUDED else None,
            )  # fmt: skip
        restricted = documents[VERIFIED]
        restricted.audience, restricted.access_state = "aud-1", "verified"
        session.add_all(documents.values())
        session.flush()
        session.add(Quarantine(document_id=documents[HELD].id, stage="transform",
                               reason=str(READERS_HELD), detail="山田 太郎/情報政策課"))  # fmt: skip
        for unid, verdict, differences in (
            (VERIFIED, "verified", None),
            (REWRITTEN, "file-rewritten", None),
            (MISMATCHED, "changed", [{"field": "Title", "expected": "議題", "actual": "議題!"}]),
        ):
            session.add(VerdictRow(database_id=board.id, document_id=documents[unid].id,
                                   subject=unid, unid=unid, verdict=verdict,
                                   differences=differences))  # fmt: skip
        session.add(VerdictRow(database_id=board.id, subject="item:L1:99", unid="",
                               verdict="unexpected", web_url=f"{SITE}99"))  # fmt: skip
        session.add(AccessScope(database_id=board.id, target="L1", key="aud-1",
                                grants_sha256="0" * 64, state="verified",
                                grants=[{"kind": "user", "name": YAMADA, "role": "Read"}]))  # fmt: skip
        for unid, name, state, source, remote in (
            (REWRITTEN, "報告.docx", State.LOADED, "SOURCE", "REWRITTEN"),
            (VERIFIED, "a.txt", State.LOADED, "SAME", "SAME"),
            (WAITING, "b.txt", State.TRANSFORMED, "B", None),
        ):
            session.add(Attachment(document_id=documents[unid].id, original_name=name,
                                   library="掲示板 ファイル", folder=unid, name=name, size=100,
                                   kind="file", state=state, source_quickxor=source,
                                   quickxor=remote))  # fmt: skip
        for unid, status, target in ((VERIFIED, "direct", LOADED), (LOADED, None, WAITING),
                                     (REWRITTEN, "broken", "9" * 32)):  # fmt: skip
            session.add(Link(document_id=documents[unid].id, kind="doclink",
                             target_database=BOARD, target_document=target, status=status))  # fmt: skip
        board_id = board.id
    # As the validation stage records a check's result (CheckResult.as_json).
    balance: dict[str, Any] = {"key": "balance", "table": "totals", "column": None,
               "ja": "抽出数 = 変換 + 保留 + 対象外 + 統合", "en": "Extracted = transformed + ...",
               "success": True, "evaluated": 1, "unexpected": 0, "examples": [], "error": None}  # fmt: skip
    ledger.record_validation(
        board_id, ValidationFact(4, 0, 12, 0, 0.05, False, data_docs, [balance])
    )
    return ledger
