"""The ledger's connection: the schema migrated once, SQLite set up for several writers,
transactions that commit whole or not at all, and runs."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from notesmig.errors import TerminalError
from notesmig.ledger import Ledger
from notesmig.ledger.base import UnknownDocumentError
from notesmig.ledger.models import Database, Document, Run
from tests.ledger.helpers import REPLICA


def test_schema_is_migrated_once(ledger_url: str) -> None:
    ledger = Ledger(ledger_url)
    ledger.upgrade()
    ledger.upgrade()
    from alembic.script import ScriptDirectory

    from notesmig.ledger.base import _MIGRATIONS

    head = ScriptDirectory(str(_MIGRATIONS)).get_current_head()
    with ledger.engine.connect() as connection:
        version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    assert version == head and head is not None and int(head) >= 2
    ledger.close()


def test_sqlite_is_in_wal_mode_waits_for_writers_and_enforces_foreign_keys(
    ledger: Ledger,
) -> None:
    with ledger.engine.connect() as connection:
        pragma = {
            name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "busy_timeout", "foreign_keys", "synchronous")
        }
    assert pragma == {
        "journal_mode": "wal",
        "busy_timeout": 30000,
        "foreign_keys": 1,
        "synchronous": 1,
    }  # synchronous 1: NORMAL (safe with WAL)
    with pytest.raises(IntegrityError), ledger.session() as session:
        session.add(Document(database_id=999, unid="A" * 32, source_sha256="a" * 64))


def test_a_session_commits_whole_or_not_at_all(ledger: Ledger) -> None:
    with pytest.raises(RuntimeError), ledger.session() as session:
        session.add(Database(replica_id=REPLICA))
        session.flush()
        raise RuntimeError("a worker stopped midway")
    with ledger.session() as session:
        assert session.scalar(select(func.count()).select_from(Database)) == 0
        session.add(Database(replica_id=REPLICA))
    with ledger.session() as session:
        assert session.scalars(select(Database.replica_id)).all() == [REPLICA]


def test_a_run_is_recorded_from_its_start_to_its_end(ledger: Ledger) -> None:
    first, second = ledger.begin_run("transform"), ledger.begin_run("load")
    assert second > first
    with ledger.session() as session:
        run = session.get(Run, first)
        assert run is not None
        assert (run.stage, run.status, run.finished, run.counts) == (
            "transform", "running", None, None)  # fmt: skip
    ledger.finish_run(first, "success", {"transformed": 3, "unknown_people": {"山田": 2}})
    with ledger.session() as session:
        run = session.get(Run, first)
        assert run is not None and (run.status, run.counts) == (
            "success", {"transformed": 3, "unknown_people": {"山田": 2}})  # fmt: skip
        assert run.finished is not None and run.finished >= run.started
        other = session.get(Run, second)
        assert other is not None and other.status == "running"  # untouched


def test_an_unknown_document_is_a_terminal_key_error_that_reads_as_a_sentence() -> None:
    error = UnknownDocumentError(f"document {'F' * 32} is not in the ledger")
    assert str(error) == f"document {'F' * 32} is not in the ledger"  # not quoted as a key
    assert isinstance(error, KeyError) and isinstance(error, TerminalError)
    assert str(UnknownDocumentError()) == ""
