"""What an Airflow connection's fields mean to notesmig: Graph with its token pinned to the
connection's host, and the ledger's URL with its password kept out of what is shown."""

from __future__ import annotations

import pytest

from notesmig.hooks.connections import (
    ConnectionError_,
    ConnectionFields,
    graph_endpoint,
    ledger_url,
)
from notesmig.pipeline.settings import mask_url
from notesmig.sharepoint.credentials import CredentialsError

TENANT = {"tenant_id": "00000000-0000-0000-0000-000000000001"}


def test_a_tenant_connection_pins_the_token_to_the_graph_host() -> None:
    fields = ConnectionFields("notesmig_graph", "msgraph", host="graph.microsoft.com",
                              login="app-id", password="s3cret", extra=TENANT)  # fmt: skip
    endpoint = graph_endpoint(fields)
    assert endpoint.url == "https://graph.microsoft.com/v1.0"
    assert endpoint.credentials is not None and endpoint.credentials.client_secret == "s3cret"
    assert "s3cret" not in repr(fields) and "s3cret" not in repr(endpoint)
    # No host: Graph's own.
    assert graph_endpoint(ConnectionFields("g", "msgraph", login="app-id", password="x",
                                           extra=TENANT)).host == "graph.microsoft.com"  # fmt: skip


@pytest.mark.parametrize(
    ("fields", "refusal"),
    [
        # The token must not go over plain HTTP, whatever the host.
        (
            ConnectionFields(
                "g",
                "msgraph",
                host="graph.microsoft.com",
                schema="http",
                login="app",
                password="x",
                extra=TENANT,
            ),
            "https only",
        ),
        # A URL in the host field could smuggle a path or another host in.
        (
            ConnectionFields(
                "g",
                "msgraph",
                host="https://evil.example/v1.0",
                login="app",
                password="x",
                extra=TENANT,
            ),
            "not a URL",
        ),
        (ConnectionFields("g", "msgraph"), "names no host"),
    ],
)
def test_connections_that_could_leak_the_token_are_refused(
    fields: ConnectionFields, refusal: str
) -> None:
    with pytest.raises(ConnectionError_, match=refusal):
        graph_endpoint(fields)


def test_an_emulator_connection_is_loopback_http_without_credentials() -> None:
    endpoint = graph_endpoint(ConnectionFields("g", "msgraph", host="127.0.0.1", port=8765))
    assert endpoint.url == "http://127.0.0.1:8765/v1.0" and endpoint.is_emulator
    with pytest.raises(CredentialsError, match="plain HTTP is only for an emulator"):
        graph_endpoint(ConnectionFields("g", "msgraph", host="sharepoint.example.org"))


def test_the_ledger_url_from_a_postgres_connection() -> None:
    fields = ConnectionFields("notesmig_ledger", "postgres", host="db", port=5432,
                              login="notesmig", password="p@ss/word", schema="ledger")  # fmt: skip
    url = ledger_url(fields)
    assert url == "postgresql+psycopg://notesmig:p%40ss%2Fword@db:5432/ledger"
    assert mask_url(url) == "postgresql+psycopg://notesmig:***@db:5432/ledger"
    assert ledger_url(ConnectionFields("l", "sqlite", host="/data/ledger.sqlite3")) == (
        "sqlite:////data/ledger.sqlite3"
    )
    explicit = ConnectionFields("l", "generic", extra={"sqlalchemy_url": "sqlite:///x.db"})
    assert ledger_url(explicit) == "sqlite:///x.db"
    with pytest.raises(ConnectionError_, match="needs a postgres or sqlite connection"):
        ledger_url(ConnectionFields("l", "http", host="db"))
    with pytest.raises(ConnectionError_, match="names no host"):
        ledger_url(ConnectionFields("l", "postgres"))


def test_the_hooks_read_airflow_connections(monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from notesmig.hooks.airflow import NotesmigGraphHook, NotesmigLedgerHook

    monkeypatch.setenv("AIRFLOW_CONN_NOTESMIG_GRAPH", json.dumps(
        {"conn_type": "msgraph", "host": "graph.microsoft.com", "login": "app-id",
         "password": "s3cret", "extra": TENANT}))  # fmt: skip
    monkeypatch.setenv("AIRFLOW_CONN_NOTESMIG_LEDGER", json.dumps(
        {"conn_type": "postgres", "host": "db", "login": "notesmig", "password": "pw",
         "schema": "ledger"}))  # fmt: skip
    assert (NotesmigGraphHook.conn_type, NotesmigGraphHook.default_conn_name) == (
        "msgraph", "notesmig_graph")  # fmt: skip
    assert NotesmigGraphHook().get_endpoint().url == "https://graph.microsoft.com/v1.0"
    assert NotesmigLedgerHook().get_uri() == "postgresql+psycopg://notesmig:pw@db/ledger"
    from notesmig.hooks.deployment import ledger_url as deployed_ledger_url
    from notesmig.hooks.deployment import server_connection

    assert deployed_ledger_url(server_connection) == "postgresql+psycopg://notesmig:pw@db/ledger"
    monkeypatch.delenv("AIRFLOW_CONN_NOTESMIG_LEDGER")
    monkeypatch.setenv("NOTESMIG_DB_URL", "sqlite:///elsewhere.sqlite3")
    assert deployed_ledger_url(server_connection) == "sqlite:///elsewhere.sqlite3"
