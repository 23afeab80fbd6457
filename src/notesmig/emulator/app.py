"""The emulator's ASGI application: Microsoft Graph v1.0 for SharePoint, as the service answers.

Request flow: authentication (any bearer token, or the configured one), injected faults,
resource-unit throttling, routing on the raw path, the handler inside one SQLite transaction,
and, for a committed write, possibly a lost response. Every error is Graph's JSON shape; an
unexpected failure is a 500 ``generalException`` without any traceback in the answer.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import mimetypes
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

from notesmig.emulator.config import EmulatorConfig
from notesmig.emulator.graph_errors import (
    GraphError,
    bad_request,
    error_bytes,
    not_found,
    unknown_property,
)
from notesmig.emulator.paths import PathRef, Segment, split_path
from notesmig.emulator.tenant import ListRow, Tenant
from notesmig.emulator.throttle import FaultInjector, ResourceBudget, request_cost
from notesmig.spfacts.limits import BATCH_LIMIT as MAX_BATCH
from notesmig.spfacts.limits import FRAGMENT_UNIT, MAX_FRAGMENT
from notesmig.spfacts.quickxor import QuickXorHash

log = logging.getLogger("notesmig.emulator")

MAX_BODY = MAX_FRAGMENT + (1 << 20)
DEFAULT_PAGE = 200
_UPLOAD_PREFIX = "_upload"
_JSON = "application/json;odata.metadata=minimal;odata.streaming=true;charset=utf-8"
_FILTER_TERM = re.compile(
    r"""^\s*(?:fields/(?P<field>\w+)\s+(?P<op>eq|ne|gt|ge|lt|le)\s+(?P<value>'(?:[^']|'')*'|[^\s)]+)
         |startswith\(\s*fields/(?P<sfield>\w+)\s*,\s*(?P<svalue>'(?:[^']|'')*')\s*\))\s*$""",
    re.VERBOSE,
)

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


@dataclass
class Request:
    method: str
    raw_path: bytes
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    origin: str

    def json(self) -> Any:
        if not self.body:
            raise bad_request("The request body is empty; a JSON object was expected.")
        try:
            return json.loads(self.body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise bad_request(f"The request body is not valid JSON: {exc}") from None


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    wrote: bool = False

    @classmethod
    def of(
        cls, status: int, payload: Any = None, headers: dict[str, str] | None = None
    ) -> Response:
        data = b"" if payload is None else json.dumps(payload, ensure_ascii=False).encode()
        merged = {"Content-Type": _JSON} if payload is not None else {}
        merged.update(headers or {})
        return cls(status, data, merged)


def _error(exc: GraphError, request: Request) -> Response:
    body = error_bytes(exc.code, exc.message, request.headers.get("client-request-id"))
    return Response(exc.status, body, {"Content-Type": _JSON, **exc.headers})


class EmulatorApp:
    """ASGI callable serving one emulated tenant."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.tenant = Tenant(config)
        self.budget = ResourceBudget(config.ru_per_minute, config.time_scale)
        self.faults = FaultInjector(config.fault_rate, config.lost_response_rate, config.seed)
        self.requests = 0

    # -- ASGI -----------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    self.tenant.db.close()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        body = await self._read_body(receive, headers)
        host = headers.get("host") or "{}:{}".format(*scope.get("server") or ("127.0.0.1", 80))
        query = {
            k: v[-1]
            for k, v in parse_qs(
                scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True
            ).items()
        }
        request = Request(
            scope["method"],
            scope.get("raw_path") or scope["path"].encode(),
            query,
            headers,
            body or b"",
            f"{scope.get('scheme', 'http')}://{host}",
        )
        if body is None:
            response = _error(
                GraphError(413, "requestEntityTooLarge", "The request body is too large."), request
            )
        else:
            response = await self.handle(request)
        if response.wrote and self.faults.lose_response():
            await _drop(send)
            return
        if response.status == -1:  # an injected connection reset
            await _drop(send)
            return
        head = [
            (k.lower().encode(), v.encode("latin-1", "replace"))
            for k, v in response.headers.items()
        ]
        head.append((b"content-length", str(len(response.body)).encode()))
        await send({"type": "http.response.start", "status": response.status, "headers": head})
        await send({"type": "http.response.body", "body": response.body})

    @staticmethod
    async def _read_body(receive: Receive, headers: dict[str, str]) -> bytes | None:
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BODY:
            return None
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > MAX_BODY:
                return None
            chunks.append(chunk)
            if not message.get("more_body"):
                return b"".join(chunks)

    # -- request pipeline -----------------------------------------------------------------

    async def handle(self, request: Request) -> Response:
        self.requests += 1
        try:
            segments = split_path(request.raw_path)
        except UnicodeDecodeError:
            return _error(bad_request("The request path is not valid UTF-8."), request)
        upload = bool(segments) and segments[0] == _UPLOAD_PREFIX
        if not upload:
            denied = self._authenticate(request)
            if denied is not None:
                return denied
        fault = self.faults.before()
        if fault is not None:
            injected = await self._fault(fault, request)
            if injected is not None:
                return injected
        if upload:
            return self._charged(
                request,
                [str(s) for s in segments],
                collection=False,
                run=lambda: self._upload_chunk(request, segments),
            )
        if not segments or segments[0] != "v1.0":
            return _error(
                GraphError(400, "BadRequest", "Invalid version: only v1.0 is served."), request
            )
        route = segments[1:]
        if route == ["$batch"] and request.method == "POST":
            return self._batch(request)
        return self._charged(
            request,
            [str(s) for s in route],
            collection=_is_collection(route),
            run=lambda: self._route(request, route),
        )

    def _authenticate(self, request: Request) -> Response | None:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return _error(
                GraphError(401, "InvalidAuthenticationToken", "Access token is empty."), request
            )
        if self.config.token is not None and token.strip() != self.config.token:
            return _error(
                GraphError(401, "InvalidAuthenticationToken", "Access token validation failure."),
                request,
            )
        return None

    async def _fault(self, fault: str, request: Request) -> Response | None:
        if fault == "slow":
            await asyncio.sleep(self.config.slow_seconds)
            return None
        if fault == "reset":
            return Response(-1)
        if fault == "429":
            error = GraphError(429, "activityLimitReached", "The request has been throttled.",
                               {"Retry-After": str(self.faults.retry_after())})  # fmt: skip
        elif fault == "503":
            error = GraphError(
                503,
                "serviceNotAvailable",
                "The service is temporarily unavailable.",
                {"Retry-After": str(self.faults.retry_after())},
            )
        elif fault == "504":
            error = GraphError(504, "gatewayTimeout", "The gateway timed out.")
        else:
            error = GraphError(500, "generalException", "An internal server error occurred.")
        return _error(error, request)

    def _charged(
        self,
        request: Request,
        segments: list[str],
        *,
        collection: bool,
        run: Callable[[], Response],
    ) -> Response:
        decision = self.budget.charge(request_cost(request.method, segments, collection=collection))
        if not decision.allowed:
            error = GraphError(
                429,
                "activityLimitReached",
                "The request has been throttled: the application's resource "
                "unit budget for this minute is used up.",
                decision.headers,
            )
            return _error(error, request)
        response = self._execute(request, run)
        response.headers.update(decision.headers)
        return response

    def _execute(self, request: Request, run: Callable[[], Response]) -> Response:
        write = request.method != "GET"
        try:
            if write:
                with self.tenant.transaction():
                    response = run()
                response.wrote = response.status < 400
                return response
            return run()
        except GraphError as exc:
            return _error(exc, request)
        except Exception:
            log.exception("emulator failure on %s %s", request.method, request.raw_path)
            return _error(
                GraphError(500, "generalException", "An internal error occurred."), request
            )

    # -- routing --------------------------------------------------------------------------

    def _route(self, request: Request, route: list[Segment]) -> Response:
        method = request.method
        if not route:
            raise not_found("No resource at the service root.")
        head = route[0]
        if head == "sites" and len(route) >= 2:
            site = self._site(route[1])
            return self._site_route(request, site["id"], site, route[2:], method)
        if head == "drives" and len(route) >= 2 and isinstance(route[1], str):
            return self._drive_route(request, route[1], route[2:], method)
        raise GraphError(400, "BadRequest", f"Resource not found for the segment '{head}'.")

    def _site(self, segment: Segment) -> dict[str, Any]:
        if isinstance(segment, PathRef):
            return self.tenant.site(segment.base, segment.path)
        return self.tenant.site(segment)

    def _site_route(
        self, request: Request, site_id: str, site: dict[str, Any], rest: list[Segment], method: str
    ) -> Response:
        tenant = self.tenant
        if not rest:
            _only(method, "GET")
            return Response.of(200, site)
        if rest == ["drive"]:
            _only(method, "GET")
            return Response.of(200, tenant.drives.site_drive(site_id))
        if rest == ["drives"]:
            _only(method, "GET")
            drives = [
                tenant.drives.drive(r["drive_id"])
                for r in tenant.db.execute(
                    "SELECT drive_id FROM lists WHERE site_id = ? AND drive_id IS NOT NULL",
                    (site_id,),
                )
            ]
            return Response.of(200, {"value": drives})
        if rest[0] != "lists":
            raise GraphError(400, "BadRequest", f"Resource not found for the segment '{rest[0]}'.")
        if len(rest) == 1:
            if method == "GET":
                return Response.of(200, {"value": tenant.lists(site_id)})
            _only(method, "POST")
            return Response.of(201, tenant.create_list(site_id, request.json()))
        row = tenant.get_list(site_id, str(rest[1]))
        return self._list_route(request, row, rest[2:], method)

    def _list_route(
        self, request: Request, row: ListRow, rest: list[Segment], method: str
    ) -> Response:
        tenant = self.tenant
        if not rest:
            if method == "DELETE":
                tenant.delete_list(row.site_id, row.id)
                return Response(204)
            _only(method, "GET")
            return Response.of(200, tenant.list_json(row))
        if rest == ["columns"]:
            if method == "GET":
                return Response.of(200, {"value": [c.as_graph() for c in tenant.columns(row.id)]})
            _only(method, "POST")
            return Response.of(201, tenant.create_column(row, request.json()))
        if rest == ["drive"]:
            _only(method, "GET")
            return Response.of(200, tenant.drives.drive_of_list(row))
        if rest[0] != "items":
            raise GraphError(400, "BadRequest", f"Resource not found for the segment '{rest[0]}'.")
        if len(rest) == 1:
            if method == "GET":
                return self._list_items(request, row)
            _only(method, "POST")
            return Response.of(201, tenant.create_item(row, request.json()))
        if rest[1] in ("delta", "delta()") and len(rest) == 2:
            _only(method, "GET")
            return self._delta(request, row)
        return self._item_route(request, row, str(rest[1]), rest[2:], method)

    def _item_route(
        self, request: Request, row: ListRow, item_id: str, rest: list[Segment], method: str
    ) -> Response:
        tenant = self.tenant
        if not rest:
            if method == "DELETE":
                tenant.delete_item(row, item_id, request.headers.get("if-match"))
                return Response(204)
            _only(method, "GET")
            expand, select = _expand_fields(request.query)
            return Response.of(
                200, tenant.item_json(row, item_id, expand_fields=expand, select=select)
            )
        if rest == ["fields"]:
            if method == "PATCH":
                return Response.of(
                    200,
                    tenant.update_fields(
                        row, item_id, request.json(), request.headers.get("if-match")
                    ),
                )
            _only(method, "GET")
            item = tenant._item_row(row, item_id)
            return Response.of(200, tenant.fields_json(row, item, _select(request.query)))
        raise GraphError(400, "BadRequest", f"Resource not found for the segment '{rest[0]}'.")

    def _list_items(self, request: Request, row: ListRow) -> Response:
        query = request.query
        conditions = _parse_filter(query.get("$filter", ""))
        top = _int_param(query, "$top", DEFAULT_PAGE, maximum=5_000)
        after = _int_param(query, "$skiptoken", 0, maximum=2**62)
        honor = (
            "honornonindexedquerieswarningmayfailrandomly"
            in request.headers.get("prefer", "").lower()
        )
        items, last = self.tenant.query_items(
            row, conditions=conditions, honor_non_indexed=honor, after=after, top=top
        )
        expand, select = _expand_fields(query)
        body: dict[str, Any] = {
            "value": [
                self.tenant.item_json(row, i["id"], expand_fields=expand, select=select, item=i)
                for i in items
            ]
        }
        if last is not None:
            body["@odata.nextLink"] = _link(request, {"$skiptoken": str(last)})
        return Response.of(200, body)

    def _delta(self, request: Request, row: ListRow) -> Response:
        query = request.query
        since = _int_param(query, "token", 0, maximum=2**62)
        after = _int_param(query, "$skiptoken", 0, maximum=2**62)
        top = _int_param(query, "$top", DEFAULT_PAGE, maximum=5_000)
        changes, last, current = self.tenant.changes(row, since, after, top)
        values: list[dict[str, Any]] = []
        for item in changes:
            if item["deleted"]:
                values.append({"id": str(item["id"]), "deleted": {"state": "deleted"}})
            else:
                values.append(self.tenant.item_json(row, item["id"], expand_fields=True, item=item))
        body: dict[str, Any] = {"value": values}
        if last is not None:
            body["@odata.nextLink"] = _link(request, {"token": str(since), "$skiptoken": str(last)})
        else:
            body["@odata.deltaLink"] = _link(request, {"token": str(current)}, drop=("$skiptoken",))
        return Response.of(200, body)

    # -- drives ---------------------------------------------------------------------------

    def _drive_route(
        self, request: Request, drive_id: str, rest: list[Segment], method: str
    ) -> Response:
        tenant = self.tenant
        if not rest:
            _only(method, "GET")
            return Response.of(200, tenant.drives.drive(drive_id))
        if rest[0] == "list":
            library = tenant.drives.library_of_drive(drive_id)
            return self._list_route(request, library, rest[1:], method)
        if rest[0] == "root" and len(rest) >= 1:
            target: Segment = "root"
            tail = rest[1:]
        elif rest[0] == "items" and len(rest) >= 2:
            target, tail = rest[1], rest[2:]
        elif isinstance(rest[0], PathRef):
            target, tail = rest[0], rest[1:]
        else:
            raise GraphError(400, "BadRequest", f"Resource not found for the segment '{rest[0]}'.")
        if isinstance(target, PathRef):
            return self._path_route(request, drive_id, target, tail, method)
        return self._item_by_id(request, drive_id, target, tail, method)

    def _item_by_id(
        self, request: Request, drive_id: str, item_id: str, tail: list[Segment], method: str
    ) -> Response:
        tenant = self.tenant
        if not tail:
            item = tenant.drives.drive_item_row(drive_id, item_id)
            if method == "DELETE":
                library = tenant.drives.library_of_drive(drive_id)
                if item["parent"] is None:
                    raise GraphError(403, "accessDenied", "The root of a drive cannot be deleted.")
                tenant.delete_item(library, str(item["list_item"]))
                return Response(204)
            if method == "PATCH":
                updated = tenant.drives.update_item(drive_id, item["id"], request.json())
                return Response.of(200, tenant.drives.drive_item_json(updated))
            _only(method, "GET")
            expand = "listItem" in request.query.get("$expand", "")
            return Response.of(200, tenant.drives.drive_item_json(item, expand_list_item=expand))
        if tail == ["children"]:
            if method == "POST":
                body, status = tenant.drives.create_folder(drive_id, item_id, request.json())
                return Response.of(status, body)
            _only(method, "GET")
            return Response.of(200, {"value": tenant.drives.children(drive_id, item_id)})
        if tail == ["content"]:
            item = tenant.drives.drive_item_row(drive_id, item_id)
            if method == "GET":
                data = tenant.drives.content_path(item).read_bytes()
                return Response(
                    200, data, {"Content-Type": item["mime"] or "application/octet-stream"}
                )
            _only(method, "PUT")
            parent = item["parent"]
            if parent is None:
                raise bad_request("Content cannot be written to a folder.")
            return self._simple_upload(
                request, drive_id, parent, item["name"], default_conflict="replace"
            )
        if tail[0] == "listItem":
            library, list_item = tenant.drives.drive_item_list_item(drive_id, item_id)
            return self._item_route(request, library, str(list_item), tail[1:], method)
        raise GraphError(400, "BadRequest", f"Resource not found for the segment '{tail[0]}'.")

    def _path_route(
        self, request: Request, drive_id: str, ref: PathRef, tail: list[Segment], method: str
    ) -> Response:
        tenant = self.tenant
        base = "root" if ref.base == "root" else ref.base
        if tail in (["content"], ["createUploadSession"]) and method in ("PUT", "POST"):
            folder, name = self._parent_for(drive_id, base, ref.path)
            if tail == ["content"]:
                _only(method, "PUT")
                return self._simple_upload(
                    request, drive_id, folder, name, default_conflict="replace"
                )
            return self._create_upload_session(request, drive_id, folder, name)
        item = tenant.drives.resolve_path(drive_id, base, ref.path)
        return self._item_by_id(request, drive_id, item["id"], tail, method)

    def _parent_for(self, drive_id: str, base: str, path: str) -> tuple[str, str]:
        """The folder a path-addressed upload goes into, created as needed, and the name."""
        parts = [p for p in path.split("/") if p]
        if not parts:
            raise bad_request("A file name is required in the path.")
        folder = self.tenant.drives.drive_item_row(drive_id, base)
        for part in parts[:-1]:
            sibling = self.tenant.drives._sibling(drive_id, folder["id"], part)
            if sibling is None:
                body, _ = self.tenant.drives.create_folder(
                    drive_id, folder["id"], {"name": part, "folder": {}}
                )
                sibling = self.tenant.drives.drive_item_row(drive_id, body["id"])
            elif not sibling["folder"]:
                raise bad_request(f"'{part}' is a file, not a folder.")
            folder = sibling
        return str(folder["id"]), parts[-1]

    def _simple_upload(
        self, request: Request, drive_id: str, parent: str, name: str, *, default_conflict: str
    ) -> Response:
        conflict = _conflict(
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
                mime=_mime(name),
            )
        finally:
            scratch.unlink(missing_ok=True)
        return Response.of(status, body)

    def _create_upload_session(
        self, request: Request, drive_id: str, parent: str, name: str
    ) -> Response:
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
        conflict = _conflict(item.get("@microsoft.graph.conflictBehavior", "replace"))
        fs_info = item.get("fileSystemInfo")
        if fs_info is not None and (
            not isinstance(fs_info, dict)
            or set(fs_info) - {"createdDateTime", "lastModifiedDateTime", "@odata.type"}
            or not all(isinstance(v, str) for v in fs_info.values())
        ):
            raise bad_request("'fileSystemInfo' takes createdDateTime and lastModifiedDateTime.")
        session, expires = self.tenant.drives.create_upload(
            drive_id, parent, name, conflict, fs_info
        )
        return Response.of(
            200,
            {
                "uploadUrl": f"{request.origin}/{_UPLOAD_PREFIX}/{session}",
                "expirationDateTime": _iso(expires),
                "nextExpectedRanges": ["0-"],
            },
        )

    def _upload_chunk(self, request: Request, segments: list[Segment]) -> Response:
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
            ranges = [f"{received}-{total - 1}"] if total is not None else [f"{received}-"]
            return Response.of(
                200, {"expirationDateTime": _iso(session["expires"]), "nextExpectedRanges": ranges}
            )
        _only(request.method, "PUT")
        session = tenant.drives.upload(session_id)
        start, end, total = _content_range(request.headers.get("content-range"))
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
            sink.write(request.body)
        tenant.db.execute(
            "UPDATE uploads SET total = ?, received = ? WHERE id = ?", (total, end + 1, session_id)
        )
        if not last:
            return Response.of(
                202,
                {
                    "expirationDateTime": _iso(session["expires"]),
                    "nextExpectedRanges": [f"{end + 1}-{total - 1}"],
                },
            )
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
            mime=_mime(session["name"]),
        )
        tenant.drives.complete_upload(session_id)
        return Response.of(status, body)

    # -- $batch ---------------------------------------------------------------------------

    def _batch(self, request: Request) -> Response:
        try:
            payload = request.json()
            entries = _batch_entries(payload)
        except GraphError as exc:
            return _error(exc, request)
        results: dict[str, Response] = {}
        order: list[str] = []
        by_id = {entry["id"]: entry for entry in entries}

        def run(entry: dict[str, Any], trail: tuple[str, ...] = ()) -> Response:
            key = entry["id"]
            if key in results:
                return results[key]
            failed = None
            for dependency in entry.get("dependsOn", []):
                if dependency in trail:
                    failed = bad_request("dependsOn forms a cycle.")
                    break
                if run(by_id[dependency], (*trail, key)).status >= 400:
                    failed = GraphError(
                        424,
                        "failedDependency",
                        f"The request depends on '{dependency}', which failed.",
                    )
                    break
            results[key] = (
                self._sub_request(request, entry) if failed is None else _error(failed, request)
            )
            order.append(key)
            return results[key]

        for entry in entries:
            run(entry)
        responses = []
        for key in order:
            answer = results[key]
            item: dict[str, Any] = {"id": key, "status": answer.status, "headers": answer.headers}
            if answer.body:
                if answer.headers.get("Content-Type", "").startswith("application/json"):
                    item["body"] = json.loads(answer.body)
                else:
                    item["body"] = base64.b64encode(answer.body).decode()
            responses.append(item)
        response = Response.of(200, {"responses": responses})
        response.wrote = any(r.wrote for r in results.values())
        return response

    def _sub_request(self, outer: Request, entry: dict[str, Any]) -> Response:
        url = entry["url"]
        parts = urlsplit(url if url.startswith("/") else "/" + url)
        headers = {k.lower(): str(v) for k, v in (entry.get("headers") or {}).items()}
        headers.setdefault("authorization", outer.headers.get("authorization", ""))
        body = entry.get("body")
        if isinstance(body, dict | list):
            data = json.dumps(body).encode()
        elif isinstance(body, str):
            try:
                data = base64.b64decode(body, validate=True)
            except ValueError:
                data = body.encode()
        else:
            data = b""
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        sub = Request(
            entry["method"].upper(),
            ("/v1.0" + parts.path).encode(),
            query,
            headers,
            data,
            outer.origin,
        )
        fault = self.faults.before(allow_connection_faults=False)
        if fault is not None:
            error = (
                GraphError(
                    429,
                    "activityLimitReached",
                    "The request has been throttled.",
                    {"Retry-After": str(self.faults.retry_after())},
                )
                if fault == "429"
                else GraphError(
                    503,
                    "serviceNotAvailable",
                    "The service is temporarily unavailable.",
                    {"Retry-After": str(self.faults.retry_after())},
                )
                if fault == "503"
                else GraphError(504, "gatewayTimeout", "The gateway timed out.")
                if fault == "504"
                else GraphError(500, "generalException", "An internal server error occurred.")
            )
            return _error(error, sub)
        try:
            segments = split_path(sub.raw_path)[1:]
        except UnicodeDecodeError:
            return _error(bad_request("The request path is not valid UTF-8."), sub)
        if segments and segments[0] == "$batch":
            return _error(bad_request("A batch cannot contain another batch."), sub)
        return self._charged(
            sub,
            [str(s) for s in segments],
            collection=_is_collection(segments),
            run=lambda: self._route(sub, segments),
        )


# -- helpers ------------------------------------------------------------------------------


async def _drop(send: Send) -> None:
    """End the exchange without a usable answer: the client sees the connection drop."""
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"4096")],
        }
    )
    await send({"type": "http.response.body", "body": b"{", "more_body": False})


def _only(method: str, allowed: str) -> None:
    if method != allowed:
        raise GraphError(405, "methodNotAllowed", f"The method {method} is not allowed here.")


def _is_collection(route: list[Segment]) -> bool:
    last = route[-1] if route else ""
    return last in ("lists", "items", "columns", "children", "delta", "delta()", "drives")


def _int_param(query: dict[str, str], name: str, default: int, *, maximum: int) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or int(raw) > maximum:
        raise bad_request(f"The query parameter {name} must be a whole number up to {maximum}.")
    return int(raw)


def _expand_fields(query: dict[str, str]) -> tuple[bool, set[str] | None]:
    expand = query.get("$expand", "")
    if not expand:
        return False, None
    match = re.fullmatch(r"\s*fields(?:\(\s*\$?select\s*=\s*([^)]*)\))?\s*", expand)
    if match is None:
        raise bad_request(
            f"$expand={expand} is not supported here; use fields or fields(select=...)."
        )
    if match.group(1) is None:
        return True, None
    return True, {name.strip() for name in match.group(1).split(",") if name.strip()}


def _select(query: dict[str, str]) -> set[str] | None:
    raw = query.get("$select")
    return {s.strip() for s in raw.split(",") if s.strip()} if raw else None


def _parse_filter(text: str) -> list[tuple[str, str, Any]]:
    if not text.strip():
        return []
    conditions = []
    for term in re.split(r"\s+and\s+(?=(?:[^']*'[^']*')*[^']*$)", text):
        match = _FILTER_TERM.match(term)
        if match is None:
            raise bad_request(f"Invalid filter clause: {term.strip()!r}")
        if match.group("sfield"):
            conditions.append(
                (match.group("sfield"), "startswith", _literal(match.group("svalue")))
            )
        else:
            conditions.append(
                (match.group("field"), match.group("op"), _literal(match.group("value")))
            )
    return conditions


def _literal(text: str) -> Any:
    if text.startswith("'"):
        return text[1:-1].replace("''", "'")
    if text in ("true", "false"):
        return text == "true"
    if text == "null":
        return None
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            raise bad_request(f"Invalid literal in filter: {text!r}") from None


def _link(request: Request, changes: dict[str, str], drop: tuple[str, ...] = ()) -> str:
    query = {k: v for k, v in request.query.items() if k not in drop}
    query.update(changes)
    path = request.raw_path.decode("latin-1")
    path = re.sub("/{2,}", "/", path)
    return f"{request.origin}{path}?{urlencode(query, quote_via=quote, safe='$(),=')}"


def _conflict(value: Any) -> str:
    if value not in ("fail", "replace", "rename"):
        raise bad_request(
            f"@microsoft.graph.conflictBehavior must be fail, replace or rename, not {value!r}."
        )
    return str(value)


def _content_range(header: str | None) -> tuple[int, int, int]:
    match = re.fullmatch(r"\s*bytes\s+(\d+)-(\d+)/(\d+)\s*", header or "")
    if match is None:
        raise bad_request("A fragment needs a 'Content-Range: bytes start-end/total' header.")
    start, end, total = (int(g) for g in match.groups())
    if start > end or end >= total:
        raise GraphError(416, "invalidRange", f"The range {start}-{end}/{total} is not valid.")
    return start, end, total


def _mime(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _batch_entries(payload: Any) -> list[dict[str, Any]]:
    if not isinstance(payload, dict) or not isinstance(payload.get("requests"), list):
        raise bad_request("A batch is {'requests': [...]}.")
    entries = payload["requests"]
    if not entries:
        raise bad_request("A batch needs at least one request.")
    if len(entries) > MAX_BATCH:
        raise bad_request(
            f"A batch can hold at most {MAX_BATCH} requests; this one has {len(entries)}."
        )
    seen: set[str] = set()
    for entry in entries:
        if not isinstance(entry, dict):
            raise bad_request("Every batch request must be an object.")
        key, method, url = entry.get("id"), entry.get("method"), entry.get("url")
        if not isinstance(key, str) or not key:
            raise bad_request("Every batch request needs a string 'id'.")
        if key in seen:
            raise bad_request(f"The batch request id '{key}' is used more than once.")
        seen.add(key)
        if not isinstance(method, str) or method.upper() not in (
            "GET",
            "POST",
            "PATCH",
            "PUT",
            "DELETE",
        ):
            raise bad_request(f"Batch request '{key}' has no valid 'method'.")
        if not isinstance(url, str) or not url or url.startswith("http"):
            raise bad_request(f"Batch request '{key}' needs a relative 'url'.")
        headers = entry.get("headers", {})
        if headers is not None and not isinstance(headers, dict):
            raise bad_request(f"Batch request '{key}' has 'headers' that are not an object.")
        depends = entry.get("dependsOn", [])
        if not isinstance(depends, list) or not all(isinstance(d, str) for d in depends):
            raise bad_request(f"Batch request '{key}' has a 'dependsOn' that is not a list of ids.")
    ids = {entry["id"] for entry in entries}
    for entry in entries:
        for dependency in entry.get("dependsOn", []):
            if dependency not in ids:
                raise bad_request(
                    f"Batch request '{entry['id']}' depends on unknown id '{dependency}'."
                )
    return list(entries)
