"""``graph_errors``: Graph's error shape (``error.code``, ``message``, ``innerError``) and
SharePoint REST's (``odata.error``), as a client reads them."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import httpx

from notesmig.emulator.graph_errors import (
    RestError,
    error_body,
    error_bytes,
    not_found,
    unknown_property,
)
from notesmig.emulator.server import EmulatorProcess
from tests.emulator.helpers import assert_graph_error, assert_rest_error

NOT_FOUND = "-2130575338, Microsoft.SharePoint.SPException"


def test_the_inner_error_dates_and_identifies_the_request() -> None:
    body = error_body("itemNotFound", "gone", "my-id")
    assert set(body) == {"error"}
    error = body["error"]
    assert (error["code"], error["message"]) == ("itemNotFound", "gone")
    inner = error["innerError"]
    assert inner["client-request-id"] == "my-id"
    assert uuid.UUID(inner["request-id"]).version == 4
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", inner["date"])
    stamp = datetime.strptime(inner["date"], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
    assert abs(datetime.now(UTC) - stamp) < timedelta(minutes=1)
    # Without a client-request-id, the request's own id stands in for it; each is new.
    anonymous = error_body("x", "y", None)["error"]["innerError"]
    assert anonymous["client-request-id"] == anonymous["request-id"] != inner["request-id"]


def test_bytes_are_utf8_json_of_the_same_shape() -> None:
    data = error_bytes("invalidRequest", "項目 'Title' は必須です", "abc")
    error = httpx.Response(400, content=data).json()["error"]
    assert (error["code"], error["message"]) == ("invalidRequest", "項目 'Title' は必須です")
    assert error["innerError"]["client-request-id"] == "abc"


def test_helpers_say_what_graph_says() -> None:
    error = unknown_property("colour", "list")
    assert (error.status, error.code) == (400, "invalidRequest")
    assert error.message == "The property 'colour' does not exist on type 'microsoft.graph.list'."
    missing = not_found()
    assert (missing.status, missing.code, missing.message) == (
        404, "itemNotFound", "The resource could not be found.")  # fmt: skip


def test_a_rest_error_is_odata_error_with_a_language() -> None:
    error = RestError(404, "-2130575338, Microsoft.SharePoint.SPException", "List does not exist.")
    assert error.body() == {"odata.error": {
        "code": "-2130575338, Microsoft.SharePoint.SPException",
        "message": {"lang": "en-US", "value": "List does not exist."}}}  # fmt: skip


def test_the_client_request_id_comes_back_in_graph_errors(http: httpx.Client) -> None:
    response = http.get("/sites/root/lists/no-such-list", headers={"client-request-id": "c-42"})
    error = assert_graph_error(response, 404, "itemNotFound")
    assert error["innerError"]["client-request-id"] == "c-42"
    assert response.headers["Content-Type"].startswith("application/json")


def test_rest_answers_its_own_shape_not_graphs(emulator: EmulatorProcess, items: str) -> None:
    # Before: a list or item REST could not find was answered in Graph's shape.
    rest = httpx.Client(base_url=f"{emulator.url}/sites/notes-migration/_api/web", headers={
        "Authorization": "Bearer t", "Accept": "application/json;odata=nometadata"})  # fmt: skip
    missing = rest.get(f"lists(guid'{uuid.uuid4()}')")
    assert "error" not in missing.json()
    assert assert_rest_error(missing, 404, NOT_FOUND) == "List does not exist."
    assert missing.headers["Content-Type"].startswith("application/json;odata=nometadata")
    list_id = items.split("/")[4]
    assert rest.get(f"lists(guid'{list_id}')").status_code == 200
    message = assert_rest_error(rest.get(f"lists(guid'{list_id}')/items(7)"), 404, NOT_FOUND)
    assert message == "Item does not exist. It may have been deleted by another user."
    assert_rest_error(rest.get("lists(guid'nope')"), 400,
                      "-1, Microsoft.SharePoint.Client.InvalidClientQueryException")  # fmt: skip
