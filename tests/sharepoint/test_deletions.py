"""Deletions in Notes carried into SharePoint as the mapping says: items recycled, marked or
only reported, removed files deleted, and too many deletions at once held back, reported."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from notesmig.emulator.server import EmulatorProcess
from notesmig.ledger import Ledger, State
from notesmig.mapping.model import DeletionPolicy
from notesmig.sharepoint.budget import ResourceBudget
from notesmig.sharepoint.client import graph_client
from notesmig.sharepoint.deletions import DeletionCounts, DeletionSync
from notesmig.sharepoint.graph import Graph
from notesmig.sharepoint.provision import Target
from tests.emulator.helpers import new_list
from tests.ledger.helpers import REPLICA, file_row, records, unid
from tests.migration import SITE

LIBRARY = "出張申請 ファイル"


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    data = tmp_path_factory.mktemp("deletions") / "emulator"
    with EmulatorProcess(data, options=("--ru-per-minute", "0")) as running:
        yield running


@pytest.fixture
def http(emulator: EmulatorProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emulator.graph_url, headers={"Authorization": "Bearer t"},
                      timeout=30) as client:  # fmt: skip
        yield client


@dataclass
class Migrated:
    """Four documents loaded into a list, each with a file in a library."""

    ledger: Ledger
    database: int
    graph: Graph
    http: httpx.Client
    items: Target
    files: Target
    item_ids: list[str]
    drive_item_ids: list[str]

    def delete_in_notes(self, *numbers: int) -> None:
        """A complete re-export without these documents."""
        kept = [r for n, r in enumerate(records(4)) if n not in numbers]
        self.ledger.record_extracted(self.database, kept, complete=True)

    async def sync(self, policy: str = "recycle", max_ratio: float = 0.5) -> DeletionSync:
        sync = DeletionSync(self.graph, self.ledger, REPLICA, DeletionPolicy(policy, max_ratio))
        await sync.run({"出張申請": self.items}, {LIBRARY: self.files})
        return sync

    def item(self, number: int) -> httpx.Response:
        return self.http.get(f"/sites/{self.items.site_id}/lists/{self.items.id}/items/"
                             f"{self.item_ids[number]}", params={"$expand": "fields"})  # fmt: skip

    def file(self, number: int) -> httpx.Response:
        return self.http.get(f"/drives/{self.files.drive_id}/items/{self.drive_item_ids[number]}")


@pytest.fixture
def migrated(emulator: EmulatorProcess, http: httpx.Client, tmp_path: Path) -> Iterator[Migrated]:
    site = http.get(SITE).json()
    made = new_list(http, site["id"], [{"name": "NotesDeletedInNotes", "dateTime": {}}])
    library = new_list(http, site["id"], [], "documentLibrary")
    drive = http.get(f"/sites/{site['id']}/lists/{library['id']}/drive").json()["id"]
    items = Target("出張申請", made["id"], made["webUrl"], site["id"], "/sites/notes-migration")
    files = Target(LIBRARY, library["id"], library["webUrl"], site["id"],
                   "/sites/notes-migration", drive_id=drive)  # fmt: skip
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    ledger.upgrade()
    database = ledger.register_database(REPLICA, "出張申請", None)
    ledger.record_extracted(database, records(4))
    ledger.apply_transform(database, transformed=[unid(n) for n in range(4)], quarantined=[],
                           excluded=[], files=[file_row(unid(n), f"{n}.pdf", str(n),
                                                        library=LIBRARY) for n in range(4)])  # fmt: skip
    item_ids, drive_item_ids = [], []
    attachments = {key[0]: a.id for key, a in ledger.attachment_view(REPLICA).items()}
    for n in range(4):
        created = http.post(f"/sites/{site['id']}/lists/{made['id']}/items",
                            json={"fields": {"Title": f"出張 {n}"}}).json()  # fmt: skip
        uploaded = http.put(f"/drives/{drive}/root:/{unid(n)}/{n}.pdf:/content",
                            content=f"%PDF {n}".encode()).json()  # fmt: skip
        item_ids.append(created["id"])
        drive_item_ids.append(uploaded["id"])
        ledger.advance(database, unid(n), State.LOADED, item_id=created["id"], list_id=made["id"])
        ledger.update_attachment(attachments[unid(n)], state=State.LOADED,
                                 drive_item_id=uploaded["id"])  # fmt: skip
    _client, adapter = graph_client(emulator.graph_url)
    yield Migrated(ledger, database, Graph(adapter, ResourceBudget(0)), http, items, files, item_ids,
                   drive_item_ids)  # fmt: skip
    ledger.close()


@pytest.mark.anyio
async def test_a_deleted_document_goes_to_the_recycle_bin_with_its_files(
    migrated: Migrated,
) -> None:
    migrated.delete_in_notes(0)
    sync = await migrated.sync()
    assert sync.counts == DeletionCounts(recycled=1, files_removed=1)
    assert migrated.item(0).status_code == 404 and migrated.file(0).status_code == 404
    assert migrated.item(1).status_code == 200 and migrated.file(1).status_code == 200
    assert migrated.ledger.pending_deletions(REPLICA) == []
    assert migrated.ledger.removed_files(REPLICA) == []
    assert migrated.ledger.load_view(REPLICA)[unid(0)] == ("deleted", None, "a" * 64)
    again = await migrated.sync()  # nothing left to do
    assert again.counts == DeletionCounts()


@pytest.mark.anyio
async def test_an_item_already_gone_counts_as_recycled(migrated: Migrated) -> None:
    migrated.http.delete(f"/sites/{migrated.items.site_id}/lists/{migrated.items.id}/items/"
                         f"{migrated.item_ids[0]}")  # fmt: skip
    migrated.delete_in_notes(0)
    sync = await migrated.sync("keep")
    assert (sync.counts.recycled, sync.counts.kept) == (1, 0)
    assert migrated.ledger.pending_deletions(REPLICA) == []


@pytest.mark.anyio
async def test_keep_marks_the_item_and_leaves_its_files(migrated: Migrated) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    migrated.delete_in_notes(1)
    sync = await migrated.sync("keep")
    assert sync.counts == DeletionCounts(kept=1, files_kept=1)
    mark = migrated.item(1).json()["fields"]["NotesDeletedInNotes"]
    marked = datetime.fromisoformat(mark.replace("Z", "+00:00"))
    assert before <= marked <= datetime.now(UTC) + timedelta(seconds=1)
    assert "NotesDeletedInNotes" not in migrated.item(0).json()["fields"]
    assert migrated.file(1).status_code == 200
    assert migrated.ledger.pending_deletions(REPLICA) == []  # kept: done


@pytest.mark.anyio
async def test_report_only_records_and_a_never_loaded_document_is_reported(
    migrated: Migrated,
) -> None:
    migrated.ledger.forget_item(migrated.database, unid(2))
    migrated.delete_in_notes(1, 2)
    assert migrated.ledger.document_count(REPLICA) == 4
    sync = await migrated.sync("report", max_ratio=0.5)  # 2 of 4: not over the share
    assert sync.counts == DeletionCounts(reported=2, files_kept=2)
    assert migrated.item(1).status_code == 200 and "NotesDeletedInNotes" not in (
        migrated.item(1).json()["fields"])  # fmt: skip
    assert migrated.ledger.pending_deletions(REPLICA) == []


@pytest.mark.anyio
async def test_more_deletions_at_once_than_the_share_allows_wait_reported(
    migrated: Migrated,
) -> None:
    migrated.delete_in_notes(0, 1, 2)  # an export cut short looks just like this
    sync = await migrated.sync(max_ratio=0.5)
    assert sync.counts == DeletionCounts(held=3)
    assert [w for w in sync.warnings if "3 of 4 documents deleted in Notes" in w]
    assert all(migrated.item(n).status_code == 200 for n in range(3))
    assert all(migrated.file(n).status_code == 200 for n in range(3))  # their files stay too
    assert len(migrated.ledger.pending_deletions(REPLICA)) == 3  # held: tried again next sync
    # The team raises the share: the next sync deletes them.
    sync = await migrated.sync(max_ratio=1.0)
    assert sync.counts == DeletionCounts(recycled=3, files_removed=3)
    assert [migrated.item(n).status_code for n in range(4)] == [404, 404, 404, 200]


@pytest.mark.anyio
async def test_too_many_removed_files_at_once_wait_reported(migrated: Migrated) -> None:
    # Every attachment gone from every document: an export made without its attachments.
    migrated.ledger.record_extracted(migrated.database, records(4, "b"))
    migrated.ledger.apply_transform(migrated.database, transformed=[unid(n) for n in range(4)],
                                    quarantined=[], excluded=[], files=[])  # fmt: skip
    sync = await migrated.sync()
    assert sync.counts == DeletionCounts(files_kept=4)
    assert [w for w in sync.warnings if "4 of 4 files removed in Notes" in w]
    assert all(migrated.file(n).status_code == 200 for n in range(4))
    assert len(migrated.ledger.removed_files(REPLICA)) == 4
