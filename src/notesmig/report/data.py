"""What the auditors' report says, gathered from the ledger alone (so it can be made again, and
checked again, from the ledger).

Per database: its source exports; its documents by form and by outcome (verified, loaded but
not yet reconciled, not loaded, mismatched, held back, excluded) with every reason; its files;
its restricted documents with their readers and whether their permissions verified; its
response threads; its links; its latest validation. Its balance is shown as an error when it
does not hold: the source documents, counted from the exports the ledger recorded (less the
copies merged into one), = verified + loaded + not loaded + mismatched + held back + excluded,
each counted from the documents whose state has its evidence (a verified document its verified
verdict, a held-back one its open quarantine entry). A document row lost, or an outcome whose
evidence is gone, makes the two sides differ.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from notesmig import reasons
from notesmig.ledger import Ledger, State
from notesmig.ledger.evidence import VERIFIED_VERDICTS, ValidationFact
from notesmig.ledger.links import DatabaseLinks
from notesmig.ledger.models import (
    AccessScope,
    Attachment,
    Database,
    Document,
    Quarantine,
    SourceExport,
    VerdictRow,
)

#: The outcomes a document ends in, in the order the report shows them.
OUTCOMES: tuple[str, ...] = (
    "verified",
    "loaded",
    "not-loaded",
    "mismatched",
    "quarantined",
    "excluded",
    "deleted",
)
#: The outcomes of the documents in the latest exports: what the source documents add up to
#: (one deleted in Notes since is no longer in them).
SOURCE_OUTCOMES: tuple[str, ...] = tuple(o for o in OUTCOMES if o != "deleted")
#: A document whose state claims an outcome the ledger holds no evidence of: counted in none.
UNACCOUNTED = "unaccounted"


@dataclass(frozen=True)
class ExceptionRow:
    """A document that is not verified, as ``exceptions.csv`` lists it."""

    database: str
    unid: str
    form: str
    verdict: str
    reason: str
    detail: str
    web_url: str = ""


@dataclass(frozen=True)
class RestrictedDocument:
    unid: str
    form: str
    audience: str
    readers: tuple[tuple[str, str, str], ...]
    access_state: str
    verdict: str
    web_url: str


@dataclass(frozen=True)
class FileCounts:
    files: int = 0
    bytes: int = 0
    #: Files whose hash SharePoint reported equal to the source's at upload.
    hash_matches: int = 0
    #: Files SharePoint rewrote on upload (property promotion), with both hashes.
    rewritten: tuple[tuple[str, str, str], ...] = ()
    not_uploaded: int = 0


@dataclass
class DatabaseReport:
    replica_id: str
    title: str
    exports: list[tuple[str, str, int, int]]
    merged: int
    documents: int
    outcomes: dict[str, int]
    by_form: dict[str, dict[str, int]]
    held: list[tuple[str, int]]
    left_out: list[tuple[str, int]]
    verdicts: dict[str, int]
    exceptions: list[ExceptionRow]
    files: FileCounts
    restricted: list[RestrictedDocument]
    responses: int
    threads_kept: int
    #: Notes links in its documents in SharePoint: found, and what the link pass made of them.
    links: int
    links_direct: int
    links_pending: int
    links_broken: int
    #: Links not direct: (UNID of the document holding it, status, target database, document).
    links_waiting: list[tuple[str, str, str | None, str | None]]
    validation: ValidationFact | None
    unexpected: list[ExceptionRow] = field(default_factory=list)
    #: Documents whose state claims an outcome without its evidence: (UNID, state).
    unaccounted: list[tuple[str, str]] = field(default_factory=list)

    @property
    def exported(self) -> int:
        return sum(e[3] for e in self.exports)

    @property
    def source_documents(self) -> int:
        """Documents in the latest exports, as the exports were counted when read (copies of
        one document merged into one): not a count of the ledger's document rows."""
        return self.exported - self.merged

    @property
    def accounted(self) -> int:
        return sum(self.outcomes[o] for o in SOURCE_OUTCOMES)

    @property
    def balanced(self) -> bool:
        """Source documents = the outcomes; a ledger without its exports cannot show it, and
        that is an error too."""
        return self.source_documents == self.accounted


def gather(ledger: Ledger, replicas: list[str] | None = None) -> list[DatabaseReport]:
    """The report of each database (all of them, or those named), from the ledger."""
    with ledger.session() as session:
        databases = list(session.scalars(select(Database).order_by(Database.replica_id)))
    found = []
    links = {d.replica_id: d for d in ledger.link_report()}  # every database's, read once
    for database in databases:
        if replicas is not None and database.replica_id not in replicas:
            continue
        found.append(_database(ledger, database, links))
    return found


def _database(
    ledger: Ledger, database: Database, all_links: dict[str, DatabaseLinks]
) -> DatabaseReport:
    replica = database.replica_id
    links = all_links.get(replica)
    with ledger.session() as session:
        documents = list(
            session.scalars(
                select(Document).where(Document.database_id == database.id).order_by(Document.unid)
            )
        )
        exports = [
            (e.path, e.sha256 or "", e.bytes, e.documents)
            for e in session.scalars(
                select(SourceExport)
                .where(SourceExport.database_id == database.id)
                .order_by(SourceExport.path)
            )
        ]
        held: dict[int, list[Quarantine]] = defaultdict(list)
        for entry in session.scalars(
            select(Quarantine)
            .join(Document, Document.id == Quarantine.document_id)
            .where(Document.database_id == database.id, Quarantine.resolved.is_(False))
            .order_by(Quarantine.id)
        ):
            held[entry.document_id].append(entry)
        verdict_rows = list(
            session.scalars(select(VerdictRow).where(VerdictRow.database_id == database.id))
        )
        attachments = list(
            session.scalars(
                select(Attachment)
                .join(Document, Document.id == Attachment.document_id)
                .where(Document.database_id == database.id)
                .order_by(Attachment.id)
            )
        )
        scopes = {
            (s.target, s.key): s
            for s in session.scalars(
                select(AccessScope).where(AccessScope.database_id == database.id)
            )
        }
    verdict_of = {v.unid: v for v in verdict_rows if v.subject == v.unid}
    unaccounted: list[tuple[str, str]] = []
    outcomes: Counter[str] = Counter({o: 0 for o in OUTCOMES})
    by_form: dict[str, Counter[str]] = defaultdict(lambda: Counter({o: 0 for o in OUTCOMES}))
    held_reasons: Counter[str] = Counter()
    left_out: Counter[str] = Counter()
    exceptions: list[ExceptionRow] = []
    loaded_states = {State.LOADED, State.VERIFIED}
    state_of = {d.unid: d.state for d in documents}
    for document in documents:
        verdict = verdict_of.get(document.unid)
        outcome = _outcome(document, verdict, bool(held[document.id]))
        form = document.form or ""
        if outcome == UNACCOUNTED:
            unaccounted.append((document.unid, document.state))
            exceptions.append(
                ExceptionRow(
                    replica,
                    document.unid,
                    form,
                    UNACCOUNTED,
                    " / ".join(_PENDING[UNACCOUNTED]),
                    f"state: {document.state}",
                    document.web_url or "",
                )
            )
            continue
        outcomes[outcome] += 1
        by_form[document.form or "(なし / none)"][outcome] += 1
        if outcome == "quarantined":
            entries = held[document.id]
            for entry in entries:
                held_reasons[reasons.bilingual(entry.reason)] += 1
            first = entries[0] if entries else None
            exceptions.append(
                ExceptionRow(
                    replica,
                    document.unid,
                    form,
                    "quarantined",
                    reasons.bilingual(first.reason if first else (document.error or "")),
                    (first.detail or "") if first else "",
                    document.web_url or "",
                )
            )
        elif outcome == "excluded":
            left_out[reasons.bilingual(document.error or "")] += 1
            exceptions.append(
                ExceptionRow(
                    replica,
                    document.unid,
                    form,
                    "excluded",
                    reasons.bilingual(document.error or ""),
                    "",
                )
            )
        elif outcome != "verified" or (verdict is not None and verdict.verdict != "verified"):
            kind = verdict.verdict if verdict is not None and outcome == "mismatched" else outcome
            if verdict is not None and verdict.verdict == "file-rewritten":
                kind = "file-rewritten"
            ja, en = reasons.VERDICTS.get(kind, _PENDING.get(kind, (kind, kind)))
            exceptions.append(
                ExceptionRow(
                    replica,
                    document.unid,
                    form,
                    kind,
                    f"{ja} / {en}",
                    _differences(verdict.differences if verdict else None),
                    (verdict.web_url if verdict else None) or document.web_url or "",
                )
            )
    unexpected = [
        ExceptionRow(
            replica,
            v.unid,
            "",
            v.verdict,
            " / ".join(reasons.VERDICTS[v.verdict]),
            _differences(v.differences),
            v.web_url or "",
        )
        for v in sorted(verdict_rows, key=lambda v: v.subject)
        if v.subject != v.unid
    ]
    restricted = []
    for document in documents:
        if not document.audience or document.state not in loaded_states:
            continue
        scope = next(
            (
                s
                for (target, key), s in scopes.items()
                if key == document.audience and (document.list_id in (None, target))
            ),
            None,
        )
        readers = tuple(
            (g["kind"], g["name"], g["role"]) for g in ((scope.grants or []) if scope else [])
        )
        verdict = verdict_of.get(document.unid)
        restricted.append(
            RestrictedDocument(
                document.unid,
                document.form or "",
                document.audience,
                readers,
                document.access_state or "",
                verdict.verdict if verdict else "",
                document.web_url or "",
            )
        )
    rewritten = tuple(
        (f"{a.folder}/{a.name}", a.source_quickxor or "", a.quickxor or "")
        for a in attachments
        if a.source_quickxor and a.quickxor and a.source_quickxor != a.quickxor
    )
    uploaded = [a for a in attachments if a.state == State.LOADED]
    files = FileCounts(
        files=len(attachments),
        bytes=sum(a.size for a in attachments),
        hash_matches=sum(1 for a in uploaded if a.quickxor and a.quickxor == a.source_quickxor),
        rewritten=rewritten,
        not_uploaded=len(attachments) - len(uploaded),
    )
    responses = [d for d in documents if d.parent_unid]
    kept = sum(
        1
        for d in responses
        if d.state in loaded_states and state_of.get(d.parent_unid or "") in loaded_states
    )
    return DatabaseReport(
        replica_id=replica,
        title=database.title or replica,
        exports=exports,
        merged=database.merged or 0,
        documents=len(documents),
        outcomes=dict(outcomes),
        by_form={form: dict(counts) for form, counts in sorted(by_form.items())},
        held=held_reasons.most_common(),
        left_out=left_out.most_common(),
        verdicts=dict(sorted(Counter(v.verdict for v in verdict_rows).items())),
        exceptions=exceptions,
        files=files,
        restricted=restricted,
        responses=len(responses),
        threads_kept=kept,
        links=links.found if links else 0,
        links_direct=links.direct if links else 0,
        links_pending=links.pending if links else 0,
        links_broken=links.broken if links else 0,
        links_waiting=links.waiting if links else [],
        validation=ledger.latest_validation(replica),
        unexpected=unexpected,
        unaccounted=unaccounted,
    )


#: Outcomes without a verdict, as people read them.
_PENDING = {
    "loaded": ("移行済み・未照合", "loaded, not yet reconciled"),
    "not-loaded": ("未移行", "not loaded"),
    "deleted": ("Notes で削除", "deleted in Notes"),
    UNACCOUNTED: (
        "台帳に状態の根拠がありません（照合の判定または保留の記録がない）",
        "the ledger holds no evidence of its state (no verdict, or no quarantine entry)",
    ),
}


def _outcome(document: Document, verdict: VerdictRow | None, held: bool) -> str:
    """A document's outcome, by its state and that state's evidence: the state alone is one
    column of one row, and a count that only re-reads it cannot disagree with anything."""
    if document.state == State.QUARANTINED:
        return "quarantined" if held else UNACCOUNTED
    if document.state == State.EXCLUDED:
        return "excluded"
    if document.state == State.DELETED:
        return "deleted"
    if document.state == State.VERIFIED:
        verified = verdict is not None and verdict.verdict in VERIFIED_VERDICTS
        return "verified" if verified else UNACCOUNTED
    if verdict is not None and verdict.verdict not in VERIFIED_VERDICTS:
        return "mismatched"
    if document.state == State.LOADED:
        return "loaded"
    return "not-loaded"


def _differences(found: list[dict[str, Any]] | None) -> str:
    return "; ".join(
        f"{d.get('field')}: {d.get('expected')!r} → {d.get('actual')!r}" for d in found or []
    )
