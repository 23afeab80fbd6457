"""Where the commands send Graph requests: the URL given, the tenant the NOTESMIG_* credentials
name, or the local emulator; credentials never go where they must not."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from notesmig.cli.app import app
from notesmig.cli.endpoints import graph_endpoint
from notesmig.sharepoint.client import DEFAULT_EMULATOR_URL

NAMES = ("TENANT_ID", "CLIENT_ID", "CLIENT_SECRET", "CERTIFICATE_PATH", "CERTIFICATE_PASSWORD",
         "GRAPH_HOST", "GRAPH_TOKEN", "EMULATOR_HOSTS")  # fmt: skip


@pytest.fixture(autouse=True)
def no_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in NAMES:
        monkeypatch.delenv(f"NOTESMIG_{name}", raising=False)


def tenant(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NOTESMIG_TENANT_ID", "contoso-tenant")
    monkeypatch.setenv("NOTESMIG_CLIENT_ID", "app-id")
    monkeypatch.setenv("NOTESMIG_CLIENT_SECRET", "Hunter2-secret")


def test_without_credentials_the_local_emulator_with_its_token() -> None:
    endpoint = graph_endpoint(None)
    assert endpoint.url == DEFAULT_EMULATOR_URL == "http://127.0.0.1:8765/v1.0"
    assert endpoint.credentials is None and endpoint.token == "emulator"


def test_another_emulator_and_its_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NOTESMIG_GRAPH_TOKEN", "t0ken")
    endpoint = graph_endpoint("http://127.0.0.1:9999/v1.0")
    assert (endpoint.url, endpoint.credentials, endpoint.token) == (
        "http://127.0.0.1:9999/v1.0", None, "t0ken")  # fmt: skip


def test_credentials_name_the_tenant(monkeypatch: pytest.MonkeyPatch) -> None:
    tenant(monkeypatch)
    endpoint = graph_endpoint(None)
    assert endpoint.url == "https://graph.microsoft.com/v1.0"
    assert endpoint.credentials is not None and endpoint.credentials.tenant_id == "contoso-tenant"
    monkeypatch.setenv("NOTESMIG_GRAPH_HOST", "graph.microsoft.us")  # a national cloud
    assert graph_endpoint(None).url == "https://graph.microsoft.us/v1.0"


def test_credentials_go_over_https_to_the_pinned_host_only(monkeypatch: pytest.MonkeyPatch) -> None:
    tenant(monkeypatch)
    with pytest.raises(typer.BadParameter, match="only sent over HTTPS") as plain:
        graph_endpoint("http://127.0.0.1:8765/v1.0")
    assert plain.value.param_hint == "--graph-url / NOTESMIG_*"
    with pytest.raises(typer.BadParameter, match=r"pinned to graph\.microsoft\.com"):
        graph_endpoint("https://graph.example.net/v1.0")


def test_incomplete_credentials_say_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NOTESMIG_TENANT_ID", "contoso-tenant")
    with pytest.raises(typer.BadParameter, match="lack client_id, client_secret or certificate"):
        graph_endpoint(None)


def test_migrate_refuses_plain_http_to_a_host_that_is_no_emulator() -> None:
    done = CliRunner().invoke(
        app, ["migrate", "x.dxl", "--mapping", "m.yaml", "--graph-url", "http://graph.example.net/v1.0"],
        env={"COLUMNS": "200"},
    )  # fmt: skip
    assert done.exit_code == 2
    assert "--graph-url / NOTESMIG_*" in done.stderr
    assert "plain HTTP is only for an emulator on a loopback address" in done.stderr
