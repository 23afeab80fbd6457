"""Tenant credentials: from the environment or an Airflow msgraph connection, never shown."""

from __future__ import annotations

import pytest

from notesmig.sharepoint.credentials import CredentialsError, GraphCredentials, tenant_client

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
    certificate = GraphCredentials.from_connection(
        "app-id", None, {"tenant_id": "t", "certificate_path": "/x.pem"}
    )
    assert certificate.certificate_path == "/x.pem" and certificate.client_secret is None
    with pytest.raises(CredentialsError, match="client_secret or certificate_path"):
        GraphCredentials.from_connection("app-id", None, {"tenant_id": "t"})


def test_a_tenant_client_targets_graph() -> None:
    client, adapter = tenant_client(GraphCredentials("tenant", "app", SECRET))
    assert adapter.base_url == "https://graph.microsoft.com/v1.0" and client is not None
