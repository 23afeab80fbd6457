"""Notes databases in a drop folder, migrated into SharePoint Online: one mapped task group each
(extract, transform, validate, load, reconcile, report), then the overall report.

The DAG only wires stages together; all logic is in ``notesmig.pipeline``. XCom carries paths
and counts, never documents. Terminal errors (a wrong mapping, a refused column) fail the task
at once; anything else is retried.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from typing import Any

from airflow.sdk import Param, dag, task, task_group

DEFAULTS = {
    "drop_folder": os.environ.get("NOTESMIG_DROP_FOLDER", "build/demo/sample"),
    "mapping_folder": os.environ.get("NOTESMIG_MAPPINGS", "build/demo/mappings"),
    "work_folder": os.environ.get("NOTESMIG_WORK", "build/demo/stages"),
    "db_url": os.environ.get("NOTESMIG_DB_URL", "sqlite:///build/demo/ledger.sqlite3"),
    "graph_url": os.environ.get("NOTESMIG_GRAPH_URL", "http://127.0.0.1:8765/v1.0"),
    "ru_per_minute": int(os.environ.get("NOTESMIG_RU_PER_MINUTE", "2400")),
    # Slots of the sharepoint_graph pool: load tasks at once, each with its share of the budget.
    "concurrent_loads": int(os.environ.get("NOTESMIG_CONCURRENT_LOADS", "4")),
    # An Airflow connection of type msgraph for a real tenant; empty: the emulator.
    "graph_conn_id": os.environ.get("NOTESMIG_GRAPH_CONN_ID", ""),
}


def _settings(params: dict[str, Any]) -> Any:
    from pathlib import Path

    from notesmig.pipeline import StageSettings
    from notesmig.sharepoint.client import GraphEndpoint
    from notesmig.sharepoint.credentials import GraphCredentials

    credentials = None
    if params.get("graph_conn_id"):
        from airflow.sdk import BaseHook

        connection = BaseHook.get_connection(params["graph_conn_id"])
        credentials = GraphCredentials.from_connection(
            connection.login, connection.password, connection.extra_dejson, connection.host
        )
    url = params["graph_url"] if credentials is None else credentials.graph_url
    return StageSettings(
        work=Path(params["work_folder"]),
        mappings=Path(params["mapping_folder"]),
        ledger_url=params["db_url"],
        graph=GraphEndpoint(url, credentials, os.environ.get("NOTESMIG_GRAPH_TOKEN", "emulator")),
        ru_per_minute=int(params["ru_per_minute"]),
        concurrent_loads=int(params.get("concurrent_loads", 1)),
    )


def _run(stage: str, record: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """Run a notesmig stage on the previous stage's record; only transient errors are retried."""
    from airflow.exceptions import AirflowFailException

    from notesmig.errors import DxlError, is_transient
    from notesmig.pipeline import stages
    from notesmig.records import (
        ExtractedDatabase,
        LoadedDatabase,
        SourceDatabase,
        TransformedDatabase,
        ValidatedDatabase,
    )

    inputs = {
        "extract_database": SourceDatabase,
        "transform_database": ExtractedDatabase,
        "validate_database": TransformedDatabase,
        "load_database": ValidatedDatabase,
        "reconcile_database": LoadedDatabase,
    }
    try:
        settings = _settings(params)
        result = getattr(stages, stage)(inputs[stage].model_validate(record), settings)
        if isinstance(result, tuple):
            result = result[0]
        if stage == "extract_database":
            broken = [f for f in result.files if f.failed]
            if broken:
                raise DxlError("the export could not be read to its end", _position(broken[0]))
        if stage == "validate_database" and result.stopped:
            from notesmig.validate.stage import ValidationStoppedError, stop_message

            raise ValidationStoppedError(stop_message(result))
        if stage == "reconcile_database" and result.failed:
            from notesmig.reasons import VERDICTS

            found = ", ".join(
                f"{VERDICTS[k][0]} / {VERDICTS[k][1]} {n}"
                for k, n in result.verdicts.items()
                if k not in ("verified", "file-rewritten")
            )
            raise AirflowFailException(
                f"{result.replica_id}: 照合で不一致 / not verified: {found}; "
                f"次回の移行で修復 / the next load repairs {result.repairs}"
            )
        output: dict[str, Any] = result.model_dump(mode="json")
        return output
    except AirflowFailException:
        raise
    except Exception as exc:
        if is_transient(exc):
            raise
        raise AirflowFailException(f"{type(exc).__name__}: {exc}") from exc


def _report(replica_id: str | None, params: dict[str, Any]) -> dict[str, Any]:
    from notesmig.pipeline import stages

    settings = _settings(params)
    if replica_id is None:
        written = stages.report_all(settings)
    else:
        written = stages.report_database(replica_id, settings)
    output: dict[str, Any] = written.model_dump(mode="json")
    return output


def _position(file: Any) -> Any:
    from pathlib import Path

    from notesmig.errors import SourcePosition

    return SourcePosition(Path(file.path))


@dag(
    dag_id="notes_migration",
    description="Lotus Notes (DXL exports) into SharePoint Online lists and libraries",
    schedule=None,
    start_date=datetime(2025, 1, 1),
    catchup=False,
    tags=["notesmig"],
    params={
        name: Param(value, type="integer" if isinstance(value, int) else "string")
        for name, value in DEFAULTS.items()
    },
    default_args={
        "retries": 3,
        "retry_delay": timedelta(seconds=5),
        "retry_exponential_backoff": True,
    },
)
def notes_migration() -> None:
    @task
    def discover(params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        from pathlib import Path

        from notesmig.pipeline import discover_databases

        assert params is not None
        return [
            d.model_dump(mode="json") for d in discover_databases([Path(params["drop_folder"])])
        ]

    @task_group
    def migrate_database(source: dict[str, Any]) -> None:
        @task
        def extract(source: dict[str, Any], params: dict[str, Any] | None = None) -> dict[str, Any]:
            return _run("extract_database", source, params or {})

        @task
        def transform(
            extracted: dict[str, Any], params: dict[str, Any] | None = None
        ) -> dict[str, Any]:
            return _run("transform_database", extracted, params or {})

        @task
        def validate(
            transformed: dict[str, Any], params: dict[str, Any] | None = None
        ) -> dict[str, Any]:
            return _run("validate_database", transformed, params or {})

        @task(pool="sharepoint_graph")
        def load(validated: dict[str, Any], params: dict[str, Any] | None = None) -> dict[str, Any]:
            return _run("load_database", validated, params or {})

        @task(pool="sharepoint_graph")
        def reconcile(
            loaded: dict[str, Any], params: dict[str, Any] | None = None
        ) -> dict[str, Any]:
            return _run("reconcile_database", loaded, params or {})

        # The database's report is written whatever happened before it: held back, stopped
        # and mismatched documents are what auditors most need to see.
        @task(trigger_rule="all_done")
        def report(source: dict[str, Any], params: dict[str, Any] | None = None) -> dict[str, Any]:
            return _report(str(source["key"]), params or {})

        reconciled = reconcile(load(validate(transform(extract(source)))))
        reconciled >> report(source)

    @task(trigger_rule="all_done")
    def overall_report(params: dict[str, Any] | None = None) -> dict[str, Any]:
        return _report(None, params or {})

    migrate_database.expand(source=discover()) >> overall_report()


notes_migration()
