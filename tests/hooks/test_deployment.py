"""A deployment's settings as Airflow tasks take them: folders from configuration, Graph and the
ledger from Airflow connections (else an emulator, else NOTESMIG_DB_URL, else SQLite in the work
folder), and what the run's form chose."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from notesmig.hooks import deployment
from notesmig.hooks.connections import ConnectionFields
from notesmig.sharepoint.credentials import CredentialsError

SETTINGS = ("NOTESMIG_DROP_FOLDER", "NOTESMIG_MAPPINGS", "NOTESMIG_WORK", "NOTESMIG_GRAPH_URL",
            "NOTESMIG_GRAPH_TOKEN", "NOTESMIG_GRAPH_CONN_ID", "NOTESMIG_LEDGER_CONN_ID",
            "NOTESMIG_DB_URL", "NOTESMIG_RU_PER_MINUTE", "NOTESMIG_CUTOFF", "NOTESMIG_LINKS_URL",
            "AIRFLOW_CONN_NOTESMIG_GRAPH", "AIRFLOW_CONN_NOTESMIG_LEDGER")  # fmt: skip


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """A deployment configured by nothing but a work folder."""
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NOTESMIG_WORK", str(tmp_path / "work"))
    return monkeypatch


def test_without_connections_an_emulator_and_sqlite_in_the_work_folder(
    env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    endpoint = deployment.graph_endpoint()
    assert (endpoint.url, endpoint.credentials, endpoint.token) == (
        "http://127.0.0.1:8765/v1.0", None, "emulator"
    )  # fmt: skip
    assert deployment.ledger_url() == f"sqlite:///{(tmp_path / 'work' / 'ledger.sqlite3')}"
    assert deployment.budget_per_minute() == 2400
    env.setenv("NOTESMIG_GRAPH_URL", "http://localhost:9999/v1.0")
    env.setenv("NOTESMIG_GRAPH_TOKEN", "t")
    env.setenv("NOTESMIG_DB_URL", "sqlite:///elsewhere.sqlite3")
    env.setenv("NOTESMIG_RU_PER_MINUTE", "600")
    assert (deployment.graph_endpoint().url, deployment.graph_endpoint().token) == (
        "http://localhost:9999/v1.0", "t"
    )  # fmt: skip
    assert deployment.ledger_url() == "sqlite:///elsewhere.sqlite3"
    assert deployment.budget_per_minute() == 600


def test_a_graph_url_without_a_connection_may_not_leave_the_machine(
    env: pytest.MonkeyPatch,
) -> None:
    env.setenv("NOTESMIG_GRAPH_URL", "http://graph.example.org/v1.0")
    with pytest.raises(CredentialsError, match="plain HTTP is only for an emulator"):
        deployment.graph_endpoint()


def test_the_connections_named_by_configuration_win(env: pytest.MonkeyPatch) -> None:
    env.setenv("NOTESMIG_GRAPH_CONN_ID", "tenant_graph")
    env.setenv("AIRFLOW_CONN_TENANT_GRAPH", json.dumps({
        "conn_type": "msgraph", "host": "graph.microsoft.com", "login": "app-id",
        "password": "s3cret", "extra": {"tenant_id": "00000000-0000-0000-0000-000000000001"}}))  # fmt: skip
    env.setenv("NOTESMIG_GRAPH_URL", "http://127.0.0.1:1/v1.0")  # not used: the connection is
    env.setenv("NOTESMIG_LEDGER_CONN_ID", "tenant_ledger")
    env.setenv("AIRFLOW_CONN_TENANT_LEDGER", json.dumps(
        {"conn_type": "postgres", "host": "db", "login": "nm", "password": "pw", "schema": "l"}))  # fmt: skip
    env.setenv("NOTESMIG_DB_URL", "sqlite:///not-used.sqlite3")
    endpoint = deployment.graph_endpoint()
    assert endpoint.url == "https://graph.microsoft.com/v1.0" and endpoint.credentials is not None
    assert deployment.ledger_url() == "postgresql+psycopg://nm:pw@db/l"
    # The Migration view looks connections up as the API server sees them.
    assert deployment.ledger_url(deployment.server_connection) == "postgresql+psycopg://nm:pw@db/l"
    found = deployment.server_connection("tenant_ledger")
    assert found is not None and (found.conn_type, found.host) == ("postgres", "db")
    assert deployment.server_connection("no_such_connection") is None


def test_a_lookup_given_by_the_caller_is_asked_for_the_ledgers_connection(
    env: pytest.MonkeyPatch,
) -> None:
    asked: list[str] = []

    def lookup(conn_id: str) -> ConnectionFields | None:
        asked.append(conn_id)
        return ConnectionFields(conn_id, "sqlite", host="/srv/ledger.sqlite3")

    assert deployment.ledger_url(lookup) == "sqlite:////srv/ledger.sqlite3"
    assert asked == ["notesmig_ledger"]
    env.setenv("NOTESMIG_DB_URL", "sqlite:///fallback.sqlite3")
    assert deployment.ledger_url(lambda _conn_id: None) == "sqlite:///fallback.sqlite3"


def test_stage_settings_from_configuration_and_the_runs_form(
    env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    env.setenv("NOTESMIG_MAPPINGS", str(tmp_path / "mappings"))
    env.setenv("NOTESMIG_CUTOFF", "R7.6")
    env.setenv("NOTESMIG_LINKS_URL", "https://links.example.org/notes/")
    settings = deployment.stage_settings(
        run_id="manual__2025", wave="第1波", site="contoso.sharepoint.com:/sites/wave1"
    )
    assert settings.work == tmp_path / "work" and settings.mappings == tmp_path / "mappings"
    assert settings.ledger_url == f"sqlite:///{tmp_path / 'work' / 'ledger.sqlite3'}"
    assert (settings.run_id, settings.wave, settings.site) == (
        "manual__2025", "第1波", "contoso.sharepoint.com:/sites/wave1"
    )  # fmt: skip
    assert settings.cutoff == date(2025, 6, 30) and settings.shared_budget
    assert settings.redirector == "https://links.example.org/notes"
    assert settings.graph.url == "http://127.0.0.1:8765/v1.0" and settings.ru_per_minute == 2400
    # An empty field of the form means "not chosen", never an empty wave or site.
    blank = deployment.stage_settings(wave="", site="")
    assert (blank.wave, blank.site, blank.run_id) == (None, None, None)
    env.delenv("NOTESMIG_CUTOFF")
    assert deployment.stage_settings().cutoff is None


def test_folders_come_from_configuration_with_the_demos_defaults(
    env: pytest.MonkeyPatch,
) -> None:
    env.delenv("NOTESMIG_WORK")
    assert deployment.work_folder() == Path("build/demo/stages")
    assert deployment.folder("NOTESMIG_DROP_FOLDER", "build/demo/drop") == Path("build/demo/drop")
    env.setenv("NOTESMIG_DROP_FOLDER", "/srv/drop")
    assert deployment.folder("NOTESMIG_DROP_FOLDER", "build/demo/drop") == Path("/srv/drop")
