"""Tenant credentials: from the environment or an Airflow msgraph connection, never shown (their
pinning to the Graph host: test_client.py)."""

from __future__ import annotations

import pytest

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


def test_the_sharepoint_rest_credential_needs_the_certificate() -> None:
    with pytest.raises(CredentialsError, match="needs the app's certificate"):
        GraphCredentials("tenant", "app", SECRET).rest_credential()
