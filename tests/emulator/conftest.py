"""Emulator processes for the tests, and clients for them: the real SDK and plain HTTP; a
tenant in-process, for tests of one of its parts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from notesmig.emulator.config import EmulatorConfig
from notesmig.emulator.server import EmulatorProcess
from notesmig.emulator.tenant import Tenant
from tests.emulator.helpers import COLUMNS, SITE_PATH, new_list


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


@pytest.fixture
def items(http: httpx.Client, site_id: str) -> str:
    """The items URL of a new list with the columns of ``helpers.COLUMNS``."""
    target = new_list(http, site_id, COLUMNS)
    return f"/sites/{site_id}/lists/{target['id']}/items"


@pytest.fixture
def tenant(tmp_path: Path) -> Iterator[Tenant]:
    """A tenant of its own, in this process (no HTTP): its parts called directly."""
    made = Tenant(EmulatorConfig(data_dir=tmp_path / "tenant"))
    yield made
    made.db.close()
