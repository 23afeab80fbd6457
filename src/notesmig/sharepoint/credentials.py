"""Credentials for a real Microsoft 365 tenant: an app registration (client credentials).

They come from an Airflow connection of type ``msgraph`` (the apache-airflow-providers-
microsoft-azure convention: login = client id, password = client secret, extras ``tenant_id``
and optionally ``certificate_path``/``certificate_password``), or from the same values in the
environment outside Airflow. The secret never appears in a repr, a log line or an error.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from azure.identity.aio import CertificateCredential, ClientSecretCredential
from kiota_authentication_azure.azure_identity_authentication_provider import (
    AzureIdentityAuthenticationProvider,
)
from msgraph.graph_request_adapter import GraphRequestAdapter
from msgraph.graph_service_client import GraphServiceClient

from notesmig.errors import TerminalError

GRAPH_URL = "https://graph.microsoft.com/v1.0"
GRAPH_SCOPES = ["https://graph.microsoft.com/.default"]
CONNECTION_TYPE = "msgraph"


class CredentialsError(TerminalError):
    """Tenant credentials are incomplete (names what is missing, never a secret)."""


@dataclass(frozen=True)
class GraphCredentials:
    tenant_id: str
    client_id: str
    client_secret: str | None = field(default=None, repr=False)
    certificate_path: str | None = None
    certificate_password: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        missing = [name for name in ("tenant_id", "client_id") if not getattr(self, name)]
        if not self.client_secret and not self.certificate_path:
            missing.append("client_secret or certificate_path")
        if missing:
            raise CredentialsError(f"Graph credentials lack {', '.join(missing)}")

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> GraphCredentials | None:
        """From NOTESMIG_TENANT_ID, NOTESMIG_CLIENT_ID, NOTESMIG_CLIENT_SECRET (or
        NOTESMIG_CERTIFICATE_PATH); None when none of them is set (the emulator is used)."""
        names = (
            "TENANT_ID",
            "CLIENT_ID",
            "CLIENT_SECRET",
            "CERTIFICATE_PATH",
            "CERTIFICATE_PASSWORD",
        )
        values = {name.lower(): env.get(f"NOTESMIG_{name}") or None for name in names}
        if not any(values.values()):
            return None
        return cls(
            tenant_id=values["tenant_id"] or "",
            client_id=values["client_id"] or "",
            client_secret=values["client_secret"],
            certificate_path=values["certificate_path"],
            certificate_password=values["certificate_password"],
        )

    @classmethod
    def from_connection(
        cls, login: str | None, password: str | None, extra: Mapping[str, Any]
    ) -> GraphCredentials:
        """From an Airflow connection of type msgraph (login, password, extras)."""
        return cls(
            tenant_id=str(extra.get("tenant_id") or ""),
            client_id=login or "",
            client_secret=password or None,
            certificate_path=extra.get("certificate_path") or None,
            certificate_password=extra.get("certificate_password") or None,
        )

    def credential(self) -> ClientSecretCredential | CertificateCredential:
        if self.certificate_path:
            return CertificateCredential(
                self.tenant_id,
                self.client_id,
                self.certificate_path,
                password=self.certificate_password,
            )
        return ClientSecretCredential(self.tenant_id, self.client_id, str(self.client_secret))


def tenant_client(
    credentials: GraphCredentials, base_url: str = GRAPH_URL
) -> tuple[GraphServiceClient, GraphRequestAdapter]:
    """A client for the real tenant (no request is made until it is used)."""
    auth = AzureIdentityAuthenticationProvider(credentials.credential(), scopes=GRAPH_SCOPES)
    adapter = GraphRequestAdapter(auth)
    adapter.base_url = base_url
    return GraphServiceClient(request_adapter=adapter), adapter
