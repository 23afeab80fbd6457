"""Where Graph requests go and with which token: a tenant's token to its Graph host over HTTPS
only, the emulator's over plain HTTP to a loopback address only."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from notesmig.emulator.server import EmulatorProcess
from notesmig.sharepoint.budget import ResourceBudget
from notesmig.sharepoint.client import (
    DEFAULT_EMULATOR_URL,
    EMULATOR_TOKEN,
    GraphEndpoint,
    StaticTokenProvider,
    graph_client,
)
from notesmig.sharepoint.credentials import CredentialsError, GraphCredentials
from notesmig.sharepoint.graph import Graph, GraphRequestError
from tests.migration import SITE

SECRET = "s3cr3t-value-never-shown"
TOKEN = "emulator-token-for-this-test"


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    data = tmp_path_factory.mktemp("client") / "emulator"
    with EmulatorProcess(data, options=("--ru-per-minute", "0", "--token", TOKEN)) as running:
        yield running


def test_a_tenant_token_goes_to_its_graph_host_over_https_only() -> None:
    credentials = GraphCredentials("tenant", "app", SECRET)
    endpoint = GraphEndpoint(credentials.graph_url, credentials)
    assert endpoint.adapter().base_url == "https://graph.microsoft.com/v1.0"
    for url, says in [
        ("http://graph.microsoft.com/v1.0", "only sent over HTTPS"),
        ("https://graph.evil.example/v1.0", "pinned to graph.microsoft.com"),
        ("https://127.0.0.1:8765/v1.0", "pinned to graph.microsoft.com"),
    ]:
        with pytest.raises(CredentialsError, match=says) as caught:
            GraphEndpoint(url, credentials)
        assert SECRET not in str(caught.value)
    assert SECRET not in repr(endpoint)


def test_plain_http_only_to_a_loopback_emulator(monkeypatch: pytest.MonkeyPatch) -> None:
    assert GraphEndpoint("http://127.0.0.1:8765/v1.0").is_emulator
    assert GraphEndpoint("http://localhost:8765/v1.0").is_emulator
    with pytest.raises(CredentialsError, match="only for an emulator on a loopback"):
        GraphEndpoint("http://emulator:8765/v1.0")
    monkeypatch.setenv("NOTESMIG_EMULATOR_HOSTS", "emulator")
    assert GraphEndpoint("http://emulator:8765/v1.0").host == "emulator"


def test_an_endpoint_is_an_http_url_and_knows_its_origin() -> None:
    endpoint = GraphEndpoint("http://[::1]:8765/v1.0/")
    assert (endpoint.host, endpoint.origin, endpoint.is_emulator) == (
        "::1", "http://[::1]:8765", True)  # fmt: skip
    assert endpoint.adapter().base_url == "http://[::1]:8765/v1.0"  # no trailing slash
    assert GraphEndpoint().url == DEFAULT_EMULATOR_URL and GraphEndpoint().token == EMULATOR_TOKEN
    assert SECRET not in repr(GraphEndpoint(token=SECRET))  # the token is not shown
    for url in ("ftp://127.0.0.1/v1.0", "127.0.0.1:8765/v1.0", "https:///v1.0"):
        with pytest.raises(CredentialsError, match="is not an http"):
            GraphEndpoint(url)


@pytest.mark.anyio
async def test_the_static_token_goes_to_the_allowed_hosts_only() -> None:
    provider = StaticTokenProvider("t0k3n", ["127.0.0.1"])
    assert await provider.get_authorization_token("http://127.0.0.1:8765/v1.0/sites") == "t0k3n"
    assert await provider.get_authorization_token("https://graph.evil.example/v1.0") == ""
    assert provider.get_allowed_hosts_validator().get_allowed_hosts() == ["127.0.0.1"]


@pytest.mark.anyio
async def test_the_emulators_token_is_the_one_sent(emulator: EmulatorProcess) -> None:
    _client, adapter = graph_client(emulator.graph_url, TOKEN)
    site = await Graph(adapter, ResourceBudget(0)).get_json(SITE)
    assert site["name"] == "notes-migration"
    _client, wrong = graph_client(emulator.graph_url, "another-token")
    with pytest.raises(GraphRequestError) as caught:
        await Graph(wrong, ResourceBudget(0)).get_json(SITE)
    assert caught.value.status == 401
