"""A deployment's settings, as Airflow tasks take them: folders from configuration (never typed
into a trigger form), Graph and the ledger through Airflow connections (never Params), and what
the run's form chose (wave, target site).

Configuration (environment variables of the Airflow components):

* ``NOTESMIG_DROP_FOLDER``, ``NOTESMIG_MAPPINGS``, ``NOTESMIG_WORK``: where exports arrive,
  where the reviewed mappings are, where stages, inventory and reports go;
* ``NOTESMIG_GRAPH_CONN_ID`` (default ``notesmig_graph``): the ``msgraph`` connection; without
  it, ``NOTESMIG_GRAPH_URL`` may name an emulator (a URL with no credentials, loopback only);
* ``NOTESMIG_LEDGER_CONN_ID`` (default ``notesmig_ledger``): the ledger's connection; without
  it, ``NOTESMIG_DB_URL``; without either, a SQLite file in the work folder;
* ``NOTESMIG_RU_PER_MINUTE`` (default 2,400): the tenant's budget, shared by every worker;
* ``NOTESMIG_CUTOFF`` (e.g. ``R7.6``): the day Notes is switched off (a mapping's ``cutoff``
  wins): the Migration view forecasts against it, ``notes_delta_sync`` syncs until it, and
  after it loads refuse and a final reconcile runs;
* ``NOTESMIG_LINKS_URL`` (default ``http://127.0.0.1:8790/notes-links``): the redirector that
  Notes links to documents not (yet) in SharePoint point at (``notesmig serve-links``, or the
  plugin's ``/notesmig/notes-links`` behind Airflow's login).

Tasks read connections through the Task SDK; the Migration view (in the API server, where no
task runs) through Airflow's secrets backends (``server_connection``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from notesmig.cutoff import parse_cutoff
from notesmig.hooks.connections import ConnectionFields
from notesmig.hooks.connections import ledger_url as connection_ledger_url
from notesmig.links.urls import DEFAULT_REDIRECTOR
from notesmig.pipeline.settings import StageSettings
from notesmig.sharepoint.client import DEFAULT_EMULATOR_URL, GraphEndpoint

GRAPH_CONN_ID = "notesmig_graph"
LEDGER_CONN_ID = "notesmig_ledger"


def folder(name: str, default: str) -> Path:
    return Path(os.environ.get(name, default))


def work_folder() -> Path:
    return folder("NOTESMIG_WORK", "build/demo/stages")


#: Airflow's "not found" differs between its versions; anything else is a real failure.
_NOT_FOUND = ("AirflowNotFoundException", "ConnectionNotFound")


def _connection_exists(conn_id: str) -> bool:
    from airflow.sdk import BaseHook  # noqa: PLC0415

    try:
        BaseHook.get_connection(conn_id)
    except Exception as exc:
        if type(exc).__name__ in _NOT_FOUND:
            return False
        raise
    return True


def server_connection(conn_id: str) -> ConnectionFields | None:
    """A connection as the API server sees it (environment, secrets backend, metadata DB)."""
    from airflow.models.connection import Connection  # noqa: PLC0415

    try:
        found = Connection.get_connection_from_secrets(conn_id)
    except Exception as exc:
        if type(exc).__name__ in _NOT_FOUND:
            return None
        raise
    return ConnectionFields.of(conn_id, found)


def graph_endpoint() -> GraphEndpoint:
    from notesmig.hooks.airflow import NotesmigGraphHook  # noqa: PLC0415

    conn_id = os.environ.get("NOTESMIG_GRAPH_CONN_ID", GRAPH_CONN_ID)
    token = os.environ.get("NOTESMIG_GRAPH_TOKEN", "emulator")
    if _connection_exists(conn_id):
        return NotesmigGraphHook(conn_id).get_endpoint(token)
    # No connection: an emulator only (a URL without credentials may not leave the machine).
    return GraphEndpoint(os.environ.get("NOTESMIG_GRAPH_URL", DEFAULT_EMULATOR_URL), None, token)


def ledger_url(lookup: Callable[[str], ConnectionFields | None] | None = None) -> str:
    """The ledger's URL: its connection, else ``NOTESMIG_DB_URL``, else SQLite in the work
    folder. Tasks look the connection up through the Task SDK; ``lookup`` serves elsewhere."""
    conn_id = os.environ.get("NOTESMIG_LEDGER_CONN_ID", LEDGER_CONN_ID)
    if lookup is None:
        from notesmig.hooks.airflow import NotesmigLedgerHook  # noqa: PLC0415

        if _connection_exists(conn_id):
            return NotesmigLedgerHook(conn_id).get_uri()
    else:
        fields = lookup(conn_id)
        if fields is not None:
            return connection_ledger_url(fields)
    url = os.environ.get("NOTESMIG_DB_URL")
    if url:
        from airflow.sdk.log import mask_secret  # noqa: PLC0415

        mask_secret(url)
        return url
    return f"sqlite:///{(work_folder() / 'ledger.sqlite3').resolve()}"


def budget_per_minute() -> int:
    return int(os.environ.get("NOTESMIG_RU_PER_MINUTE", "2400"))


def stage_settings(
    *, run_id: str | None = None, wave: str | None = None, site: str | None = None
) -> StageSettings:
    return StageSettings(
        work=work_folder(),
        mappings=folder("NOTESMIG_MAPPINGS", "build/demo/mappings"),
        ledger_url=ledger_url(),
        graph=graph_endpoint(),
        site=site or None,
        ru_per_minute=budget_per_minute(),
        wave=wave or None,
        shared_budget=True,
        run_id=run_id,
        redirector=os.environ.get("NOTESMIG_LINKS_URL", DEFAULT_REDIRECTOR),
        cutoff=parse_cutoff(os.environ["NOTESMIG_CUTOFF"])
        if os.environ.get("NOTESMIG_CUTOFF")
        else None,
    )
