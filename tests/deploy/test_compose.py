"""docker-compose.yml and the Dockerfile: valid against the Compose specification, and the
production shape the README promises (Docker itself cannot run on the test machines)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT.parent / "shared" / "specs" / "compose-spec.json"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text("utf-8"))
    return loaded


def test_valid_against_the_compose_specification(compose: dict[str, Any]) -> None:
    if not SPEC.is_file():
        pytest.skip(f"the Compose specification is not at {SPEC} (../shared is absent)")
    schema = json.loads(SPEC.read_text(encoding="utf-8"))
    errors = sorted(
        jsonschema.Draft7Validator(schema).iter_errors(compose), key=lambda e: list(e.path)
    )
    assert [f"{list(e.path)}: {e.message}" for e in errors] == []


def test_the_celery_shape_with_the_emulator(compose: dict[str, Any]) -> None:
    services = compose["services"]
    commands = {name: s.get("command") for name, s in services.items()}
    assert commands["airflow-apiserver"] == "api-server"
    assert commands["airflow-scheduler"] == "scheduler"
    assert commands["airflow-dag-processor"] == "dag-processor"
    assert commands["airflow-triggerer"] == "triggerer"
    workers = [n for n, c in commands.items() if c == "celery worker"]
    assert len(workers) == 2
    assert len({services[w]["hostname"] for w in workers}) == 2
    assert {"postgres", "redis", "airflow-init", "emulator"} <= set(services)
    for name in ("airflow-scheduler", *workers):
        env = services[name]["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
        assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg://")
        assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC"].startswith(
            "postgresql+psycopg_async://"
        )
        assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://redis:6379")
        # Folders from configuration, the ledger through a connection, no Graph credentials.
        assert {"NOTESMIG_DROP_FOLDER", "NOTESMIG_MAPPINGS", "NOTESMIG_WORK"} <= set(env)
        assert "AIRFLOW_CONN_NOTESMIG_LEDGER" in env
        assert not any("SECRET" in k and "NOTESMIG" in k for k in env)
        mounts = {re.sub(r"^.*?:(/[^:]+)(:ro)?$", r"\1", v) for v in services[name]["volumes"]}
        assert {"/data/drop", "/data/mappings", "/data/work"} <= mounts
    # The ledger's password is the one the init script gives its role.
    ledger = services["airflow-scheduler"]["environment"]["AIRFLOW_CONN_NOTESMIG_LEDGER"]
    assert "${NOTESMIG_LEDGER_PASSWORD:-notesmig}" in ledger
    assert "NOTESMIG_LEDGER_PASSWORD" in services["postgres"]["environment"]
    assert "AIRFLOW__API__SECRET_KEY" in services["airflow-apiserver"]["environment"]
    assert "--users /data/drop/users.csv" in services["emulator"]["command"][2]
    # The pool Graph tasks use is created before anything runs.
    assert "pools set sharepoint_graph" in services["airflow-init"]["command"][1]


def test_the_image_installs_the_locked_dependencies() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    bases = re.findall(r"^ARG AIRFLOW_IMAGE=(\S+)", dockerfile, re.MULTILINE)
    assert bases and bases[0].startswith("apache/airflow:3.3.")
    locked = re.search(
        r'name = "apache-airflow"\nversion = "([^"]+)"', (ROOT / "uv.lock").read_text()
    )
    assert locked is not None and bases[0].startswith(f"apache/airflow:{locked.group(1)}-")
    assert "uv export --frozen" in dockerfile and "npm ci" in dockerfile
    assert "COPY --chown=airflow:root plugins /opt/airflow/plugins" in dockerfile
    for copied in ("vendor/datadocs/package-lock.json", "uv.lock", "dags", "plugins", "src"):
        assert copied in dockerfile and (ROOT / copied).exists()
    assert "COPY --chown=airflow:root schemas /opt/notesmig/schemas" in dockerfile
    assert "chown -R 50000:0 /data" in dockerfile  # the volumes' mount points are writable
    init = (ROOT / "docker" / "postgres-init.sh").read_text(encoding="utf-8")
    assert "NOTESMIG_LEDGER_PASSWORD" in init
