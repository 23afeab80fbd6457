"""The delta sync DAG run by real Airflow (``airflow dags test``) against the emulator: before
the cutoff a re-export's deletion is recycled and the database reconciled; the first sync after
the cutoff is the last, and its final reconcile freezes the database; then the sync leaves it
alone and a load of it is refused."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import select

from notesmig.ledger import Ledger
from notesmig.ledger.models import Document
from notesmig.pipeline import StageSettings
from notesmig.pipeline.stages import DatabaseFrozenError, load_database
from notesmig.records import ValidatedDatabase
from notesmig.sample.corpus import SampleFile
from notesmig.sharepoint.client import GraphEndpoint
from tests.dags.test_notes_migration import airflow_env
from tests.migration import emulator_for, mappings_for, migrate

DXL = "{http://www.lotus.com/dxl}"
LIBRARY = "58D6B8A63270688E"


def airflow(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(Path(sys.executable).with_name("airflow")), *args], env=env,
                          capture_output=True, text=True, timeout=600, check=False)  # fmt: skip


def task_states(database: Path, dag_id: str) -> dict[str, str]:
    """The states of the latest run's tasks (mapped ones: the first database's)."""
    with sqlite3.connect(database) as connection:
        (run_id,) = connection.execute(
            "SELECT run_id FROM dag_run WHERE dag_id = ? ORDER BY logical_date DESC LIMIT 1",
            (dag_id,),
        ).fetchone()
        return dict(
            connection.execute(
                "SELECT task_id, state FROM task_instance WHERE dag_id = ? AND run_id = ? "
                "AND map_index IN (-1, 0)",
                (dag_id, run_id),
            ).fetchall()
        )


def test_synced_until_the_cutoff_then_frozen(
    sample_corpus: list[SampleFile], tmp_path: Path
) -> None:
    sample = sample_corpus[0].path.parent
    mappings = mappings_for(sample_corpus, tmp_path / "mappings")
    ledger_url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    drop = tmp_path / "drop"
    drop.mkdir()
    library_export = next(s.path for s in sample_corpus if s.title == "文書ライブラリ")
    tree = etree.parse(str(library_export))
    gone = tree.findall(f".//{DXL}document")[3]
    gone_unid = gone.find(f"{DXL}noteinfo").get("unid")
    gone.getparent().remove(gone)
    tree.write(str(drop / "bunsho.dxl"), xml_declaration=True, encoding="UTF-8")
    with emulator_for(tmp_path, sample_corpus, "--ru-per-minute", "0") as emulator:
        migrate([sample], mappings, tmp_path / "work", graph_url=emulator.graph_url,
                db_url=ledger_url)  # fmt: skip
        env = airflow_env(
            tmp_path / "airflow", NOTESMIG_DROP_FOLDER=str(drop), NOTESMIG_MAPPINGS=str(mappings),
            NOTESMIG_WORK=str(tmp_path / "work"), NOTESMIG_DB_URL=ledger_url,
            NOTESMIG_GRAPH_URL=emulator.graph_url, NOTESMIG_RU_PER_MINUTE="0",
            NOTESMIG_CUTOFF=(date.today() + timedelta(days=30)).isoformat(),
        )  # fmt: skip
        assert airflow(env, "db", "migrate").returncode == 0
        airflow(env, "pools", "set", "sharepoint_graph", "4", "Graph calls to one tenant")
        synced = airflow(env, "dags", "test", "notes_delta_sync")
        assert synced.returncode == 0, synced.stderr[-3000:]
        ledger = Ledger(ledger_url)
        with ledger.session() as session:
            deletion = session.scalar(select(Document.deletion).where(Document.unid == gone_unid))
        first_check = ledger.last_checked(LIBRARY)
        assert deletion == "recycled" and first_check is not None

        # After the cutoff: the last sync, its final reconcile freezes the database.
        env["NOTESMIG_CUTOFF"] = (date.today() - timedelta(days=1)).isoformat()
        final = airflow(env, "dags", "test", "notes_delta_sync",
                        (date.today() + timedelta(days=1)).isoformat())  # fmt: skip
        assert final.returncode == 0, final.stderr[-3000:]
        states = task_states(tmp_path / "airflow" / "airflow.db", "notes_delta_sync")
        assert set(states.values()) == {"success"}, states
        last = ledger.last_checked(LIBRARY)
        assert last is not None and last > first_check
        frozen = ledger.frozen_at(LIBRARY)
        assert frozen is not None and frozen >= last
        # Frozen: the sync leaves it alone, and a load is refused (from any DAG or the CLI).
        idle = airflow(env, "dags", "test", "notes_delta_sync",
                       (date.today() + timedelta(days=2)).isoformat())  # fmt: skip
        assert idle.returncode == 0, idle.stderr[-3000:]
        assert ledger.last_checked(LIBRARY) == last
        ledger.close()

        settings = StageSettings(work=tmp_path / "work", mappings=mappings, ledger_url=ledger_url,
                                 graph=GraphEndpoint(emulator.graph_url), ru_per_minute=0)  # fmt: skip
        validated = ValidatedDatabase(
            replica_id=LIBRARY, title="文書ライブラリ", extract_dir=str(tmp_path / "work"),
            transform_dir=str(tmp_path / "work"), validated_dir=str(tmp_path / "work"), rows=0,
            failed_rows=0, expectations=0, failed_expectations=0, max_failure_ratio=0.05,
            stopped=False,
        )  # fmt: skip
        with pytest.raises(DatabaseFrozenError, match="no more changes are loaded"):
            load_database(validated, settings)
