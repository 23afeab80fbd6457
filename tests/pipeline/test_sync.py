"""Which migrated databases a scheduled sync takes, and how: synced until their cutoff, a
final sync after it, left alone once frozen; never-migrated ones are not a sync's."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from notesmig.ledger import Ledger
from notesmig.pipeline.settings import StageSettings
from notesmig.pipeline.sync import SyncMode, plan_sync
from notesmig.records import SourceDatabase, TargetPlan

SITE = "contoso.sharepoint.com:/sites/notes-migration"
OWN_CUTOFF = "A000000000000001"  # its mapping's cutoff: 2025-06-30
DEFAULT = "B000000000000002"  # no cutoff of its own: the deployment's (2025-03-31)
NEVER_LOADED = "C000000000000003"
FROZEN = "D000000000000004"


def mapping(replica: str, cutoff: str | None) -> str:
    return (
        f"version: 1\ndatabase:\n  replica_id: {replica}\ntarget:\n  site: {SITE}\n"
        + (f"cutoff: {cutoff}\n" if cutoff else "")
        + "forms:\n  Memo:\n    list: メモ\n    items: {}\n"
    )


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    made = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    made.upgrade()
    for replica in (OWN_CUTOFF, DEFAULT, NEVER_LOADED, FROZEN):
        database = made.register_database(replica, None, None)
        if replica != NEVER_LOADED:
            plan = TargetPlan(replica_id=replica, site=SITE, forms={}, lists=[], libraries=[])
            made.record_target(database, plan)
    made.mark_frozen(FROZEN)
    yield made
    made.close()


def settings(tmp_path: Path, cutoff: date | None) -> StageSettings:
    folder = tmp_path / "mappings"
    folder.mkdir(exist_ok=True)
    for replica, own in ((OWN_CUTOFF, "2025-06-30"), (DEFAULT, None), (NEVER_LOADED, None),
                         (FROZEN, "2025-01-31")):  # fmt: skip
        (folder / f"{replica}.yaml").write_text(mapping(replica, own), encoding="utf-8")
    return StageSettings(work=tmp_path / "work", mappings=folder, ledger_url="sqlite://",
                         cutoff=cutoff)  # fmt: skip


def sources() -> list[SourceDatabase]:
    found = [SourceDatabase(key=r, replica_id=r.lower(), title=None, files=[f"/drop/{r}.dxl"])
             for r in (OWN_CUTOFF, DEFAULT, NEVER_LOADED, FROZEN)]  # fmt: skip
    found.append(SourceDatabase(key="unmapped", replica_id="E000000000000005", title=None,
                                files=["/drop/unmapped.dxl"]))  # fmt: skip
    found.append(SourceDatabase(key="noid", replica_id=None, title=None, files=["/drop/x.dxl"]))
    return found


def modes(tmp_path: Path, ledger: Ledger, today: date, cutoff: date | None) -> dict[str, SyncMode]:
    decisions = plan_sync(sources(), settings(tmp_path, cutoff), ledger, today)
    return {d.source.key: d.mode for d in decisions}


def test_only_migrated_databases_are_synced_each_by_its_own_cutoff(
    tmp_path: Path, ledger: Ledger
) -> None:
    # The cutoff day itself still syncs: Notes is switched off at its end.
    assert modes(tmp_path, ledger, date(2025, 3, 31), date(2025, 3, 31)) == {
        OWN_CUTOFF: SyncMode.SYNC, DEFAULT: SyncMode.SYNC, FROZEN: SyncMode.FROZEN}  # fmt: skip
    # Past the deployment's cutoff; its own (a mapping's wins) is later.
    assert modes(tmp_path, ledger, date(2025, 4, 1), date(2025, 3, 31)) == {
        OWN_CUTOFF: SyncMode.SYNC, DEFAULT: SyncMode.FINAL, FROZEN: SyncMode.FROZEN}  # fmt: skip
    assert modes(tmp_path, ledger, date(2025, 7, 1), date(2025, 3, 31)) == {
        OWN_CUTOFF: SyncMode.FINAL, DEFAULT: SyncMode.FINAL, FROZEN: SyncMode.FROZEN}  # fmt: skip


def test_without_a_cutoff_a_database_syncs_for_ever_and_a_frozen_one_stays_frozen(
    tmp_path: Path, ledger: Ledger
) -> None:
    assert modes(tmp_path, ledger, date(2099, 1, 1), None) == {
        OWN_CUTOFF: SyncMode.FINAL, DEFAULT: SyncMode.SYNC, FROZEN: SyncMode.FROZEN}  # fmt: skip


def test_each_decision_carries_the_cutoff_it_was_made_by(tmp_path: Path, ledger: Ledger) -> None:
    decisions = plan_sync(sources(), settings(tmp_path, date(2025, 3, 31)), ledger,
                          date(2025, 5, 1))  # fmt: skip
    assert {d.source.key: d.cutoff for d in decisions} == {
        OWN_CUTOFF: date(2025, 6, 30), DEFAULT: date(2025, 3, 31), FROZEN: date(2025, 1, 31)}  # fmt: skip
    assert [d.source.files for d in decisions if d.source.key == DEFAULT] == [
        [f"/drop/{DEFAULT}.dxl"]
    ]
