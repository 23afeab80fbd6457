"""Emulator processes for the tests, and clients for them: the real SDK and plain HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from notesmig.emulator.server import EmulatorProcess
from tests.emulator.helpers import SITE_PATH


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    """One emulator for the functional tests, throttling off so tests never wait."""
    data = tmp_path_factory.mktemp("emulator") / "data"
    members = ("--site-member", "yamada.taro@contoso.onmicrosoft.com",
               "--site-member", "sato.hanako@contoso.onmicrosoft.com")  # fmt: skip
    with EmulatorProcess(data, options=("--ru-per-minute", "0", *members)) as running:
        yield running


@pytest.fixture
def http(emulator: EmulatorProcess) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=emulator.graph_url, headers={"Authorization": "Bearer test"}, timeout=30
    ) as client:
        yield client


@pytest.fixture
def site_id(http: httpx.Client) -> str:
    return str(http.get(f"/sites/{SITE_PATH}").json()["id"])
