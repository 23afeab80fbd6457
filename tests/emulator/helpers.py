"""Helpers for emulator tests: names, lists, Graph error assertions, extra emulators."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx

from notesmig.emulator.server import EmulatorProcess

SITE_PATH = "contoso.sharepoint.com:/sites/notes-migration:"


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
