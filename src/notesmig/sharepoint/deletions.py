"""Deletions in Notes carried into SharePoint, as the mapping's ``deletions`` says: a document
deleted in Notes has its item (and its files) deleted to the recycle bin (``recycle``, the
default), or kept and marked ``NotesDeletedInNotes`` (``keep``), or only recorded (``report``);
an attachment removed from a document has its file deleted (``recycle``) or kept. More
deletions in one sync than ``max_ratio`` of the database wait, reported: an export cut short
looks just like a mass deletion, and a recycle bin is no place to find that out.

Graph's DELETE of a list item or drive item moves it to the site's recycle bin, from which it
can be restored for 93 days (https://learn.microsoft.com/graph/api/listitem-delete,
https://learn.microsoft.com/graph/api/driveitem-delete). Every deletion is idempotent: an item
already gone (404) is what was wanted.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from notesmig.ledger import Ledger
from notesmig.ledger.deletions import DeletedDocument, RemovedFile
from notesmig.mapping.model import DeletionPolicy
from notesmig.sharepoint.graph import Graph, SubRequest
from notesmig.sharepoint.items import DELETED_MARK
from notesmig.sharepoint.provision import Target
from notesmig.spfacts.limits import BATCH_LIMIT
from notesmig.spfacts.names import encode_internal_name

log = logging.getLogger("notesmig.sharepoint")


@dataclass
class DeletionCounts:
    recycled: int = 0
    kept: int = 0
    reported: int = 0
    held: int = 0
    files_removed: int = 0
    files_kept: int = 0


class DeletionSync:
    """Applies one database's pending deletions."""

    def __init__(
        self, graph: Graph, ledger: Ledger, replica_id: str, policy: DeletionPolicy
    ) -> None:
        self.graph = graph
        self.ledger = ledger
        self.replica_id = replica_id
        self.policy = policy
        self.counts = DeletionCounts()
        self.warnings: list[str] = []

    async def run(self, lists: dict[str, Target], libraries: dict[str, Target]) -> DeletionCounts:
        pending = self.ledger.pending_deletions(self.replica_id)
        total = self.ledger.document_count(self.replica_id)
        held: set[str] = set()
        if pending and len(pending) > self.policy.max_ratio * total:
            held = {d.unid for d in pending}
            for document in pending:
                self.ledger.record_deletion(document.document_id, "held", item_gone=False)
            self.counts.held = len(pending)
            self.warnings.append(
                f"{self.replica_id}: Notes で削除された文書 {len(pending)} / {total} 件は上限 "
                f"{self.policy.max_ratio:.0%} を超えるため保留 / {len(pending)} of {total} "
                f"documents deleted in Notes is over deletions.max_ratio "
                f"({self.policy.max_ratio:.0%}): nothing deleted; re-export, or raise the share"
            )
        else:
            await self._documents(pending, {t.id: t for t in lists.values()})
        await self._files(self.ledger.removed_files(self.replica_id), libraries, held)
        return self.counts

    async def _documents(self, pending: list[DeletedDocument], lists: dict[str, Target]) -> None:
        policy = self.policy.policy
        in_sharepoint = [d for d in pending if d.item_id and d.list_id in lists]
        for document in pending:
            if document not in in_sharepoint:
                # Never loaded (or its list is no longer mapped): nothing in SharePoint to do.
                self.ledger.record_deletion(document.document_id, "reported", item_gone=False)
                self.counts.reported += 1
        if policy == "report":
            for document in in_sharepoint:
                self.ledger.record_deletion(document.document_id, "reported", item_gone=False)
                self.counts.reported += 1
            return
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        for start in range(0, len(in_sharepoint), BATCH_LIMIT):
            chunk = in_sharepoint[start : start + BATCH_LIMIT]
            requests = []
            for number, document in enumerate(chunk):
                target = lists[str(document.list_id)]
                path = f"/sites/{target.site_id}/lists/{target.id}/items/{document.item_id}"
                if policy == "recycle":
                    requests.append(SubRequest(str(number), "DELETE", path))
                else:
                    mark = target.column(DELETED_MARK)
                    name = mark.internal if mark else encode_internal_name(DELETED_MARK)
                    requests.append(SubRequest(str(number), "PATCH", f"{path}/fields", {name: now}))
            answers = await self.graph.batch(requests)
            for number, document in enumerate(chunk):
                answer = answers[str(number)]
                gone = answer.status == 404
                if not (answer.ok or gone):
                    # Left pending: the next sync tries again.
                    log.warning("NotesUNID %s: deletion refused (%s %s)", document.unid,
                                answer.status, answer.error_code)  # fmt: skip
                    continue
                if policy == "recycle" or gone:
                    self.ledger.record_deletion(document.document_id, "recycled", item_gone=True)
                    self.counts.recycled += 1
                else:
                    self.ledger.record_deletion(document.document_id, "kept", item_gone=False)
                    self.counts.kept += 1

    async def _files(
        self, files: list[RemovedFile], libraries: dict[str, Target], held: set[str]
    ) -> None:
        if self.policy.policy != "recycle":
            self.counts.files_kept = len(files)
            return
        wanted = [f for f in files if f.unid not in held and f.library in libraries]
        total = self.ledger.file_count(self.replica_id)
        if wanted and len(wanted) > self.policy.max_ratio * total:
            # An export made without its attachments looks like every file removed.
            self.counts.files_kept = len(wanted)
            self.warnings.append(
                f"{self.replica_id}: Notes で削除された添付 {len(wanted)} / {total} 件は上限 "
                f"{self.policy.max_ratio:.0%} を超えるため保留 / {len(wanted)} of {total} files "
                "removed in Notes is over deletions.max_ratio: none removed"
            )
            return
        for start in range(0, len(wanted), BATCH_LIMIT):
            chunk = wanted[start : start + BATCH_LIMIT]
            answers = await self.graph.batch(
                [
                    SubRequest(
                        str(n),
                        "DELETE",
                        f"/drives/{libraries[f.library].drive_id}/items/{f.drive_item_id}",
                    )
                    for n, f in enumerate(chunk)
                ]
            )
            for number, file in enumerate(chunk):
                answer = answers[str(number)]
                if answer.ok or answer.status == 404:
                    self.ledger.record_file_removed(file.attachment_id)
                    self.counts.files_removed += 1
                else:
                    log.warning("NotesUNID %s: file removal refused (%s %s)", file.unid,
                                answer.status, answer.error_code)  # fmt: skip
