"""What proves the migration: the source exports, each validation before a load, and the
reconciler's verdicts (with the repairs they call for)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select, update

from notesmig.ledger.base import LedgerBase
from notesmig.ledger.models import (
    AccessScope,
    Attachment,
    Database,
    Document,
    Event,
    Quarantine,
    SourceExport,
    State,
    Validation,
    VerdictRow,
    utcnow,
)
from notesmig.records import TargetPlan, Verdict

#: Verdicts under which a document counts as verified (a file SharePoint rewrote is reported in
#: its own category, with both hashes, but its document is there and unchanged).
VERIFIED_VERDICTS = frozenset({"verified", "file-rewritten"})


@dataclass(frozen=True)
class ExportFact:
    path: str
    sha256: str | None
    bytes: int
    documents: int


@dataclass(frozen=True)
class ValidationFact:
    rows: int
    failed_rows: int
    expectations: int
    failed_expectations: int
    max_failure_ratio: float
    stopped: bool
    data_docs: str | None
    results: list[dict[str, Any]]


@dataclass(frozen=True)
class Repair:
    """What a verdict asks of the next load: the document's item written again (created anew
    if it is gone), and which of its files uploaded again."""

    unid: str
    rewrite_item: bool = False
    item_gone: bool = False
    attachment_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class FileFact:
    """One file of a document as the ledger has it."""

    id: int
    library: str
    folder: str
    name: str
    size: int
    state: str
    drive_item_id: str | None
    #: SharePoint's quickXorHash at upload, and the source bytes' own (they differ when
    #: SharePoint rewrote the file).
    quickxor: str | None
    source_quickxor: str | None


@dataclass(frozen=True)
class DocumentFact:
    """One document as the ledger has it: where it should be in SharePoint and with what."""

    unid: str
    form: str | None
    state: str
    list_id: str | None
    list_title: str | None
    item_id: str | None
    web_url: str | None
    source_sha256: str
    expected_fields: dict[str, Any] | None
    audience: str | None
    access_state: str | None
    error: str | None
    files: tuple[FileFact, ...] = ()


@dataclass(frozen=True)
class ScopeFact:
    """A unique permission scope notesmig made, with the grants it must hold."""

    target: str
    key: str
    item_id: str | None
    grants: tuple[tuple[str, str, str], ...]


class Evidence(LedgerBase):
    # -- sources --------------------------------------------------------------------------

    def record_sources(self, database_id: int, exports: Iterable[ExportFact], merged: int) -> None:
        """The exports a database was last read from, together (by path: a re-export
        replaces its facts; an export no longer read, as one at another path that a later
        export replaced, is no longer what the ledger's documents come from)."""
        exports = list(exports)
        with self.session() as session:
            known = {
                row.path: row
                for row in session.scalars(
                    select(SourceExport).where(SourceExport.database_id == database_id)
                )
            }
            for export in exports:
                row = known.get(export.path)
                if row is None:
                    row = SourceExport(database_id=database_id, path=export.path)
                    session.add(row)
                    known[export.path] = row
                row.sha256, row.bytes, row.documents, row.seen = (
                    export.sha256,
                    export.bytes,
                    export.documents,
                    utcnow(),
                )
            current = {export.path for export in exports}
            for path, row in known.items():
                if current and path not in current:
                    session.delete(row)
            session.execute(
                update(Database).where(Database.id == database_id).values(merged=merged)
            )

    def record_target(self, database_id: int, plan: TargetPlan) -> None:
        with self.session() as session:
            session.execute(
                update(Database)
                .where(Database.id == database_id)
                .values(target=plan.model_dump(mode="json"))
            )

    def target_of(self, replica_id: str) -> TargetPlan | None:
        """Where a database was loaded (None: it never was)."""
        with self.session() as session:
            found = session.scalar(select(Database.target).where(Database.replica_id == replica_id))
        return TargetPlan.model_validate(found) if found else None

    def replicas(self) -> list[str]:
        with self.session() as session:
            return list(session.scalars(select(Database.replica_id).order_by(Database.replica_id)))

    # -- validation -----------------------------------------------------------------------

    def record_validation(self, database_id: int, fact: ValidationFact) -> int:
        with self.session() as session:
            row = Validation(
                database_id=database_id,
                rows=fact.rows,
                failed_rows=fact.failed_rows,
                expectations=fact.expectations,
                failed_expectations=fact.failed_expectations,
                max_failure_ratio=fact.max_failure_ratio,
                stopped=fact.stopped,
                data_docs=fact.data_docs,
                results=fact.results,
            )
            session.add(row)
            session.flush()
            return row.id

    def latest_validation(self, replica_id: str) -> ValidationFact | None:
        with self.session() as session:
            row = session.scalar(
                select(Validation)
                .join(Database, Database.id == Validation.database_id)
                .where(Database.replica_id == replica_id)
                .order_by(Validation.id.desc())
                .limit(1)
            )
            if row is None:
                return None
            return ValidationFact(
                row.rows,
                row.failed_rows,
                row.expectations,
                row.failed_expectations,
                row.max_failure_ratio,
                row.stopped,
                row.data_docs,
                list(row.results or []),
            )

    def release_held(self, database_id: int, stage: str, keep: set[str]) -> int:
        """Resolve a stage's open quarantine entries for documents it no longer holds back;
        those held by nothing else go back to transformed. Returns how many were released."""
        released = 0
        with self.session() as session:
            entries = session.execute(
                select(Quarantine, Document)
                .join(Document, Document.id == Quarantine.document_id)
                .where(
                    Document.database_id == database_id,
                    Quarantine.stage == stage,
                    Quarantine.resolved.is_(False),
                )
            ).all()
            for entry, document in entries:
                if document.unid in keep:
                    continue
                entry.resolved = True
                others = session.scalar(
                    select(Quarantine.id).where(
                        Quarantine.document_id == document.id,
                        Quarantine.resolved.is_(False),
                        Quarantine.id != entry.id,
                    )
                )
                if others is None and document.state == State.QUARANTINED:
                    document.state, document.error = State.TRANSFORMED, None
                released += 1
        return released

    # -- reconciliation -------------------------------------------------------------------

    def documents_of(self, replica_id: str) -> list[DocumentFact]:
        """Every document of a database with its files, as the reconciler compares them."""
        with self.session() as session:
            files: dict[int, list[FileFact]] = {}
            for document_id, a in session.execute(
                select(Attachment.document_id, Attachment)
                .join(Document, Document.id == Attachment.document_id)
                .join(Database, Database.id == Document.database_id)
                .where(Database.replica_id == replica_id)
                # Removed in Notes: no longer a file SharePoint should hold.
                .where(Attachment.state != str(State.DELETED))
                .order_by(Attachment.id)
            ):
                files.setdefault(document_id, []).append(
                    FileFact(
                        a.id,
                        a.library,
                        a.folder,
                        a.name,
                        a.size,
                        a.state,
                        a.drive_item_id,
                        a.quickxor,
                        a.source_quickxor,
                    )
                )
            rows = session.scalars(
                select(Document)
                .join(Database, Database.id == Document.database_id)
                .where(Database.replica_id == replica_id)
                .order_by(Document.unid)
            )
            return [
                DocumentFact(
                    d.unid,
                    d.form,
                    d.state,
                    d.list_id,
                    d.list_title,
                    d.item_id,
                    d.web_url,
                    d.source_sha256,
                    d.expected_fields,
                    d.audience,
                    d.access_state,
                    d.error,
                    tuple(files.get(d.id, ())),
                )
                for d in rows
            ]

    def databases_holding(self, unids: Iterable[str]) -> dict[str, set[str]]:
        """The replica ids of the databases whose documents have these UNIDs (those the
        ledger knows): what SharePoint holds of another database is that database's."""
        wanted = sorted(set(unids))
        found: dict[str, set[str]] = {}
        with self.session() as session:
            for start in range(0, len(wanted), 500):
                for unid, replica in session.execute(
                    select(Document.unid, Database.replica_id)
                    .join(Database, Database.id == Document.database_id)
                    .where(Document.unid.in_(wanted[start : start + 500]))
                ):
                    found.setdefault(unid, set()).add(replica)
        return found

    def scopes_of(self, replica_id: str) -> list[ScopeFact]:
        with self.session() as session:
            rows = session.scalars(
                select(AccessScope)
                .join(Database, Database.id == AccessScope.database_id)
                .where(Database.replica_id == replica_id)
                .order_by(AccessScope.id)
            )
            return [
                ScopeFact(
                    s.target,
                    s.key,
                    s.item_id,
                    tuple((g["kind"], g["name"], g["role"]) for g in (s.grants or [])),
                )
                for s in rows
            ]

    def record_verdicts(
        self,
        database_id: int,
        verdicts: Sequence[Verdict],
        repairs: Sequence[Repair],
        *,
        run_id: int | None = None,
    ) -> None:
        """The reconciler's findings for a database, replacing the previous ones, in one
        transaction: verified documents become verified; what SharePoint lost or changed is
        scheduled for the next load (the source wins)."""
        with self.session() as session:
            session.execute(delete(VerdictRow).where(VerdictRow.database_id == database_id))
            documents = {
                d.unid: d
                for d in session.scalars(
                    select(Document).where(Document.database_id == database_id)
                )
            }
            now = utcnow()
            for verdict in verdicts:
                about_document = verdict.subject in ("", verdict.unid)
                document = documents.get(verdict.unid) if about_document else None
                session.add(
                    VerdictRow(
                        database_id=database_id,
                        document_id=document.id if document is not None else None,
                        subject=verdict.subject or verdict.unid,
                        unid=verdict.unid,
                        verdict=verdict.verdict,
                        differences=[d.model_dump(mode="json") for d in verdict.differences],
                        web_url=verdict.web_url,
                        checked_at=now,
                    )
                )
                if document is None:
                    continue
                if verdict.verdict in VERIFIED_VERDICTS and document.state == State.LOADED:
                    document.state = State.VERIFIED
                    session.add(
                        Event(
                            run_id=run_id,
                            document_id=document.id,
                            stage="reconcile",
                            kind="advance",
                            message=verdict.verdict,
                        )
                    )
                elif verdict.verdict not in VERIFIED_VERDICTS:
                    if document.state == State.VERIFIED:
                        document.state = State.LOADED  # verified no longer: SharePoint differs
                    session.add(
                        Event(
                            run_id=run_id,
                            document_id=document.id,
                            stage="reconcile",
                            kind="verdict",
                            message=verdict.verdict,
                        )
                    )
            for repair in repairs:
                document = documents.get(repair.unid)
                if document is None:
                    continue
                if repair.rewrite_item and document.state in (State.LOADED, State.VERIFIED):
                    document.state = State.TRANSFORMED
                if repair.item_gone:
                    document.item_id, document.web_url = None, None
                    # Its files link to the item that is gone: they go again with the new one
                    # (over themselves: the ledger keeps knowing them until then).
                    session.execute(
                        update(Attachment)
                        .where(Attachment.document_id == document.id)
                        .values(state=State.TRANSFORMED)
                    )
                if repair.attachment_ids:
                    session.execute(
                        update(Attachment)
                        .where(Attachment.id.in_(repair.attachment_ids))
                        .values(state=State.TRANSFORMED)
                    )

    def verdicts(self, replica_id: str) -> list[Verdict]:
        """The latest verdicts of a database."""
        with self.session() as session:
            rows = session.scalars(
                select(VerdictRow)
                .join(Database, Database.id == VerdictRow.database_id)
                .where(Database.replica_id == replica_id)
                .order_by(VerdictRow.subject)
            )
            return [
                Verdict.model_validate(
                    {
                        "database": replica_id,
                        "unid": row.unid,
                        "verdict": row.verdict,
                        "differences": row.differences or [],
                        "web_url": row.web_url,
                        "subject": row.subject,
                    }
                )
                for row in rows
            ]
