"""Reconciliation against the emulator: defects planted through Graph itself are found with the
right verdicts, a repair run fixes what was lost or changed, and nothing else."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from notesmig.ledger import Ledger, State
from notesmig.pipeline import StageSettings
from notesmig.pipeline.stages import reconcile_replica
from notesmig.sample.corpus import SampleFile
from notesmig.sharepoint.client import GraphEndpoint
from tests.migration import SITE, emulator_for, mappings_for, migrate, pages

BOARD = "1E9675FC9921B17D"  # 掲示板
LIBRARY = "58D6B8A63270688E"  # 文書ライブラリ
DATABASES = ("1E9675FC9921B17D", "4BFEA2B6D741A32A", "58D6B8A63270688E", "B82634FA404574D2")


class _Client:
    def __init__(self, client: httpx.Client) -> None:
        self.client = client

    def get(self, path: str, params: dict[str, str] | None = None) -> httpx.Response:
        return self.client.get(path, params=params)


def verdicts(settings: StageSettings) -> dict[str, dict[str, int]]:
    return {replica: reconcile_replica(replica, settings).verdicts for replica in DATABASES}


def test_planted_defects_are_found_and_a_repair_run_verifies_everything(
    sample_corpus: list[SampleFile], tmp_path: Path
) -> None:
    mappings = mappings_for(sample_corpus, tmp_path / "mappings")
    ledger_url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    drop = [sample_corpus[0].path.parent]
    with emulator_for(tmp_path, sample_corpus, "--ru-per-minute", "0") as emulator:
        settings = StageSettings(
            work=tmp_path / "work", mappings=mappings, ledger_url=ledger_url,
            graph=GraphEndpoint(emulator.graph_url), ru_per_minute=0, data_docs=False,
        )  # fmt: skip
        first = migrate(drop, mappings, tmp_path / "work", graph_url=emulator.graph_url,
                        db_url=ledger_url)  # fmt: skip
        loaded = first.load.items_created
        clean = verdicts(settings)
        # Every loaded document verified, restricted ones with their permissions; nothing else.
        assert {r: set(v) for r, v in clean.items()} == {r: {"verified"} for r in DATABASES}
        assert sum(v["verified"] for v in clean.values()) == loaded == 79

        graph = httpx.Client(base_url=emulator.graph_url, headers={"Authorization": "Bearer app"})
        site = graph.get(SITE).json()["id"]
        lists = {e["displayName"]: e for e in pages(_Client(graph), f"/sites/{site}/lists")}
        board = pages(_Client(graph), f"/sites/{site}/lists/{lists['掲示板']['id']}/items",
                      {"$expand": "fields", "$top": "500"})  # fmt: skip
        edited, deleted = board[0], board[1]
        # 1. a field edited by hand
        assert graph.patch(
            f"/sites/{site}/lists/{lists['掲示板']['id']}/items/{edited['id']}/fields",
            json={"Title": "書き換えられた件名"},
        ).is_success
        # 2. an item deleted
        assert (
            graph.delete(
                f"/sites/{site}/lists/{lists['掲示板']['id']}/items/{deleted['id']}"
            ).status_code
            == 204
        )
        # 3. a file's content replaced
        library = lists["文書ライブラリ ファイル"]
        drive = graph.get(f"/sites/{site}/lists/{library['id']}/drive").json()["id"]
        files = pages(_Client(graph), f"/sites/{site}/lists/{library['id']}/items",
                      {"$expand": "fields,driveItem", "$top": "500"})  # fmt: skip
        replaced = next(f for f in files if "file" in f.get("driveItem", {}))
        assert graph.put(
            f"/drives/{drive}/items/{replaced['driveItem']['id']}/content",
            content=b"overwritten by hand",
            headers={"Content-Type": "application/octet-stream"},
        ).is_success
        # 4. an item added by hand to a migrated list
        added = graph.post(
            f"/sites/{site}/lists/{lists['掲示板']['id']}/items",
            json={"fields": {"Title": "手で追加した投稿"}},
        ).json()

        found = {r: reconcile_replica(r, settings) for r in DATABASES}
        ledger = Ledger(ledger_url)
        board_verdicts = {v.subject: v for v in ledger.verdicts(BOARD)}
        library_verdicts = {v.subject: v for v in ledger.verdicts(LIBRARY)}
        not_verified = {
            (r, v.subject, v.verdict)
            for r in DATABASES
            for v in ledger.verdicts(r)
            if v.verdict != "verified"
        }
        assert not_verified == {
            (BOARD, edited["fields"]["NotesUNID"], "changed"),
            (BOARD, deleted["fields"]["NotesUNID"], "missing"),
            (LIBRARY, replaced["fields"]["NotesUNID"], "file-altered"),
            (BOARD, f"item:{lists['掲示板']['id']}:{added['id']}", "unexpected"),
        }
        change = board_verdicts[edited["fields"]["NotesUNID"]].differences
        assert [(d.field, d.expected, d.actual) for d in change] == [
            ("Title", edited["fields"]["Title"], "書き換えられた件名")
        ]
        altered = library_verdicts[replaced["fields"]["NotesUNID"]].differences[0]
        assert altered.actual["size"] == len(b"overwritten by hand")
        assert found[BOARD].failed == 3 and found[BOARD].repairs == 2
        states = ledger.states(BOARD)
        assert states[deleted["fields"]["NotesUNID"]] == State.TRANSFORMED
        ledger.close()

        repaired = migrate(drop, mappings, tmp_path / "work", graph_url=emulator.graph_url,
                           db_url=ledger_url)  # fmt: skip
        # The source wins for what was lost or changed, and nothing else is written.
        assert (repaired.load.items_created, repaired.load.items_updated) == (1, 1)
        assert repaired.load.files_uploaded >= 1
        again = verdicts(settings)
        assert again[BOARD] == {"unexpected": 1, "verified": 40}
        assert {r: v for r, v in again.items() if r != BOARD} == {
            r: {"verified": n}
            for r, n in ((r, clean[r]["verified"]) for r in DATABASES if r != BOARD)
        }
        fixed: dict[str, Any] = graph.get(
            f"/sites/{site}/lists/{lists['掲示板']['id']}/items/{edited['id']}/fields"
        ).json()
        assert fixed["Title"] == edited["fields"]["Title"]
