"""Recording a whole stage of a database at once: registration, extraction and the transform's
outcomes, each in one transaction, idempotently."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from sqlalchemy import delete, func, select, update

from notesmig.ledger.base import LedgerBase
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
from notesmig.records import FileRow


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
        self, database_id: int, documents: Iterable[DocumentRecord]
    ) -> Counter[str]:
        """New documents start at extracted; unchanged ones are left alone; changed ones
        (another source hash) go back to extracted, flagged as an update of what was loaded."""
        outcome: Counter[str] = Counter()
        with self.session() as session:
            known = {
                row.unid: row
                for row in session.scalars(
                    select(Document).where(Document.database_id == database_id)
                )
            }
            for record in documents:
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
                elif row.source_sha256 == record.source_sha256:
                    outcome["unchanged"] += 1
                else:
                    row.update_pending = row.item_id is not None
                    row.source_sha256 = record.source_sha256
                    row.form, row.parent_unid = record.form, record.parent_unid
                    row.state, row.error, row.claimed_by = State.EXTRACTED, None, None
                    outcome["changed"] += 1
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
        transformed: Sequence[str],
        quarantined: Sequence[tuple[str, str, str]],
        excluded: Sequence[tuple[str, str]],
        files: Sequence[FileRow] = (),
        links: Sequence[tuple[str, str, str | None, str | None, str | None]] = (),
        run_id: int | None = None,
    ) -> Counter[str]:
        """Record one transform of a database in one transaction. Documents already loaded
        keep their state (an unchanged document is not transformed again); a document that
        was held back and now transforms has its quarantine entries resolved."""
        movable = {State.EXTRACTED, State.QUARANTINED, State.EXCLUDED, State.TRANSFORMED}
        outcome: Counter[str] = Counter()
        with self.session() as session:
            rows = {
                d.unid: d
                for d in session.scalars(
                    select(Document).where(Document.database_id == database_id)
                )
            }
            held = {
                (q.document_id, q.reason): q
                for q in session.scalars(
                    select(Quarantine)
                    .join(Document)
                    .where(Document.database_id == database_id, Quarantine.resolved.is_(False))
                )
            }

            def row_of(unid: str) -> Document:
                row = rows.get(unid)
                if row is None:
                    raise KeyError(f"document {unid} is not in the ledger")
                return row

            for unid in transformed:
                row = row_of(unid)
                if State(row.state) not in movable:
                    outcome["already past transform"] += 1
                    continue
                row.state, row.error, row.claimed_by = State.TRANSFORMED, None, None
                for (document_id, _reason), entry in held.items():
                    if document_id == row.id:
                        entry.resolved = True
                outcome["transformed"] += 1
            for unid, reason, detail in quarantined:
                row = row_of(unid)
                if State(row.state) not in movable:
                    continue
                row.state, row.error, row.claimed_by = State.QUARANTINED, reason, None
                if (row.id, reason) not in held:
                    entry = Quarantine(
                        document_id=row.id, stage="transform", reason=reason, detail=detail
                    )
                    session.add(entry)
                    held[(row.id, reason)] = entry
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
            for unid, reason in excluded:
                row = row_of(unid)
                if State(row.state) in movable:
                    # Why it was left out stays with it: the report names it.
                    row.state, row.error = State.EXCLUDED, reason
                    outcome["excluded"] += 1
            session.flush()
            known_files = list(
                session.scalars(
                    select(Attachment).join(Document).where(Document.database_id == database_id)
                )
            )
            # A file is known by its key within its document, so a new name never makes it a
            # new file; files recorded before keys existed are known by their place.
            by_key = {(a.document_id, a.file_key): a for a in known_files if a.file_key}
            by_place = {(a.document_id, a.library, a.folder, a.name): a for a in known_files}
            for file in files:
                values = {
                    name: getattr(file, name)
                    for name in ("original_name", "library", "folder", "name", "sha256", "size")
                }
                values["kind"] = file.kind
                values["file_key"] = file.key or None
                document_id = row_of(file.unid).id
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
            linked = {row_of(unid).id for unid, *_ in links}
            if linked:
                session.execute(delete(Link).where(Link.document_id.in_(linked)))
            for unid, kind, database, view, target in links:
                session.add(
                    Link(
                        document_id=row_of(unid).id,
                        kind=kind,
                        target_database=database,
                        target_view=view,
                        target_document=target,
                    )
                )
        return outcome
