"""The Graph client's $batch against the emulator: within Graph's limits whatever it is given."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from notesmig.emulator.server import EmulatorProcess
from notesmig.sharepoint.budget import ResourceBudget
from notesmig.sharepoint.client import graph_client
from notesmig.sharepoint.graph import Graph, SubRequest
from notesmig.spfacts.limits import BATCH_LIMIT, MAX_JSON_BODY
from tests.migration import SITE


@pytest.mark.anyio
async def test_a_batch_over_graphs_body_limit_goes_in_parts(tmp_path: Path) -> None:
    with EmulatorProcess(tmp_path / "emulator", options=("--ru-per-minute", "0")) as emulator:
        http = httpx.Client(base_url=emulator.graph_url, headers={"Authorization": "Bearer t"})
        site = http.get(SITE).json()["id"]
        made = http.post(f"/sites/{site}/lists", json={
            "displayName": "長文", "list": {"template": "genericList"},
            "columns": [{"name": "Body", "text": {"allowMultipleLines": True}},
                        {"name": "Minutes", "text": {"allowMultipleLines": True}}]}).json()  # fmt: skip
        # 20 items of two 60,000-character Japanese texts (360 KB in UTF-8): 7.2 MB at once.
        body = "議事録の本文。" * 8_571
        requests = [
            SubRequest(str(n), "POST", f"/sites/{site}/lists/{made['id']}/items",
                       {"fields": {"Title": f"第{n}回", "Body": body, "Minutes": body}})
            for n in range(BATCH_LIMIT)
        ]  # fmt: skip
        assert sum(2 * len(body.encode()) for _ in requests) > MAX_JSON_BODY
        _client, adapter = graph_client(emulator.graph_url)
        answers = await Graph(adapter, ResourceBudget(0)).batch(requests)
        assert sorted(a.status for a in answers.values()) == [201] * BATCH_LIMIT
        items = http.get(f"/sites/{site}/lists/{made['id']}/items", params={"$expand": "fields"})
        assert {i["fields"]["Title"] for i in items.json()["value"]} == {
            f"第{n}回" for n in range(BATCH_LIMIT)
        }
