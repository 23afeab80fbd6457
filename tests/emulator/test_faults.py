"""``faults``: the failures the real service produces, injected on purpose and seeded so runs
repeat: before a request does anything (429, 503, 500, 504, a dropped connection, a slow
answer), or after a write committed (its answer lost)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import httpx
import pytest

from notesmig.emulator.faults import FAULTS, FaultInjector, fault_error
from tests.emulator.helpers import SITE_PATH, session, start


def draws(injector: FaultInjector, count: int, **options: bool) -> list[str | None]:
    return [injector.before(**options) for _ in range(count)]


def test_no_rate_no_faults() -> None:
    quiet = FaultInjector(0.0, 0.0, seed=1)
    assert set(draws(quiet, 500)) == {None}
    assert not any(quiet.lose_response() for _ in range(500))
    assert set(quiet.injected.values()) == {0}


def test_a_seed_repeats_its_faults_and_another_does_not() -> None:
    first, again, other = (FaultInjector(0.3, 0.0, seed) for seed in (7, 7, 8))
    sequence = draws(first, 300)
    assert sequence == draws(again, 300) != draws(other, 300)
    share = sum(fault is not None for fault in sequence) / len(sequence)
    assert 0.2 < share < 0.4  # about the rate asked
    assert sum(first.injected.values()) == len(sequence) - sequence.count(None)


def test_inside_a_batch_no_connection_fault_is_drawn() -> None:
    # A sub-request of $batch cannot drop the connection nor be slow on its own.
    kinds = Counter(draws(FaultInjector(1.0, 0.0, seed=3), 400, allow_connection_faults=False))
    assert set(kinds) == {"429", "503", "500", "504"}
    everything = Counter(draws(FaultInjector(1.0, 0.0, seed=3), 400))
    assert set(everything) == set(FAULTS)


def test_lost_answers_are_counted() -> None:
    losing = FaultInjector(0.0, 1.0, seed=0)
    assert all(losing.lose_response() for _ in range(10))
    assert losing.injected["lost"] == 10 and losing.before() is None
    assert {losing.retry_after() for _ in range(200)} == {1, 2, 3}


def test_each_fault_is_answered_as_graph_answers_it() -> None:
    throttled, unavailable = fault_error("429", 2), fault_error("503", 3)
    assert (throttled.status, throttled.code, throttled.headers) == (
        429, "activityLimitReached", {"Retry-After": "2"})  # fmt: skip
    assert (unavailable.status, unavailable.code, unavailable.headers) == (
        503, "serviceNotAvailable", {"Retry-After": "3"})  # fmt: skip
    timeout, failure = fault_error("504", 1), fault_error("500", 1)
    assert (timeout.status, timeout.code, timeout.headers) == (504, "gatewayTimeout", {})
    assert (failure.status, failure.code, failure.headers) == (500, "generalException", {})


@pytest.mark.slow
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
        listed: list[dict[str, object]] = []
        while not listed or len(listed) != created:
            try:
                page = client.get(items, params={"$top": "500"})
            except httpx.TransportError:
                continue
            if page.status_code == 200:
                listed = page.json()["value"]
                break
        assert len(listed) == created  # a fault before the handler never writes


@pytest.mark.slow
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
