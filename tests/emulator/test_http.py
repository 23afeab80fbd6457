"""``http``: the emulator's request and response, bodies read as JSON (400 and 413 in Graph's
shape, never a 500), and errors answered in Graph's or REST's shape."""

from __future__ import annotations

import json

import httpx
import pytest

from notesmig.emulator.graph_errors import GraphError, RestError
from notesmig.emulator.http import (
    JSON_TYPE,
    MAX_JSON_DEPTH,
    Request,
    Response,
    error_response,
    json_depth_exceeds,
    parse_json,
)
from notesmig.spfacts.limits import MAX_JSON_BODY
from tests.emulator.helpers import assert_graph_error


def request(body: bytes = b"", headers: dict[str, str] | None = None) -> Request:
    return Request("POST", b"/v1.0/sites/root/lists", {}, headers or {}, body, "http://host")


def test_a_body_is_json_or_graphs_400() -> None:
    assert request(b'{"displayName": "\xe5\x87\xba\xe5\xbc\xb5"}').json() == {"displayName": "出張"}
    for body, fragment in ((b"", "body is empty"), (b"{not json", "not valid JSON"),
                           (b"1" * 5_000, "not valid JSON"),  # int() refuses > 4,300 digits
                           (b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1),
                            f"deeper than {MAX_JSON_DEPTH}")):  # fmt: skip
        with pytest.raises(GraphError) as caught:
            request(body).json()
        assert (caught.value.status, caught.value.code) == (400, "invalidRequest")
        assert fragment in caught.value.message
    nested = b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH
    assert parse_json(nested) is not None  # exactly at the limit: read


def test_a_body_over_4_mb_is_413_before_it_is_parsed() -> None:
    with pytest.raises(GraphError) as caught:
        parse_json(b" " * (MAX_JSON_BODY + 1))  # not even JSON: its size is checked first
    assert (caught.value.status, caught.value.code) == (413, "requestEntityTooLarge")
    assert parse_json(b" " * (MAX_JSON_BODY - 2) + b"{}") == {}


def test_the_depth_of_a_body_is_judged_outside_its_strings() -> None:
    shallow = b"[" + b",".join([b'[[1, "]]]]"], {"a": [2]}]'] * 100_000) + b"]"
    deep = b'{"a": "[[[[", "b": ' + b"[" * 65 + b"]" * 65 + b"}"
    escaped = b'["\\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["]'
    assert not json_depth_exceeds(shallow) and json_depth_exceeds(deep)
    assert not json_depth_exceeds(escaped) and not json_depth_exceeds(b"[]" * 100)


def test_a_response_of_json_says_so_and_keeps_japanese_readable() -> None:
    answer = Response.of(201, {"displayName": "出張申請"}, {"ETag": '"1"'})
    assert answer.status == 201 and answer.headers == {"Content-Type": JSON_TYPE, "ETag": '"1"'}
    assert answer.body.decode() == '{"displayName": "出張申請"}'
    assert Response.of(204).body == b"" and "Content-Type" not in Response.of(204).headers


def test_errors_are_answered_in_the_shape_of_their_api() -> None:
    asked = request(headers={"client-request-id": "r-1"})
    graph = error_response(GraphError(429, "activityLimitReached", "slow down",
                                      {"Retry-After": "3"}), asked)  # fmt: skip
    assert graph.status == 429 and graph.headers["Retry-After"] == "3"
    body = json.loads(graph.body)
    assert body["error"]["code"] == "activityLimitReached"
    assert body["error"]["innerError"]["client-request-id"] == "r-1"
    rest = error_response(RestError(403, "-2147024891, System.UnauthorizedAccessException",
                                    "Access denied."), asked)  # fmt: skip
    assert rest.headers["Content-Type"] == "application/json;odata=nometadata"
    assert json.loads(rest.body) == {"odata.error": {
        "code": "-2147024891, System.UnauthorizedAccessException",
        "message": {"lang": "en-US", "value": "Access denied."}}}  # fmt: skip


def test_an_empty_or_broken_body_is_400_over_http(http: httpx.Client, items: str) -> None:
    empty = http.post(items, content=b"", headers={"Content-Type": "application/json"})
    assert "empty" in assert_graph_error(empty, 400, "invalidRequest")["message"]
    broken = http.post(items, content=b'{"fields": ', headers={"Content-Type": "application/json"})
    assert "not valid JSON" in assert_graph_error(broken, 400, "invalidRequest")["message"]
    assert http.get(items).json()["value"] == []


def test_a_json_body_over_graphs_4_mb_is_413_and_changes_nothing(
    http: httpx.Client, items: str
) -> None:
    assert http.post(items, json={"fields": {"Department": "a"}}).status_code == 201
    before = http.get(items, params={"$expand": "fields"}).json()["value"]
    # Graph: "Write requests in Microsoft Graph API have a size limit of 4 MB".
    body = '{"fields": {"Department": "x", "Subject": "' + "あ" * 1_500_000 + '"}}'
    response = http.post(items, content=body.encode(),
                         headers={"Content-Type": "application/json"})  # fmt: skip
    assert_graph_error(response, 413, "requestEntityTooLarge")
    assert http.get(items, params={"$expand": "fields"}).json()["value"] == before
