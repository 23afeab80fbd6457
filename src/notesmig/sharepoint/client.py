"""A msgraph-sdk ``GraphServiceClient`` for any Graph endpoint: the emulator or a tenant.

The SDK's default pipeline (retry, redirect, compression...) is kept; only the base URL and the
token source change. ``StaticTokenProvider`` serves the emulator, which accepts any bearer
token; a real tenant uses an azure-identity credential instead.
"""

from __future__ import annotations

from typing import Any

from kiota_abstractions.authentication import (
    AccessTokenProvider,
    AllowedHostsValidator,
    BaseBearerTokenAuthenticationProvider,
)
from msgraph.graph_request_adapter import GraphRequestAdapter
from msgraph.graph_service_client import GraphServiceClient


class StaticTokenProvider(AccessTokenProvider):
    """Hands out one fixed bearer token (for the emulator, or a token obtained elsewhere)."""

    def __init__(self, token: str, allowed_hosts: list[str] | None = None) -> None:
        self._token = token
        self._hosts = AllowedHostsValidator(allowed_hosts or [])

    async def get_authorization_token(
        self, uri: str, additional_authentication_context: dict[str, Any] | None = None
    ) -> str:
        return self._token

    def get_allowed_hosts_validator(self) -> AllowedHostsValidator:
        return self._hosts


def graph_client(
    base_url: str,
    token: str = "emulator",  # noqa: S107 (the emulator accepts any token)
) -> tuple[GraphServiceClient, GraphRequestAdapter]:
    """A client whose requests go to ``base_url`` (e.g. ``http://127.0.0.1:8765/v1.0``)."""
    auth = BaseBearerTokenAuthenticationProvider(StaticTokenProvider(token))
    adapter = GraphRequestAdapter(auth)
    adapter.base_url = base_url
    return GraphServiceClient(request_adapter=adapter), adapter
