"""Package boundaries: production code never imports the emulator, the emulator never imports
the loader, and the command line starts without the heavy stacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.dags.test_notes_migration import ROOT, airflow_env
from tests.modules import notesmig_modules


def imported_after(statement: str, env: dict[str, str] | None = None) -> set[str]:
    """The modules a fresh interpreter holds after running ``statement``."""
    done = subprocess.run(
        [sys.executable, "-c", f"{statement}\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"],
        capture_output=True, text=True, timeout=300, check=False, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


#: What Airflow imports of ours: the DAG files and the plugin (the Migration view).
AIRFLOW_FILES = [*sorted((ROOT / "dags").glob("*.py")), ROOT / "plugins" / "notesmig_plugin.py"]


def test_production_code_never_imports_the_emulator(tmp_path: Path) -> None:
    """Every module but the emulator's, and every file Airflow parses, in one interpreter: none
    of them reaches the emulator, at import or through what it imports."""
    production = [m for m in notesmig_modules() if m.split(".")[:2] != ["notesmig", "emulator"]]
    statement = "\n".join(
        [
            "import importlib, importlib.util",
            *(f"importlib.import_module({name!r})" for name in production),
            *(
                f"spec = importlib.util.spec_from_file_location('airflow_file_{n}', {str(path)!r})\n"
                "spec.loader.exec_module(importlib.util.module_from_spec(spec))"
                for n, path in enumerate(AIRFLOW_FILES)
            ),
        ]
    )
    env = airflow_env(tmp_path / "airflow", NOTESMIG_WORK=str(tmp_path / "work"))
    modules = imported_after(statement, env)
    assert set(production) <= modules and "airflow" in modules
    assert not {m for m in modules if m.startswith("notesmig.emulator")}


def test_the_emulator_stands_on_its_own() -> None:
    modules = imported_after("import notesmig.emulator.app, notesmig.emulator.server")
    foreign = {m for m in modules if m.startswith("notesmig.")} - {
        m for m in modules if m.startswith(("notesmig.emulator", "notesmig.spfacts"))
    }
    assert foreign <= {"notesmig.errors"}
    assert not {m for m in modules if m.split(".")[0] in ("airflow", "msgraph", "sqlalchemy")}


HEAVY_STACKS = ("pandas", "sqlalchemy", "alembic", "msgraph", "kiota_abstractions", "uvicorn",
                "fastapi", "great_expectations", "airflow", "httpx")  # fmt: skip


@pytest.mark.parametrize("statement", ["import notesmig.cli", "import notesmig.cli.app"])
def test_the_command_line_starts_without_the_heavy_stacks(statement: str) -> None:
    """Every command (and every Airflow task importing the CLI) would pay for these at start:
    they are imported by the commands that use them."""
    modules = imported_after(statement)
    assert {m.split(".")[0] for m in modules} & set(HEAVY_STACKS) == set()
    assert not {m for m in modules if m.startswith(("notesmig.emulator", "notesmig.ledger"))}
