"""The emulator's ASGI application: one SharePoint Online tenant, as the service answers.

Request flow: authentication (any bearer token, or the configured one), injected faults,
resource-unit throttling, routing on the raw path (Graph under ``/v1.0``, SharePoint REST under
``/_api`` and ``/sites/{name}/_api``, upload sessions under ``/_upload``), the handler inside one
SQLite transaction, and, for a committed write, possibly a lost response. Every error is the
service's JSON shape; an unexpected failure is a 500 ``generalException`` without any traceback.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs, unquote

from notesmig.emulator.batch import Batch
from notesmig.emulator.config import EmulatorConfig
from notesmig.emulator.faults import FaultInjector, fault_error
from notesmig.emulator.graph import GraphRoutes, is_collection, route_names
from notesmig.emulator.graph_errors import GraphError, bad_request
from notesmig.emulator.http import Request, Response, error_response
from notesmig.emulator.odata import check_query_options, whole_number
from notesmig.emulator.paths import split_path
from notesmig.emulator.rest import RestRoutes, rest_route
from notesmig.emulator.tenant import Tenant
from notesmig.emulator.throttle import ResourceBudget
from notesmig.emulator.uploads import UPLOAD_PREFIX, Uploads
from notesmig.spfacts.costs import request_cost, rest_collection
from notesmig.spfacts.limits import MAX_FRAGMENT

#: Not SharePoint's: the resource units the emulator charged so far (``GET /_emulator-budget``).
BUDGET_PATH = "_emulator-budget"

log = logging.getLogger("notesmig.emulator")

MAX_BODY = MAX_FRAGMENT + (1 << 20)

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


class EmulatorApp:
    """ASGI callable serving one emulated tenant."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.tenant = Tenant(config)
        self.budget = ResourceBudget(config.ru_per_minute, config.time_scale)
        self.faults = FaultInjector(config.fault_rate, config.lost_response_rate, config.seed)
        self.uploads = Uploads(self.tenant)
        self.graph = GraphRoutes(self.tenant, self.uploads)
        self.rest = RestRoutes(self.tenant)
        self.batch = Batch(self)
        self.requests = 0
        self._answers_to_lose = set(config.lose_answer_to)
        self.frozen = False
        # Never set: a frozen app's requests wait until the process is killed (a test's
        # EmulatorProcess.kill()), and would end unanswered, having done nothing.
        self._thaw = asyncio.Event()

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
        if (
            self.frozen
            and _acting_as(request) is None
            and BUDGET_PATH not in request.raw_path.decode("latin-1")
        ):
            await self._thaw.wait()
            await _drop(send)
            return
        if body is None:
            response = error_response(
                GraphError(413, "requestEntityTooLarge", "The request body is too large."), request
            )
        else:
            response = await self.handle(request)
        if response.wrote and self.config.freeze_after and _acting_as(request) is None:
            path = unquote(request.raw_path.decode("latin-1").split("?")[0])
            self.frozen = self.frozen or self.config.freeze_after in path
        if response.wrote and (self._lose_first(request) or self.faults.lose_response()):
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

    def _lose_first(self, request: Request) -> bool:
        """Whether this write is the first to a path whose answer a test asked to lose."""
        path = unquote(request.raw_path.decode("latin-1").split("?")[0])
        for part in self._answers_to_lose:
            if part in path:
                self._answers_to_lose.discard(part)
                return True
        return False

    @staticmethod
    async def _read_body(receive: Receive, headers: dict[str, str]) -> bytes | None:
        declared = headers.get("content-length", "")
        if declared.isascii() and declared.isdigit() and whole_number(declared, MAX_BODY) is None:
            return None  # more than MAX_BODY, however many digits it is written with
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
        self.tenant.acting_as = _acting_as(request)
        self.tenant.permissions.forget()
        try:
            return await self._handle(request)
        finally:
            self.tenant.acting_as = None

    async def _handle(self, request: Request) -> Response:
        try:
            segments = split_path(request.raw_path)
        except UnicodeDecodeError:
            return error_response(bad_request("The request path is not valid UTF-8."), request)
        upload = bool(segments) and segments[0] == UPLOAD_PREFIX
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
            return self.charged(
                request,
                [str(s) for s in segments],
                collection=False,
                run=lambda: self.uploads.chunk(request, segments),
            )
        if segments == [BUDGET_PATH] and request.method == "GET":
            # The emulator's own: what it charged, beside what the client believes it spent;
            # its pid tells whoever started it that this server is that process.
            return Response.of(200, {"used": self.budget.used, "throttled": self.budget.throttled,
                                     "requests": self.requests, "pid": os.getpid(),
                                     "frozen": self.frozen})  # fmt: skip
        rest = rest_route(segments)
        if rest is not None:
            site_path, api = rest
            return self.charged(
                request,
                api,
                collection=rest_collection(api),
                run=lambda: self.rest.route(request, site_path, api),
            )
        if not segments or segments[0] != "v1.0":
            return error_response(
                GraphError(400, "BadRequest", "Invalid version: only v1.0 is served."), request
            )
        route = segments[1:]
        try:
            check_query_options(request.query)
        except GraphError as exc:
            return error_response(exc, request)
        if route == ["$batch"] and request.method == "POST":
            return self.batch.run(request)
        return self.charged(
            request,
            route_names(route),
            collection=is_collection(route),
            run=lambda: self.graph.route(request, route),
        )

    def _authenticate(self, request: Request) -> Response | None:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return error_response(
                GraphError(401, "InvalidAuthenticationToken", "Access token is empty."), request
            )
        delegated = token.strip().lower().startswith("user:")
        if self.config.token is not None and token.strip() != self.config.token and not delegated:
            return error_response(
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
        return error_response(fault_error(fault, self.faults.retry_after()), request)

    def charged(
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
            return error_response(error, request)
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
            return error_response(exc, request)
        except (ValueError, OverflowError) as exc:
            # A value from the request that no check caught (a number SQLite cannot hold, text
            # int() refuses) is the client's error, as Graph answers it: 400, never 500. The
            # transaction above was rolled back, so nothing changed.
            log.warning("refused %s %s: %s", request.method, request.raw_path, exc)
            return error_response(
                bad_request("A value in the request is malformed or out of range."), request
            )
        except Exception:
            log.exception("emulator failure on %s %s", request.method, request.raw_path)
            return error_response(
                GraphError(500, "generalException", "An internal error occurred."), request
            )


def _acting_as(request: Request) -> str | None:
    """The person a delegated token (``Bearer user:<UPN>``) acts as; None: the app."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() == "bearer" and token.lower().startswith("user:"):
        return token[5:].strip().lower() or None
    return None


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
