"""Credentials for a real Microsoft 365 tenant: an app registration (client credentials).

They come from an Airflow connection of type ``msgraph`` (the apache-airflow-providers-
microsoft-azure convention: login = client id, password = client secret, host = the Graph host,
extras ``tenant_id`` and optionally ``certificate_path`` or ``certificate_data`` with
``certificate_password``), or from the same values in the environment outside Airflow. The
secret never appears in a repr, a log line or an error.

SharePoint REST (unique permissions, authorship) refuses app-only tokens obtained with a client
secret: "all other options are blocked by SharePoint Online" (sp-dev-docs,
solution-guidance/security-apponly-azuread.md). :meth:`GraphCredentials.rest_credential`
therefore needs the certificate.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from notesmig.errors import TerminalError

GRAPH_HOST = "graph.microsoft.com"
GRAPH_URL = f"https://{GRAPH_HOST}/v1.0"
CONNECTION_TYPE = "msgraph"


class CredentialsError(TerminalError):
    """Tenant credentials are incomplete or would go somewhere they must not (names what is
    wrong, never a secret)."""


def _host_of(value: str | None) -> str:
    if not value:
        return GRAPH_HOST
    parts = urlsplit(value if "//" in value else f"//{value}")
    return (parts.hostname or GRAPH_HOST).lower()


@dataclass(frozen=True)
class GraphCredentials:
    tenant_id: str
    client_id: str
    client_secret: str | None = field(default=None, repr=False)
    certificate_path: str | None = None
    certificate_data: str | None = field(default=None, repr=False)
    certificate_password: str | None = field(default=None, repr=False)
    #: The only host the token may go to (national clouds use another).
    graph_host: str = GRAPH_HOST

    def __post_init__(self) -> None:
        missing = [name for name in ("tenant_id", "client_id") if not getattr(self, name)]
        if not self.client_secret and not self.has_certificate:
            missing.append("client_secret or certificate_path")
        if missing:
            raise CredentialsError(f"Graph credentials lack {', '.join(missing)}")

    @property
    def has_certificate(self) -> bool:
        return bool(self.certificate_path or self.certificate_data)

    @property
    def graph_url(self) -> str:
        return f"https://{self.graph_host}/v1.0"

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
            "GRAPH_HOST",
        )
        values = {name.lower(): env.get(f"NOTESMIG_{name}") or None for name in names}
        if not any(v for k, v in values.items() if k != "graph_host"):
            return None
        return cls(
            tenant_id=values["tenant_id"] or "",
            client_id=values["client_id"] or "",
            client_secret=values["client_secret"],
            certificate_path=values["certificate_path"],
            certificate_password=values["certificate_password"],
            graph_host=_host_of(values["graph_host"]),
        )

    @classmethod
    def from_connection(
        cls,
        login: str | None,
        password: str | None,
        extra: Mapping[str, Any],
        host: str | None = None,
    ) -> GraphCredentials:
        """From an Airflow connection of type msgraph (login, password, host, extras)."""
        return cls(
            tenant_id=str(extra.get("tenant_id") or ""),
            client_id=login or "",
            client_secret=password or None,
            certificate_path=extra.get("certificate_path") or None,
            certificate_data=extra.get("certificate_data") or None,
            certificate_password=extra.get("certificate_password") or None,
            graph_host=_host_of(host),
        )

    def credential(self) -> Any:
        """An azure-identity (async) credential for Graph."""
        from azure.identity.aio import (  # noqa: PLC0415 (azure-identity only for a tenant)
            CertificateCredential,
            ClientSecretCredential,
        )

        if self.has_certificate:
            return CertificateCredential(
                self.tenant_id,
                self.client_id,
                self.certificate_path,
                certificate_data=self.certificate_data.encode() if self.certificate_data else None,
                password=self.certificate_password,
            )
        return ClientSecretCredential(self.tenant_id, self.client_id, str(self.client_secret))

    def rest_credential(self) -> Any:
        """A credential SharePoint REST accepts: the certificate, never the secret."""
        if not self.has_certificate:
            raise CredentialsError(
                "SharePoint REST (permissions, Created/Modified/Author/Editor) needs the app's "
                "certificate: set certificate_path or certificate_data; SharePoint Online "
                "refuses app-only tokens obtained with a client secret"
            )
        return self.credential()
