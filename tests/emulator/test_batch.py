"""JSON batching: limits, ids, dependsOn and 424, bodies, and what the SDK actually sends."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from kiota_serialization_json.json_serialization_writer import JsonSerializationWriter
from msgraph.generated.models.field_value_set import FieldValueSet
from msgraph.generated.models.list_item import ListItem
from msgraph_core.requests.batch_request_content import BatchRequestContent
from msgraph_core.requests.batch_request_item import BatchRequestItem

from notesmig.emulator.server import EmulatorProcess
from notesmig.sharepoint.client import graph_client
from tests.emulator.helpers import assert_graph_error, make_list, new_list, session, start


@pytest.fixture
def items(http: httpx.Client, site_id: str) -> str:
    target = new_list(
        http, site_id, [{"name": "Key", "indexed": True, "enforceUniqueValues": True, "text": {}}]
    )
    return f"/sites/{site_id}/lists/{target['id']}/items"


def post(key: str, url: str, fields: dict, **extra: object) -> dict:  # type: ignore[type-arg]
    return {"id": key, "method": "POST", "url": url, "headers": {"Content-Type": "application/json"},
            "body": {"fields": fields}, **extra}  # fmt: skip


@pytest.mark.anyio
async def test_sdk_batch_creates_items(
    emulator: EmulatorProcess, http: httpx.Client, site_id: str, items: str
) -> None:
    client, _ = graph_client(emulator.graph_url)
    list_id = items.split("/")[4]
    builder = client.sites.by_site_id(site_id).lists.by_list_id(list_id).items
    batch = BatchRequestContent()
    for number in range(5):
        info = builder.to_post_request_information(
            ListItem(fields=FieldValueSet(additional_data={"Key": f"k{number}"}))
        )
        batch.add_request_information(info)
    answer = await client.batch.post(batch_request_content=batch)
    assert answer is not None and answer.responses is not None
    assert sorted(r.status for r in answer.responses.values()) == [201] * 5
    keys = sorted(
        i["fields"]["Key"] for i in http.get(items, params={"$expand": "fields"}).json()["value"]
    )
    assert keys == [f"k{n}" for n in range(5)]


def test_sdk_depends_on_is_not_graphs_depends_on(
    emulator: EmulatorProcess, http: httpx.Client, site_id: str, items: str
) -> None:
    # msgraph-core serializes dependsOn as "depends_on", a property Graph does not know: the
    # dependency is silently not enforced, so a failing first request does not stop the second.
    client, _ = graph_client(emulator.graph_url)
    builder = client.sites.by_site_id(site_id).lists.by_list_id(items.split("/")[4]).items
    first = BatchRequestItem(
        builder.to_post_request_information(
            ListItem(fields=FieldValueSet(additional_data={"Nope": 1}))
        ),
        id="1",
    )
    second = BatchRequestItem(
        builder.to_post_request_information(
            ListItem(fields=FieldValueSet(additional_data={"Key": "after"}))
        ),
        id="2",
        depends_on=["1"],
    )
    batch = BatchRequestContent()
    batch.add_request("1", first)
    batch.add_request("2", second)
    writer = JsonSerializationWriter()
    batch.serialize(writer)
    wire = json.loads(writer.get_serialized_content())
    sent = next(r for r in wire["requests"] if r["id"] == "2")
    assert sent["depends_on"] == ["1"] and "dependsOn" not in sent
    answer = http.post("/$batch", json=wire).json()["responses"]
    assert {r["id"]: r["status"] for r in answer} == {"1": 400, "2": 201}


def test_depends_on_orders_and_fails_dependents_with_424(http: httpx.Client, items: str) -> None:
    body = {"requests": [
        post("3", items, {"Key": "third"}, dependsOn=["2"]),
        post("1", items, {"Key": "first"}),
        post("2", items, {"Key": "first"}, dependsOn=["1"]),  # duplicate key: fails
        post("4", items, {"Key": "fourth"}, dependsOn=["3"]),
        post("5", items, {"Key": "fifth"}),
    ]}  # fmt: skip
    answer = http.post("/$batch", json=body).json()["responses"]
    statuses = {r["id"]: r["status"] for r in answer}
    assert statuses == {"1": 201, "2": 400, "3": 424, "4": 424, "5": 201}
    failed = next(r for r in answer if r["id"] == "3")
    assert failed["body"]["error"]["code"] == "failedDependency"
    created = next(r for r in answer if r["id"] == "1")
    assert created["body"]["fields"]["Key"] == "first" and created["headers"][
        "Content-Type"
    ].startswith("application/json")


def test_batch_limits_and_shape(http: httpx.Client, items: str) -> None:
    twenty_one = {"requests": [post(str(n), items, {"Key": f"x{n}"}) for n in range(21)]}
    error = assert_graph_error(http.post("/$batch", json=twenty_one), 400, "invalidRequest")
    assert "at most 20" in error["message"]
    assert http.get(items).json()["value"] == []  # nothing of a refused batch ran
    duplicate = {"requests": [post("a", items, {"Key": "1"}), post("a", items, {"Key": "2"})]}
    assert_graph_error(http.post("/$batch", json=duplicate), 400, "invalidRequest")
    for body in ({}, {"requests": []}, {"requests": [{"id": "1"}]},
                 {"requests": [post("1", items, {}, dependsOn=["9"])]},
                 {"requests": [{"id": "1", "method": "GET", "url": "https://evil.example/x"}]}):  # fmt: skip
        assert_graph_error(http.post("/$batch", json=body), 400, "invalidRequest")
    reads = {"requests": [
        {"id": "r1", "method": "GET", "url": items},
        {"id": "r2", "method": "GET", "url": items + "/999"},
    ]}  # fmt: skip
    answer = {r["id"]: r for r in http.post("/$batch", json=reads).json()["responses"]}
    assert answer["r1"]["status"] == 200 and answer["r2"]["status"] == 404
    assert answer["r2"]["body"]["error"]["code"] == "itemNotFound"


@pytest.mark.slow
def test_each_batch_request_is_counted(tmp_path: Path) -> None:
    with (
        start(tmp_path, "--ru-per-minute", "30", "--time-scale", "1") as emulator,
        session(emulator.graph_url) as client,
    ):
        items = make_list(client)
        requests = [{"id": str(n), "method": "POST", "url": items, "headers": {"Content-Type": "application/json"},
                     "body": {"fields": {"K": str(n)}}} for n in range(20)]  # fmt: skip
        answer = client.post("/$batch", json={"requests": requests})
        assert answer.status_code == 200
        statuses = [r["status"] for r in answer.json()["responses"]]
        # 30 RU, 3 spent on the site and the list: 13 creates of 2 RU fit, 7 are throttled.
        assert (statuses.count(201), statuses.count(429)) == (13, 7)
        throttled = next(r for r in answer.json()["responses"] if r["status"] == 429)
        assert throttled["headers"]["Retry-After"].isdigit()
        assert throttled["body"]["error"]["code"] == "activityLimitReached"
