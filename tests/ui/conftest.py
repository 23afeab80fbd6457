"""A ledger filled in bulk for the Migration view: databases, documents in every state, files,
held-back reasons and load runs, at any size."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select

from notesmig.ledger import Ledger
from notesmig.ledger.models import Attachment, Database, Document, Quarantine, Run
from notesmig.reasons import READER_NO_ACCOUNT, VALUE_DOES_NOT_FIT

STATES = ("verified", "verified", "verified", "loaded", "quarantined", "transformed", "excluded")
STARTED = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def filled_ledger(path: Path, documents: int) -> Ledger:
    """Two databases; document ``i`` of each takes ``STATES[i % 7]``, wave W1 for even ``i``
    and W2 for odd; every tenth document has a file (done when the document is); each
    quarantined one a reason; one load run of 10 minutes per database."""
    ledger = Ledger(f"sqlite:///{path}")
    ledger.upgrade()
    with ledger.session() as session:
        for replica, title in (
            ("4BFEA2B6D741A32A", "火災ごみ減免申請"),
            ("B82634FA404574D2", "出張申請"),
        ):
            session.add(Database(replica_id=replica, title=title, documents=documents))
        session.flush()
        ids = dict(session.execute(select(Database.replica_id, Database.id)).all())
        for replica, database_id in ids.items():
            rows = [
                {
                    "database_id": database_id,
                    "unid": f"{replica}{i:016X}",
                    "source_sha256": "0" * 64,
                    "state": STATES[i % 7],
                    "wave": "W1" if i % 2 == 0 else "W2",
                    "list_title": "申請",
                    "web_url": f"https://contoso.sharepoint.com/sites/m/Lists/{replica}/DispForm.aspx?ID={i}"
                    if STATES[i % 7] in ("verified", "loaded")
                    else None,
                    "error": "SharePoint refused the item" if i % 70 == 5 else None,
                }
                for i in range(documents)
            ]
            session.execute(insert(Document), rows)
            doc_ids = dict(
                session.execute(
                    select(Document.unid, Document.id).where(Document.database_id == database_id)
                ).all()
            )
            session.execute(
                insert(Attachment),
                [
                    {
                        "document_id": doc_ids[f"{replica}{i:016X}"],
                        "original_name": f"f{i}.pdf",
                        "library": "Files",
                        "folder": "f",
                        "name": f"f{i}.pdf",
                        "size": 1_048_576,
                        "kind": "attachment",
                        "state": "loaded"
                        if STATES[i % 7] in ("verified", "loaded")
                        else "transformed",
                    }
                    for i in range(0, documents, 10)
                ],
            )
            session.execute(
                insert(Quarantine),
                [
                    {
                        "document_id": doc_ids[f"{replica}{i:016X}"],
                        "stage": "transform",
                        "reason": READER_NO_ACCOUNT.en if i % 14 == 4 else VALUE_DOES_NOT_FIT.en,
                    }
                    for i in range(4, documents, 7)
                ],
            )
            session.add(
                Run(
                    stage="load",
                    database_id=database_id,
                    wave="W1",
                    status="success",
                    started=STARTED,
                    finished=STARTED + timedelta(minutes=10),
                    counts={
                        "items_created": 600,
                        "items_updated": 0,
                        "bytes_uploaded": 104_857_600,
                        "resource_units": 12_000,
                    },
                )
            )
    return ledger
