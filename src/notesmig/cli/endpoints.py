"""Where the commands send Graph requests, and with which credentials.

The ``--graph-url`` given, else the tenant the ``NOTESMIG_*`` credentials name, else the local
emulator (``http://127.0.0.1:8765/v1.0``); without credentials requests carry the static token
``NOTESMIG_GRAPH_TOKEN`` (default ``emulator``). What may receive real credentials (HTTPS, the
pinned Graph host) is ``notesmig.sharepoint.client``'s to decide; a refusal is a bad argument
here (exit 2).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from notesmig.sharepoint.client import GraphEndpoint


def graph_endpoint(graph_url: str | None) -> GraphEndpoint:
    """The Graph endpoint: the given URL, or the tenant the NOTESMIG_* credentials name, or the
    local emulator."""
    from notesmig.sharepoint.client import DEFAULT_EMULATOR_URL, GraphEndpoint  # noqa: PLC0415
    from notesmig.sharepoint.credentials import CredentialsError, GraphCredentials  # noqa: PLC0415

    try:
        credentials = GraphCredentials.from_env()
        url = graph_url or (credentials.graph_url if credentials else DEFAULT_EMULATOR_URL)
        return GraphEndpoint(url, credentials, os.environ.get("NOTESMIG_GRAPH_TOKEN", "emulator"))
    except CredentialsError as exc:
        raise typer.BadParameter(str(exc), param_hint="--graph-url / NOTESMIG_*") from exc
