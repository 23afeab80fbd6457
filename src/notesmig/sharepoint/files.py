"""Files uploaded into document libraries, verified, each exactly once.

Up to 4 MiB in one ``PUT`` (``replace``: idempotent), larger files through upload sessions in
fragments of a multiple of 320 KiB, each retried, several files at once; a file is read a
fragment at a time, never whole. The session's URL is kept in the ledger so a killed run
resumes where it stopped. The quickXorHash SharePoint
reports is checked against the bytes sent. Then the file's list item gets its document's UNID,
original name and key (Graph), and the link to its document's item (SharePoint REST: Graph
cannot write hyperlinks).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

import httpx

from notesmig.errors import TerminalError
from notesmig.ledger import Ledger, State
from notesmig.records import Authorship, FileRow
from notesmig.sharepoint.budget import retry_after
from notesmig.sharepoint.graph import Graph, GraphRequestError, GraphTransientError
from notesmig.sharepoint.items import hyperlink_value
from notesmig.sharepoint.parallel import SEQUENCES_IN_PARALLEL, Bounded
from notesmig.sharepoint.provision import (
    LIBRARY_FILE_KEY,
    LIBRARY_ITEM_LINK,
    LIBRARY_ORIGINAL_NAME,
    LIBRARY_UNID,
    Target,
)
from notesmig.sharepoint.rest import SharePointRest
from notesmig.spfacts.costs import COST_READ, COST_WRITE
from notesmig.spfacts.limits import FRAGMENT_UNIT, REWRITTEN_ON_UPLOAD
from notesmig.spfacts.quickxor import QuickXorHash

SIMPLE_UPLOAD_LIMIT = 4 * 1024 * 1024
#: Small files uploaded at once by one load task (the budget, not this, sets the pace): each
#: is a sequence of dependent calls (the bytes, the listItem's fields, the Notes authorship).
UPLOADS_IN_PARALLEL = SEQUENCES_IN_PARALLEL
#: Uploaded files recorded in one ledger transaction.
_UPLOADED_PER_RECORD = 200
FRAGMENT = 10 * FRAGMENT_UNIT  # 3.2 MiB


#: How much of a file is read (and hashed) at a time when it is not sent whole.
READ_CHUNK = 8 * 1024 * 1024


class HashMismatchError(GraphRequestError):
    """SharePoint holds other bytes than were sent."""


@dataclass(frozen=True)
class FileContent:
    """A file's bytes, read when they are sent: a blob on disk is read one fragment at a
    time, so a 1 GiB attachment never sits in memory whole (a small text file, an overflow
    of rich text, is in memory already)."""

    size: int
    path: Path | None = None
    data: bytes | None = None

    @classmethod
    def of_bytes(cls, data: bytes) -> FileContent:
        return cls(len(data), data=data)

    @classmethod
    def of_file(cls, path: Path) -> FileContent:
        return cls(path.stat().st_size, path=path)

    def read(self, start: int = 0, length: int | None = None) -> bytes:
        """``length`` bytes from ``start`` (to the end when None)."""
        length = self.size - start if length is None else length
        if self.data is not None:
            return self.data[start : start + length]
        assert self.path is not None
        with self.path.open("rb") as source:
            source.seek(start)
            return source.read(length)

    def quickxor(self) -> str:
        """The QuickXorHash SharePoint should report for these bytes, read in chunks."""
        digest = QuickXorHash()
        if self.data is not None:
            digest.update(self.data)
        else:
            assert self.path is not None
            with self.path.open("rb") as source:
                while chunk := source.read(READ_CHUNK):
                    digest.update(chunk)
        return digest.b64digest()


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
        content: Callable[[FileRow], FileContent],
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
        #: Per library and audience (one uploader serves every library of a database, and two
        #: libraries may hold files of one audience): its folder is ready, being made (one
        #: lock: made once, by the first file that needs it), or refused (why).
        self._ready: set[tuple[str, str]] = set()
        self._making: dict[tuple[str, str], asyncio.Lock] = {}
        self._audience_refused: dict[tuple[str, str], str] = {}
        #: Documents whose files could not be protected (UNID -> why).
        self.refused: dict[str, str] = {}
        #: Files uploaded and not yet recorded (attachment id -> values): the ledger takes them
        #: a batch at a time, all of them by the end of upload_all. One a crash lost is
        #: uploaded again by the next run (replacing: the same bytes).
        self._uploaded: dict[int, dict[str, Any]] = {}

    async def upload_all(
        self,
        target: Target,
        files: list[FileRow],
        attachments: dict[tuple[str, str, str, str], Any],
        item_urls: dict[str, str],
    ) -> None:
        """Upload what is not loaded yet: up to UPLOADS_IN_PARALLEL files at once (each takes
        its resource units from the one budget, so together they fill it rather than wait on
        round trips; a file is read a fragment at a time, so a large one costs no memory). A
        restricted document's file waits for its audience's folder, made once however many
        files need it. The first failure stops the others and is raised; what finished is in
        the ledger."""
        try:
            async with Bounded(UPLOADS_IN_PARALLEL) as pool:
                for file in files:
                    record = attachments.get((file.unid, file.library, file.folder, file.name))
                    if record is None or file.unid not in item_urls:
                        continue  # its document was not loaded (held back, or failed): nor its file
                    if record.state == State.LOADED and record.drive_item_id:
                        self.counts.unchanged += 1
                        continue
                    if file.audience is not None and self.audience_folder is None:
                        continue  # no way to protect it: never uploaded where others can read
                    if file.unid in self.refused:
                        continue
                    await pool.start(self._protected(target, file, record, item_urls[file.unid]))
        finally:
            self.record_uploaded()

    def record_uploaded(self) -> None:
        uploaded, self._uploaded = self._uploaded, {}
        if uploaded:
            self.ledger.update_attachments(uploaded)

    async def _protected(self, target: Target, file: FileRow, record: Any, item_url: str) -> None:
        """A file uploaded once its audience's folder (if it has one) is there and verified."""
        if file.audience is not None and not await self._audience_ready(target, file):
            return
        await self.upload(target, file, record, item_url)

    async def _audience_ready(self, target: Target, file: FileRow) -> bool:
        assert file.audience is not None
        assert self.audience_folder is not None
        key = (target.id, file.audience)
        async with self._making.setdefault(key, asyncio.Lock()):
            if key not in self._ready and key not in self._audience_refused:
                try:
                    await self.audience_folder(target, file.audience)
                    self._ready.add(key)
                except TerminalError as exc:
                    self._audience_refused[key] = str(exc)
        if key in self._audience_refused:
            # Never uploaded where others could read it: its document is held back.
            self.refused[file.unid] = self._audience_refused[key]
            return False
        return file.unid not in self.refused

    async def upload(self, target: Target, file: FileRow, record: Any, item_url: str) -> None:
        drive = f"/drives/{target.drive_id}"
        content = self.content(file)
        path = f"{drive}/root:/{quote(file.folder)}/{quote(file.name)}:"
        dates = {
            key: value
            for key, value in (
                ("createdDateTime", file.created),
                ("lastModifiedDateTime", file.modified),
            )
            if value
        }
        if content.size <= SIMPLE_UPLOAD_LIMIT:
            item = await self.graph.upload(f"{path}/content", content.read())
            if dates:  # a simple upload cannot carry them: the Notes dates are set after
                item = await self.graph.write_json(
                    "PATCH", f"{drive}/items/{item['id']}", {"fileSystemInfo": dates}
                )
        else:
            item = await self._session_upload(path, content, record, dates)
        # Off the event loop: a large file's bytes are read again to hash them.
        source_hash = await asyncio.to_thread(content.quickxor)
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
        self._uploaded[record.id] = {
            "state": State.LOADED, "drive_item_id": item["id"], "quickxor": remote,
            "source_quickxor": source_hash, "upload_url": None, "upload_expires": None,
        }  # fmt: skip
        if len(self._uploaded) >= _UPLOADED_PER_RECORD:
            self.record_uploaded()
        self.counts.uploaded += 1
        self.counts.bytes += content.size
        self.progress(1)

    async def _resume(self, raw: httpx.AsyncClient, url: str) -> int | dict[str, Any] | None:
        """Where a kept upload session stands: the next byte to send, the driveItem when every
        byte was in and only the commit was missing (committed now), or None: start anew."""
        await self.graph.budget.take(COST_READ)
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
            await self.graph.budget.take(COST_WRITE)
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

    async def _standing(
        self, raw: httpx.AsyncClient, url: str, path: str, start: int, size: int
    ) -> Any:
        """After a fragment was refused: None when the session already holds it (go on), the
        driveItem when the session is gone because the file was committed whole, False when
        the refusal stands."""
        await self.graph.budget.take(COST_READ)
        try:
            status = await raw.get(url)
        except httpx.HTTPError:
            return False
        if status.status_code == 200:
            try:
                ranges = [str(r) for r in status.json().get("nextExpectedRanges") or []]
            except (ValueError, AttributeError):
                return False
            expected = [int(r.split("-")[0]) for r in ranges if r.split("-")[0].isdigit()]
            if expected:
                return None if min(expected) > start else False
        elif status.status_code >= 500:
            return False
        # Every byte in, or the session no longer open (gone, or completed: services answer
        # 404 or 400 to it): the file, if it was committed whole.
        try:
            item = await self.graph.get_json(path)
        except GraphRequestError:
            return False
        return item if isinstance(item, dict) and item.get("size") == size else False

    async def _session_upload(
        self, path: str, content: FileContent, record: Any, dates: dict[str, str]
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
            while start < content.size:
                end = min(start + FRAGMENT, content.size) - 1
                fragment = content.read(start, end + 1 - start)
                answer = await self._fragment(raw, url, fragment, start, end, content.size, path)
                if answer is not None:
                    return answer
                start = end + 1
        return await self.graph.get_json(path)

    async def _fragment(
        self,
        raw: httpx.AsyncClient,
        url: str,
        fragment: bytes,
        start: int,
        end: int,
        size: int,
        path: str,
    ) -> Any:
        """Send one fragment (bytes ``start``-``end`` of ``size``); the driveItem once the
        last one is in, else None."""
        for attempt in range(self.graph.attempts):
            await self.graph.budget.take(COST_WRITE)
            try:
                answer = await raw.put(
                    url,
                    content=fragment,
                    headers={"Content-Range": f"bytes {start}-{end}/{size}"},
                )
            except httpx.TransportError:
                await asyncio.sleep(retry_after({}, attempt))
                continue
            if answer.status_code in (429, 500, 502, 503, 504):
                await asyncio.sleep(retry_after(dict(answer.headers), attempt))
                continue
            if answer.status_code in (400, 416):
                # Refused as already received, or the session already completed (the answer
                # to an earlier attempt lost): the session's own state says which, never the
                # wording of the refusal (SharePoint's differs from the emulator's).
                standing = await self._standing(raw, url, path, start, size)
                if standing is not False:
                    return standing
            if answer.status_code >= 400:
                raise GraphRequestError(answer.status_code, "upload", answer.text[:200])
            if answer.status_code in (200, 201):
                return answer.json()
            return None
        raise GraphTransientError(
            f"{path}: bytes {start}-{end} still failing after {self.graph.attempts} attempts; "
            "the session is kept for the next run"
        )
