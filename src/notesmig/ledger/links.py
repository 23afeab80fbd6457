"""The ledger as the link map: which documents hold Notes links or inline pictures, where each
link's target stands (in SharePoint, known but not there, or in no export), and what each link
became (its URL and status), across databases and waves."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, update

from notesmig.ledger.base import LedgerBase
from notesmig.ledger.models import Attachment, Database, Document, Link, Quarantine, State
from notesmig.reasons import is_access

#: States in which a document has its item in SharePoint.
IN_SHAREPOINT = (str(State.LOADED), str(State.VERIFIED))
_CHUNK = 500


@dataclass(frozen=True)
class LinkHolder:
    """A document in SharePoint whose rich text holds Notes links or inline pictures."""

    document_id: int
    database: str
    unid: str
    list_id: str
    list_title: str
    item_id: str
    fields: dict[str, Any]


@dataclass(frozen=True)
class TargetFacts:
    """Where a link target stands: its state, its SharePoint URL, and (not in SharePoint) the
    reason it is held back or excluded."""

    state: str
    web_url: str | None
    reason: str | None = None


@dataclass(frozen=True)
class LinkResult:
    """What one link became."""

    kind: str
    database: str | None
    view: str | None
    document: str | None
    url: str
    status: str


@dataclass(frozen=True)
class LinkRecord:
    """What one document's links became: its results and, when the item was rewritten, its
    values as now in SharePoint."""

    document_id: int
    fields: dict[str, Any] | None
    results: list[LinkResult]


#: Documents per transaction when the link pass records a batch (well under SQLite's
#: bound-parameter limit for the ``IN`` lists).
_RECORDS_PER_STATEMENT = 500


@dataclass(frozen=True)
class DatabaseLinks:
    """One database's links for the auditors: counts by status, and the documents holding links
    that are not direct (pending on the redirector or broken)."""

    replica_id: str
    title: str | None
    found: int
    direct: int
    pending: int
    broken: int
    waiting: list[tuple[str, str, str | None, str | None]]  # (unid, status, target db, target doc)


class LinkRecords(LedgerBase):
    def link_holders(self, replica_id: str) -> list[LinkHolder]:
        """Documents in SharePoint that hold links or pictures: those of ``replica_id``, and
        those of any database whose links into ``replica_id`` are not yet direct."""
        with self.session() as session:
            database = session.scalar(select(Database.id).where(Database.replica_id == replica_id))
            if database is None:
                return []
            linked = select(Link.document_id)
            pictured = select(Attachment.document_id).where(Attachment.kind == "picture")
            own = (
                select(Document, Database.replica_id)
                .join(Database, Database.id == Document.database_id)
                .where(Document.database_id == database)
                .where(Document.state.in_(IN_SHAREPOINT))
                .where(or_(Document.id.in_(linked), Document.id.in_(pictured)))
            )
            waiting = (
                select(Document, Database.replica_id)
                .join(Database, Database.id == Document.database_id)
                .where(Document.database_id != database)
                .where(Document.state.in_(IN_SHAREPOINT))
                .where(
                    Document.id.in_(
                        select(Link.document_id)
                        .where(func.upper(Link.target_database) == replica_id.upper())
                        .where(
                            or_(
                                Link.status.is_(None),
                                Link.status != "direct",
                                # Direct to an item since recycled: back to the redirector.
                                func.upper(Link.target_document).in_(
                                    select(func.upper(Document.unid))
                                    .where(Document.database_id == database)
                                    .where(Document.state == str(State.DELETED))
                                    .where(Document.web_url.is_(None))
                                ),
                            )
                        )
                    )
                )
            )
            found = []
            for query in (own, waiting):
                for document, replica in session.execute(query.order_by(Document.id)):
                    if document.item_id and document.list_id and document.expected_fields:
                        found.append(
                            LinkHolder(
                                document.id,
                                replica,
                                document.unid,
                                document.list_id,
                                document.list_title or "",
                                document.item_id,
                                dict(document.expected_fields),
                            )
                        )
            return found

    def target_facts(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], TargetFacts]:
        """(replica id, UNID) -> where that document stands; unknown keys are left out."""
        by_database: dict[str, set[str]] = defaultdict(set)
        for replica, unid in keys:
            by_database[replica.upper()].add(unid.upper())
        found: dict[tuple[str, str], TargetFacts] = {}
        with self.session() as session:
            for replica, unids in by_database.items():
                wanted = sorted(unids)
                for start in range(0, len(wanted), _CHUNK):
                    chunk = wanted[start : start + _CHUNK]
                    rows = session.execute(
                        select(
                            Document.id,
                            Document.unid,
                            Document.state,
                            Document.web_url,
                            Document.error,
                        )
                        .join(Database, Database.id == Document.database_id)
                        .where(func.upper(Database.replica_id) == replica)
                        .where(func.upper(Document.unid).in_(chunk))
                    ).all()
                    held: dict[int, str] = {}
                    for document_id, reason in session.execute(
                        select(Quarantine.document_id, Quarantine.reason)
                        .where(Quarantine.document_id.in_([r.id for r in rows]))
                        .where(Quarantine.resolved.is_(False))
                        .order_by(Quarantine.id)
                    ):
                        # An access reason wins: it is the one that must not be explained away.
                        if document_id not in held or is_access(reason):
                            held[document_id] = reason
                    for row in rows:
                        why: str | None = (
                            row.error if row.state == State.EXCLUDED else held.get(row.id)
                        )
                        found[(replica, row.unid.upper())] = TargetFacts(
                            row.state, row.web_url, why
                        )
        return found

    def database_list_urls(self) -> dict[str, str | None]:
        """Each known database (replica id, upper case) -> the URL of a list its documents are
        in (None: nothing of it in SharePoint yet)."""
        with self.session() as session:
            known: dict[str, str | None] = {
                replica.upper(): None for replica in session.scalars(select(Database.replica_id))
            }
            rows = session.execute(
                select(Database.replica_id, func.min(Document.web_url))
                .join(Document, Document.database_id == Database.id)
                .where(Document.state.in_(IN_SHAREPOINT))
                .where(Document.web_url.is_not(None))
                .group_by(Database.replica_id)
            )
            for replica, url in rows:
                known[replica.upper()] = str(url).split("/DispForm.aspx", 1)[0]
            return known

    def database_titles(self) -> dict[str, str | None]:
        with self.session() as session:
            return {
                replica.upper(): title
                for replica, title in session.execute(select(Database.replica_id, Database.title))
            }

    def uploaded_pictures(self, replica_id: str) -> dict[tuple[str, str], tuple[str, str, str]]:
        """(UNID, SHA-256) -> (library, folder, file name) of each inline picture in SharePoint."""
        with self.session() as session:
            rows = session.execute(
                select(
                    Document.unid,
                    Attachment.sha256,
                    Attachment.library,
                    Attachment.folder,
                    Attachment.name,
                )
                .join(Document, Document.id == Attachment.document_id)
                .join(Database, Database.id == Document.database_id)
                .where(Database.replica_id == replica_id)
                .where(Attachment.kind == "picture")
                .where(Attachment.state.in_(IN_SHAREPOINT))
            )
            return {
                (unid, sha): (library, folder, name)
                for unid, sha, library, folder, name in rows
                if sha
            }

    def record_links(
        self, document_id: int, fields: dict[str, Any] | None, results: list[LinkResult]
    ) -> None:
        """What a document's links became; ``fields`` (when given) are its values as now in
        SharePoint, which the reconciler then expects."""
        self.record_many_links([LinkRecord(document_id, fields, results)])

    def record_many_links(self, records: Sequence[LinkRecord]) -> None:
        """:meth:`record_links` for many documents in one transaction (the link pass records
        what it did a batch at a time: a transaction per document was most of its own CPU)."""
        for start in range(0, len(records), _RECORDS_PER_STATEMENT):
            self._record_links(records[start : start + _RECORDS_PER_STATEMENT])

    def _record_links(self, records: Sequence[LinkRecord]) -> None:
        with self.session() as session:
            # Core statements, not the ORM's whole rows.
            ids = {r.document_id for r in records}
            present = set(session.scalars(select(Document.id).where(Document.id.in_(ids))))
            kept = {r.document_id: r for r in records if r.document_id in present}  # last wins
            if not kept:
                return
            changed = [
                {"id": r.document_id, "expected_fields": r.fields}
                for r in kept.values()
                if r.fields is not None
            ]
            if changed:
                session.execute(update(Document), changed)
            session.execute(delete(Link).where(Link.document_id.in_(kept)))
            rows = [
                {
                    "document_id": r.document_id,
                    "kind": result.kind,
                    "target_database": result.database,
                    "target_view": result.view,
                    "target_document": result.document,
                    "rewritten_url": result.url,
                    "status": result.status,
                }
                for r in kept.values()
                for result in r.results
            ]
            if rows:
                session.execute(insert(Link), rows)

    def link_report(self) -> list[DatabaseLinks]:
        """Per database: links found, direct, pending on the redirector, broken, and the
        documents whose links are not direct."""
        with self.session() as session:
            databases = session.execute(
                select(Database.id, Database.replica_id, Database.title).order_by(
                    Database.replica_id
                )
            ).all()
            report = []
            for database_id, replica, title in databases:
                rows = session.execute(
                    select(Document.unid, Link.status, Link.target_database, Link.target_document)
                    .join(Document, Document.id == Link.document_id)
                    .where(Document.database_id == database_id)
                    .where(Document.state.in_(IN_SHAREPOINT))
                    .order_by(Document.unid, Link.id)
                ).all()
                if not rows:
                    continue
                counts = {"direct": 0, "pending": 0, "broken": 0}
                waiting = []
                for unid, recorded, target_db, target_doc in rows:
                    status = recorded or "pending"  # the link pass has not run since its load
                    counts[status] = counts.get(status, 0) + 1
                    if status != "direct":
                        waiting.append((unid, status, target_db, target_doc))
                report.append(
                    DatabaseLinks(
                        replica,
                        title,
                        len(rows),
                        counts["direct"],
                        counts["pending"],
                        counts["broken"],
                        waiting,
                    )
                )
            return report
