"""Resource-unit throttling, injected faults, lost responses and restarts, each on its own emulator."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from msgraph.generated.models.field_value_set import FieldValueSet
from msgraph.generated.models.list_item import ListItem

from notesmig.sharepoint.client import graph_client
from tests.emulator.helpers import SITE_PATH, assert_graph_error, start

pytestmark = pytest.mark.slow


def session(url: str) -> httpx.Client:
    return httpx.Client(base_url=url, headers={"Authorization": "Bearer t"}, timeout=30)


def make_list(client: httpx.Client) -> str:
    site = client.get(f"/sites/{SITE_PATH}").json()["id"]
    created = client.post(
        f"/sites/{site}/lists", json={"displayName": "t", "columns": [{"name": "K", "text": {}}]}
    )
    return f"/sites/{site}/lists/{created.json()['id']}/items"


def test_throttling_headers_and_retry_after(tmp_path: Path) -> None:
    # 120 RU in a window compressed to one second; each create costs 2 RU.
    with (
        start(tmp_path, "--ru-per-minute", "120", "--time-scale", "60") as emulator,
        session(emulator.graph_url) as client,
    ):
        items = make_list(client)
        time.sleep(1.1)  # let the budget refill after provisioning
        answers = [client.post(items, json={"fields": {"K": str(n)}}) for n in range(150)]
        statuses = [a.status_code for a in answers]
        assert 201 in statuses and 429 in statuses
        first_throttled = next(a for a in answers if a.status_code == 429)
        error = assert_graph_error(first_throttled, 429, "activityLimitReached")
        assert "budget" in error["message"]
        retry = first_throttled.headers["Retry-After"]
        assert retry.isdigit() and 1 <= int(retry) < 180
        assert first_throttled.headers["RateLimit-Limit"] == "120"
        assert int(first_throttled.headers["RateLimit-Remaining"]) < 2
        warned = [a for a in answers if a.status_code == 201 and "RateLimit-Remaining" in a.headers]
        assert warned and all(int(a.headers["RateLimit-Remaining"]) <= 24 for a in warned)
        quiet = [a for a in answers[:5] if "RateLimit-Limit" in a.headers]
        assert quiet == []  # no headers until 80% of the window is used
        time.sleep(int(retry))
        assert client.post(items, json={"fields": {"K": "later"}}).status_code == 201
        created = len([s for s in statuses if s == 201]) + 1
        listed = client.get(items, params={"$top": "500"}).json()["value"]
        assert len(listed) == created  # a throttled request changed nothing


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


@pytest.mark.anyio
async def test_the_sdk_retries_throttled_requests(tmp_path: Path) -> None:
    emulator = start(tmp_path, "--ru-per-minute", "40", "--time-scale", "60")
    try:
        with session(emulator.graph_url) as client:
            items = make_list(client)
        time.sleep(1.1)
        graph, _ = graph_client(emulator.graph_url)
        site, list_id = items.split("/")[2], items.split("/")[4]
        builder = graph.sites.by_site_id(site).lists.by_list_id(list_id).items
        for number in range(30):  # 60 RU against 40 per second: some are throttled, all land
            await builder.post(ListItem(fields=FieldValueSet(additional_data={"K": str(number)})))
        with session(emulator.graph_url) as client:
            assert len(client.get(items, params={"$top": "100"}).json()["value"]) == 30
    finally:
        emulator.stop()


def test_injected_faults_never_half_apply(tmp_path: Path) -> None:
    with start(tmp_path, "--ru-per-minute", "0", "--fault-rate", "0.5", "--seed", "7") as emulator:
        client = session(emulator.graph_url)
        for _ in range(50):  # provisioning itself meets faults: retry until it lands
            try:
                response = client.get(f"/sites/{SITE_PATH}")
            except httpx.TransportError:
                continue
            if response.status_code == 200:
                site = response.json()["id"]
                break
        seen: dict[str, int] = {}
        created = 0
        items = None
        while items is None:
            try:
                answer = client.post(
                    f"/sites/{site}/lists",
                    json={"displayName": "f", "columns": [{"name": "K", "text": {}}]},
                )
            except httpx.TransportError:
                continue
            if answer.status_code == 201:
                items = f"/sites/{site}/lists/{answer.json()['id']}/items"
            elif answer.status_code == 409:
                break
        assert items is not None
        for number in range(80):
            try:
                answer = client.post(items, json={"fields": {"K": str(number)}})
            except httpx.TransportError:
                seen["reset"] = seen.get("reset", 0) + 1
                continue
            seen[str(answer.status_code)] = seen.get(str(answer.status_code), 0) + 1
            if answer.status_code == 201:
                created += 1
            elif answer.status_code == 503:
                assert answer.headers["Retry-After"].isdigit()
                assert answer.json()["error"]["code"] == "serviceNotAvailable"
        assert set(seen) >= {"201", "500", "503", "504", "reset"}
        listed = []
        while not listed or len(listed) != created:
            try:
                page = client.get(items, params={"$top": "500"})
            except httpx.TransportError:
                continue
            if page.status_code == 200:
                listed = page.json()["value"]
                break
        assert len(listed) == created  # a fault before the handler never writes


def test_committed_but_response_lost(tmp_path: Path) -> None:
    with (
        start(tmp_path, "--ru-per-minute", "0", "--lost-response-rate", "1") as emulator,
        session(emulator.graph_url) as client,
    ):
        site = client.get(f"/sites/{SITE_PATH}").json()["id"]
        with pytest.raises(httpx.TransportError):
            client.post(
                f"/sites/{site}/lists",
                json={"displayName": "lost", "columns": [{"name": "K", "text": {}}]},
            )
        lists = client.get(f"/sites/{site}/lists").json()["value"]
        target = next(entry for entry in lists if entry["displayName"] == "lost")  # it was created
        items = f"/sites/{site}/lists/{target['id']}/items"
        with pytest.raises(httpx.TransportError):
            client.post(items, json={"fields": {"K": "once"}})
        assert [
            i["fields"]["K"]
            for i in client.get(items, params={"$expand": "fields"}).json()["value"]
        ] == ["once"]


def test_state_survives_a_restart(tmp_path: Path) -> None:
    with start(tmp_path, "--ru-per-minute", "0") as first, session(first.graph_url) as client:
        site = client.get(f"/sites/{SITE_PATH}").json()["id"]
        created = client.post(
            f"/sites/{site}/lists",
            json={"displayName": "keep", "columns": [{"name": "K", "indexed": True, "text": {}}]},
        )
        items = f"/sites/{site}/lists/{created.json()['id']}/items"
        client.post(items, json={"fields": {"K": "survivor"}})
        drive = client.get(f"/sites/{site}/drive").json()["id"]
        client.put(f"/drives/{drive}/root:/kept.txt:/content", content=b"still here")
    with start(tmp_path, "--ru-per-minute", "0") as second, session(second.graph_url) as client:
        found = client.get(
            items, params={"$filter": "fields/K eq 'survivor'", "$expand": "fields"}
        ).json()
        assert [i["fields"]["K"] for i in found["value"]] == ["survivor"]
        assert client.get(f"/drives/{drive}/root:/kept.txt:/content").content == b"still here"
        assert client.post(items, json={"fields": {"K": "next"}}).json()["id"] == "2"
