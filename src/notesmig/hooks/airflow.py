"""Hooks that read notesmig's endpoints from Airflow connections (the microsoft-azure provider's
shape: a hook declares its connection type and default connection id)."""

from __future__ import annotations

from typing import Any

from airflow.sdk import BaseHook

from notesmig.hooks.connections import ConnectionFields, graph_endpoint, ledger_url
from notesmig.sharepoint.client import EMULATOR_TOKEN, GraphEndpoint


def _fields(hook: BaseHook, conn_id: str) -> ConnectionFields:
    return ConnectionFields.of(conn_id, hook.get_connection(conn_id))


class NotesmigGraphHook(BaseHook):
    """Microsoft Graph (and the site's SharePoint REST) for a tenant or an emulator."""

    conn_name_attr = "graph_conn_id"
    default_conn_name = "notesmig_graph"
    conn_type = "msgraph"
    hook_name = "Microsoft Graph (notesmig)"

    def __init__(self, graph_conn_id: str = default_conn_name, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.graph_conn_id = graph_conn_id

    def get_endpoint(self, emulator_token: str = EMULATOR_TOKEN) -> GraphEndpoint:
        return graph_endpoint(_fields(self, self.graph_conn_id), emulator_token)

    def get_conn(self) -> GraphEndpoint:
        return self.get_endpoint()


class NotesmigLedgerHook(BaseHook):
    """The migration ledger (PostgreSQL for several workers, SQLite embedded)."""

    conn_name_attr = "ledger_conn_id"
    default_conn_name = "notesmig_ledger"
    conn_type = "postgres"
    hook_name = "notesmig ledger"

    def __init__(self, ledger_conn_id: str = default_conn_name, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.ledger_conn_id = ledger_conn_id

    def get_uri(self) -> str:
        url = ledger_url(_fields(self, self.ledger_conn_id))
        from airflow.sdk.log import mask_secret  # noqa: PLC0415

        mask_secret(url)  # the URL carries the password: never in a log line
        return url

    def get_conn(self) -> str:
        return self.get_uri()
