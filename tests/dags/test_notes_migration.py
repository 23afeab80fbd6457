"""The Airflow DAGs: they import cleanly and fast and offer a trigger form a migration team can
fill in. Real runs, on a real deployment, are in ``tests/deploy/test_scale_out.py``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from notesmig.pipeline.inventory import take_inventory, write_inventory
from notesmig.sample.corpus import SampleFile
from tests.migration import mappings_for

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_KEYS = ["1E9675FC9921B17D", "4BFEA2B6D741A32A", "58D6B8A63270688E", "B82634FA404574D2"]


def airflow_env(home: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "AIRFLOW_HOME": str(home), "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
           "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"), "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
           "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs")}  # fmt: skip
    env.update(extra)
    return env


def run_python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=600, check=False)  # fmt: skip


PARSE = (
    "import json, os, sys, time\n"
    "import airflow.sdk  # Airflow's own import is not the DAG files' parse time\n"
    "from airflow.dag_processing.dagbag import DagBag\n"
    "started = time.perf_counter()\n"
    "bag = DagBag(dag_folder=os.environ['AIRFLOW__CORE__DAGS_FOLDER'])\n"
    "seconds = time.perf_counter() - started\n"
    "dag = bag.dags['notes_migration']\n"
    "params = {k: dag.params.get_param(k).dump() for k in dag.params.keys()}\n"
    "print(json.dumps({'errors': {k: str(v) for k, v in bag.import_errors.items()},\n"
    "    'dags': sorted(bag.dag_ids), 'seconds': seconds,\n"
    "    'tasks': sorted(t.task_id for t in dag.tasks),\n"
    "    'pools': {t.task_id: t.pool for t in dag.tasks},\n"
    "    'retries': dag.get_task('migrate_database.load').retries,\n"
    "    'max_active_runs': dag.max_active_runs, 'params': params,\n"
    "    'discovery': sorted(t.task_id for t in bag.dags['notes_discovery'].tasks),\n"
    "    'emulator': [m for m in sys.modules if m.startswith('notesmig.emulator')]},\n"
    "    default=str))\n"
)


def test_the_trigger_form_offers_the_discovered_databases(
    sample_corpus: list[SampleFile], tmp_path: Path
) -> None:
    drop = sample_corpus[0].path.parent
    mappings = mappings_for(sample_corpus, tmp_path / "mappings")
    write_inventory(take_inventory(drop, mappings), tmp_path / "work" / "inventory")
    done = run_python(
        PARSE, airflow_env(tmp_path / "airflow", NOTESMIG_WORK=str(tmp_path / "work"))
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["errors"] == {} and report["dags"] == [
        "notes_delta_sync",
        "notes_discovery",
        "notes_migration",
    ]
    assert report["seconds"] < 1.0
    assert report["tasks"] == ["discover", "migrate_database.extract", "migrate_database.load",
                               "migrate_database.reconcile", "migrate_database.report",
                               "migrate_database.transform", "migrate_database.validate",
                               "overall_report"]  # fmt: skip
    assert report["discovery"] == ["inventory"]
    graph_tasks = {t for t, pool in report["pools"].items() if pool == "sharepoint_graph"}
    assert graph_tasks == {"migrate_database.load", "migrate_database.reconcile"}
    assert report["max_active_runs"] == 1 and report["retries"] == 3
    assert report["emulator"] == []  # production code never imports the emulator
    params = report["params"]
    # No paths, URLs or credentials to type: what to migrate, the wave, a dry run, the site.
    assert sorted(params) == ["databases", "dry_run", "site", "wave"]
    databases = params["databases"]
    assert databases["value"] == SAMPLE_KEYS
    assert databases["schema"]["examples"] == SAMPLE_KEYS
    assert databases["schema"]["values_display"]["B82634FA404574D2"] == (
        "出張申請 (B82634FA404574D2)"
    )
    for name, param in params.items():
        title, description = param["schema"]["title"], param["schema"]["description_md"]
        assert " / " in title and " / " in description, name  # Japanese, then English
        assert any("\u3040" <= c <= "\u9fff" for c in title), name
    # Optional strings default to None, never "" (the form would disable Trigger).
    assert params["wave"]["value"] is None and params["wave"]["schema"]["type"] == [
        "null",
        "string",
    ]
    assert params["site"]["value"] is None and params["dry_run"]["value"] is False


def test_without_an_inventory_the_form_still_parses(tmp_path: Path) -> None:
    done = run_python(
        PARSE, airflow_env(tmp_path / "airflow", NOTESMIG_WORK=str(tmp_path / "none"))
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["errors"] == {}
    assert report["params"]["databases"]["value"] == []
