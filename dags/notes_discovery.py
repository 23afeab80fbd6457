"""What is in the drop folder: an inventory of the Notes databases (a JSON record and a page,
Japanese first), a complexity class for each with its reasons, a drafted mapping for each one
that has none (under the mappings folder's ``drafts/``, to be reviewed), and an Asset per
database. ``notes_migration`` offers the databases this inventory lists.

The DAG only wires; the logic is ``notesmig.pipeline.inventory``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from airflow.sdk import Asset, AssetAlias, dag, get_current_context, task

DISCOVERED = AssetAlias("notesmig-discovered-databases")


@dag(
    dag_id="notes_discovery",
    description="Inventory of the Notes databases in the drop folder, with drafted mappings",
    schedule=None,
    start_date=datetime(2025, 1, 1),
    catchup=False,
    tags=["notesmig"],
    max_active_runs=1,
)
def notes_discovery() -> None:
    @task(outlets=[DISCOVERED])
    def inventory() -> dict[str, Any]:
        from airflow.exceptions import AirflowFailException

        from notesmig.errors import is_transient
        from notesmig.hooks.deployment import folder, work_folder
        from notesmig.pipeline.inventory import take_inventory, write_inventory

        mappings = folder("NOTESMIG_MAPPINGS", "build/demo/mappings")
        try:
            found = take_inventory(
                folder("NOTESMIG_DROP_FOLDER", "build/demo/sample"), mappings, mappings / "drafts"
            )
            path = write_inventory(found, work_folder() / "inventory")
        except Exception as exc:
            if is_transient(exc):
                raise
            raise AirflowFailException(f"{type(exc).__name__}: {exc}") from exc
        events = get_current_context()["outlet_events"][DISCOVERED]
        for database in found.databases:
            events.add(
                Asset(
                    name=f"notes-db-{database.key}", uri=f"x-notesmig://databases/{database.key}"
                ),
                extra={
                    "title": database.title,
                    "documents": database.documents,
                    "complexity": database.complexity,
                },
            )
        return {
            "inventory": str(path),
            "databases": len(found.databases),
            "drafted": sum(1 for d in found.databases if d.draft),
        }

    inventory()


notes_discovery()
