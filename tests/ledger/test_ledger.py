"""The ledger on SQLite and PostgreSQL: states, idempotence, change detection, resume."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from notesmig.ledger import DocumentRecord, Ledger, State
from notesmig.ledger.base import UnknownDocumentError
from notesmig.ledger.models import Attachment, Database, Quarantine
from notesmig.mapping import load_mappings
from notesmig.records import FileRow
from notesmig.sample.corpus import SampleFile
from notesmig.transform.stage import run_transform

REPLICA = "B82634FA404574D2"


def records(count: int, version: str = "a") -> list[DocumentRecord]:
    return [DocumentRecord(f"{n:032X}", "TripRequest", None, version * 64) for n in range(count)]


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


def test_new_unchanged_and_changed_documents(ledger_url: str) -> None:
    ledger = Ledger(ledger_url)
    ledger.upgrade()
    database = ledger.register_database(REPLICA, "出張申請", "shutcho.dxl")
    assert ledger.register_database(REPLICA, "出張申請", "shutcho.dxl") == database
    assert ledger.record_extracted(database, records(5)) == {"new": 5}
    assert ledger.record_extracted(database, records(5)) == {"unchanged": 5}
    first = f"{0:032X}"
    assert ledger.advance(database, first, State.TRANSFORMED)
    assert ledger.advance(database, first, State.LOADED, item_id="7", web_url="https://x/7")
    assert not ledger.advance(database, first, State.LOADED)  # repeating is a no-op
    assert not ledger.advance(database, first, State.TRANSFORMED)  # never backwards
    changed = records(5)
    changed[0] = DocumentRecord(first, "TripRequest", None, "b" * 64)
    assert ledger.record_extracted(database, changed) == {"unchanged": 4, "changed": 1}
    [status] = ledger.status()
    assert status.states == {"extracted": 5} and status.update_pending == 1
    assert ledger.states(REPLICA)[first] == "extracted"
    ledger.close()


def test_transform_outcomes_are_idempotent(ledger_url: str) -> None:
    ledger = Ledger(ledger_url)
    ledger.upgrade()
    database = ledger.register_database(REPLICA, "出張申請", None)
    ledger.record_extracted(database, records(4))
    unids = [f"{n:032X}" for n in range(4)]
    files = [FileRow(database=REPLICA, unid=unids[0], original_name="a:b.pdf", library="L",
                     folder=unids[0], name="a_b.pdf", sha256="c" * 64, size=10, kind="file",
                     blob="cc/" + "c" * 64)]  # fmt: skip
    outcome = {
        "transformed": unids[:2],
        "quarantined": [(unids[2], "restricted (Readers field)", "山田 太郎/情報政策課/Maebashi")],
        "excluded": [(unids[3], "form 'X' is not mapped")],
        "links": [(unids[0], "doclink", "58D6B8A63270688E", "V", "D")],
    }
    first = ledger.apply_transform(database, files=files, **outcome)  # type: ignore[arg-type]
    again = ledger.apply_transform(database, files=files, **outcome)  # type: ignore[arg-type]
    assert first == again == {"transformed": 2, "quarantined": 1, "excluded": 1}
    with ledger.session() as session:
        assert session.scalar(select(func.count()).select_from(Quarantine)) == 1
        assert session.scalar(select(func.count()).select_from(Attachment)) == 1
    [status] = ledger.status()
    assert status.states == {"excluded": 1, "quarantined": 1, "transformed": 2}
    assert (status.quarantined, status.errors) == (1, 0)
    [held] = ledger.quarantined(REPLICA)
    assert (held["unid"], held["reason"], held["detail"]) == (unids[2], "restricted (Readers field)",
                                                              "山田 太郎/情報政策課/Maebashi")  # fmt: skip
    # The mapping is fixed and the document now transforms: its quarantine entry is resolved.
    ledger.apply_transform(database, transformed=[unids[2]], quarantined=[], excluded=[])
    [status] = ledger.status()
    assert status.quarantined == 0 and status.states["transformed"] == 3
    ledger.close()


def test_resume_after_an_interrupted_transform(
    ledger_url: str,
    sample_corpus: list[SampleFile],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from notesmig.extract import extract
    from notesmig.mapping.suggest import suggest

    extract([s.path for s in sample_corpus], tmp_path / "extract")
    (tmp_path / "mappings").mkdir()
    for sample in sample_corpus:
        (tmp_path / "mappings" / f"{sample.path.stem}.yaml").write_text(
            suggest(sample.path).yaml, encoding="utf-8"
        )
    mappings = load_mappings(tmp_path / "mappings")
    ledger = Ledger(ledger_url)
    ledger.upgrade()
    original = Ledger.apply_transform
    calls = {"n": 0}

    def crash_on_third(self: Ledger, *args: object, **kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt("worker killed")
        return original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Ledger, "apply_transform", crash_on_third)
    with pytest.raises(KeyboardInterrupt):
        run_transform(tmp_path / "extract", mappings, tmp_path / "out", ledger)
    partial = {s.replica_id: s.total for s in ledger.status()}
    assert len(partial) >= 2  # two databases were recorded before the crash
    monkeypatch.setattr(Ledger, "apply_transform", original)
    result = run_transform(tmp_path / "extract", mappings, tmp_path / "out", ledger)
    again = run_transform(tmp_path / "extract", mappings, tmp_path / "out", ledger)
    status = {s.replica_id: s for s in ledger.status()}
    for database, totals in result.totals.items():
        assert status[database].total == totals.extracted
        assert status[database].states.get("transformed", 0) == totals.transformed
        assert status[database].quarantined == totals.quarantined
    assert [r.rows for r in (result, again)] == [result.rows] * 2
    assert result.rows == sum(t.transformed for t in result.totals.values()) > 0
    with ledger.session() as session:
        entries = session.scalar(select(func.count()).select_from(Quarantine))
        assert entries == sum(t.quarantined for t in result.totals.values())  # no duplicates
        hashes = dict(session.execute(select(Database.title, Database.source_sha256)).all())
    for sample in sample_corpus:  # the ledger names the exact export each database came from
        assert hashes[sample.title] == hashlib.sha256(sample.path.read_bytes()).hexdigest()
    ledger.close()


def test_many_documents_advance_in_one_transaction_as_one_at_a_time_would(
    ledger_url: str,
) -> None:
    ledger = Ledger(ledger_url)
    ledger.upgrade()
    database = ledger.register_database(REPLICA, "出張申請", None)
    ledger.record_extracted(database, records(4))
    unids = [f"{n:032X}" for n in range(4)]
    ledger.advance(database, unids[0], State.VERIFIED)
    loaded = {u: {"item_id": str(n + 1), "web_url": f"https://x/{n + 1}"}
              for n, u in enumerate(unids)}  # fmt: skip
    assert ledger.advance_many(database, State.LOADED, loaded) == 3  # the verified one stays
    assert ledger.advance_many(database, State.LOADED, loaded) == 0  # repeating is a no-op
    assert ledger.states(REPLICA) == {unids[0]: "verified", **dict.fromkeys(unids[1:], "loaded")}
    view = ledger.load_view(REPLICA)
    assert [view[u][1] for u in unids] == [None, "2", "3", "4"]
    # A ledger error of notesmig's (terminal: no retry finds the row), still a KeyError.
    with pytest.raises(UnknownDocumentError, match=f"^document {'F' * 32} is not in the ledger$"):
        ledger.advance_many(database, State.LOADED, {"F" * 32: {}})
    with pytest.raises(KeyError):
        ledger.advance(database, "E" * 32, State.LOADED)
    with pytest.raises(ValueError, match="forward"):
        ledger.advance_many(database, State.QUARANTINED, {unids[1]: {}})
    ledger.close()


def test_many_attachments_are_updated_in_one_transaction(ledger_url: str) -> None:
    ledger = Ledger(ledger_url)
    ledger.upgrade()
    database = ledger.register_database(REPLICA, "文書ライブラリ", None)
    ledger.record_extracted(database, records(2))
    unids = [f"{n:032X}" for n in range(2)]
    files = [FileRow(database=REPLICA, unid=u, original_name=f"{n}.pdf", library="L", folder=u,
                     name=f"{n}.pdf", sha256=str(n) * 64, size=10, kind="file",
                     blob=f"{n}{n}/" + str(n) * 64) for n, u in enumerate(unids)]  # fmt: skip
    ledger.apply_transform(database, transformed=unids, quarantined=[], excluded=[], files=files)
    attachments = ledger.attachment_view(REPLICA)
    ids = {key[0]: a.id for key, a in attachments.items()}
    ledger.update_attachments({ids[unids[0]]: {"state": State.LOADED, "drive_item_id": "d0"},
                               ids[unids[1]]: {"drive_item_id": "d1"}})  # fmt: skip
    after = {
        key[0]: (str(a.state), a.drive_item_id)
        for key, a in ledger.attachment_view(REPLICA).items()
    }
    assert after == {unids[0]: ("loaded", "d0"), unids[1]: ("transformed", "d1")}
    ledger.close()
