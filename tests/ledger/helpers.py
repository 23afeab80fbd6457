"""Documents and files to record in a test ledger."""

from __future__ import annotations

from notesmig.ledger import DocumentRecord
from notesmig.records import FileRow, LinkRow, Outcome

REPLICA = "B82634FA404574D2"


def unid(number: int) -> str:
    return f"{number:032X}"


def records(count: int, version: str = "a") -> list[DocumentRecord]:
    return [DocumentRecord(unid(n), "TripRequest", None, version * 64) for n in range(count)]


def file_row(
    document: str, name: str, sha: str = "c", *, key: str = "", library: str = "L"
) -> FileRow:
    return FileRow(database=REPLICA, unid=document, original_name=name, library=library,
                   folder=document, name=name, sha256=sha * 64, size=10, kind="attachment",
                   blob=f"{sha}{sha}/{sha * 64}", key=key)  # fmt: skip


def held(document: str, reason: str, detail: str = "") -> Outcome:
    """A document the transform held back (a quarantine.jsonl record)."""
    return Outcome(database=REPLICA, unid=document, form=None, reason=reason, detail=detail)


def left_out(document: str, reason: str) -> Outcome:
    """A document the transform left out (an excluded.jsonl record)."""
    return Outcome(database=REPLICA, unid=document, form=None, reason=reason)


def link(
    document: str, kind: str, database: str | None, view: str | None, target: str | None
) -> LinkRow:
    return LinkRow(database=REPLICA, unid=document, kind=kind, target_database=database,
                   target_view=view, target_document=target)  # fmt: skip
