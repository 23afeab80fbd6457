"""Recording a whole stage of a database at once: registration, extraction and the transform's
outcomes, each in one transaction, idempotently, read and written in batches so that a
database of any size is recorded in the same memory."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import TypeVar

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from notesmig.ledger.base import LedgerBase, UnknownDocumentError
from notesmig.ledger.models import (
    Attachment,
    Database,
    Document,
    Event,
    Link,
    Quarantine,
    State,
    utcnow,
)
from notesmig.ledger.values import DocumentRecord
from notesmig.records import FileRow, LinkRow, Outcome


class BulkRecording(LedgerBase):
    # -- extraction -----------------------------------------------------------------------

    def register_database(
        self,
        replica_id: str,
        title: str | None,
        source_file: str | None,
        source_sha256: str | None = None,
    ) -> int:
        with self.session() as session:
            found = session.scalar(select(Database).where(Database.replica_id == replica_id))
            if found is None:
                found = Database(
                    replica_id=replica_id,
                    title=title,
                    source_file=source_file,
                    source_sha256=source_sha256,
                )
                session.add(found)
            else:
                found.title, found.source_file, found.last_seen = title, source_file, utcnow()
                if source_sha256:
                    found.source_sha256 = source_sha256
            session.flush()
            return found.id

    def record_extracted(
        self, database_id: int, documents: Iterable[DocumentRecord], *, complete: bool = False
    ) -> Counter[str]:
        """New documents start at extracted; unchanged ones are left alone; changed ones
        (another source hash) go back to extracted, flagged as an update of what was loaded.
        Read and written a batch at a time, so memory does not grow with the database.

        ``complete``: the documents are the whole database as Notes holds it now (every export
        of it read without a fatal error), so a known document not among them was deleted in
        Notes: it becomes deleted, its item's fate pending for the load. A deleted document
        that comes back starts again from extracted."""
        outcome: Counter[str] = Counter()
        seen: set[str] = set()
        with self.session() as session:
            for batch in _batches(documents):
                seen.update(r.unid for r in batch)
                known = {
                    row.unid: row
                    for row in session.scalars(
                        select(Document).where(
                            Document.database_id == database_id,
                            Document.unid.in_({r.unid for r in batch}),
                        )
                    )
                }
                for record in batch:
                    row = known.get(record.unid)
                    if row is None:
                        row = Document(
                            database_id=database_id,
                            unid=record.unid,
                            form=record.form,
                            parent_unid=record.parent_unid,
                            source_sha256=record.source_sha256,
                            state=State.EXTRACTED,
                        )
                        session.add(row)
                        known[record.unid] = row
                        outcome["new"] += 1
                    elif row.state == State.DELETED:
                        row.update_pending = row.item_id is not None
                        row.source_sha256 = record.source_sha256
                        row.form, row.parent_unid = record.form, record.parent_unid
                        row.state, row.error, row.claimed_by = State.EXTRACTED, None, None
                        row.deletion = None
                        outcome["restored"] += 1
                    elif row.source_sha256 == record.source_sha256:
                        outcome["unchanged"] += 1
                    else:
                        row.update_pending = row.item_id is not None
                        row.source_sha256 = record.source_sha256
                        row.form, row.parent_unid = record.form, record.parent_unid
                        row.state, row.error, row.claimed_by = State.EXTRACTED, None, None
                        outcome["changed"] += 1
                _release(session)
            if complete:
                outcome["deleted"] += _mark_deleted(session, database_id, seen)
            counts = session.execute(
                select(func.count())
                .select_from(Document)
                .where(Document.database_id == database_id)
            ).scalar_one()
            session.execute(
                update(Database).where(Database.id == database_id).values(documents=counts)
            )
        return outcome

    def apply_transform(
        self,
        database_id: int,
        *,
        transformed: Iterable[str],
        quarantined: Iterable[Outcome],
        excluded: Iterable[Outcome],
        files: Iterable[FileRow] = (),
        links: Iterable[LinkRow] = (),
        run_id: int | None = None,
    ) -> Counter[str]:
        """Record one transform of a database in one transaction. Documents already loaded
        keep their state (an unchanged document is not transformed again); a document that
        was held back and now transforms has its quarantine entries resolved. Each kind of
        outcome is read a batch at a time: memory does not grow with the database."""
        outcome: Counter[str] = Counter()
        transformed = list(transformed)
        keys: set[tuple[str, str]] = set()
        places: set[tuple[str, str, str, str]] = set()

        def noted(rows: Iterable[FileRow]) -> Iterator[FileRow]:
            for row in rows:
                if row.key:
                    keys.add((row.unid, row.key))
                places.add((row.unid, row.library, row.folder, row.name))
                yield row

        with self.session() as session:
            for unids in _batches(transformed):
                rows = _documents(session, database_id, unids)
                held = _unresolved(session, [row.id for row in rows.values()])
                for unid in unids:
                    row = _row_of(rows, unid)
                    if State(row.state) not in _MOVABLE:
                        outcome["already past transform"] += 1
                        continue
                    row.state, row.error, row.claimed_by = State.TRANSFORMED, None, None
                    for entry in held.get(row.id, {}).values():
                        entry.resolved = True
                    outcome["transformed"] += 1
                _release(session)
            for batch in _batches(quarantined):
                rows = _documents(session, database_id, [o.unid for o in batch])
                held = _unresolved(session, [row.id for row in rows.values()])
                for unid, reason, detail in ((o.unid, o.reason, o.detail) for o in batch):
                    row = _row_of(rows, unid)
                    if State(row.state) not in _MOVABLE:
                        continue
                    row.state, row.error, row.claimed_by = State.QUARANTINED, reason, None
                    if reason not in held.setdefault(row.id, {}):
                        entry = Quarantine(
                            document_id=row.id, stage="transform", reason=reason, detail=detail
                        )
                        session.add(entry)
                        held[row.id][reason] = entry
                        session.add(
                            Event(
                                run_id=run_id,
                                document_id=row.id,
                                stage="transform",
                                kind="quarantine",
                                message=reason,
                            )
                        )
                    outcome["quarantined"] += 1
                _release(session)
            for left_out in _batches(excluded):
                rows = _documents(session, database_id, [o.unid for o in left_out])
                for unid, reason in ((o.unid, o.reason) for o in left_out):
                    row = _row_of(rows, unid)
                    if State(row.state) in _MOVABLE:
                        # Why it was left out stays with it: the report names it.
                        row.state, row.error = State.EXCLUDED, reason
                        outcome["excluded"] += 1
                _release(session)
            for file_batch in _batches(noted(files)):
                rows = _documents(session, database_id, [f.unid for f in file_batch])
                _record_files(session, rows, file_batch)
                _release(session)
            removed = _mark_removed_files(session, database_id, transformed, keys, places)
            if removed:
                outcome["files removed"] += removed
            for link_batch in _batches(links, key=lambda link: link.unid):
                rows = _documents(session, database_id, [link.unid for link in link_batch])
                # A document's links come together and stay in one batch, so replacing its
                # links batch by batch replaces them once.
                linked = {_row_of(rows, link.unid).id for link in link_batch}
                session.execute(delete(Link).where(Link.document_id.in_(linked)))
                for link in link_batch:
                    session.add(
                        Link(
                            document_id=_row_of(rows, link.unid).id,
                            kind=link.kind,
                            target_database=link.target_database,
                            target_view=link.target_view,
                            target_document=link.target_document,
                        )
                    )
                _release(session)
        return outcome


_MOVABLE = {State.EXTRACTED, State.QUARANTINED, State.EXCLUDED, State.TRANSFORMED}
#: Rows read and written per query: small enough for SQLite's parameter limit and for memory.
BATCH = 500
T = TypeVar("T")


def _batches(values: Iterable[T], key: Callable[[T], object] | None = None) -> Iterator[list[T]]:
    """Lists of about BATCH values; with ``key``, consecutive values of one key stay together."""
    if key is None:
        iterator = iter(values)
        while batch := list(islice(iterator, BATCH)):
            yield batch
        return
    batch = []
    for value in values:
        if len(batch) >= BATCH and key(value) != key(batch[-1]):
            yield batch
            batch = []
        batch.append(value)
    if batch:
        yield batch


def _release(session: Session) -> None:
    """Write what the batch changed and forget its objects (the transaction stays open)."""
    session.flush()
    session.expunge_all()


def _documents(session: Session, database_id: int, unids: Iterable[str]) -> dict[str, Document]:
    return {
        d.unid: d
        for d in session.scalars(
            select(Document).where(
                Document.database_id == database_id, Document.unid.in_(set(unids))
            )
        )
    }


def _row_of(rows: dict[str, Document], unid: str) -> Document:
    row = rows.get(unid)
    if row is None:
        raise UnknownDocumentError(f"document {unid} is not in the ledger")
    return row


def _unresolved(session: Session, document_ids: list[int]) -> dict[int, dict[str, Quarantine]]:
    """The open quarantine entries of these documents, by document and reason."""
    held: dict[int, dict[str, Quarantine]] = {}
    for entry in session.scalars(
        select(Quarantine).where(
            Quarantine.document_id.in_(document_ids), Quarantine.resolved.is_(False)
        )
    ):
        held.setdefault(entry.document_id, {})[entry.reason] = entry
    return held


def _mark_deleted(session: Session, database_id: int, seen: set[str]) -> int:
    """Known documents not in the export: deleted in Notes, their items' fate pending."""
    deleted = 0
    rows = session.execute(
        select(Document.id, Document.unid)
        .where(Document.database_id == database_id)
        .where(Document.state != str(State.DELETED))
    ).all()
    gone = [document_id for document_id, unid in rows if unid not in seen]
    for start in range(0, len(gone), BATCH):
        chunk = gone[start : start + BATCH]
        session.execute(
            update(Document)
            .where(Document.id.in_(chunk))
            .values(state=State.DELETED, deletion="pending", claimed_by=None, update_pending=False)
        )
        session.add_all(
            Event(
                document_id=document_id,
                stage="extract",
                kind="deleted",
                message="not in the latest export: deleted in Notes",
            )
            for document_id in chunk
        )
        deleted += len(chunk)
    return deleted


def _mark_removed_files(
    session: Session,
    database_id: int,
    transformed: list[str],
    wanted_keys: set[tuple[str, str]],
    wanted_places: set[tuple[str, str, str, str]],
) -> int:
    """Attachments of documents transformed now that their files no longer name: removed
    from their document in Notes (deleted, their drive items' fate for the load)."""
    removed = 0
    for unids in _batches(transformed):
        found = session.execute(
            select(Document.unid, Attachment)
            .join(Attachment, Attachment.document_id == Document.id)
            .where(Document.database_id == database_id, Document.unid.in_(unids))
            .where(Attachment.state != str(State.DELETED))
        ).all()
        for unid, attachment in found:
            if attachment.file_key and (unid, attachment.file_key) in wanted_keys:
                continue
            place = (unid, attachment.library, attachment.folder, attachment.name)
            if place in wanted_places:
                continue
            attachment.state = State.DELETED
            removed += 1
        _release(session)
    return removed


def _record_files(session: Session, rows: dict[str, Document], files: list[FileRow]) -> None:
    document_ids = {_row_of(rows, f.unid).id for f in files}
    known_files = list(
        session.scalars(select(Attachment).where(Attachment.document_id.in_(document_ids)))
    )
    # A file is known by its key within its document, so a new name never makes it a new
    # file; files recorded before keys existed are known by their place.
    by_key = {(a.document_id, a.file_key): a for a in known_files if a.file_key}
    by_place = {(a.document_id, a.library, a.folder, a.name): a for a in known_files}
    for file in files:
        values = {
            name: getattr(file, name)
            for name in ("original_name", "library", "folder", "name", "sha256", "size")
        }
        values["kind"] = file.kind
        values["file_key"] = file.key or None
        document_id = _row_of(rows, file.unid).id
        place = (document_id, file.library, file.folder, file.name)
        known = by_key.get((document_id, file.key)) if file.key else None
        known = known or by_place.get(place)
        if known is None:
            attachment = Attachment(document_id=document_id, **values)
            session.add(attachment)
            by_place[place] = attachment
            if file.key:
                by_key[(document_id, file.key)] = attachment
        elif known.sha256 != file.sha256 or (known.library, known.folder, known.name) != (
            file.library,
            file.folder,
            file.name,
        ):
            for name, value in values.items():
                setattr(known, name, value)
            known.state, known.drive_item_id, known.quickxor = State.TRANSFORMED, None, None
        elif known.file_key is None and file.key:
            known.file_key = file.key
