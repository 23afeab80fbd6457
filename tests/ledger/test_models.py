"""The ledger's tables: built exactly by the migrations, found by index, and the states a
document moves through."""

from __future__ import annotations

from datetime import UTC, timedelta
from pathlib import Path

from notesmig.ledger import Ledger
from notesmig.ledger.models import (
    STAGE_ORDER,
    AccessScope,
    Attachment,
    Database,
    Document,
    Run,
    State,
    utcnow,
)
from tests.ledger.helpers import REPLICA


def test_the_migrations_build_exactly_the_models(ledger_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from notesmig.ledger.models import Base

    ledger = Ledger(ledger_url)
    ledger.upgrade()
    with ledger.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    ledger.close()
    # Server defaults and SQLite's loose types aside, a table, column or constraint that the
    # models have and the migrations do not (or the other way round) is a failure.
    assert [d for d in differences if d[0] not in ("modify_default", "modify_type")] == []


def test_a_documents_links_and_holds_are_found_by_index_not_by_scan(tmp_path: Path) -> None:
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    ledger.upgrade()
    with ledger.engine.connect() as connection:
        plans = [
            " ".join(str(row[3]) for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))
            for sql in (
                "DELETE FROM links WHERE document_id = 7",
                "SELECT id FROM quarantine WHERE document_id = 7 AND reason = 'r' AND resolved = 0",
            )
        ]
    ledger.close()
    # Before: "SCAN links", a whole table read for every document of the link pass.
    assert "INDEX ix_links_document" in plans[0]
    assert "INDEX ix_quarantine_document" in plans[1]


def test_every_state_has_its_place_and_the_pipeline_runs_forward() -> None:
    assert set(STAGE_ORDER) == set(State)
    forward = [State.EXTRACTED, State.TRANSFORMED, State.LOADED, State.VERIFIED]
    assert [STAGE_ORDER[s] for s in forward] == sorted({STAGE_ORDER[s] for s in forward})
    # Held back, left out or deleted: where the transform leaves a document.
    for held in (State.QUARANTINED, State.EXCLUDED, State.DELETED):
        assert STAGE_ORDER[held] == STAGE_ORDER[State.TRANSFORMED]
    # The strings stored in existing ledgers.
    assert [str(s) for s in State] == ["extracted", "transformed", "loaded", "verified",
                                       "quarantined", "excluded", "deleted"]  # fmt: skip


def test_new_rows_start_where_the_pipeline_starts(ledger: Ledger) -> None:
    with ledger.session() as session:
        database = Database(replica_id=REPLICA)
        session.add(database)
        session.flush()
        document = Document(database_id=database.id, unid="A" * 32, source_sha256="a" * 64)
        session.add(document)
        session.flush()
        attachment = Attachment(document_id=document.id, original_name="a.pdf", library="L",
                                folder="f", name="a.pdf", kind="attachment")  # fmt: skip
        scope = AccessScope(database_id=database.id, target="list-1", key="list",
                            grants_sha256="b" * 64)  # fmt: skip
        run = Run(stage="load")
        session.add_all([attachment, scope, run])
        session.flush()
        assert (document.state, document.update_pending) == (State.EXTRACTED, False)
        assert (database.documents, database.merged) == (0, 0)
        assert (attachment.state, attachment.size) == (State.TRANSFORMED, 0)
        assert (scope.state, run.status) == ("planned", "running")


def test_times_are_utc_and_aware() -> None:
    now = utcnow()
    assert now.tzinfo is UTC and now.utcoffset() == timedelta(0)
