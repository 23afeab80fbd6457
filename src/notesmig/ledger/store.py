"""The migration ledger: every document tracked from source to target, across runs and workers.

SQLite (a file, WAL mode) by default; PostgreSQL for several Airflow workers, where claims use
``SELECT ... FOR UPDATE SKIP LOCKED`` so no two workers ever take the same document. On SQLite
``BEGIN IMMEDIATE`` makes every claim a single writer. Transitions are idempotent: repeating
one is a no-op, and a document whose source hash changed is scheduled again as an update.
"""

from __future__ import annotations

import os
import socket
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, delete, event, func, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, sessionmaker

from notesmig.ledger.models import (
    STAGE_ORDER,
    Attachment,
    Database,
    Document,
    Event,
    Link,
    Quarantine,
    Run,
    State,
    utcnow,
)

DEFAULT_URL = "sqlite:///notesmig-ledger.sqlite3"
_MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class DocumentRecord:
    """What the ledger needs to know about one document as it is seen."""

    unid: str
    form: str | None
    parent_unid: str | None
    source_sha256: str


@dataclass(frozen=True)
class Claimed:
    id: int
    database: str
    unid: str
    state: str
    update_pending: bool
    item_id: str | None


@dataclass(frozen=True)
class DatabaseStatus:
    replica_id: str
    title: str | None
    states: dict[str, int]
    quarantined: int
    errors: int
    update_pending: int

    @property
    def total(self) -> int:
        return sum(self.states.values())


def alembic_config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.attributes["connection"] = connection
    return config


class Ledger:
    """Access to one ledger database (any SQLAlchemy URL)."""

    def __init__(self, url: str = DEFAULT_URL) -> None:
        self.url = url
        self.engine: Engine = create_engine(url, future=True)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
            # pysqlite's own BEGIN handling would defeat BEGIN IMMEDIATE; take it over.
            event.listen(self.engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def upgrade(self) -> None:
        """Create or migrate the schema to the current version (Alembic)."""
        with self.engine.begin() as connection:
            command.upgrade(alembic_config(connection), "head")

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions.begin() as session:
            yield session

    # -- runs and events ------------------------------------------------------------------

    def begin_run(self, stage: str) -> int:
        with self.session() as session:
            run = Run(stage=stage)
            session.add(run)
            session.flush()
            return run.id

    def finish_run(self, run_id: int, status: str, counts: dict[str, int]) -> None:
        with self.session() as session:
            session.execute(
                update(Run)
                .where(Run.id == run_id)
                .values(finished=utcnow(), status=status, counts=counts)
            )

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

    # -- transitions ----------------------------------------------------------------------

    def advance(
        self, database_id: int, unid: str, state: State, *, run_id: int | None = None, **values: Any
    ) -> bool:
        """Move a document forward to ``state``; a no-op (False) if it is already there or past."""
        with self.session() as session:
            row = _document(session, database_id, unid)
            if row.state == state or (
                STAGE_ORDER[State(row.state)] > STAGE_ORDER[state]
                and state not in (State.QUARANTINED, State.EXCLUDED)
            ):
                return False
            row.state = state
            row.claimed_by = None
            row.claimed_at = None
            if state in (State.LOADED, State.VERIFIED):
                row.update_pending = False
            for key, value in values.items():
                setattr(row, key, value)
            session.add(Event(run_id=run_id, document_id=row.id, stage=str(state), kind="advance"))
            return True

    def quarantine(
        self,
        database_id: int,
        unid: str,
        stage: str,
        reason: str,
        detail: str = "",
        *,
        run_id: int | None = None,
    ) -> bool:
        """Hold a document back with the reason (once per document and reason)."""
        with self.session() as session:
            row = _document(session, database_id, unid)
            open_entry = session.scalar(
                select(Quarantine).where(
                    Quarantine.document_id == row.id,
                    Quarantine.reason == reason,
                    Quarantine.resolved.is_(False),
                )
            )
            row.state, row.error, row.claimed_by = State.QUARANTINED, reason, None
            if open_entry is not None:
                return False
            session.add(Quarantine(document_id=row.id, stage=stage, reason=reason, detail=detail))
            session.add(
                Event(
                    run_id=run_id,
                    document_id=row.id,
                    stage=stage,
                    kind="quarantine",
                    message=reason,
                )
            )
            return True

    def apply_transform(
        self,
        database_id: int,
        *,
        transformed: Sequence[str],
        quarantined: Sequence[tuple[str, str, str]],
        excluded: Sequence[tuple[str, str]],
        files: Sequence[dict[str, Any]] = (),
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
            for unid, _reason in excluded:
                row = row_of(unid)
                if State(row.state) in movable:
                    row.state, row.error = State.EXCLUDED, None
                    outcome["excluded"] += 1
            session.flush()
            existing = {
                (a.document_id, a.library, a.folder, a.name): a
                for a in session.scalars(
                    select(Attachment).join(Document).where(Document.database_id == database_id)
                )
            }
            for file in files:
                values = {k: v for k, v in file.items() if k != "unid"}
                document_id = row_of(file["unid"]).id
                key = (document_id, values["library"], values["folder"], values["name"])
                known = existing.get(key)
                if known is None:
                    attachment = Attachment(document_id=document_id, **values)
                    session.add(attachment)
                    existing[key] = attachment
                elif known.sha256 != values.get("sha256"):
                    for name, value in values.items():
                        setattr(known, name, value)
                    known.state, known.drive_item_id, known.quickxor = State.TRANSFORMED, None, None
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

    # -- claiming -------------------------------------------------------------------------

    def claim(
        self,
        state: State,
        limit: int,
        *,
        worker: str | None = None,
        lease: timedelta = timedelta(minutes=30),
        database: str | None = None,
    ) -> list[Claimed]:
        """Take up to ``limit`` documents in ``state`` that no live worker holds."""
        worker = worker or worker_name()
        now = datetime.now(UTC)
        stale = now - lease
        with self.session() as session:
            query = (
                select(Document, Database.replica_id)
                .join(Database, Database.id == Document.database_id)
                .where(Document.state == str(state))
                .where((Document.claimed_by.is_(None)) | (Document.claimed_at < stale))
                .order_by(Document.id)
                .limit(limit)
            )
            if database is not None:
                query = query.where(Database.replica_id == database)
            if not self.is_sqlite:
                query = query.with_for_update(skip_locked=True, of=Document)
            rows = session.execute(query).all()
            claimed = []
            for document, replica in rows:
                document.claimed_by, document.claimed_at = worker, now
                claimed.append(
                    Claimed(
                        document.id,
                        replica,
                        document.unid,
                        document.state,
                        document.update_pending,
                        document.item_id,
                    )
                )
            return claimed

    def release(self, ids: Iterable[int]) -> None:
        with self.session() as session:
            session.execute(
                update(Document)
                .where(Document.id.in_(list(ids)))
                .values(claimed_by=None, claimed_at=None)
            )

    # -- loading --------------------------------------------------------------------------

    def load_view(self, replica_id: str) -> dict[str, tuple[str, str | None, str]]:
        """UNID -> (state, item id, source sha256) for one database."""
        with self.session() as session:
            rows = session.execute(
                select(Document.unid, Document.state, Document.item_id, Document.source_sha256)
                .join(Database)
                .where(Database.replica_id == replica_id)
            )
            return {unid: (state, item, sha) for unid, state, item, sha in rows}

    def attachment_view(self, replica_id: str) -> dict[tuple[str, str, str, str], Attachment]:
        """(UNID, library, folder, name) -> attachment row, for one database."""
        with self.session() as session:
            rows = session.execute(
                select(Document.unid, Attachment)
                .join(Attachment, Attachment.document_id == Document.id)
                .join(Database, Database.id == Document.database_id)
                .where(Database.replica_id == replica_id)
            )
            return {(unid, a.library, a.folder, a.name): a for unid, a in rows}

    def update_attachment(self, attachment_id: int, **values: Any) -> None:
        with self.session() as session:
            session.execute(
                update(Attachment).where(Attachment.id == attachment_id).values(**values)
            )

    # -- reading --------------------------------------------------------------------------

    def database_id(self, replica_id: str) -> int | None:
        with self.session() as session:
            return session.scalar(select(Database.id).where(Database.replica_id == replica_id))

    def states(self, replica_id: str) -> dict[str, str]:
        with self.session() as session:
            rows = session.execute(
                select(Document.unid, Document.state)
                .join(Database)
                .where(Database.replica_id == replica_id)
            )
            return dict(rows.all())

    def status(self) -> list[DatabaseStatus]:
        with self.session() as session:
            counts: dict[int, dict[str, int]] = defaultdict(dict)
            for database_id, state, number in session.execute(
                select(Document.database_id, Document.state, func.count()).group_by(
                    Document.database_id, Document.state
                )
            ):
                counts[database_id][state] = number
            errors = dict(
                session.execute(
                    select(Document.database_id, func.count())
                    .where(Document.error.is_not(None), Document.state != State.QUARANTINED)
                    .group_by(Document.database_id)
                ).all()
            )
            pending = dict(
                session.execute(
                    select(Document.database_id, func.count())
                    .where(Document.update_pending.is_(True))
                    .group_by(Document.database_id)
                ).all()
            )
            held = dict(
                session.execute(
                    select(Document.database_id, func.count(func.distinct(Quarantine.document_id)))
                    .join(Quarantine, Quarantine.document_id == Document.id)
                    .where(Quarantine.resolved.is_(False))
                    .group_by(Document.database_id)
                ).all()
            )
            result = []
            for database in session.scalars(select(Database).order_by(Database.replica_id)):
                result.append(
                    DatabaseStatus(
                        database.replica_id,
                        database.title,
                        dict(sorted(counts[database.id].items())),
                        held.get(database.id, 0),
                        errors.get(database.id, 0),
                        pending.get(database.id, 0),
                    )
                )
            return result

    def quarantined(self, replica_id: str | None = None) -> list[dict[str, Any]]:
        with self.session() as session:
            query = (
                select(
                    Database.replica_id,
                    Document.unid,
                    Document.form,
                    Quarantine.stage,
                    Quarantine.reason,
                    Quarantine.detail,
                    Quarantine.created,
                )
                .join(Document, Document.id == Quarantine.document_id)
                .join(Database, Database.id == Document.database_id)
                .where(Quarantine.resolved.is_(False))
                .order_by(Database.replica_id, Document.unid)
            )
            if replica_id is not None:
                query = query.where(Database.replica_id == replica_id)
            return [dict(row._mapping) for row in session.execute(query)]


def _document(session: Session, database_id: int, unid: str) -> Document:
    row = session.scalar(
        select(Document).where(Document.database_id == database_id, Document.unid == unid)
    )
    if row is None:
        raise KeyError(f"document {unid} is not in the ledger")
    return row


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    # Autocommit at the driver level: SQLAlchemy's "begin" event issues BEGIN IMMEDIATE.
    connection.isolation_level = None
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
