"""Microsoft Graph's error shape, and the exception handlers raise to produce it."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from notesmig.errors import TerminalError


class GraphError(TerminalError):
    """An answer in Graph's error shape: HTTP status, Graph error code and message (the
    emulator raises it to answer a request; it never leaves the emulator)."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def bad_request(message: str) -> GraphError:
    return GraphError(400, "invalidRequest", message)


def unknown_property(name: str, type_name: str) -> GraphError:
    """Graph's answer to a body property its type does not have."""
    return bad_request(
        f"The property '{name}' does not exist on type 'microsoft.graph.{type_name}'."
    )


def not_found(message: str = "The resource could not be found.") -> GraphError:
    return GraphError(404, "itemNotFound", message)


def error_body(code: str, message: str, client_request_id: str | None) -> dict[str, Any]:
    request_id = str(uuid.uuid4())
    return {
        "error": {
            "code": code,
            "message": message,
            "innerError": {
                "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
                "request-id": request_id,
                "client-request-id": client_request_id or request_id,
            },
        }
    }


def error_bytes(code: str, message: str, client_request_id: str | None) -> bytes:
    return json.dumps(error_body(code, message, client_request_id)).encode()


class RestError(GraphError):
    """An answer in SharePoint REST's error shape (``odata.error``)."""

    def body(self) -> dict[str, Any]:
        return {
            "odata.error": {"code": self.code, "message": {"lang": "en-US", "value": self.message}}
        }
