"""Graph's ``$batch``: at most 20 requests, unique ids, ``dependsOn`` (424 for the dependents of
a failed request), JSON or base64 bodies, each request throttled and counted on its own.

msgraph-core writes ``depends_on`` (msgraph-sdk-python-core #996): that is not Graph's property,
and it is ignored, as Graph ignores it.
"""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from notesmig.emulator.faults import fault_error
from notesmig.emulator.graph import is_collection, route_names
from notesmig.emulator.graph_errors import GraphError, bad_request
from notesmig.emulator.http import Request, Response, error_response
from notesmig.emulator.paths import split_path
from notesmig.spfacts.limits import BATCH_LIMIT as MAX_BATCH

if TYPE_CHECKING:
    from notesmig.emulator.app import EmulatorApp


class Batch:
    def __init__(self, app: EmulatorApp) -> None:
        self.app = app

    def run(self, request: Request) -> Response:
        try:
            payload = request.json()
            entries = batch_entries(payload)
        except GraphError as exc:
            return error_response(exc, request)
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
                self._sub_request(request, entry)
                if failed is None
                else error_response(failed, request)
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
        fault = self.app.faults.before(allow_connection_faults=False)
        if fault is not None:
            return error_response(fault_error(fault, self.app.faults.retry_after()), sub)
        try:
            segments = split_path(sub.raw_path)[1:]
        except UnicodeDecodeError:
            return error_response(bad_request("The request path is not valid UTF-8."), sub)
        if segments and segments[0] == "$batch":
            return error_response(bad_request("A batch cannot contain another batch."), sub)
        return self.app.charged(
            sub,
            route_names(segments),
            collection=is_collection(segments),
            run=lambda: self.app.graph.route(sub, segments),
        )


def batch_entries(payload: Any) -> list[dict[str, Any]]:
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
