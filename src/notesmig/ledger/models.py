"""The ledger's tables: every database, run, document, attachment, link, quarantine entry, event.

A document moves through states (extracted -> transformed -> loaded -> verified, or quarantined
or excluded); its source sha256 tells a changed document from an unchanged one.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(UTC)


class State(StrEnum):
    EXTRACTED = "extracted"
    TRANSFORMED = "transformed"
    LOADED = "loaded"
    VERIFIED = "verified"
    QUARANTINED = "quarantined"
    EXCLUDED = "excluded"
    #: In the database's earlier exports, not in its latest: deleted in Notes (a document), or
    #: removed from its document (an attachment).
    DELETED = "deleted"


#: Where each state stands in the pipeline; a transition never moves a document backwards
#: except when its source changed (then it starts again from extracted).
STAGE_ORDER = {
    State.EXTRACTED: 0,
    State.TRANSFORMED: 1,
    State.LOADED: 2,
    State.VERIFIED: 3,
    State.QUARANTINED: 1,
    State.EXCLUDED: 1,
    State.DELETED: 1,
}


#: The stage name under which the validation before the load holds rows back.
VALIDATE_STAGE = "validate"


class Base(DeclarativeBase):
    pass


class Database(Base):
    __tablename__ = "databases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    replica_id: Mapped[str] = mapped_column(String(16), unique=True)
    title: Mapped[str | None] = mapped_column(String(255))
    source_file: Mapped[str | None] = mapped_column(Text)
    source_sha256: Mapped[str | None] = mapped_column(String(64))
    documents: Mapped[int] = mapped_column(Integer, default=0)
    attachments: Mapped[int] = mapped_column(Integer, default=0)
    #: Copies of its documents found in several exports (or twice in one), merged into one.
    merged: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: Where the load sent it (a TargetPlan record): what the reconciler reads SharePoint for.
    target: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: When a sync first found it past its cutoff (frozen: no more loads, a final reconcile).
    frozen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    first_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Run(Base):
    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    stage: Mapped[str] = mapped_column(String(32))
    started: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16), default="running")
    #: The run's counts; a load's also has ``unknown_people`` (account -> occurrences).
    counts: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: The database a load or reconcile run was of, and the wave it belonged to.
    database_id: Mapped[int | None] = mapped_column(ForeignKey("databases.id"))
    wave: Mapped[str | None] = mapped_column(String(64))


class Document(Base):
    __tablename__ = "documents"
    __table_args__ = (
        UniqueConstraint("database_id", "unid", name="uq_documents_database_unid"),
        Index("ix_documents_state", "state", "claimed_by"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    database_id: Mapped[int] = mapped_column(ForeignKey("databases.id"))
    unid: Mapped[str] = mapped_column(String(64))
    form: Mapped[str | None] = mapped_column(String(255))
    parent_unid: Mapped[str | None] = mapped_column(String(64))
    source_sha256: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), default=State.EXTRACTED)
    update_pending: Mapped[bool] = mapped_column(Boolean, default=False)
    list_id: Mapped[str | None] = mapped_column(String(64))
    item_id: Mapped[str | None] = mapped_column(String(32))
    web_url: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    #: The audience folder a restricted document was loaded into (None: not restricted).
    audience: Mapped[str | None] = mapped_column(String(64))
    #: Its permissions: planned, applied (scope set), verified (read back), withdrawn.
    access_state: Mapped[str | None] = mapped_column(String(16))
    #: The fields of the version loaded (column -> value, as the transform made them): what the
    #: reconciler expects to find in SharePoint.
    expected_fields: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    list_title: Mapped[str | None] = mapped_column(String(255))
    #: The migration wave its latest load belonged to.
    wave: Mapped[str | None] = mapped_column(String(64))
    #: Deleted in Notes: what the load did with its item (pending, recycled, kept, reported,
    #: held: more deletions at once than the mapping allows).
    deletion: Mapped[str | None] = mapped_column(String(16))
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class Attachment(Base):
    __tablename__ = "attachments"
    __table_args__ = (
        UniqueConstraint("document_id", "library", "folder", "name", name="uq_attachments_place"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    original_name: Mapped[str] = mapped_column(Text)
    library: Mapped[str] = mapped_column(String(255))
    folder: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(400))
    sha256: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    kind: Mapped[str] = mapped_column(String(32))
    #: The file's identity in its document (item, original name, occurrence).
    file_key: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default=State.TRANSFORMED)
    drive_item_id: Mapped[str | None] = mapped_column(String(64))
    #: The quickXorHash SharePoint reported at upload (it may differ from the source's when
    #: SharePoint rewrites an Office file) and the source bytes' own.
    quickxor: Mapped[str | None] = mapped_column(String(64))
    source_quickxor: Mapped[str | None] = mapped_column(String(64))
    upload_url: Mapped[str | None] = mapped_column(Text)
    upload_expires: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Link(Base):
    __tablename__ = "links"
    #: The link pass replaces a document's links one document at a time.
    __table_args__ = (Index("ix_links_document", "document_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    kind: Mapped[str] = mapped_column(String(16))
    target_database: Mapped[str | None] = mapped_column(String(16))
    target_view: Mapped[str | None] = mapped_column(String(64))
    target_document: Mapped[str | None] = mapped_column(String(64))
    rewritten_url: Mapped[str | None] = mapped_column(Text)
    #: What the link pass made of it: direct (its target's SharePoint URL), pending (the
    #: redirector: the target is known but not in SharePoint), broken (the redirector: the
    #: target is in no export); None until the pass has run.
    status: Mapped[str | None] = mapped_column(String(16))


class Quarantine(Base):
    __tablename__ = "quarantine"
    #: Every hold looks for the document's open entry with the same reason.
    __table_args__ = (Index("ix_quarantine_document", "document_id", "resolved"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    stage: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)
    detail: Mapped[str | None] = mapped_column(Text)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    resolved: Mapped[bool] = mapped_column(Boolean, default=False)


class Event(Base):
    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    stage: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(32))
    message: Mapped[str | None] = mapped_column(Text)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class UnknownAccount(Base):
    """A Notes name SharePoint knows no account for, per database (from the latest load)."""

    __tablename__ = "unknown_accounts"
    __table_args__ = (UniqueConstraint("database_id", "name", name="uq_unknown_accounts_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    database_id: Mapped[int] = mapped_column(ForeignKey("databases.id"))
    name: Mapped[str] = mapped_column(Text)
    occurrences: Mapped[int] = mapped_column(Integer, default=0)
    last_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AccessScope(Base):
    """A unique permission scope notesmig made: a list's ACL, or an audience folder."""

    __tablename__ = "access_scopes"
    __table_args__ = (UniqueConstraint("database_id", "target", "key", name="uq_access_scope"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    database_id: Mapped[int] = mapped_column(ForeignKey("databases.id"))
    #: The list or library (its SharePoint id).
    target: Mapped[str] = mapped_column(String(64))
    #: "list" for the list's own permissions, the audience folder's name otherwise.
    key: Mapped[str] = mapped_column(String(64))
    item_id: Mapped[str | None] = mapped_column(String(32))
    grants_sha256: Mapped[str] = mapped_column(String(64))
    grants: Mapped[list[dict[str, str]] | None] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16), default="planned")
    verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SourceExport(Base):
    """One DXL export read for a database: the evidence of what the migration started from."""

    __tablename__ = "source_exports"
    __table_args__ = (UniqueConstraint("database_id", "path", name="uq_source_exports_path"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    database_id: Mapped[int] = mapped_column(ForeignKey("databases.id"))
    path: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str | None] = mapped_column(String(64))
    bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    documents: Mapped[int] = mapped_column(Integer, default=0)
    seen: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Validation(Base):
    """One validation of a database's rows before its load (GX Core)."""

    __tablename__ = "validations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    database_id: Mapped[int] = mapped_column(ForeignKey("databases.id"))
    checked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    rows: Mapped[int] = mapped_column(Integer, default=0)
    failed_rows: Mapped[int] = mapped_column(Integer, default=0)
    expectations: Mapped[int] = mapped_column(Integer, default=0)
    failed_expectations: Mapped[int] = mapped_column(Integer, default=0)
    max_failure_ratio: Mapped[float] = mapped_column(Float, default=0.0)
    stopped: Mapped[bool] = mapped_column(Boolean, default=False)
    data_docs: Mapped[str | None] = mapped_column(Text)
    results: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)


class VerdictRow(Base):
    """The reconciler's latest finding for one document, or for one SharePoint item or file
    the ledger does not know (``subject`` is the UNID, or ``item:<list>:<id>``/``file:<id>``)."""

    __tablename__ = "verdicts"
    __table_args__ = (UniqueConstraint("database_id", "subject", name="uq_verdicts_subject"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    database_id: Mapped[int] = mapped_column(ForeignKey("databases.id"))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    subject: Mapped[str] = mapped_column(String(255))
    unid: Mapped[str] = mapped_column(String(64))
    verdict: Mapped[str] = mapped_column(String(24))
    differences: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    web_url: Mapped[str | None] = mapped_column(Text)
    checked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DatabaseLease(Base):
    """Who is loading a database now: a run holds it until it finishes or its lease expires,
    so two runs (two DAG runs, a DAG run and the command line) never load one database at once."""

    __tablename__ = "database_leases"

    replica_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    holder: Mapped[str] = mapped_column(String(255))
    #: Unix time the lease ends unless renewed.
    expires: Mapped[float] = mapped_column(Float)


class Budget(Base):
    """A tenant's resource-unit token bucket, shared by every worker (one tenant, one budget)."""

    __tablename__ = "budgets"

    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    tokens: Mapped[float] = mapped_column(Float, default=0.0)
    #: Unix time the tokens were last counted.
    updated: Mapped[float] = mapped_column(Float, default=0.0)
    #: Until when everyone waits (a Retry-After the service sent to any worker).
    paused_until: Mapped[float] = mapped_column(Float, default=0.0)
    used: Mapped[int] = mapped_column(BigInteger, default=0)
