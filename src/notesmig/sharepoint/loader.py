"""The load stage: a transform output into SharePoint, exactly once, whatever happens on the way.

Items are upserted by ``NotesUNID`` in ``$batch`` es of 20: created when absent, patched when
the source changed, skipped when the ledger says they are loaded with the same source hash (so
a second run writes nothing). ``NotesUNID`` is unique in SharePoint: a create repeated after a
lost response or a killed worker fails as a duplicate, and the existing item is found by its
UNID instead of being created twice. Files are uploaded by path with ``replace`` (small ones in
one request, large ones through upload sessions in 320 KiB multiples, each fragment retried),
then given their document's UNID, original name and a link to its item; the quickXorHash
SharePoint reports is checked against the local bytes. Every outcome lands in the ledger.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from notesmig.ledger import Ledger, State
from notesmig.mapping.model import Mapping
from notesmig.sharepoint.graph import (
    Graph,
    GraphRequestError,
    SubRequest,
    retry_after,
)
from notesmig.sharepoint.provision import Provisioner, Target, library_columns, list_columns
from notesmig.spfacts.costs import COST_READ, COST_WRITE
from notesmig.spfacts.limits import BATCH_LIMIT
from notesmig.spfacts.quickxor import QuickXorHash

log = logging.getLogger("notesmig.sharepoint")

SIMPLE_UPLOAD_LIMIT = 4 * 1024 * 1024
FRAGMENT = 10 * 327_680  # 3.2 MiB: a multiple of 320 KiB, as SharePoint requires
RESTRICTED_HELD = "restricted (Readers field): held back until permissions can be applied"


@dataclass
class LoadSummary:
    items_created: int = 0
    items_updated: int = 0
    items_unchanged: int = 0
    items_quarantined: int = 0
    duplicates_resolved: int = 0
    files_uploaded: int = 0
    files_unchanged: int = 0
    bytes_uploaded: int = 0
    unknown_people: dict[str, int] = field(default_factory=dict)

    def merge(self, other: LoadSummary) -> None:
        for name in (
            "items_created",
            "items_updated",
            "items_unchanged",
            "items_quarantined",
            "duplicates_resolved",
            "files_uploaded",
            "files_unchanged",
            "bytes_uploaded",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for key, value in other.unknown_people.items():
            self.unknown_people[key] = self.unknown_people.get(key, 0) + value


def _read_lines(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    with path.open(encoding="utf-8") as source:
        return [json.loads(line) for line in source if line.strip()]


class Loader:
    """Loads one transform output (``notesmig transform --out``) for the given mappings."""

    def __init__(
        self,
        graph: Graph,
        ledger: Ledger,
        extract_dir: Path,
        transform_dir: Path,
        mappings: dict[str, Mapping],
        *,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        self.progress = progress or (lambda _done: None)
        self.graph = graph
        self.ledger = ledger
        self.extract_dir = extract_dir
        self.transform_dir = transform_dir
        self.mappings = mappings
        self.provisioner = Provisioner(graph)

    async def load(self, replica_ids: list[str] | None = None) -> LoadSummary:
        summary = LoadSummary()
        rows_by_list: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for path in sorted((self.transform_dir / "items").glob("*.jsonl")):
            for row in _read_lines(path):
                rows_by_list[path.stem].append(row)
        files = _read_lines(self.transform_dir / "files.jsonl")
        for replica, mapping in sorted(self.mappings.items()):
            if replica_ids is not None and replica not in replica_ids:
                continue
            summary.merge(await self._database(mapping, rows_by_list, files))
        return summary

    async def _database(
        self,
        mapping: Mapping,
        rows_by_list: dict[str, list[dict[str, Any]]],
        files: list[dict[str, Any]],
    ) -> LoadSummary:
        summary = LoadSummary()
        database_id = self.ledger.database_id(mapping.replica_id)
        if database_id is None:
            return summary  # nothing of this database was transformed
        site_id = await self.provisioner.site_id(mapping.site)
        users = await self.provisioner.site_users(site_id)
        view = self.ledger.load_view(mapping.replica_id)
        restricted = {
            plan["unid"]
            for plan in _read_lines(self.transform_dir / "permissions.jsonl")
            if plan["database"] == mapping.replica_id
        }
        item_urls: dict[str, str] = {}
        for title in sorted({form.list for form in mapping.forms.values()}):
            target = await self.provisioner.ensure(
                site_id, title, "genericList", list_columns(mapping, title)
            )
            rows = [r for r in rows_by_list.get(title, []) if r["database"] == mapping.replica_id]
            rows = self._hold_restricted(database_id, rows, restricted, summary)
            await self._items(site_id, database_id, target, rows, view, users, summary, item_urls)
        libraries = sorted({f.library for f in mapping.forms.values() if f.library})
        attachments = self.ledger.attachment_view(mapping.replica_id)
        for title in libraries:
            target = await self.provisioner.ensure(
                site_id, title, "documentLibrary", library_columns()
            )
            wanted = [
                f for f in files if f["database"] == mapping.replica_id and f["library"] == title
            ]
            await self._files(target, wanted, attachments, item_urls, summary)
        return summary

    # -- items ----------------------------------------------------------------------------

    def _hold_restricted(
        self,
        database_id: int,
        rows: list[dict[str, Any]],
        restricted: set[str],
        summary: LoadSummary,
    ) -> list[dict[str, Any]]:
        """Fail closed: a document with a Readers field is never written where its list's
        readers could see it, so until its unique permissions are applied it is held back."""
        kept = []
        for row in rows:
            if row["unid"] not in restricted:
                kept.append(row)
                continue
            summary.items_quarantined += 1
            self.ledger.quarantine(
                database_id,
                row["unid"],
                "load",
                RESTRICTED_HELD,
                "readers: restrict is planned, but its permissions are not applied yet",
            )
        return kept

    def _fields(
        self,
        target: Target,
        fields: dict[str, Any],
        users: dict[str, int],
        summary: LoadSummary,
        *,
        creating: bool,
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, value in fields.items():
            facet = target.columns.get(name)
            if facet is None:
                continue  # a companion or system value of another list: not a column here
            if facet == "personOrGroup":
                upns = value if isinstance(value, list) else ([value] if value else [])
                ids = []
                for upn in upns:
                    found = users.get(str(upn).lower())
                    if found is None:
                        summary.unknown_people[upn] = summary.unknown_people.get(upn, 0) + 1
                    else:
                        ids.append(str(found))
                if name in target.multi:
                    out[f"{name}LookupId@odata.type"] = "Collection(Edm.String)"
                    out[f"{name}LookupId"] = ids
                elif ids or not creating:
                    out[f"{name}LookupId"] = ids[0] if ids else None
                continue
            if value is None and creating:
                continue
            if isinstance(value, list):
                out[f"{name}@odata.type"] = "Collection(Edm.String)"
            out[name] = value
        return out

    async def _items(
        self,
        site_id: str,
        database_id: int,
        target: Target,
        rows: list[dict[str, Any]],
        view: dict[str, tuple[str, str | None, str]],
        users: dict[str, int],
        summary: LoadSummary,
        item_urls: dict[str, str],
    ) -> None:
        base = f"/sites/{site_id}/lists/{target.id}/items"
        todo = []
        for row in rows:
            state, item_id, _sha = view.get(row["unid"], ("", None, ""))
            if state in (State.LOADED, State.VERIFIED) and item_id:
                summary.items_unchanged += 1
                item_urls[row["unid"]] = f"{target.web_url}/DispForm.aspx?ID={item_id}"
                continue
            todo.append((row, item_id))
        for start in range(0, len(todo), BATCH_LIMIT):
            chunk = todo[start : start + BATCH_LIMIT]
            requests = []
            for number, (row, item_id) in enumerate(chunk):
                fields = self._fields(
                    target, row["fields"], users, summary, creating=item_id is None
                )
                if item_id is None:
                    requests.append(SubRequest(str(number), "POST", base, {"fields": fields}))
                else:
                    requests.append(
                        SubRequest(str(number), "PATCH", f"{base}/{item_id}/fields", fields)
                    )
            answers = await self.graph.batch(requests)
            self.progress(len(chunk))
            duplicates = []
            for number, (row, item_id) in enumerate(chunk):
                answer = answers[str(number)]
                unid = row["unid"]
                if answer.ok:
                    new_id = (
                        str(answer.body.get("id") or item_id)
                        if isinstance(answer.body, dict)
                        else str(item_id)
                    )
                    if answer.status == 201:
                        summary.items_created += 1
                    else:
                        summary.items_updated += 1
                    self._loaded(database_id, unid, target, new_id, item_urls)
                elif answer.status == 400 and "duplicate values" in answer.error_message:
                    duplicates.append(row)
                elif answer.status == 404 and item_id is not None:
                    duplicates.append(row)  # deleted in SharePoint: find or create again
                else:
                    summary.items_quarantined += 1
                    self.ledger.quarantine(
                        database_id,
                        unid,
                        "load",
                        f"SharePoint refused the item: {answer.status} {answer.error_code}",
                        answer.error_message,
                    )
            if duplicates:
                await self._resolve(
                    site_id, database_id, target, duplicates, users, summary, item_urls
                )

    async def _resolve(
        self,
        site_id: str,
        database_id: int,
        target: Target,
        rows: list[dict[str, Any]],
        users: dict[str, int],
        summary: LoadSummary,
        item_urls: dict[str, str],
    ) -> None:
        """Rows whose create met an existing NotesUNID: adopt that item, patch it if it differs."""
        base = f"/sites/{site_id}/lists/{target.id}/items"
        lookups = [
            SubRequest(
                str(n),
                "GET",
                f"{base}?$filter=fields/NotesUNID eq '{row['unid']}'"
                "&$expand=fields(select=NotesUNID,SourceSha256)",
                cost=COST_READ,
            )
            for n, row in enumerate(rows)
        ]
        found = await self.graph.batch(lookups)
        patches = []
        for number, row in enumerate(rows):
            values = found[str(number)].body.get("value", []) if found[str(number)].ok else []
            if not values:
                created = await self.graph.batch(
                    [
                        SubRequest(
                            "0",
                            "POST",
                            base,
                            {
                                "fields": self._fields(
                                    target, row["fields"], users, summary, creating=True
                                )
                            },
                        )
                    ]
                )
                answer = created["0"]
                if not answer.ok:
                    raise GraphRequestError(answer.status, answer.error_code, answer.error_message)
                summary.items_created += 1
                self._loaded(database_id, row["unid"], target, str(answer.body["id"]), item_urls)
                continue
            existing = values[0]
            summary.duplicates_resolved += 1
            if existing["fields"].get("SourceSha256") == row["fields"]["SourceSha256"]:
                summary.items_unchanged += 1
                self._loaded(database_id, row["unid"], target, str(existing["id"]), item_urls)
            else:
                patches.append((row, str(existing["id"])))
        if patches:
            answers = await self.graph.batch(
                [
                    SubRequest(
                        str(n),
                        "PATCH",
                        f"{base}/{item_id}/fields",
                        self._fields(target, row["fields"], users, summary, creating=False),
                    )
                    for n, (row, item_id) in enumerate(patches)
                ]
            )
            for number, (row, item_id) in enumerate(patches):
                if answers[str(number)].ok:
                    summary.items_updated += 1
                    self._loaded(database_id, row["unid"], target, item_id, item_urls)

    def _loaded(
        self, database_id: int, unid: str, target: Target, item_id: str, item_urls: dict[str, str]
    ) -> None:
        url = f"{target.web_url}/DispForm.aspx?ID={item_id}"
        item_urls[unid] = url
        self.ledger.advance(
            database_id, unid, State.LOADED, list_id=target.id, item_id=item_id, web_url=url
        )

    # -- files ----------------------------------------------------------------------------

    async def _files(
        self,
        target: Target,
        files: list[dict[str, Any]],
        attachments: dict[Any, Any],
        item_urls: dict[str, str],
        summary: LoadSummary,
    ) -> None:
        drive = f"/drives/{target.drive_id}"
        for file in files:
            key = (file["unid"], file["library"], file["folder"], file["name"])
            record = attachments.get(key)
            if record is None or file["unid"] not in item_urls:
                continue  # its document was not loaded (held back, or failed): nor is its file
            if record.state == State.LOADED and record.drive_item_id:
                summary.files_unchanged += 1
                continue
            data = self._content(file)
            path = f"{drive}/root:/{quote(file['folder'])}/{quote(file['name'])}:"
            dates = {
                k: v
                for k, v in (
                    ("createdDateTime", file.get("created")),
                    ("lastModifiedDateTime", file.get("modified")),
                )
                if v
            }
            if len(data) <= SIMPLE_UPLOAD_LIMIT:
                item = await self.graph.upload(f"{path}/content", data)
                if dates:  # a simple upload cannot carry them: the Notes dates are set after
                    item = await self.graph.write_json(
                        "PATCH", f"{drive}/items/{item['id']}", {"fileSystemInfo": dates}
                    )
            else:
                item = await self._session_upload(path, data, record, dates)
            local = QuickXorHash()
            local.update(data)
            remote = item.get("file", {}).get("hashes", {}).get("quickXorHash")
            if remote != local.b64digest():
                raise GraphRequestError(
                    0,
                    "hashMismatch",
                    f"{file['name']}: SharePoint reports {remote}, "
                    f"the file's bytes give {local.b64digest()}",
                )
            await self.graph.write_json(
                "PATCH",
                f"{drive}/items/{item['id']}/listItem/fields",
                {
                    "NotesUNID": file["unid"],
                    "NotesOriginalName": file["original_name"][:255],
                    "NotesItem": {"Url": item_urls[file["unid"]], "Description": file["unid"]},
                },
            )
            self.ledger.update_attachment(
                record.id,
                state=State.LOADED,
                drive_item_id=item["id"],
                quickxor=remote,
                upload_url=None,
                upload_expires=None,
            )
            summary.files_uploaded += 1
            summary.bytes_uploaded += len(data)
            self.progress(1)

    def _content(self, file: dict[str, Any]) -> bytes:
        if file.get("content") is not None:
            return str(file["content"]).encode("utf-8")
        return (self.extract_dir / "blobs" / str(file["blob"])).read_bytes()

    async def _session_upload(
        self, path: str, data: bytes, record: Any, dates: dict[str, str]
    ) -> Any:
        """Upload in 320 KiB-multiple fragments, resuming a session the ledger kept."""
        url = record.upload_url
        start = 0
        async with httpx.AsyncClient(timeout=120) as raw:
            if url:
                try:
                    status = await raw.get(url)
                    if status.status_code == 200:
                        start = int(status.json()["nextExpectedRanges"][0].split("-")[0])
                    else:
                        url = None
                except (httpx.HTTPError, KeyError, ValueError):
                    url = None
            if not url:
                session = await self.graph.write_json(
                    "POST",
                    f"{path}/createUploadSession",
                    {
                        "item": {
                            "@microsoft.graph.conflictBehavior": "replace",
                            **({"fileSystemInfo": dates} if dates else {}),
                        }
                    },
                )
                url = session["uploadUrl"]
                self.ledger.update_attachment(record.id, upload_url=url)
            while start < len(data):
                end = min(start + FRAGMENT, len(data)) - 1
                for attempt in range(self.graph.attempts):
                    await self.graph.budget.take(COST_WRITE)
                    try:
                        answer = await raw.put(
                            url,
                            content=data[start : end + 1],
                            headers={"Content-Range": f"bytes {start}-{end}/{len(data)}"},
                        )
                    except httpx.TransportError:
                        await _sleep(retry_after({}, attempt))
                        continue
                    if answer.status_code in (429, 500, 502, 503, 504):
                        await _sleep(retry_after(dict(answer.headers), attempt))
                        continue
                    if answer.status_code == 416:  # already received (a lost answer): move on
                        break
                    if answer.status_code == 400 and "already been completed" in answer.text:
                        # The final answer was lost after the file was committed.
                        return await self.graph.get_json(path)
                    if answer.status_code >= 400:
                        raise GraphRequestError(answer.status_code, "upload", answer.text[:200])
                    if answer.status_code in (200, 201):
                        return answer.json()
                    break
                start = end + 1
        raise GraphRequestError(0, "upload", f"{path}: the upload session ended without a file")


async def _sleep(seconds: float) -> None:
    await asyncio.sleep(seconds)
