"""The Airflow DAG: it imports cleanly and fast, and a real run migrates the sample."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from notesmig.ledger import Ledger
from notesmig.sample.corpus import SampleFile
from tests.migration import emulator_for, mappings_for, read_back

ROOT = Path(__file__).resolve().parents[2]


def airflow_env(home: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "AIRFLOW_HOME": str(home), "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
           "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"), "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
           "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs")}  # fmt: skip
    env.update(extra)
    return env


def run_python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=600, check=False)  # fmt: skip


def test_the_dag_imports_without_errors_and_parses_fast(tmp_path: Path) -> None:
    done = run_python(
        "import json, os, sys, time\n"
        "import airflow.sdk  # Airflow's own import is not the DAG file's parse time\n"
        "from airflow.dag_processing.dagbag import DagBag\n"
        "started = time.perf_counter()\n"
        "bag = DagBag(dag_folder=os.environ['AIRFLOW__CORE__DAGS_FOLDER'])\n"
        "seconds = time.perf_counter() - started\n"
        "dag = bag.dags['notes_migration']\n"
        "print(json.dumps({'errors': {k: str(v) for k, v in bag.import_errors.items()},\n"
        "                  'dags': sorted(bag.dag_ids), 'seconds': seconds,\n"
        "                  'tasks': sorted(t.task_id for t in dag.tasks),\n"
        "                  'pool': dag.get_task('migrate_database.load').pool,\n"
        "                  'params': sorted(dag.params.keys()),\n"
        "                  'emulator': [m for m in sys.modules if m.startswith('notesmig.emulator')]}))\n",
        airflow_env(tmp_path),
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["errors"] == {} and report["dags"] == ["notes_migration"]
    assert report["seconds"] < 1.0
    assert report["tasks"] == ["discover", "migrate_database.extract", "migrate_database.load",
                               "migrate_database.reconcile", "migrate_database.report",
                               "migrate_database.transform", "migrate_database.validate",
                               "overall_report"]  # fmt: skip
    assert report["pool"] == "sharepoint_graph"
    assert report["emulator"] == []  # production code never imports the emulator
    assert report["params"] == ["concurrent_loads", "db_url", "drop_folder", "graph_conn_id", "graph_url", "mapping_folder", "ru_per_minute", "work_folder"]  # fmt: skip


@pytest.mark.slow
def test_dag_test_migrates_the_sample(sample_corpus: list[SampleFile], tmp_path: Path) -> None:
    mappings = mappings_for(sample_corpus, tmp_path / "mappings")
    ledger_url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    with emulator_for(tmp_path, sample_corpus, "--ru-per-minute", "0") as emulator:
        env = airflow_env(
            tmp_path / "airflow", NOTESMIG_DROP_FOLDER=str(sample_corpus[0].path.parent),
            NOTESMIG_MAPPINGS=str(mappings), NOTESMIG_WORK=str(tmp_path / "work"),
            NOTESMIG_DB_URL=ledger_url, NOTESMIG_GRAPH_URL=emulator.graph_url,
            NOTESMIG_RU_PER_MINUTE="0",  # pacing has its own tests; here it would only wait
        )  # fmt: skip
        airflow = str(Path(sys.executable).with_name("airflow"))
        for command in (
            [airflow, "db", "migrate"],
            [airflow, "pools", "set", "sharepoint_graph", "4", "Graph"],
        ):
            prepared = subprocess.run(
                command, env=env, capture_output=True, text=True, timeout=300, check=False
            )
            assert prepared.returncode == 0, prepared.stderr[-2000:]
        done = run_python(
            "import os\n"
            "from airflow.dag_processing.dagbag import DagBag\n"
            "dag = DagBag(dag_folder=os.environ['AIRFLOW__CORE__DAGS_FOLDER']).dags['notes_migration']\n"
            "run = dag.test()\n"
            "print('STATE', run.state)\n",
            env,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        assert "STATE success" in done.stdout
        items, files = read_back(emulator.graph_url)
    status = {s.title: s for s in Ledger(ledger_url).status()}
    # Loaded, then read back from SharePoint and verified, every one.
    assert {t: s.states.get("verified", 0) for t, s in status.items()} == {
        "掲示板": 40, "文書ライブラリ": 12, "出張申請": 17, "火災ごみ減免申請": 10}  # fmt: skip
    evidence = json.loads((tmp_path / "work" / "report" / "evidence.json").read_text())
    assert {d["title"]: d["outcomes"]["verified"] for d in evidence["databases"]} == {
        "掲示板": 40, "文書ライブラリ": 12, "出張申請": 17, "火災ごみ減免申請": 10}  # fmt: skip
    assert all(d["balanced"] for d in evidence["databases"])
    assert (tmp_path / "work" / "B82634FA404574D2" / "report" / "index.html").is_file()
    # Restricted documents are loaded too, inside audience folders only their readers can open.
    assert {t: len(v) for t, v in items.items()} == {
        "掲示板": 40,
        "文書ライブラリ": 12,
        "出張申請": 17,
        "火災ごみ減免申請": 10,
    }
    assert sum(len(v) for v in files.values()) == 16 + 35
