"""Changes in Notes synced into SharePoint until the cutoff: every day, each migrated database's
re-export in the drop folder is synced (new and changed documents loaded, deletions recycled,
kept or reported as its mapping says, links upgraded), then reconciled and reported. The first
sync after a database's cutoff (its mapping's ``cutoff``, else ``NOTESMIG_CUTOFF``) is its
last: its final reconcile, verified, freezes it; its loads then refuse and the sync leaves it.

The DAG only wires stages together; all logic is in ``notesmig``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from airflow.sdk import dag, get_current_context, task, task_group


def _settings() -> Any:
    from notesmig.hooks.deployment import stage_settings

    # No wave: a sync keeps each document's wave as its migration recorded it.
    return stage_settings(run_id=str(get_current_context()["run_id"]))


def _run(stage: str, record: dict[str, Any]) -> dict[str, Any]:
    """Run a notesmig stage on the previous stage's record; only transient errors are retried."""
    from notesmig.hooks.tasks import run_stage

    return run_stage(stage, record, _settings())


@dag(
    dag_id="notes_delta_sync",
    description="Changes in Notes synced into SharePoint daily until the cutoff, then frozen",
    schedule="@daily",
    start_date=datetime(2025, 1, 1),
    catchup=False,
    tags=["notesmig"],
    max_active_runs=1,
    default_args={
        "retries": 3,
        "retry_delay": timedelta(seconds=5),
        "retry_exponential_backoff": True,
    },
)
def notes_delta_sync() -> None:
    @task
    def plan() -> list[dict[str, Any]]:
        from notesmig.hooks.deployment import folder
        from notesmig.ledger import Ledger
        from notesmig.pipeline import discover_databases
        from notesmig.pipeline.sync import SyncMode, plan_sync

        settings = _settings()
        sources = discover_databases([folder("NOTESMIG_DROP_FOLDER", "build/demo/sample")])
        ledger = Ledger(settings.ledger_url)
        try:
            decisions = plan_sync(sources, settings, ledger)
        finally:
            ledger.close()
        return [
            {"source": d.source.model_dump(mode="json"), "mode": str(d.mode),
             "cutoff": d.cutoff.isoformat() if d.cutoff else None}
            for d in decisions
            if d.mode != SyncMode.FROZEN
        ]  # fmt: skip

    @task_group
    def sync_database(entry: dict[str, Any]) -> None:
        @task
        def extract(entry: dict[str, Any]) -> dict[str, Any]:
            return _run("extract_database", entry["source"])

        @task
        def transform(extracted: dict[str, Any]) -> dict[str, Any]:
            return _run("transform_database", extracted)

        @task
        def validate(transformed: dict[str, Any]) -> dict[str, Any]:
            return _run("validate_database", transformed)

        @task(pool="sharepoint_graph")
        def load(validated: dict[str, Any]) -> dict[str, Any]:
            return _run("load_database", validated)

        # SharePoint read back against the ledger; after the last sync past the cutoff, the
        # database is frozen once everything verifies.
        @task(pool="sharepoint_graph")
        def reconcile(entry: dict[str, Any]) -> dict[str, Any]:
            from airflow.exceptions import AirflowFailException

            from notesmig.pipeline import stages

            replica = str(entry["source"]["replica_id"])
            settings = _settings()
            result = stages.reconcile_replica(replica, settings)
            if result.failed:
                raise AirflowFailException(
                    f"{replica}: 照合で不一致 / not verified: {result.verdicts}"
                )
            if entry["mode"] == "final":
                # Past the cutoff, the last changes loaded and everything verified: frozen.
                from notesmig.ledger import Ledger

                ledger = Ledger(settings.ledger_url)
                try:
                    ledger.mark_frozen(replica)
                finally:
                    ledger.close()
            output: dict[str, Any] = result.model_dump(mode="json")
            return output

        @task(trigger_rule="all_done")
        def report(entry: dict[str, Any]) -> dict[str, Any]:
            from notesmig.pipeline import stages

            written = stages.report_database(str(entry["source"]["key"]), _settings())
            output: dict[str, Any] = written.model_dump(mode="json")
            return output

        load(validate(transform(extract(entry)))) >> reconcile(entry) >> report(entry)

    sync_database.expand(entry=plan())


notes_delta_sync()
