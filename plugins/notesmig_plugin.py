"""The Migration view in the Airflow UI: "Notes 移行 / Notes migration" in the navigation, the
ledger's progress per database and wave, the auditors' report and the inventory.

Airflow does not authenticate plugin apps: every route here depends on Airflow's own security
(a user who may read the ``notes_migration`` DAG), so an anonymous request gets 401 or 403. The
logic is ``notesmig.ui``; this file only mounts it.
"""

from __future__ import annotations

import os
from typing import Any

from airflow.api_fastapi.core_api.security import requires_access_dag
from airflow.plugins_manager import AirflowPlugin
from fastapi import Depends

from notesmig.cutoff import parse_cutoff
from notesmig.hooks.deployment import budget_per_minute, ledger_url, server_connection, work_folder
from notesmig.ui.app import ViewSettings, create_app


def _view_settings() -> ViewSettings:
    return ViewSettings(
        ledger_url=ledger_url(server_connection),
        work=work_folder(),
        budget_per_minute=budget_per_minute(),
        cutoff=parse_cutoff(os.environ["NOTESMIG_CUTOFF"])
        if os.environ.get("NOTESMIG_CUTOFF")
        else None,
    )


def _app() -> Any:
    guard = Depends(requires_access_dag("GET", param_dag_id="notes_migration"))
    return create_app(_view_settings, dependencies=[guard])


class NotesmigPlugin(AirflowPlugin):
    name = "notesmig"
    fastapi_apps = [  # noqa: RUF012 (Airflow reads these class attributes)
        {"app": _app(), "url_prefix": "/notesmig", "name": "Notes migration view"}
    ]
    external_views = [  # noqa: RUF012
        {
            "name": "Notes 移行 / Notes migration",
            "href": "/notesmig/",
            "destination": "nav",
            "url_route": "notesmig",
            "category": "browse",
        }
    ]
