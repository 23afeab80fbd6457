"""Files uploaded into document libraries, verified, each exactly once.

Up to 4 MiB in one ``PUT`` (``replace``: idempotent; several at once), larger files one at a
time through upload sessions in fragments of a multiple of 320 KiB, each retried; the session's
URL is kept in the ledger so a killed run resumes where it stopped. The quickXorHash SharePoint
reports is checked against the bytes sent. Then the file's list item gets its document's UNID,
original name and key (Graph), and the link to its document's item (SharePoint REST: Graph
cannot write hyperlinks).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

import httpx

from notesmig.errors import TerminalError
from notesmig.ledger import Ledger, State
from notesmig.records import Authorship, FileRow
from notesmig.sharepoint.budget import retry_after
from notesmig.sharepoint.graph import Graph, GraphRequestError, GraphTransientError
from notesmig.sharepoint.items import hyperlink_value
from notesmig.sharepoint.provision import (
    LIBRARY_FILE_KEY,
    LIBRARY_ITEM_LINK,
    LIBRARY_ORIGINAL_NAME,
    LIBRARY_UNID,
    Target,
)
from notesmig.sharepoint.rest import SharePointRest
from notesmig.spfacts.costs import COST_WRITE
from notesmig.spfacts.limits import FRAGMENT_UNIT, REWRITTEN_ON_UPLOAD
from notesmig.spfacts.quickxor import QuickXorHash

SIMPLE_UPLOAD_LIMIT = 4 * 1024 * 1024
#: Small files uploaded at once by one load task (the budget, not this, sets the pace).
UPLOADS_IN_PARALLEL = 4
FRAGMENT = 10 * FRAGMENT_UNIT  # 3.2 MiB


class HashMismatchError(GraphRequestError):
    """SharePoint holds other bytes than were sent."""


@dataclass
class FileCounts:
    uploaded: int = 0
    unchanged: int = 0
    #: Files SharePoint rewrote on upload (their hash is no longer the source's).
    rewritten: int = 0
    bytes: int = 0


class FileUploader:
    """Uploads the files of one library."""

    def __init__(
        self,
        graph: Graph,
        rest: SharePointRest,
        ledger: Ledger,
        content: Callable[[FileRow], bytes],
        *,
        progress: Callable[[int], None] | None = None,
        authorship: Callable[[str, Authorship | None], Awaitable[dict[str, str]]] | None = None,
        audience_folder: Callable[[Target, str], Awaitable[None]] | None = None,
    ) -> None:
        self.graph = graph
        self.rest = rest
        self.ledger = ledger
        self.content = content
        self.progress = progress or (lambda _done: None)
        self.authorship = authorship
        #: Makes a restricted document's audience folder (permissions set) before its files.
        self.audience_folder = audience_folder
        self.counts = FileCounts()
        self._ready: set[str] = set()
        #: Documents whose files could not be protected (UNID -> why).
        self.refused: dict[str, str] = {}

    async def upload_all(
        self,
        target: Target,
        files: list[FileRow],
        attachments: dict[tuple[str, str, str, str], Any],
        item_urls: dict[str, str],
    ) -> None:
        """Upload what is not loaded yet: up to UPLOADS_IN_PARALLEL small files at once (each
        takes its resource units from the one budget, so together they fill it rather than
        wait on round trips), a file for an upload session alone (its bytes are in memory).
        The first failure stops the others and is raised; what finished is in the ledger."""
        running: set[asyncio.Task[None]] = set()

        async def settle(at_most: int) -> None:
            while len(running) > at_most:
                done, _pending = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                running.difference_update(done)
                for task in done:
                    task.result()

        try:
            for file in files:
                record = attachments.get((file.unid, file.library, file.folder, file.name))
                if record is None or file.unid not in item_urls:
                    continue  # its document was not loaded (held back, or failed): nor its file
                if record.state == State.LOADED and record.drive_item_id:
                    self.counts.unchanged += 1
                    continue
                if file.audience is not None and file.audience not in self._ready:
                    if self.audience_folder is None:
                        continue  # no way to protect it: never uploaded where others can read
                    try:
                        await self.audience_folder(target, file.audience)
                    except TerminalError as exc:
                        # Never uploaded where others could read it: its document is held back.
                        self.refused[file.unid] = str(exc)
                        continue
                    self._ready.add(file.audience)
                if file.unid in self.refused:
                    continue
                item_url = item_urls[file.unid]
                if file.size > SIMPLE_UPLOAD_LIMIT:
                    await settle(0)
                    await self.upload(target, file, record, item_url)
                    continue
                await settle(UPLOADS_IN_PARALLEL - 1)
                running.add(asyncio.ensure_future(self.upload(target, file, record, item_url)))
            await settle(0)
        finally:
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)

    async def upload(self, target: Target, file: FileRow, record: Any, item_url: str) -> None:
        drive = f"/drives/{target.drive_id}"
        data = self.content(file)
        path = f"{drive}/root:/{quote(file.folder)}/{quote(file.name)}:"
        dates = {
            key: value
            for key, value in (
                ("createdDateTime", file.created),
                ("lastModifiedDateTime", file.modified),
            )
            if value
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
        source_hash = local.b64digest()
        remote = (item.get("file") or {}).get("hashes", {}).get("quickXorHash")
        if remote != source_hash:
            if PurePosixPath(file.name).suffix.lower() not in REWRITTEN_ON_UPLOAD:
                raise HashMismatchError(
                    0,
                    "hashMismatch",
                    f"{file.folder}/{file.name}: SharePoint reports {remote}, "
                    f"the file's bytes give {source_hash}",
                )
            # SharePoint rewrote it (property promotion): both hashes are kept, and the
            # reconciler reports it as such, never as a silent pass.
            self.counts.rewritten += 1
        fields = await self.graph.write_json(
            "PATCH",
            f"{drive}/items/{item['id']}/listItem/fields",
            {
                LIBRARY_UNID: file.unid,
                LIBRARY_ORIGINAL_NAME: file.original_name[:255],
                LIBRARY_FILE_KEY: f"{file.folder}/{file.name}"[:255],
            },
        )
        list_item = str((fields or {}).get("id", ""))
        if list_item:
            link = target.column(LIBRARY_ITEM_LINK)
            values = {
                (link.internal if link else LIBRARY_ITEM_LINK): hyperlink_value(item_url, file.unid)
            }
            if self.authorship is not None:
                values.update(await self.authorship(target.site_path, file.authorship))
            await self.rest.validate_update(
                target.site_path, target.id, list_item, values, what=f"{file.folder}/{file.name}"
            )
        self.ledger.update_attachment(
            record.id,
            state=State.LOADED,
            drive_item_id=item["id"],
            quickxor=remote,
            source_quickxor=source_hash,
            upload_url=None,
            upload_expires=None,
        )
        self.counts.uploaded += 1
        self.counts.bytes += len(data)
        self.progress(1)

    async def _resume(self, raw: httpx.AsyncClient, url: str) -> int | dict[str, Any] | None:
        """Where a kept upload session stands: the next byte to send, the driveItem when every
        byte was in and only the commit was missing (committed now), or None: start anew."""
        try:
            status = await raw.get(url)
        except httpx.HTTPError:
            return None
        if status.status_code != 200:
            return None
        try:
            ranges = status.json().get("nextExpectedRanges")
        except ValueError:
            return None
        if ranges == []:
            # Every byte arrived; the commit did not (a deferred commit, or its answer lost).
            try:
                committed = await raw.post(url, content=b"")
            except httpx.HTTPError:
                return None
            found: dict[str, Any] = committed.json() if committed.status_code in (200, 201) else {}
            return found or None
        try:
            return int(str(ranges[0]).split("-")[0])
        except (ValueError, TypeError, IndexError):
            return None

    async def _session_upload(
        self, path: str, data: bytes, record: Any, dates: dict[str, str]
    ) -> Any:
        """Upload in 320 KiB-multiple fragments, resuming a session the ledger kept."""
        url = record.upload_url
        start = 0
        async with httpx.AsyncClient(timeout=120) as raw:
            if url:
                resumed = await self._resume(raw, url)
                if isinstance(resumed, dict):
                    return resumed
                if resumed is None:
                    url = None
                else:
                    start = resumed
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
                answer = await self._fragment(raw, url, data, start, end, path)
                if answer is not None:
                    return answer
                start = end + 1
        return await self.graph.get_json(path)

    async def _fragment(
        self, raw: httpx.AsyncClient, url: str, data: bytes, start: int, end: int, path: str
    ) -> Any:
        """Send one fragment; the driveItem once the last one is in, else None."""
        for attempt in range(self.graph.attempts):
            await self.graph.budget.take(COST_WRITE)
            try:
                answer = await raw.put(
                    url,
                    content=data[start : end + 1],
                    headers={"Content-Range": f"bytes {start}-{end}/{len(data)}"},
                )
            except httpx.TransportError:
                await asyncio.sleep(retry_after({}, attempt))
                continue
            if answer.status_code in (429, 500, 502, 503, 504):
                await asyncio.sleep(retry_after(dict(answer.headers), attempt))
                continue
            if answer.status_code == 416:  # already received (a lost answer): move on
                return None
            if answer.status_code == 400 and "already been completed" in answer.text:
                # The final answer was lost after the file was committed.
                return await self.graph.get_json(path)
            if answer.status_code >= 400:
                raise GraphRequestError(answer.status_code, "upload", answer.text[:200])
            if answer.status_code in (200, 201):
                return answer.json()
            return None
        raise GraphTransientError(
            f"{path}: bytes {start}-{end} still failing after {self.graph.attempts} attempts; "
            "the session is kept for the next run"
        )
