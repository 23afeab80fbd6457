"""The hooks Airflow tasks read notesmig's endpoints through: a connection's fields as Graph
(its token pinned to the connection's host) and as the ledger's URL, kept out of every log."""

from __future__ import annotations

import json

import pytest
from airflow.sdk._shared.secrets_masker import redact

from notesmig.hooks.airflow import NotesmigGraphHook, NotesmigLedgerHook
from notesmig.hooks.connections import ConnectionError_


def connection(monkeypatch: pytest.MonkeyPatch, conn_id: str, **fields: object) -> None:
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(fields))


def test_an_emulator_connection_gives_its_address_and_the_emulator_token(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    connection(monkeypatch, "test_emulator", conn_type="msgraph", host="127.0.0.1", port=8799)
    hook = NotesmigGraphHook("test_emulator")
    endpoint = hook.get_endpoint("token-for-the-emulator")
    assert endpoint.url == "http://127.0.0.1:8799/v1.0" and endpoint.credentials is None
    assert endpoint.token == "token-for-the-emulator"
    assert hook.get_conn().token == "emulator"  # the default emulator token
    assert hook.graph_conn_id == "test_emulator"


def test_a_connection_that_would_send_the_token_elsewhere_fails_the_hook(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    connection(monkeypatch, "test_leaky", conn_type="msgraph",
               host="https://evil.example/v1.0", login="app-id", password="s3cret",
               extra={"tenant_id": "00000000-0000-0000-0000-000000000001"})  # fmt: skip
    with pytest.raises(ConnectionError_, match="'test_leaky': host must be a host name"):
        NotesmigGraphHook("test_leaky").get_endpoint()


def test_the_ledger_url_is_masked_in_every_log_line(monkeypatch: pytest.MonkeyPatch) -> None:
    connection(monkeypatch, "test_ledger", conn_type="postgres", host="db.internal",
               port=5432, login="notesmig", password="Hidden-Pass-42", schema="ledger")  # fmt: skip
    url = NotesmigLedgerHook("test_ledger").get_conn()
    assert url == "postgresql+psycopg://notesmig:Hidden-Pass-42@db.internal:5432/ledger"
    logged = redact(f"connecting to {url}")
    assert "Hidden-Pass-42" not in str(logged)


def test_a_sqlite_ledger_connection_and_the_hooks_as_airflow_lists_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    connection(monkeypatch, "notesmig_ledger", conn_type="sqlite", host="/data/ledger.sqlite3")
    assert NotesmigLedgerHook().get_uri() == "sqlite:////data/ledger.sqlite3"
    # What Airflow's connection form reads from a hook class.
    assert (NotesmigLedgerHook.conn_type, NotesmigLedgerHook.default_conn_name,
            NotesmigLedgerHook.conn_name_attr) == ("postgres", "notesmig_ledger", "ledger_conn_id")  # fmt: skip
    assert NotesmigGraphHook.conn_name_attr == "graph_conn_id"
    assert NotesmigGraphHook.hook_name == "Microsoft Graph (notesmig)"


def test_a_missing_connection_is_airflows_not_found() -> None:
    with pytest.raises(Exception) as raised:  # noqa: PT011 - Airflow's class differs by version
        NotesmigGraphHook("test_nowhere").get_endpoint()
    assert type(raised.value).__name__ in ("AirflowNotFoundException", "ConnectionNotFound")
    assert "test_nowhere" in str(raised.value)
