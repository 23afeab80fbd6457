"""Notes databases migrated into SharePoint Online: a trigger form a migration team fills in
(which databases, the wave, a dry run, the target site), then one mapped task group per
database (extract, transform, validate, load, reconcile, report) and the overall report.

The DAG only wires stages together; all logic is in ``notesmig``. Folders come from the
deployment's configuration and Graph and the ledger from Airflow connections
(``notesmig.hooks.deployment``): nothing a user types can send the tenant's token elsewhere or
show the ledger's password. XCom carries paths and counts, never documents. Only transient
errors are retried; anything else fails at once with its reason.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from airflow.sdk import Asset, AssetAlias, Param, dag, get_current_context, task, task_group

WORK = Path(os.environ.get("NOTESMIG_WORK", "build/demo/stages"))
MIGRATED = AssetAlias("notesmig-migrated-databases")


def _discovered() -> dict[str, str]:
    """The databases the discovery found (key -> title), read cheaply at parse time."""
    try:
        data = json.loads((WORK / "inventory" / "inventory.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {d["key"]: d.get("title") or d["key"] for d in data.get("databases", [])}


DISCOVERED = _discovered()


def _context() -> tuple[dict[str, Any], str]:
    context = get_current_context()
    return dict(context["params"]), str(context["run_id"])


def _settings() -> Any:
    from notesmig.hooks.deployment import stage_settings

    params, run_id = _context()
    return stage_settings(run_id=run_id, wave=params.get("wave"), site=params.get("site"))


def _run(stage: str, record: dict[str, Any]) -> dict[str, Any]:
    """Run a notesmig stage on the previous stage's record; only transient errors are retried."""
    from notesmig.hooks.tasks import run_stage

    return run_stage(stage, record, _settings())


def _skip_if_dry_run(what: str) -> None:
    from airflow.exceptions import AirflowSkipException

    params, _run_id = _context()
    if params.get("dry_run"):
        raise AirflowSkipException(f"試行のため{what}しません / dry run: no {what}")


@dag(
    dag_id="notes_migration",
    description="Lotus Notes (DXL exports) into SharePoint Online lists and libraries",
    schedule=None,
    start_date=datetime(2025, 1, 1),
    catchup=False,
    tags=["notesmig"],
    # One run at a time (the ledger's lease per database also keeps the command line out).
    max_active_runs=1,
    params={
        "databases": Param(
            sorted(DISCOVERED),
            type="array",
            items={"type": "string"},
            examples=sorted(DISCOVERED),
            values_display={k: f"{t} ({k})" for k, t in DISCOVERED.items()},
            title="移行するデータベース / Databases to migrate",
            description_md=(
                "受け取りフォルダーで見つかったデータベース（`notes_discovery` の棚卸し）。 / "
                "The databases found in the drop folder (the `notes_discovery` inventory)."
            ),
        ),
        "wave": Param(
            None,
            type=["null", "string"],
            maxLength=64,
            title="ウェーブ / Wave",
            description_md="台帳に記録する移行の波の名前（例 W1）。 / The wave's name (e.g. W1).",
        ),
        "dry_run": Param(
            False,
            type="boolean",
            title="試行（SharePoint に書き込まない） / Dry run (no writes to SharePoint)",
            description_md=(
                "抽出・変換・検証・レポートのみ。 / Extract, transform, validate and report only."
            ),
        ),
        "site": Param(
            None,
            type=["null", "string"],
            pattern=r"^[A-Za-z0-9.-]+:/sites/[^/\s]+$",
            title="移行先サイト / Target site",
            description_md=(
                "`host:/sites/NAME`。空ならマッピングのサイト。 / Empty: each mapping's site."
            ),
        ),
    },
    default_args={
        "retries": 3,
        "retry_delay": timedelta(seconds=5),
        "retry_exponential_backoff": True,
    },
)
def notes_migration() -> None:
    @task
    def discover() -> list[dict[str, Any]]:
        from airflow.exceptions import AirflowFailException

        from notesmig.hooks.deployment import folder
        from notesmig.pipeline import discover_databases

        params, _run_id = _context()
        chosen = list(params.get("databases") or [])
        if not chosen:
            raise AirflowFailException("データベースが選ばれていません / no database was chosen")
        found = {
            d.key: d
            for d in discover_databases([folder("NOTESMIG_DROP_FOLDER", "build/demo/sample")])
        }
        missing = sorted(set(chosen) - set(found))
        if missing:
            raise AirflowFailException(
                "受け取りフォルダーにありません / not in the drop folder: " + ", ".join(missing)
            )
        return [found[key].model_dump(mode="json") for key in sorted(chosen)]

    @task_group
    def migrate_database(source: dict[str, Any]) -> None:
        @task
        def extract(source: dict[str, Any]) -> dict[str, Any]:
            return _run("extract_database", source)

        @task
        def transform(extracted: dict[str, Any]) -> dict[str, Any]:
            return _run("transform_database", extracted)

        @task
        def validate(transformed: dict[str, Any]) -> dict[str, Any]:
            return _run("validate_database", transformed)

        @task(pool="sharepoint_graph")
        def load(validated: dict[str, Any]) -> dict[str, Any]:
            _skip_if_dry_run("移行")
            return _run("load_database", validated)

        @task(pool="sharepoint_graph", outlets=[MIGRATED])
        def reconcile(loaded: dict[str, Any]) -> dict[str, Any]:
            _skip_if_dry_run("照合")
            reconciled = _run("reconcile_database", loaded)
            params, _run_id = _context()
            key = reconciled["replica_id"]
            get_current_context()["outlet_events"][MIGRATED].add(
                Asset(name=f"notes-db-{key}", uri=f"x-notesmig://databases/{key}"),
                extra={"verdicts": reconciled["verdicts"], "wave": params.get("wave")},
            )
            return reconciled

        # The database's report is written whatever happened before it: held back, stopped
        # and mismatched documents are what auditors most need to see.
        @task(trigger_rule="all_done")
        def report(source: dict[str, Any]) -> dict[str, Any]:
            from notesmig.pipeline import stages

            written = stages.report_database(str(source["key"]), _settings())
            output: dict[str, Any] = written.model_dump(mode="json")
            return output

        reconcile(load(validate(transform(extract(source))))) >> report(source)

    @task(trigger_rule="all_done")
    def overall_report() -> dict[str, Any]:
        from notesmig.pipeline import stages

        written = stages.report_all(_settings())
        output: dict[str, Any] = written.model_dump(mode="json")
        return output

    migrate_database.expand(source=discover()) >> overall_report()


notes_migration()
