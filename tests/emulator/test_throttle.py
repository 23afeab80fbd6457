"""``throttle``: SharePoint's resource-unit budget, a token bucket refilled over a one-minute
window: 429 with an integer ``Retry-After`` under 180 s when it is spent, and the
``RateLimit-*`` headers once 80% of it is used."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from msgraph.generated.models.field_value_set import FieldValueSet
from msgraph.generated.models.list_item import ListItem

from notesmig.emulator.throttle import ResourceBudget
from notesmig.sharepoint.client import graph_client
from tests.emulator.helpers import assert_graph_error, make_list, session, start


class Clock:
    """Time the test moves on (``ResourceBudget`` takes its clock as an argument)."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def test_a_budget_of_zero_never_throttles_but_counts() -> None:
    budget = ResourceBudget(0, 1.0, Clock())
    decisions = [budget.charge(5) for _ in range(1_000)]
    assert all(d.allowed and d.headers == {} and d.retry_after == 0 for d in decisions)
    assert (budget.enabled, budget.used, budget.throttled) == (False, 5_000, 0)


def test_headers_appear_once_80_percent_is_used() -> None:
    budget = ResourceBudget(100, 1.0, Clock())
    quiet = [budget.charge(2) for _ in range(39)]  # 78 of 100 used
    assert all(d.allowed and d.headers == {} for d in quiet)
    warned = budget.charge(2)  # 80 used: 20 left
    assert warned.allowed and warned.headers == {
        "RateLimit-Limit": "100", "RateLimit-Remaining": "20", "RateLimit-Reset": "48"}  # fmt: skip


def test_over_budget_is_refused_with_the_wait_until_it_would_fit() -> None:
    clock = Clock()
    budget = ResourceBudget(120, 1.0, clock)  # 2 RU a second
    assert budget.charge(119).allowed
    refused = budget.charge(5)  # 1 left: 4 more needed, 2 s
    assert not refused.allowed and refused.retry_after == 2
    assert refused.headers["Retry-After"] == "2" and refused.headers["RateLimit-Remaining"] == "1"
    assert (budget.used, budget.throttled) == (119, 1)  # a refused request costs nothing
    clock.now += 2
    assert budget.charge(5).allowed
    clock.now += 3_600  # refilled, but never past the budget
    assert budget.charge(120).allowed and not budget.charge(1).allowed


def test_retry_after_is_whole_seconds_under_180() -> None:
    clock = Clock()
    budget = ResourceBudget(10, 0.01, clock)  # a window of 100 minutes: 0.1 RU a minute
    assert budget.charge(10).allowed
    refused = budget.charge(10)
    assert refused.retry_after == 179 and refused.headers["Retry-After"] == "179"
    tiny = ResourceBudget(600, 1.0, Clock())
    assert tiny.charge(600).allowed
    assert tiny.charge(1).retry_after == 1  # 0.1 s is answered as 1, never 0


def test_time_scale_compresses_the_window() -> None:
    clock = Clock()
    budget = ResourceBudget(60, 60.0, clock)  # the minute lasts one second
    assert budget.window == 1.0 and budget.charge(60).allowed
    assert not budget.charge(30).allowed
    clock.now += 0.5
    assert budget.charge(30).allowed


@pytest.mark.slow
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


@pytest.mark.slow
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
