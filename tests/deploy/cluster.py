"""A real Airflow deployment for the tests: API server, scheduler, DAG processor and two Celery
workers on the machine's PostgreSQL (a fresh database) and Redis (a queue of its own), with the
SimpleAuthManager and a known password. Every process is stopped when the block ends."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.services import PG_HOST, PG_PORT, postgres_database, require_redis

ROOT = Path(__file__).resolve().parents[2]
AIRFLOW = str(Path(sys.executable).with_name("airflow"))
USER, PASSWORD = "team", "notesmig-team-password"
WORKERS = ("worker-a", "worker-b")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Cluster:
    home: Path
    env: dict[str, str]
    url: str
    metadata_dsn: str
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def log(self, name: str) -> str:
        path = self.home / f"{name}.log"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""

    def logs_tail(self, lines: int = 40) -> str:
        return "\n".join(
            f"--- {name}\n" + "\n".join(self.log(name).splitlines()[-lines:])
            for name in self.processes
        )

    def token(self) -> str:
        response = httpx.post(f"{self.url}/auth/token",
                              json={"username": USER, "password": PASSWORD}, timeout=30)  # fmt: skip
        response.raise_for_status()
        return str(response.json()["access_token"])

    def api(self) -> httpx.Client:
        return httpx.Client(base_url=f"{self.url}/api/v2", timeout=60,
                            headers={"Authorization": f"Bearer {self.token()}"})  # fmt: skip

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        import psycopg

        with psycopg.connect(self.metadata_dsn) as connection:
            return list(connection.execute(sql, params).fetchall())

    def wait_for_run(self, run_id: str, timeout: float = 600) -> str:
        deadline = time.monotonic() + timeout
        state = "queued"
        while time.monotonic() < deadline:
            rows = self.query("SELECT state FROM dag_run WHERE run_id = %s", run_id)
            state = rows[0][0] if rows else "missing"
            if state in ("success", "failed"):
                return state
            self.check_alive()
            time.sleep(3)
        raise AssertionError(f"run {run_id} still {state} after {timeout}s\n{self.logs_tail()}")

    def check_alive(self) -> None:
        dead = {n: p.returncode for n, p in self.processes.items() if p.poll() is not None}
        if dead:
            raise AssertionError(f"Airflow components died: {dead}\n{self.logs_tail()}")

    def start(self, name: str, *command: str, **extra: str) -> None:
        out = (self.home / f"{name}.log").open("wb")
        self.processes[name] = subprocess.Popen(
            [AIRFLOW, *command], env={**self.env, **extra}, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    def stop(self) -> None:
        for process in self.processes.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        for process in self.processes.values():
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)


def _wait_until(check: Any, what: str, cluster: Cluster, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        cluster.check_alive()
        with contextlib.suppress(Exception):
            if check():
                return
        time.sleep(1)
    raise AssertionError(f"{what} not ready after {timeout}s\n{cluster.logs_tail()}")


@contextlib.contextmanager
def airflow_cluster(home: Path, **notesmig: str) -> Iterator[Cluster]:
    """The deployment, its DAGs parsed and both workers listening; ``notesmig`` are the
    NOTESMIG_* settings every component gets."""
    require_redis()
    with postgres_database("nm_airflow") as database:
        home.mkdir(parents=True, exist_ok=True)
        port = free_port()
        dsn = f"postgresql+psycopg://postgres@{PG_HOST}:{PG_PORT}/{database}"
        passwords = home / "passwords.json"
        passwords.write_text(json.dumps({USER: PASSWORD}), encoding="utf-8")
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "AIRFLOW__CORE__HOSTNAME_CALLABLE": "tests.deploy.hostname.worker_hostname",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{USER}:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
            "AIRFLOW__API_AUTH__JWT_SECRET": uuid.uuid4().hex,
            "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": dsn,
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC": dsn.replace(
                "+psycopg:", "+psycopg_async:"
            ),
            "AIRFLOW__CELERY__BROKER_URL": "redis://127.0.0.1:6379/0",
            "AIRFLOW__CELERY__RESULT_BACKEND": f"db+{dsn}",
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": "2",
            # A queue of its own: another deployment on the same Redis never takes its tasks.
            "AIRFLOW__OPERATORS__DEFAULT_QUEUE": f"notesmig-{uuid.uuid4().hex[:8]}",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
            **notesmig,
        }
        for command in (["db", "migrate"], ["pools", "set", "sharepoint_graph", "4", "Graph"]):
            done = subprocess.run([AIRFLOW, *command], env=env, capture_output=True, text=True,
                                  timeout=300, check=False)  # fmt: skip
            assert done.returncode == 0, done.stderr[-2000:]
        cluster = Cluster(home, env, f"http://127.0.0.1:{port}",
                          f"host={PG_HOST} port={PG_PORT} user=postgres dbname={database}")  # fmt: skip
        try:
            cluster.start("api-server", "api-server", "--port", str(port), "--host", "127.0.0.1",
                          "--workers", "1")  # fmt: skip
            cluster.start("scheduler", "scheduler")
            cluster.start("dag-processor", "dag-processor")
            queue = env["AIRFLOW__OPERATORS__DEFAULT_QUEUE"]
            for worker in WORKERS:
                cluster.start(worker, "celery", "worker", "--queues", queue, "--skip-serve-logs",
                              "--celery-hostname", f"{worker}@%h", "--concurrency", "2",
                              NOTESMIG_TEST_HOSTNAME=worker)  # fmt: skip
            _wait_until(lambda: httpx.get(f"{cluster.url}/api/v2/version").status_code == 200,
                        "the API server", cluster)  # fmt: skip
            _wait_until(
                lambda: (
                    {r[0] for r in cluster.query("SELECT dag_id FROM dag")}
                    >= {"notes_discovery", "notes_migration"}
                ),
                "the DAGs",
                cluster,
            )
            for worker in WORKERS:
                _wait_until(lambda w=worker: " ready." in cluster.log(w), f"Celery {worker}",
                            cluster)  # fmt: skip
            yield cluster
        finally:
            cluster.stop()
