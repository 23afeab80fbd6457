"""The load stage for one Notes database: its transform output into SharePoint.

Provisioning first (site, lists, libraries, columns), then the items of each list
(:mod:`notesmig.sharepoint.items`), then the files of each library
(:mod:`notesmig.sharepoint.files`). A document with a Readers field is never written where the
list's readers could see it: it is held back until its permissions are applied. Every outcome
lands in the ledger.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from notesmig.ledger import Ledger
from notesmig.mapping.model import Mapping
from notesmig.records import FileRow, ItemRow, LoadCounts, PermissionPlan, read_records
from notesmig.sharepoint.files import FileUploader
from notesmig.sharepoint.graph import Graph
from notesmig.sharepoint.items import ItemWriter
from notesmig.sharepoint.people import SitePeople
from notesmig.sharepoint.provision import Provisioner, library_columns, list_columns
from notesmig.sharepoint.rest import SharePointRest
from notesmig.transform.stage import FILES_FILE, ITEMS_DIR, PERMISSIONS_FILE

RESTRICTED_HELD = "restricted (Readers field): held back until permissions can be applied"


class Loader:
    """Loads one database's transform output (``transform_dir``) as its mapping says."""

    def __init__(
        self,
        graph: Graph,
        rest: SharePointRest,
        ledger: Ledger,
        extract_dir: Path,
        transform_dir: Path,
        mapping: Mapping,
        *,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        self.graph = graph
        self.rest = rest
        self.ledger = ledger
        self.extract_dir = extract_dir
        self.transform_dir = transform_dir
        self.mapping = mapping
        self.progress = progress or (lambda _done: None)
        self.provisioner = Provisioner(graph)

    def rows_by_list(self) -> dict[str, list[ItemRow]]:
        rows: dict[str, list[ItemRow]] = defaultdict(list)
        for path in sorted((self.transform_dir / ITEMS_DIR).glob("*.jsonl")):
            for row in read_records(path, ItemRow):
                if row.database == self.mapping.replica_id:
                    rows[row.list].append(row)
        return rows

    def content(self, file: FileRow) -> bytes:
        if file.content is not None:
            return file.content.encode("utf-8")
        return (self.extract_dir / "blobs" / str(file.blob)).read_bytes()

    async def load(self) -> LoadCounts:
        mapping = self.mapping
        counts = LoadCounts()
        database_id = self.ledger.database_id(mapping.replica_id)
        if database_id is None:
            return counts  # nothing of this database was transformed
        site = await self.provisioner.site(mapping.site)
        people = await SitePeople(self.graph, self.rest, site.id, site.path).load()
        view = self.ledger.load_view(mapping.replica_id)
        restricted = {
            plan.unid
            for plan in read_records(self.transform_dir / PERMISSIONS_FILE, PermissionPlan)
            if plan.database == mapping.replica_id
        }
        writer = ItemWriter(self.graph, self.rest, self.ledger, people, progress=self.progress)
        item_urls: dict[str, str] = {}
        rows_by_list = self.rows_by_list()
        for title in sorted({form.list for form in mapping.forms.values()}):
            target = await self.provisioner.ensure(
                site, title, "genericList", list_columns(mapping, title)
            )
            rows = self._hold_restricted(database_id, rows_by_list.get(title, []), restricted)
            writer.counts.quarantined += len(rows_by_list.get(title, [])) - len(rows)
            await writer.write(database_id, target, rows, view, item_urls)
        counts = writer.counts.into(counts)
        files = [
            f
            for f in read_records(self.transform_dir / FILES_FILE, FileRow)
            if f.database == mapping.replica_id
        ]
        uploader = FileUploader(
            self.graph, self.rest, self.ledger, self.content, progress=self.progress
        )
        attachments = self.ledger.attachment_view(mapping.replica_id)
        for title in sorted({f.library for f in mapping.forms.values() if f.library}):
            target = await self.provisioner.ensure(
                site, title, "documentLibrary", library_columns()
            )
            wanted = [f for f in files if f.library == title]
            await uploader.upload_all(target, wanted, attachments, item_urls)
        if writer.counts.unknown_people:
            self.ledger.record_unknown_people(database_id, writer.counts.unknown_people)
        return counts.model_copy(
            update={
                "files_uploaded": uploader.counts.uploaded,
                "files_unchanged": uploader.counts.unchanged,
                "bytes_uploaded": uploader.counts.bytes,
            }
        )

    def _hold_restricted(
        self, database_id: int, rows: list[ItemRow], restricted: set[str]
    ) -> list[ItemRow]:
        """Fail closed: a document with a Readers field is never written where its list's
        readers could see it, so until its unique permissions are applied it is held back."""
        kept = []
        for row in rows:
            if row.unid not in restricted:
                kept.append(row)
                continue
            self.ledger.quarantine(
                database_id,
                row.unid,
                "load",
                RESTRICTED_HELD,
                "readers: restrict is planned, but its permissions are not applied yet",
            )
        return kept
