"""``app``: the request pipeline, as every route sees it (authentication, error shape)."""

from __future__ import annotations

import httpx

from notesmig.emulator.server import EmulatorProcess
from tests.emulator.helpers import assert_graph_error


def test_a_missing_token_is_401_in_graph_shape(emulator: EmulatorProcess) -> None:
    response = httpx.get(f"{emulator.graph_url}/sites/root", headers={"client-request-id": "abc"})
    error = assert_graph_error(response, 401, "InvalidAuthenticationToken")
    assert error["innerError"]["client-request-id"] == "abc"
