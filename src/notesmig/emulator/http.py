"""The emulator's request and response, and Graph's error answer.

The ASGI layer turns a raw exchange into a :class:`Request`; handlers return a
:class:`Response` or raise :class:`~notesmig.emulator.graph_errors.GraphError`, which becomes
Graph's JSON error shape.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from notesmig.emulator.graph_errors import GraphError, RestError, bad_request, error_bytes

JSON_TYPE = "application/json;odata.metadata=minimal;odata.streaming=true;charset=utf-8"
#: Nested JSON deeper than this is refused (Python's parser would exhaust its stack).
MAX_JSON_DEPTH = 64


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
        return parse_json(self.body)


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
        merged = {"Content-Type": JSON_TYPE} if payload is not None else {}
        merged.update(headers or {})
        return cls(status, data, merged)


def error_response(exc: GraphError, request: Request) -> Response:
    if isinstance(exc, RestError):
        body = json.dumps(exc.body(), ensure_ascii=False).encode()
        return Response(
            exc.status, body, {"Content-Type": "application/json;odata=nometadata", **exc.headers}
        )
    body = error_bytes(exc.code, exc.message, request.headers.get("client-request-id"))
    return Response(exc.status, body, {"Content-Type": JSON_TYPE, **exc.headers})


def json_depth_exceeds(data: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether JSON text nests deeper than ``limit`` (counted outside strings, without parsing)."""
    depth = 0
    in_string = escaped = False
    for byte in data:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return False


def parse_json(data: bytes) -> Any:
    """A request body as JSON, or Graph's 400 (never a 500: depth is checked first)."""
    if json_depth_exceeds(data):
        raise bad_request(f"The request body nests deeper than {MAX_JSON_DEPTH} levels.")
    try:
        return json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise bad_request(f"The request body is not valid JSON: {exc}") from None
