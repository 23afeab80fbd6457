"""Requests to Microsoft Graph through the msgraph-sdk pipeline, with retries the SDK lacks.

The SDK's request adapter (authentication, middleware) carries every request, but JSON batches
are built and read here: msgraph-core serializes ``dependsOn`` as ``depends_on`` and reads
sub-response bodies as base64, losing JSON bodies such as a created item's id. Its retry
handler does not look inside ``$batch``, ignores fractional ``Retry-After`` and gives up on long
waits; so throttled or failed sub-requests are retried here, after exactly the time the service
asked for, and every request first takes its resource units from the shared budget.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field
from typing import Any

import httpx
from kiota_abstractions.api_error import APIError
from kiota_abstractions.method import Method
from kiota_abstractions.request_information import RequestInformation
from msgraph.graph_request_adapter import GraphRequestAdapter

from notesmig.errors import TerminalError, TransientError
from notesmig.sharepoint.budget import ResourceBudget, retry_after
from notesmig.spfacts.costs import graph_cost
from notesmig.spfacts.limits import BATCH_LIMIT, MAX_JSON_BODY

log = logging.getLogger("notesmig.sharepoint")

RETRYABLE = frozenset({429, 500, 502, 503, 504})
#: A refused create with 500 may be SharePoint's unique-key violation (the item exists): the
#: caller looks the item up instead of sending the create again.
CREATE_RETRYABLE = frozenset({429, 502, 503, 504})


class GraphTransientError(TransientError):
    """Graph kept failing in ways a later retry may cure (throttling, outages, lost connections)."""


class GraphRequestError(TerminalError):
    """Graph refused a request (4xx other than throttling): the request itself must change."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


@dataclass(frozen=True)
class SubRequest:
    id: str
    method: str
    url: str
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    #: Statuses retried after their Retry-After; any other is handed back to the caller.
    retry: frozenset[int] = RETRYABLE

    @property
    def units(self) -> int:
        """What SharePoint charges for it (the classification the emulator charges by)."""
        return graph_cost(self.method, self.url)


@dataclass(frozen=True)
class SubResponse:
    id: str
    status: int
    headers: dict[str, str]
    body: Any

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def error_code(self) -> str:
        return (
            str((self.body or {}).get("error", {}).get("code", ""))
            if isinstance(self.body, dict)
            else ""
        )

    @property
    def error_message(self) -> str:
        return (
            str((self.body or {}).get("error", {}).get("message", ""))
            if isinstance(self.body, dict)
            else ""
        )


@dataclass
class GraphStats:
    requests: int = 0
    throttled: int = 0
    retried: int = 0
    writes: int = 0


class Graph:
    """Graph calls through one SDK request adapter, sharing one resource budget."""

    def __init__(
        self, adapter: GraphRequestAdapter, budget: ResourceBudget, *, attempts: int = 8
    ) -> None:
        self.adapter = adapter
        self.budget = budget
        self.attempts = attempts
        self.stats = GraphStats()
        self.base = adapter.base_url.rstrip("/")

    def relative(self, link: str) -> str:
        """A ``@odata.nextLink`` as a path under this Graph endpoint; a link to any other
        host is refused (the token must not follow it)."""
        if not link.startswith(self.base + "/"):
            raise GraphRequestError(0, "foreignLink", f"a next link left the endpoint: {link}")
        return link[len(self.base) :]

    async def batch(self, requests: list[SubRequest]) -> dict[str, SubResponse]:
        """Send up to 20 requests as one ``$batch``; retry the throttled or failed ones."""
        if len(requests) > BATCH_LIMIT:
            raise ValueError(f"a batch holds at most {BATCH_LIMIT} requests")
        pending = {r.id: r for r in requests}
        done: dict[str, SubResponse] = {}
        for attempt in range(self.attempts):
            if not pending:
                return done
            await self.budget.take(sum(r.units for r in pending.values()))
            try:
                answers = await self._send_batch(list(pending.values()))
            except (httpx.TransportError, GraphTransientError) as exc:
                # The whole batch may or may not have run (a lost response): resend it; the
                # caller's idempotency key (NotesUNID, unique) turns a repeated create into
                # a duplicate it resolves.
                wait = retry_after({}, attempt)
                log.warning("batch of %d failed (%s); retrying in %.1f s", len(pending), exc, wait)
                self.stats.retried += len(pending)
                await asyncio.sleep(wait)
                continue
            waits = []
            for answer in answers:
                request = pending.get(answer.id)
                if request is not None and answer.status in request.retry:
                    waits.append(retry_after(answer.headers, attempt))
                    self.stats.retried += 1
                    if answer.status == 429:
                        self.stats.throttled += 1
                    continue
                done[answer.id] = answer
                pending.pop(answer.id, None)
            if pending and waits:
                wait = max(waits)
                self.budget.pause(wait)
                await asyncio.sleep(wait)
        if pending:
            raise GraphTransientError(
                f"{len(pending)} request(s) still failing after {self.attempts} attempts"
            )
        return done

    async def _send_batch(self, requests: list[SubRequest]) -> list[SubResponse]:
        payload = {
            "requests": [
                {
                    "id": r.id,
                    "method": r.method,
                    "url": r.url,
                    "headers": {"Content-Type": "application/json", **r.headers},
                    **({"body": r.body} if r.body is not None else {}),
                }
                for r in requests
            ]
        }
        if len(requests) > 1 and len(json.dumps(payload, ensure_ascii=False).encode()) > (
            MAX_JSON_BODY * 0.9  # room for what the HTTP layer adds
        ):
            # Twenty rich text items can pass Graph's 4 MB body limit (413): halves, then.
            half = len(requests) // 2
            return [*await self._send_batch(requests[:half]),
                    *await self._send_batch(requests[half:])]  # fmt: skip
        self.stats.requests += len(requests)
        self.stats.writes += sum(1 for r in requests if r.method != "GET")
        raw = await self.send("POST", "/$batch", payload, count=False)
        try:
            parsed = json.loads(raw)
            return [
                SubResponse(
                    str(r["id"]),
                    int(r["status"]),
                    {k: str(v) for k, v in (r.get("headers") or {}).items()},
                    r.get("body"),
                )
                for r in parsed["responses"]
            ]
        except (ValueError, KeyError, TypeError) as exc:
            raise GraphTransientError(f"unreadable $batch answer: {exc}") from exc

    async def send(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        content: bytes | None = None,
        content_type: str = "application/json",
        count: bool = True,
    ) -> bytes:
        """One request through the SDK's adapter; returns the raw answer."""
        if count:  # a $batch counts its sub-requests instead
            self.stats.requests += 1
        info = RequestInformation()
        info.http_method = Method(method)
        info.url = f"{self.base}{path}"
        if body is not None or content is not None:
            data = (
                content
                if content is not None
                else json.dumps(body, ensure_ascii=False).encode("utf-8")
            )
            info.set_stream_content(data, content_type)
        try:
            result = await self.adapter.send_primitive_async(info, "bytes", {})
        except APIError as exc:
            status = int(exc.response_status_code or 0)
            if status in RETRYABLE:
                raise GraphTransientError(f"{status} from {method} {path}") from exc
            raise GraphRequestError(status, "", str(exc.message or exc)) from exc
        return result if isinstance(result, bytes) else b""

    async def get_json(self, path: str) -> Any:
        cost = graph_cost("GET", path)
        for attempt in range(self.attempts):
            await self.budget.take(cost)
            try:
                raw = await self.send("GET", path)
                return json.loads(raw) if raw else None
            except (httpx.TransportError, GraphTransientError):
                await asyncio.sleep(retry_after({}, attempt))
        raise GraphTransientError(f"GET {path} kept failing")

    async def pages(self, path: str) -> list[dict[str, Any]]:
        """Every entry of a collection, page by page, following ``@odata.nextLink`` (a page
        may be shorter than ``$top`` asked: it is only a hint)."""
        entries: list[dict[str, Any]] = []
        while path:
            page = await self.get_json(path)
            entries.extend(page.get("value", []))
            next_link = page.get("@odata.nextLink")
            path = self.relative(next_link) if next_link else ""
        return entries

    async def write_json(self, method: str, path: str, body: Any) -> Any:
        """A single write with retries. Only for idempotent writes (PUT, PATCH, replace)."""
        cost = graph_cost(method, path)
        for attempt in range(self.attempts):
            await self.budget.take(cost)
            self.stats.writes += 1
            try:
                raw = await self.send(method, path, body)
                return json.loads(raw) if raw else None
            except (httpx.TransportError, GraphTransientError):
                await asyncio.sleep(retry_after({}, attempt))
        raise GraphTransientError(f"{method} {path} kept failing")

    async def upload(self, path: str, data: bytes) -> Any:
        """Simple upload (PUT content, replacing: idempotent). The SDK never retries these."""
        cost = graph_cost("PUT", path)
        for attempt in range(self.attempts):
            await self.budget.take(cost)
            self.stats.writes += 1
            try:
                raw = await self.send(
                    "PUT", path, content=data, content_type="application/octet-stream"
                )
                return json.loads(raw)
            except (httpx.TransportError, GraphTransientError):
                await asyncio.sleep(retry_after({}, attempt))
        raise GraphTransientError(f"upload to {path} kept failing")
