"""Where Graph and SharePoint REST requests go, and with which token: the emulator or a tenant.

A :class:`GraphEndpoint` pins the host: a tenant's token is attached only to requests for the
Graph host its credentials name, over HTTPS; plain HTTP is only for an emulator on a loopback
address (or a host listed in ``NOTESMIG_EMULATOR_HOSTS``, as docker-compose's ``emulator``
service), and then only with the emulator's static token, never real credentials. The SDK's
default pipeline (retry, redirect, compression...) is kept; only the base URL, the token source
and the allowed hosts change.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from kiota_abstractions.authentication import (
    AccessTokenProvider,
    AllowedHostsValidator,
    BaseBearerTokenAuthenticationProvider,
)
from msgraph.graph_request_adapter import GraphRequestAdapter
from msgraph.graph_service_client import GraphServiceClient

from notesmig.sharepoint.credentials import CredentialsError, GraphCredentials

EMULATOR_TOKEN = "emulator"  # noqa: S105 (the emulator accepts any token; not a secret)
DEFAULT_EMULATOR_URL = "http://127.0.0.1:8765/v1.0"


class StaticTokenProvider(AccessTokenProvider):
    """Hands out one fixed bearer token, and only to the allowed hosts."""

    def __init__(self, token: str, allowed_hosts: list[str]) -> None:
        self._token = token
        self._hosts = AllowedHostsValidator(allowed_hosts)

    async def get_authorization_token(
        self, uri: str, additional_authentication_context: dict[str, Any] | None = None
    ) -> str:
        if not self._hosts.is_url_host_valid(uri):
            return ""
        return self._token

    def get_allowed_hosts_validator(self) -> AllowedHostsValidator:
        return self._hosts


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _emulator_hosts() -> set[str]:
    listed = os.environ.get("NOTESMIG_EMULATOR_HOSTS", "")
    return {h.strip().lower() for h in listed.split(",") if h.strip()}


@dataclass(frozen=True)
class GraphEndpoint:
    """The Graph base URL (``.../v1.0``) and what authenticates requests to it.

    With ``credentials`` (a tenant's app registration) the URL must be HTTPS on the Graph host
    the credentials name; without, the static ``token`` goes to an emulator.
    """

    url: str = DEFAULT_EMULATOR_URL
    credentials: GraphCredentials | None = None
    token: str = field(default=EMULATOR_TOKEN, repr=False)

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        host = (parts.hostname or "").lower()
        if parts.scheme not in ("http", "https") or not host:
            raise CredentialsError(f"the Graph URL {self.url!r} is not an http(s) URL")
        if self.credentials is not None:
            if parts.scheme != "https":
                raise CredentialsError(
                    f"real credentials are only sent over HTTPS, not to {self.url!r}"
                )
            if host != self.credentials.graph_host:
                raise CredentialsError(
                    f"the tenant's token is pinned to {self.credentials.graph_host}; "
                    f"{host} may not receive it"
                )
        elif parts.scheme == "http" and not (_is_loopback(host) or host in _emulator_hosts()):
            raise CredentialsError(
                f"plain HTTP is only for an emulator on a loopback address, not {host!r} "
                "(list it in NOTESMIG_EMULATOR_HOSTS if it is an emulator)"
            )

    @property
    def host(self) -> str:
        return (urlsplit(self.url).hostname or "").lower()

    @property
    def origin(self) -> str:
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def is_emulator(self) -> bool:
        return self.credentials is None

    def adapter(self) -> GraphRequestAdapter:
        """An SDK request adapter whose token goes to this endpoint's host only."""
        if self.credentials is not None:
            from kiota_authentication_azure.azure_identity_authentication_provider import (  # noqa: PLC0415 (azure-identity only for a tenant)
                AzureIdentityAuthenticationProvider,
            )

            auth: Any = AzureIdentityAuthenticationProvider(
                self.credentials.credential(),
                scopes=[f"https://{self.credentials.graph_host}/.default"],
                allowed_hosts=[self.host],
            )
        else:
            auth = BaseBearerTokenAuthenticationProvider(
                StaticTokenProvider(self.token, [self.host])
            )
        adapter = GraphRequestAdapter(auth)
        adapter.base_url = self.url.rstrip("/")
        return adapter


def graph_client(
    base_url: str, token: str = EMULATOR_TOKEN
) -> tuple[GraphServiceClient, GraphRequestAdapter]:
    """An SDK client for an emulator at ``base_url`` (e.g. ``http://127.0.0.1:8765/v1.0``)."""
    adapter = GraphEndpoint(base_url, token=token).adapter()
    return GraphServiceClient(request_adapter=adapter), adapter
