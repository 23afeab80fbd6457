"""Bounded concurrency: never more than the limit at once, every one finished on leaving,
and a failure raised as itself (Airflow retries by its kind) with the others stopped."""

from __future__ import annotations

import asyncio

import pytest

from notesmig.errors import TransientError
from notesmig.sharepoint.graph import GraphTransientError
from notesmig.sharepoint.parallel import Bounded


def test_never_more_than_the_limit_and_all_finished_on_leaving() -> None:
    running = 0
    most = 0
    finished: list[int] = []

    async def work(number: int) -> None:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await asyncio.sleep(0.001 * (number % 3))
        running -= 1
        finished.append(number)

    async def main() -> None:
        async with Bounded(3) as pool:
            for number in range(20):
                await pool.start(work(number))

    asyncio.run(main())
    assert most == 3
    assert sorted(finished) == list(range(20))


def test_a_failure_is_raised_as_itself_and_stops_the_rest() -> None:
    started: list[int] = []
    cancelled: list[int] = []

    async def work(number: int) -> None:
        started.append(number)
        if number == 2:
            raise GraphTransientError("throttled past every retry")
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.append(number)
            raise

    async def main() -> None:
        async with Bounded(4) as pool:
            for number in range(10):
                await pool.start(work(number))

    with pytest.raises(GraphTransientError) as raised:
        asyncio.run(main())
    assert isinstance(raised.value, TransientError)  # not an ExceptionGroup: Airflow retries it
    assert 2 in started
    assert len(started) < 10  # nothing new started after the failure was seen
    assert sorted(cancelled) == sorted(n for n in started if n != 2)


def test_a_limit_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Bounded(0)


def test_of_two_failures_at_once_the_terminal_one_is_raised() -> None:
    from notesmig.sharepoint.rest import RestRequestError

    async def fails(error: Exception) -> None:
        raise error

    async def main() -> None:
        async with Bounded(2) as pool:
            await pool.start(fails(GraphTransientError("throttled")))
            await pool.start(fails(RestRequestError(400, "x", "refused", "item 1")))
            await asyncio.sleep(0.01)  # both done before the pool looks

    with pytest.raises(RestRequestError):
        asyncio.run(main())
