"""Tenant credentials: from the environment or an Airflow msgraph connection, never shown, and
pinned to their host."""

from __future__ import annotations

import pytest

from notesmig.sharepoint.client import GraphEndpoint
from notesmig.sharepoint.credentials import CredentialsError, GraphCredentials

SECRET = "s3cr3t-value-never-shown"


def test_environment() -> None:
    assert GraphCredentials.from_env({}) is None  # nothing set: the emulator is used
    found = GraphCredentials.from_env({"NOTESMIG_TENANT_ID": "tenant", "NOTESMIG_CLIENT_ID": "app",
                                       "NOTESMIG_CLIENT_SECRET": SECRET})  # fmt: skip
    assert found is not None and (found.tenant_id, found.client_id) == ("tenant", "app")
    assert SECRET not in repr(found) and SECRET not in str(found)
    with pytest.raises(CredentialsError) as caught:
        GraphCredentials.from_env({"NOTESMIG_CLIENT_SECRET": SECRET})
    assert "tenant_id, client_id" in str(caught.value) and SECRET not in str(caught.value)


def test_airflow_connection_convention() -> None:
    found = GraphCredentials.from_connection("app-id", SECRET, {"tenant_id": "contoso-tenant"})
    assert (found.client_id, found.tenant_id, found.client_secret) == (
        "app-id",
        "contoso-tenant",
        SECRET,
    )
    assert found.graph_host == "graph.microsoft.com"
    certificate = GraphCredentials.from_connection(
        "app-id",
        None,
        {"tenant_id": "t", "certificate_path": "/x.pem"},
        "https://graph.microsoft.us",
    )
    assert certificate.certificate_path == "/x.pem" and certificate.client_secret is None
    assert certificate.graph_host == "graph.microsoft.us"
    with pytest.raises(CredentialsError, match="client_secret or certificate_path"):
        GraphCredentials.from_connection("app-id", None, {"tenant_id": "t"})


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


def test_the_sharepoint_rest_credential_needs_the_certificate() -> None:
    with pytest.raises(CredentialsError, match="needs the app's certificate"):
        GraphCredentials("tenant", "app", SECRET).rest_credential()
