"""The ledger's connection: engine, sessions, schema migration and runs.

SQLite (a file, WAL mode) by default; PostgreSQL for several Airflow workers. On SQLite every
transaction is ``BEGIN IMMEDIATE``, so writers queue rather than fail.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, sessionmaker

from notesmig.errors import TerminalError
from notesmig.ledger.models import (
    Document,
    Run,
    utcnow,
)

DEFAULT_URL = "sqlite:///notesmig-ledger.sqlite3"
_MIGRATIONS = Path(__file__).resolve().parent / "migrations"
#: The advisory lock that serialises schema migrations on PostgreSQL ("notesmig" in ASCII).
_UPGRADE_LOCK = 0x6E6F7465736D6967


class UnknownDocumentError(TerminalError, KeyError):
    """A document the ledger was never told of (a stage run against another ledger, or one
    reset since the transform)."""

    def __str__(self) -> str:
        # KeyError's own str() quotes its argument as a key; this one is a sentence.
        return str(self.args[0]) if self.args else ""


def alembic_config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.attributes["connection"] = connection
    return config


class LedgerBase:
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
            if self.engine.dialect.name == "postgresql":
                # Workers starting together on a new ledger would each create the tables: the
                # first migrates, the others wait for it and find the schema current.
                connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_UPGRADE_LOCK})")
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

    def finish_run(
        self, run_id: int, status: str, counts: Mapping[str, int | dict[str, int]]
    ) -> None:
        with self.session() as session:
            session.execute(
                update(Run)
                .where(Run.id == run_id)
                .values(finished=utcnow(), status=status, counts=counts)
            )


def _document(session: Session, database_id: int, unid: str) -> Document:
    row = session.scalar(
        select(Document).where(Document.database_id == database_id, Document.unid == unid)
    )
    if row is None:
        raise UnknownDocumentError(f"document {unid} is not in the ledger")
    return row


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    # Autocommit at the driver level: SQLAlchemy's "begin" event issues BEGIN IMMEDIATE.
    connection.isolation_level = None
    cursor = connection.cursor()
    cursor.execute("PRAGMA busy_timeout=30000")
    # WAL stays with the file once set. Setting it on a new file needs a lock SQLite does not
    # wait for (no busy handler), and other workers may be creating the same ledger: retry.
    wal = False
    for attempt in range(100):
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                cursor.execute("PRAGMA journal_mode=WAL")
            wal = cursor.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            break
        except sqlite3.OperationalError:
            if attempt == 99:
                raise
            time.sleep(0.05)
    # In WAL mode NORMAL syncs at checkpoints, not at every commit: a crash of the process
    # loses nothing, and a power cut at most the last commits, which the loader recovers from
    # SharePoint (an item the ledger forgot is found by its NotesUNID and adopted). FULL made
    # every ledger write wait on the disk, about 1.3 ms here, holding up the load's event loop.
    if wal:  # NORMAL is safe against a power cut only with WAL (an in-memory ledger has none)
        cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
