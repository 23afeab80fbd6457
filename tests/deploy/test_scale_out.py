"""The migration on a real Airflow deployment: CeleryExecutor with two workers on PostgreSQL
and Redis, the DAGs as the dag-processor parses them, the Migration view behind Airflow's auth.

One deployment, one test, its steps in order (each builds on the one before, so they cannot be
tests of their own that xdist might run apart): the discovery feeds the trigger form, the
Migration view refuses anonymous requests, the team triggers a dry run in the browser, the whole
sample is migrated across both workers and read back from SharePoint, equal to a single-process
run, and the ledger's password is found nowhere.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from notesmig.ledger import Ledger
from notesmig.sample.corpus import SampleFile
from notesmig.ui.progress import migration_progress, waves_of
from tests.browser import ARTIFACTS, browser_page
from tests.deploy.cluster import WORKERS, Cluster, airflow_cluster
from tests.migration import emulator_for, mappings_for, migrate, read_back
from tests.services import PG_HOST, PG_PORT, postgres_database

pytestmark = pytest.mark.slow
SECRET = "Zq9-ledger-secret-41f7"
KEYS = ["1E9675FC9921B17D", "4BFEA2B6D741A32A", "58D6B8A63270688E", "B82634FA404574D2"]


class Deployment:
    def __init__(self, cluster: Cluster, work: Path, ledger_url: str, graph_url: str) -> None:
        self.cluster, self.work, self.ledger_url, self.graph_url = (
            cluster, work, ledger_url, graph_url)  # fmt: skip

    def trigger(self, dag_id: str, conf: dict[str, Any] | None = None) -> str:
        with self.cluster.api() as api:
            response = api.post(f"/dags/{dag_id}/dagRuns",
                                json={"logical_date": None, "conf": conf or {}})  # fmt: skip
            assert response.status_code == 200, response.text
            return str(response.json()["dag_run_id"])


@pytest.fixture
def deployment(
    sample_corpus: list[SampleFile], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployment]:
    base = tmp_path_factory.mktemp("cluster")
    mappings = mappings_for(sample_corpus, base / "mappings")
    with (
        postgres_database("nm_ledger") as ledger_db,
        emulator_for(base, sample_corpus) as emulator,
    ):
        # The ledger behind a connection with a password (trust auth accepts any): the last
        # test proves the password reached no log, XCom, rendered field, report or record.
        ledger_url = f"postgresql+psycopg://postgres:{SECRET}@{PG_HOST}:{PG_PORT}/{ledger_db}"
        ledger_conn = {"conn_type": "postgres", "host": PG_HOST, "port": PG_PORT,
                       "login": "postgres", "password": SECRET, "schema": ledger_db}  # fmt: skip
        with airflow_cluster(
            base / "airflow",
            NOTESMIG_DROP_FOLDER=str(sample_corpus[0].path.parent),
            NOTESMIG_MAPPINGS=str(mappings),
            NOTESMIG_WORK=str(base / "work"),
            AIRFLOW_CONN_NOTESMIG_LEDGER=json.dumps(ledger_conn),
            NOTESMIG_GRAPH_URL=emulator.graph_url,
            # A budget every worker paces against (through the ledger), high enough not to
            # dominate the test's time.
            NOTESMIG_RU_PER_MINUTE="60000",
        ) as cluster:
            yield Deployment(cluster, base / "work", ledger_url, emulator.graph_url)


def _the_discovery_feeds_the_trigger_form(deployment: Deployment) -> None:
    run = deployment.trigger("notes_discovery")
    assert deployment.cluster.wait_for_run(run, 300) == "success"
    assert (deployment.work / "inventory" / "inventory.json").is_file()
    # Asked to parse the migration DAG again (the UI's reparse button does the same), the
    # dag-processor reads the new inventory and the form offers the four databases.
    with deployment.cluster.api() as api:
        token = api.get("/dags/notes_migration/details").json()["file_token"]
        assert api.put(f"/parseDagFile/{token}").status_code in (200, 201)
    deadline = time.monotonic() + 120
    offered: list[str] = []
    while time.monotonic() < deadline:
        with deployment.cluster.api() as api:
            details = api.get("/dags/notes_migration/details").json()
        offered = details["params"]["databases"]["value"]
        if offered == KEYS:
            break
        time.sleep(3)
    assert offered == KEYS
    assets = {r[0] for r in deployment.cluster.query("SELECT name FROM asset")}
    assert {f"notes-db-{key}" for key in KEYS} <= assets


def _the_migration_view_needs_airflow_login(deployment: Deployment) -> None:
    url = f"{deployment.cluster.url}/notesmig/"
    assert httpx.get(url).status_code in (401, 403)
    assert httpx.get(f"{url}api/progress").status_code in (401, 403)
    assert httpx.get(f"{url}reports/index.html").status_code in (401, 403)
    headers = {"Authorization": f"Bearer {deployment.cluster.token()}"}
    page = httpx.get(url, headers=headers)
    assert page.status_code == 200 and "Notes 移行の進捗" in page.text
    with deployment.cluster.api() as api:
        plugins = api.get("/plugins").json()["plugins"]
    views = [v for p in plugins if p["name"] == "notesmig" for v in p["external_views"]]
    assert [(v["name"], v["href"]) for v in views] == [
        ("Notes 移行 / Notes migration", "/notesmig/")
    ]


def _log_in(page: Any, url: str) -> None:
    from tests.deploy.cluster import PASSWORD, USER

    page.goto(url)
    page.wait_for_load_state("networkidle")
    page.get_by_role("textbox", name="username").fill(USER)
    page.get_by_role("textbox", name="password").fill(PASSWORD)
    page.get_by_role("textbox", name="password").press("Enter")
    page.wait_for_load_state("networkidle")


def _the_team_triggers_a_dry_run_from_the_form(deployment: Deployment) -> None:
    """In Chromium, as a member of the team: the form in Japanese, the four databases offered,
    a dry run triggered, then the Migration view in Airflow's menu with the ledger's numbers."""
    cluster = deployment.cluster
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    requests: list[str] = []
    with browser_page(requests) as page:
        _log_in(page, f"{cluster.url}/dags/notes_migration")
        # Airflow's UI follows the browser's language (Japanese here): find by role.
        page.get_by_role("button", name=re.compile("トリガー|Trigger")).first.click()
        form = page.get_by_role("dialog")
        form.get_by_text("掲示板 (1E9675FC9921B17D)", exact=True).wait_for()
        text = form.inner_text()
        for label in ("移行するデータベース / Databases to migrate", "ウェーブ / Wave",
                      "試行（SharePoint に書き込まない） / Dry run (no writes to SharePoint)",
                      "移行先サイト / Target site"):  # fmt: skip
            assert label in text
        for offered in ("掲示板 (1E9675FC9921B17D)", "火災ごみ減免申請 (4BFEA2B6D741A32A)",
                        "文書ライブラリ (58D6B8A63270688E)", "出張申請 (B82634FA404574D2)"):  # fmt: skip
            assert offered in text
        # A rehearsal of one database: the others' chips removed (each chip's own button).
        for chip in ("掲示板 (1E9675FC9921B17D)", "火災ごみ減免申請 (4BFEA2B6D741A32A)",
                     "出張申請 (B82634FA404574D2)"):  # fmt: skip
            form.get_by_text(chip, exact=True).locator("xpath=..").get_by_role("button").click()
        form.get_by_role("textbox").first.fill("R7-rehearsal")
        dry_run = form.get_by_role("checkbox").first
        # The switch's input is hidden behind its drawn control: click the control (its label).
        dry_run.locator("xpath=ancestor::label[1]").click()
        assert dry_run.is_checked()
        page.screenshot(path=str(ARTIFACTS / "trigger-form.png"), full_page=True)
        trigger = form.get_by_role("button", name=re.compile("トリガー|Trigger")).last
        assert trigger.is_enabled()  # the form is valid as offered: nothing to type
        trigger.click()
        deadline = time.monotonic() + 60
        runs: list[tuple[Any, ...]] = []
        while time.monotonic() < deadline and not runs:
            runs = cluster.query(
                "SELECT run_id, conf FROM dag_run WHERE dag_id = 'notes_migration'"
            )
            time.sleep(1)
        assert len(runs) == 1
        run_id, conf = runs[0]
        assert conf["dry_run"] is True and conf["wave"] == "R7-rehearsal"
        assert conf["databases"] == ["58D6B8A63270688E"]
        assert cluster.wait_for_run(run_id, 600) == "success"
        states = dict(cluster.query(
            "SELECT task_id, string_agg(DISTINCT state, ',') FROM task_instance "
            "WHERE run_id = %s GROUP BY task_id", run_id))  # fmt: skip
        assert states["migrate_database.load"] == "skipped"
        assert states["migrate_database.reconcile"] == "skipped"
        assert states["migrate_database.validate"] == "success"
        assert states["overall_report"] == "success"

        # The Migration view, from Airflow's own menu.
        page.goto(f"{cluster.url}/")
        page.wait_for_load_state("networkidle")
        page.get_by_role("button", name=re.compile("閲覧|Browse")).click()
        page.get_by_role("menuitem", name="Notes 移行 / Notes migration").click()
        page.wait_for_url(re.compile(r"/plugin/notesmig$"))
        view = page.frame_locator("iframe").first
        view.get_by_role("heading", name="Notes 移行の進捗").wait_for()
        total = view.locator('tfoot tr[data-replica="*"]')
        # After the dry run: the library's 12 documents and 16 files in the ledger, all
        # waiting (nothing is in SharePoint yet), none held back.
        row = view.locator('tbody tr[data-replica="58D6B8A63270688E"]')
        assert row.locator('[data-figure="documents"]').inner_text() == "12"
        assert row.locator('[data-figure="waiting"]').inner_text() == "12"
        assert row.locator('[data-figure="verified"]').inner_text() == "0"
        assert row.locator('[data-figure="held"]').inner_text() == "0"
        assert row.locator('[data-figure="files"]').inner_text() == "0 / 16"
        assert total.locator('[data-figure="documents"]').inner_text() == "12"
        page.screenshot(path=str(ARTIFACTS / "migration-view.png"), full_page=True)
    # Nothing on the pages came from another host (blob: and data: URLs are the page's own).
    own = (cluster.url, f"blob:{cluster.url}", "data:")
    assert [r for r in requests if not r.startswith(own)] == []


def _normalised(items: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """Item fields without what SharePoint assigns (ids, etags, lookup ids of people and
    parents, item ids in the links the link pass wrote)."""
    volatile = re.compile(r"^(id|@odata.*|.*LookupId|_.*|ContentType|Edit|LinkTitle.*)$")

    def steady(value: Any) -> Any:
        return re.sub(r"DispForm\.aspx\?ID=\d+", "DispForm.aspx?ID=*", value) if isinstance(
            value, str) else value  # fmt: skip

    return {
        title: sorted(
            (
                {k: steady(v) for k, v in fields.items() if not volatile.match(k)}
                for fields in entries
            ),
            key=lambda f: str(f.get("NotesUNID")),
        )
        for title, entries in items.items()
    }


def _files(files: dict[str, list[dict[str, Any]]]) -> set[tuple[str, str, int, str, str]]:
    return {
        (
            library,
            f["name"],
            f["size"],
            f["file"]["hashes"]["quickXorHash"],
            f["listItem"]["fields"]["NotesUNID"],
        )
        for library, entries in files.items()
        for f in entries
    }


def _the_migration_runs_on_both_workers_and_equals_one_process(
    deployment: Deployment, sample_corpus: list[SampleFile], tmp_path: Path
) -> None:
    cluster = deployment.cluster
    run = deployment.trigger("notes_migration", {"databases": KEYS, "wave": "W1"})
    state = cluster.wait_for_run(run, 900)
    failed = cluster.query(
        "SELECT task_id, map_index, state FROM task_instance WHERE run_id = %s AND state <> 'success'",
        run,
    )
    assert state == "success", f"{failed}\n{cluster.logs_tail()}"
    hosts = cluster.query(
        "SELECT hostname, count(*) FROM task_instance WHERE run_id = %s GROUP BY hostname", run
    )
    # Both workers ran tasks of the run (the scheduler spread the mapped groups).
    assert {h for h, _n in hosts} == set(WORKERS), hosts
    mapped = cluster.query(
        "SELECT count(*) FROM task_instance WHERE run_id = %s AND task_id LIKE 'migrate_database.%%'",
        run,
    )
    assert mapped == [(4 * 6,)]

    ledger = Ledger(deployment.ledger_url)
    status = {s.title: s.states for s in ledger.status()}
    with ledger.session() as session:
        from sqlalchemy import select

        from notesmig.ledger.models import Budget, Run

        buckets = session.execute(select(Budget.name, Budget.used)).all()
        loads = session.execute(
            select(Run.counts).where(Run.stage == "load", Run.status == "success")
        ).all()
    ledger.close()
    assert {t: s.get("verified", 0) for t, s in status.items()} == {
        "掲示板": 40, "文書ライブラリ": 12, "出張申請": 17, "火災ごみ減免申請": 10}  # fmt: skip
    # One tenant, one bucket: every worker's load spent from it, and it counted all of them.
    assert [name for name, _used in buckets] == ["contoso.sharepoint.com"]
    assert len(loads) == 4
    assert buckets[0][1] >= sum(int(c["resource_units"]) for (c,) in loads) > 0

    progress = migration_progress(Ledger(deployment.ledger_url))
    assert waves_of(progress) == {"W1": 82}  # held-back documents too: the wave met them
    assert progress.throughput.runs == 4 and progress.throughput.documents == 79
    evidence = json.loads((deployment.work / "report" / "evidence.json").read_text("utf-8"))
    assert {d["title"]: d["outcomes"]["verified"] for d in evidence["databases"]} == {
        "掲示板": 40, "文書ライブラリ": 12, "出張申請": 17, "火災ごみ減免申請": 10}  # fmt: skip
    assert all(d["balanced"] for d in evidence["databases"])
    assert all((deployment.work / key / "report" / "index.html").is_file() for key in KEYS)

    items, files = read_back(deployment.graph_url)
    # The same sample, migrated by one process into another emulator.
    mappings = mappings_for(sample_corpus, tmp_path / "mappings")
    with emulator_for(tmp_path, sample_corpus, "--ru-per-minute", "0") as single:
        migrate([s.path for s in sample_corpus], mappings, tmp_path / "work",
                graph_url=single.graph_url, db_url=f"sqlite:///{tmp_path / 'l.sqlite3'}")  # fmt: skip
        single_items, single_files = read_back(single.graph_url)
    assert sum(len(v) for v in items.values()) == 79
    assert _normalised(items) == _normalised(single_items)
    assert _files(files) == _files(single_files) and len(_files(files)) == 16 + 35


def _the_ledger_password_appears_nowhere(deployment: Deployment) -> None:
    """After every run above: the password of the ledger's connection is in no row of Airflow's
    metadata database (XCom, rendered templates, run conf, audit log, ...), no task or component
    log, no report, stage record or inventory."""
    cluster = deployment.cluster
    tables = [r[0] for r in cluster.query(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")]  # fmt: skip
    assert {"xcom", "rendered_task_instance_fields", "dag_run", "log"} <= set(tables)
    assert cluster.query("SELECT count(*) FROM xcom")[0][0] > 0
    leaks = [t for t in tables
             if cluster.query(f'SELECT count(*) FROM "{t}" r WHERE r::text LIKE %s',
                              f"%{SECRET}%")[0][0]]  # fmt: skip
    files = [p for folder in (cluster.home, deployment.work) for p in folder.rglob("*")
             if p.is_file() and SECRET.encode() in p.read_bytes()]  # fmt: skip
    assert leaks == [] and files == []
    assert any((cluster.home / "logs").rglob("*.log"))  # the task logs were there to search


def test_a_deployment_from_discovery_to_a_scaled_out_migration(
    deployment: Deployment, sample_corpus: list[SampleFile], tmp_path: Path
) -> None:
    _the_discovery_feeds_the_trigger_form(deployment)
    _the_migration_view_needs_airflow_login(deployment)
    _the_team_triggers_a_dry_run_from_the_form(deployment)
    _the_migration_runs_on_both_workers_and_equals_one_process(deployment, sample_corpus, tmp_path)
    _the_ledger_password_appears_nowhere(deployment)
