"""Helpers for emulator tests: names, lists, Graph error assertions, extra emulators."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx

from notesmig.emulator.server import EmulatorProcess

SITE_PATH = "contoso.sharepoint.com:/sites/notes-migration:"
#: A list with a column of every type, an indexed unique one and a required one.
COLUMNS = [
    {"name": "NotesUNID", "indexed": True, "enforceUniqueValues": True, "text": {"maxLength": 32}},
    {"name": "Subject", "text": {}},
    {"name": "Body", "text": {"allowMultipleLines": True, "textType": "richText"}},
    {"name": "Amount", "number": {}},
    {"name": "Due", "dateTime": {"format": "dateTime"}},
    {"name": "Approved", "boolean": {}},
    {"name": "Status", "choice": {"choices": ["申請中", "承認済"]}},
    {"name": "Tags", "choice": {"choices": ["a", "b"], "displayAs": "checkBoxes"}},
    {"name": "Approver", "personOrGroup": {"allowMultipleSelection": True}},
    {"name": "Link", "hyperlinkOrPicture": {}},
    {"name": "Department", "required": True, "text": {}},
    {"name": "Region", "text": {}},
]
UNID = "F55B854F1AF91DC8C12575C3002B8F59"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def new_list(
    http: httpx.Client, site_id: str, columns: list[dict], template: str = "genericList"
) -> dict:  # type: ignore[type-arg]
    response = http.post(
        f"/sites/{site_id}/lists",
        json={"displayName": unique("list"), "columns": columns, "list": {"template": template}},
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def assert_graph_error(response: httpx.Response, status: int, code: str) -> dict:  # type: ignore[type-arg]
    """The response is Graph's error shape with this status and code."""
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]
    assert set(error["innerError"]) >= {"date", "request-id", "client-request-id"}
    return error  # type: ignore[no-any-return]


def start(tmp_path: Path, *options: str) -> EmulatorProcess:
    """A dedicated emulator (stop it with ``.stop()``, or use it in a ``with``)."""
    return EmulatorProcess(tmp_path / "data", options=options).start()


def assert_rest_error(response: httpx.Response, status: int, code: str) -> str:
    """The response is SharePoint REST's error shape with this status and code; its message."""
    assert response.status_code == status, response.text
    error = response.json()["odata.error"]
    assert error["code"] == code
    assert error["message"]["lang"] == "en-US"
    return str(error["message"]["value"])


def session(url: str) -> httpx.Client:
    """A client of a dedicated emulator's Graph (``start(...).graph_url``), as the app."""
    return httpx.Client(base_url=url, headers={"Authorization": "Bearer t"}, timeout=30)


def make_list(client: httpx.Client) -> str:
    """The items URL of a new list with one text column, ``K``."""
    site = client.get(f"/sites/{SITE_PATH}").json()["id"]
    created = client.post(
        f"/sites/{site}/lists", json={"displayName": "t", "columns": [{"name": "K", "text": {}}]}
    )
    return f"/sites/{site}/lists/{created.json()['id']}/items"
