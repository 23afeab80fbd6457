"""File content: simple uploads and upload sessions, as SharePoint takes them.

Upload sessions: ``uploadUrl`` (pre-authenticated), fragments with ``Content-Range`` that must be
multiples of 320 KiB except the last and under 60 MiB, sent in order; 202 with
``nextExpectedRanges`` as ``"start-end"``, the final fragment 201/200 with the driveItem, 416 for
overlaps and gaps, 404 for unknown or expired sessions, 400 for a fragment sent to a completed
session (as SharePoint answers msgraph-core's ``LargeFileUploadTask``, which re-sends the final
fragment: msgraph-sdk-python-core #716, #718).
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
import re
import uuid
from datetime import UTC, datetime
from typing import Any

from notesmig.emulator.graph_errors import GraphError, bad_request, not_found, unknown_property
from notesmig.emulator.http import Request, Response
from notesmig.emulator.paths import Segment
from notesmig.emulator.tenant import Tenant
from notesmig.spfacts.limits import FRAGMENT_UNIT, MAX_FILE_SIZE, MAX_FRAGMENT
from notesmig.spfacts.quickxor import QuickXorHash

UPLOAD_PREFIX = "_upload"
_SIZE_DIGITS = len(str(MAX_FILE_SIZE))


class Uploads:
    def __init__(self, tenant: Tenant) -> None:
        self.tenant = tenant
        self.failed_fragments = 0

    def simple_upload(
        self, request: Request, drive_id: str, parent: str, name: str, *, default_conflict: str
    ) -> Response:
        conflict = conflict_behaviour(
            request.query.get("@microsoft.graph.conflictBehavior", default_conflict)
        )
        data = request.body
        scratch = self.tenant.drives.upload_dir / uuid.uuid4().hex
        scratch.write_bytes(data)
        hasher = QuickXorHash()
        hasher.update(data)
        try:
            body, status = self.tenant.drives.store_file(
                drive_id,
                parent,
                name,
                content=scratch,
                size=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
                quickxor=hasher.b64digest(),
                conflict=conflict,
                fs_info=None,
                mime=mime_type(name),
            )
        finally:
            scratch.unlink(missing_ok=True)
        return Response.of(status, body)

    def create_session(self, request: Request, drive_id: str, parent: str, name: str) -> Response:
        payload = request.json() if request.body else {}
        if not isinstance(payload, dict) or set(payload) - {"item", "deferCommit"}:
            raise bad_request("createUploadSession takes {'item': {...}}.")
        item = payload.get("item", {})
        allowed = {
            "@microsoft.graph.conflictBehavior",
            "name",
            "fileSystemInfo",
            "description",
            "fileSize",
            "@odata.type",
        }
        if not isinstance(item, dict) or set(item) - allowed:
            extra = sorted(set(item) - allowed) if isinstance(item, dict) else ["item"]
            raise unknown_property(extra[0], "driveItemUploadableProperties")
        if "name" in item and item["name"] != name:
            raise bad_request("The item name does not match the name in the path.")
        conflict = conflict_behaviour(item.get("@microsoft.graph.conflictBehavior", "replace"))
        declared = item.get("fileSize")
        if declared is not None and (
            not isinstance(declared, int) or isinstance(declared, bool) or declared < 0
        ):
            raise bad_request("'fileSize' must be a whole number of bytes.")
        if declared is not None and declared > MAX_FILE_SIZE:
            raise GraphError(400, "maxFileSizeExceeded", "The file is larger than 250 GB.")
        defer = payload.get("deferCommit", False)
        if not isinstance(defer, bool):
            raise bad_request("'deferCommit' must be a boolean.")
        fs_info = item.get("fileSystemInfo")
        if fs_info is not None and (
            not isinstance(fs_info, dict)
            or set(fs_info) - {"createdDateTime", "lastModifiedDateTime", "@odata.type"}
            or not all(isinstance(v, str) for v in fs_info.values())
        ):
            raise bad_request("'fileSystemInfo' takes createdDateTime and lastModifiedDateTime.")
        session, expires = self.tenant.drives.create_upload(
            drive_id, parent, name, conflict, fs_info, declared_size=declared, defer_commit=defer
        )
        return Response.of(
            200,
            {
                "uploadUrl": f"{request.origin}/{UPLOAD_PREFIX}/{session}",
                "expirationDateTime": iso(expires),
                "nextExpectedRanges": ["0-"],
            },
        )

    def chunk(self, request: Request, segments: list[Segment]) -> Response:
        if len(segments) != 2 or not isinstance(segments[1], str):
            raise not_found("The upload session was not found or has expired.")
        session_id = segments[1]
        tenant = self.tenant
        if request.method == "DELETE":
            found = tenant.db.execute(
                "SELECT completed FROM uploads WHERE id = ?", (session_id,)
            ).fetchone()
            if found is None or found["completed"]:
                raise not_found("The upload session was not found or has expired.")
            tenant.drives.drop_upload(session_id)
            return Response(204)
        if request.method == "GET":  # where an interrupted upload stands
            session = tenant.drives.upload(session_id)
            received = int(session["received"])
            total = session["total"]
            if total is not None and received >= total:
                ranges: list[str] = []  # every byte is in; a deferred commit awaits its POST
            elif total is not None:
                ranges = [f"{received}-{total - 1}"]
            else:
                ranges = [f"{received}-"]
            return Response.of(
                200, {"expirationDateTime": iso(session["expires"]), "nextExpectedRanges": ranges}
            )
        if request.method == "POST":  # the commit of a deferred upload (zero-length POST)
            session = tenant.drives.upload(session_id)
            if not session["defer_commit"] or session["total"] is None:
                raise bad_request("This upload session does not await a commit.")
            if int(session["received"]) < int(session["total"]):
                raise bad_request("The upload is not complete; it cannot be committed.")
            return self._commit(session_id, session, int(session["total"]))
        only(request.method, "PUT")
        if self.failed_fragments < tenant.config.fail_fragments:
            self.failed_fragments += 1
            raise GraphError(503, "serviceNotAvailable", "The service is temporarily unavailable.",
                             {"Retry-After": "1"})  # fmt: skip
        session = tenant.drives.upload(session_id)
        start, end, total = content_range(request.headers.get("content-range"))
        if total > MAX_FILE_SIZE:
            raise GraphError(400, "maxFileSizeExceeded", "The file is larger than 250 GB.")
        declared = session["declared_size"]
        if declared is not None and declared != total:
            raise bad_request(
                f"The session was created for {declared} bytes; Content-Range says {total}."
            )
        length = len(request.body)
        if length != end - start + 1:
            raise bad_request(
                f"Content-Range covers {end - start + 1} bytes; the body has {length}."
            )
        if session["total"] is not None and session["total"] != total:
            raise bad_request(f"The file size changed from {session['total']} to {total}.")
        received = int(session["received"])
        if start != received:
            message = (
                "The uploaded fragment overlaps with data that has already been received."
                if start < received
                else f"The fragment starts at {start}; the next expected byte is {received}."
            )
            raise GraphError(416, "invalidRange", message)
        last = end == total - 1
        if length > MAX_FRAGMENT:
            raise bad_request("A fragment must be smaller than 60 MiB.")
        if not last and length % FRAGMENT_UNIT:
            raise bad_request(
                f"The fragment is {length} bytes; fragments other than the last must be a "
                f"multiple of 320 KiB ({FRAGMENT_UNIT} bytes)."
            )
        path = tenant.drives.upload_file(session_id)
        with path.open("ab") as sink:
            # Bytes of a fragment whose answer failed after they were written are cut off: the
            # file holds exactly what the session says it received.
            sink.truncate(received)
            sink.write(request.body)
        tenant.db.execute(
            "UPDATE uploads SET total = ?, received = ? WHERE id = ?", (total, end + 1, session_id)
        )
        if last and session["defer_commit"]:
            return Response.of(
                202, {"expirationDateTime": iso(session["expires"]), "nextExpectedRanges": []}
            )
        if not last:
            return Response.of(
                202,
                {
                    "expirationDateTime": iso(session["expires"]),
                    "nextExpectedRanges": [f"{end + 1}-{total - 1}"],
                },
            )
        return self._commit(session_id, session, total)

    def _commit(self, session_id: str, session: Any, total: int) -> Response:
        tenant = self.tenant
        path = tenant.drives.upload_file(session_id)
        sha, quick = hashlib.sha256(), QuickXorHash()
        with path.open("rb") as source:
            while block := source.read(1 << 22):
                sha.update(block)
                quick.update(block)
        fs_info = json.loads(session["fs_info"]) if session["fs_info"] else None
        body, status = tenant.drives.store_file(
            session["drive_id"],
            session["parent"],
            session["name"],
            content=path,
            size=total,
            sha256=sha.hexdigest(),
            quickxor=quick.b64digest(),
            conflict=session["conflict"],
            fs_info=fs_info,
            mime=mime_type(session["name"]),
        )
        tenant.drives.complete_upload(session_id)
        return Response.of(status, body)


def only(method: str, allowed: str) -> None:
    if method != allowed:
        raise GraphError(405, "methodNotAllowed", f"The method {method} is not allowed here.")


def conflict_behaviour(value: Any) -> str:
    if value not in ("fail", "replace", "rename"):
        raise bad_request(
            f"@microsoft.graph.conflictBehavior must be fail, replace or rename, not {value!r}."
        )
    return str(value)


def content_range(header: str | None) -> tuple[int, int, int]:
    # ASCII digits: \d would take other scripts' digits, which no client sends.
    match = re.fullmatch(r"\s*bytes\s+([0-9]+)-([0-9]+)/([0-9]+)\s*", header or "")
    if match is None:
        raise bad_request("A fragment needs a 'Content-Range: bytes start-end/total' header.")
    # Longer than the largest file, a number is refused unread: int() raises on more than
    # 4,300 digits, and nothing longer could be a byte position anyway.
    digits = [g.lstrip("0") or "0" for g in match.groups()]
    if len(digits[2]) > _SIZE_DIGITS:
        raise GraphError(400, "maxFileSizeExceeded", "The file is larger than 250 GB.")
    if len(digits[0]) > _SIZE_DIGITS or len(digits[1]) > _SIZE_DIGITS:
        raise GraphError(416, "invalidRange", "The range lies beyond the file's size.")
    start, end, total = (int(g) for g in digits)
    if start > end or end >= total:
        raise GraphError(416, "invalidRange", f"The range {start}-{end}/{total} is not valid.")
    return start, end, total


def mime_type(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
