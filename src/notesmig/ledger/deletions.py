"""The ledger's side of syncing until the cutoff: documents deleted and attachments removed in
Notes since their load, waiting for the load to recycle, mark or report them, and what it did;
when a database was last reconciled (the final reconcile after its freeze)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select, update

from notesmig.ledger.base import LedgerBase
from notesmig.ledger.models import Attachment, Database, Document, Event, State, VerdictRow


@dataclass(frozen=True)
class DeletedDocument:
    """A document deleted in Notes whose item's fate is pending."""

    document_id: int
    unid: str
    list_id: str | None
    item_id: str | None


@dataclass(frozen=True)
class RemovedFile:
    """An attachment removed in Notes (or of a deleted document) still in a library."""

    attachment_id: int
    unid: str
    library: str
    drive_item_id: str


class DeletionRecords(LedgerBase):
    def pending_deletions(self, replica_id: str) -> list[DeletedDocument]:
        with self.session() as session:
            rows = session.execute(
                select(Document.id, Document.unid, Document.list_id, Document.item_id)
                .join(Database, Database.id == Document.database_id)
                .where(Database.replica_id == replica_id)
                .where(Document.state == str(State.DELETED))
                .where(Document.deletion.in_(("pending", "held")))
                .order_by(Document.id)
            ).all()
            return [DeletedDocument(*row) for row in rows]

    def document_count(self, replica_id: str) -> int:
        """The database's documents that Notes held until now: those deleted before (their
        deletion done) are not counted, so earlier deletions never widen the share allowed."""
        with self.session() as session:
            return int(
                session.execute(
                    select(func.count())
                    .select_from(Document)
                    .join(Database, Database.id == Document.database_id)
                    .where(Database.replica_id == replica_id)
                    .where(
                        (Document.state != str(State.DELETED))
                        | Document.deletion.in_(("pending", "held"))
                    )
                ).scalar_one()
            )

    def file_count(self, replica_id: str) -> int:
        """The database's files in SharePoint (removed ones included until they are gone)."""
        with self.session() as session:
            return int(
                session.execute(
                    select(func.count())
                    .select_from(Attachment)
                    .join(Document, Document.id == Attachment.document_id)
                    .join(Database, Database.id == Document.database_id)
                    .where(Database.replica_id == replica_id)
                    .where(Attachment.drive_item_id.is_not(None))
                ).scalar_one()
            )

    def removed_files(self, replica_id: str) -> list[RemovedFile]:
        """Files in SharePoint whose attachment was removed in Notes, or whose document was
        deleted there."""
        with self.session() as session:
            rows = session.execute(
                select(
                    Attachment.id,
                    Document.unid,
                    Attachment.library,
                    Attachment.drive_item_id,
                    Attachment.state,
                    Document.state,
                )
                .join(Document, Document.id == Attachment.document_id)
                .join(Database, Database.id == Document.database_id)
                .where(Database.replica_id == replica_id)
                .where(Attachment.drive_item_id.is_not(None))
                .where(
                    (Attachment.state == str(State.DELETED))
                    | (Document.state == str(State.DELETED))
                )
                .order_by(Attachment.id)
            ).all()
            return [RemovedFile(a, u, lib, str(drive)) for a, u, lib, drive, _s, _d in rows]

    def record_deletion(self, document_id: int, deletion: str, *, item_gone: bool) -> None:
        """What the load did with a deleted document's item (recycled, kept, reported, held)."""
        with self.session() as session:
            document = session.get(Document, document_id)
            if document is None:
                return
            if document.deletion != deletion:
                session.add(Event(document_id=document_id, stage="load", kind="deletion",
                                  message=deletion))  # fmt: skip
            document.deletion = deletion
            if item_gone:
                document.item_id, document.list_id, document.web_url = None, None, None

    def record_file_removed(self, attachment_id: int) -> None:
        with self.session() as session:
            session.execute(
                update(Attachment)
                .where(Attachment.id == attachment_id)
                .values(state=State.DELETED, drive_item_id=None, upload_url=None)
            )

    def last_checked(self, replica_id: str) -> datetime | None:
        """When the database was last reconciled (None: never)."""
        with self.session() as session:
            found = session.scalar(
                select(func.max(VerdictRow.checked_at))
                .join(Database, Database.id == VerdictRow.database_id)
                .where(Database.replica_id == replica_id)
            )
        if found is not None and found.tzinfo is None:
            found = found.replace(tzinfo=UTC)  # SQLite keeps no zone: stored as UTC
        return found

    def mark_frozen(self, replica_id: str) -> None:
        """The database is frozen from now on (its last changes synced and reconciled)."""
        with self.session() as session:
            database = session.scalar(select(Database).where(Database.replica_id == replica_id))
            if database is not None and database.frozen_at is None:
                database.frozen_at = datetime.now(UTC)
                session.add(Event(stage="sync", kind="frozen", message=replica_id))

    def frozen_at(self, replica_id: str) -> datetime | None:
        with self.session() as session:
            found = session.scalar(
                select(Database.frozen_at).where(Database.replica_id == replica_id)
            )
        if found is not None and found.tzinfo is None:
            found = found.replace(tzinfo=UTC)
        return found
