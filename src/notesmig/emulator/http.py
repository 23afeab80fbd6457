"""The emulator's request and response, and Graph's error answer.

The ASGI layer turns a raw exchange into a :class:`Request`; handlers return a
:class:`Response` or raise :class:`~notesmig.emulator.graph_errors.GraphError`, which becomes
Graph's JSON error shape.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from notesmig.emulator.graph_errors import GraphError, RestError, bad_request, error_bytes
from notesmig.spfacts.limits import MAX_JSON_BODY

JSON_TYPE = "application/json;odata.metadata=minimal;odata.streaming=true;charset=utf-8"
#: Nested JSON deeper than this is refused (Python's parser would exhaust its stack).
MAX_JSON_DEPTH = 64
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")


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
    """Whether JSON text nests deeper than ``limit`` (counted outside strings, without parsing).

    In C, not in a Python loop over each byte: that took seconds for a large body, and the
    event loop served no other client meanwhile."""
    if data.count(b"[") + data.count(b"{") <= limit:
        return False  # it cannot nest deeper than it has brackets
    import numpy as np  # noqa: PLC0415 - only for the few bodies with many brackets

    # Strings removed, each opening bracket +1 and each closing one -1: the running sum is
    # the depth. (An unterminated string is not removed; json.loads refuses that text anyway.)
    steps = _STRING.sub(b"", data).translate(_STEPS, _NOT_BRACKET)
    if not steps:
        return False
    return bool(np.frombuffer(steps, dtype=np.int8).cumsum(dtype=np.int64).max() > limit)


def parse_json(data: bytes) -> Any:
    """A request body as JSON, or Graph's 400 or 413 (never a 500: size and depth are checked
    first)."""
    if len(data) > MAX_JSON_BODY:
        raise GraphError(
            413, "requestEntityTooLarge", f"The request body is larger than {MAX_JSON_BODY} bytes."
        )
    if json_depth_exceeds(data):
        raise bad_request(f"The request body nests deeper than {MAX_JSON_DEPTH} levels.")
    try:
        return json.loads(data)
    except (ValueError, RecursionError) as exc:
        # ValueError: also a number of more than 4,300 digits, which int() refuses.
        raise bad_request(f"The request body is not valid JSON: {str(exc)[:200]}") from None
