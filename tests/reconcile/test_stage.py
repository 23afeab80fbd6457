"""The reconciliation stage of one database, against a database loaded into the emulator: its
verdicts and repairs recorded in the ledger as a reconcile run of that database, and a summary
for the next task."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import select

from notesmig.emulator.server import EmulatorProcess
from notesmig.ledger import Ledger, State
from notesmig.ledger.models import Database, Document, Run, VerdictRow
from notesmig.pipeline import StageSettings, discover_databases
from notesmig.pipeline.stages import extract_database, load_database, transform_database
from notesmig.reconcile.stage import reconcile
from notesmig.records import ReconciledDatabase, TargetPlan
from notesmig.sample.dxlbuild import stable_hex, text_item
from notesmig.sharepoint.budget import ResourceBudget
from notesmig.sharepoint.client import GraphEndpoint
from notesmig.sharepoint.graph import Graph
from notesmig.sharepoint.rest import RestEndpoint, SharePointRest
from tests.dxlfiles import database, document

REPLICA = "0123456789ABCDEF"
UNIDS = [stable_hex("reconcile", n) for n in range(3)]
MAPPING = f"""version: 1
database: {{replica_id: "{REPLICA}"}}
target: {{site: "contoso.sharepoint.com:/sites/notes-migration"}}
forms:
  Memo: {{list: "メモ", items: {{Subject: {{column: Title, type: text}}}}}}
"""


@dataclass
class Loaded:
    settings: StageSettings
    emulator: EmulatorProcess


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loaded]:
    """Three memos extracted, transformed and loaded into an emulator of their own."""
    root = tmp_path_factory.mktemp("reconcile")
    database(root / "drop" / "memos.dxl", "メモ",
             *(document("Memo", u, text_item("Subject", f"メモ {n}")) for n, u in enumerate(UNIDS)),
             replica=REPLICA)  # fmt: skip
    (root / "mappings").mkdir()
    (root / "mappings" / "memos.yaml").write_text(MAPPING, encoding="utf-8")
    with EmulatorProcess(root / "emulator", options=("--ru-per-minute", "0")) as emulator:
        settings = StageSettings(
            work=root / "work", mappings=root / "mappings",
            ledger_url=f"sqlite:///{root / 'ledger.sqlite3'}",
            graph=GraphEndpoint(emulator.graph_url), ru_per_minute=0, data_docs=False,
        )  # fmt: skip
        [source] = discover_databases([root / "drop"])
        transformed, _ = transform_database(extract_database(source, settings), settings)
        counts = load_database(transformed, settings).counts
        assert counts.items_created == 3, counts
        yield Loaded(settings, emulator)


def run(settings: StageSettings, ledger: Ledger, plan: TargetPlan) -> ReconciledDatabase:
    return asyncio.run(reconciled(settings, ledger, plan))


async def reconciled(
    settings: StageSettings, ledger: Ledger, plan: TargetPlan
) -> ReconciledDatabase:
    budget = ResourceBudget(0)
    graph = Graph(settings.graph.adapter(), budget)
    async with SharePointRest(RestEndpoint.for_site(settings.graph, plan.site), budget) as rest:
        return await reconcile(graph, rest, ledger, plan, "メモ")


def reconcile_runs(ledger: Ledger) -> list[Run]:
    with ledger.session() as session:
        return list(session.scalars(select(Run).where(Run.stage == "reconcile").order_by(Run.id)))


def test_verdicts_and_repairs_are_recorded_as_a_reconcile_run_of_the_database(
    loaded: Loaded,
) -> None:
    ledger = Ledger(loaded.settings.ledger_url)
    plan = ledger.target_of(REPLICA)
    assert plan is not None
    before = len(reconcile_runs(ledger))
    verified = run(loaded.settings, ledger, plan)
    assert verified == ReconciledDatabase(replica_id=REPLICA, title="メモ",
                                          verdicts={"verified": 3}, repairs=0)  # fmt: skip
    assert ledger.states(REPLICA) == dict.fromkeys(UNIDS, State.VERIFIED)

    # An item deleted in SharePoint: found missing, its repair scheduled for the next load.
    with ledger.session() as session:
        gone = session.scalars(select(Document).where(Document.unid == UNIDS[0])).one()
        database_id = session.scalars(
            select(Database.id).where(Database.replica_id == REPLICA)
        ).one()
    with httpx.Client(base_url=loaded.emulator.graph_url,
                      headers={"Authorization": "Bearer test"}) as http:  # fmt: skip
        site = http.get("/sites/contoso.sharepoint.com:/sites/notes-migration:").json()["id"]
        deleted = http.delete(f"/sites/{site}/lists/{gone.list_id}/items/{gone.item_id}")
        assert deleted.status_code == 204
    missing = run(loaded.settings, ledger, plan)
    assert (missing.verdicts, missing.repairs) == ({"missing": 1, "verified": 2}, 1)
    # Verified no longer: back to transformed, so the next load writes its item again.
    assert ledger.states(REPLICA)[UNIDS[0]] == State.TRANSFORMED

    runs = reconcile_runs(ledger)[before:]
    assert [(r.status, r.counts) for r in runs] == [
        ("success", {"verified": 3}), ("success", {"missing": 1, "verified": 2})
    ]  # fmt: skip
    # Before: a reconcile run named no database, so its counts belonged to none.
    assert [r.database_id for r in runs] == [database_id, database_id]
    with ledger.session() as session:
        verdict = session.scalars(select(VerdictRow).where(VerdictRow.unid == UNIDS[0])).one()
    assert verdict.verdict == "missing"
    ledger.close()


def test_a_database_the_ledger_does_not_hold_is_reconciled_but_recorded_nowhere(
    loaded: Loaded,
) -> None:
    ledger = Ledger(loaded.settings.ledger_url)
    plan = ledger.target_of(REPLICA)
    assert plan is not None
    before = len(reconcile_runs(ledger))
    stranger = plan.model_copy(update={"replica_id": "FEDCBA9876543210"})
    found = run(loaded.settings, ledger, stranger)
    assert found.replica_id == "FEDCBA9876543210" and found.repairs == 0
    assert len(reconcile_runs(ledger)) == before
    assert ledger.database_id("FEDCBA9876543210") is None
    ledger.close()
