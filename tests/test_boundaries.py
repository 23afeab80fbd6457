"""Package boundaries: production code never imports the emulator, the emulator never imports
the loader, and the command line starts without the heavy stacks."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


def imported_after(statement: str) -> set[str]:
    """The modules a fresh interpreter holds after running ``statement``."""
    done = subprocess.run(
        [sys.executable, "-c", f"{statement}\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize(
    "statement",
    ["import notesmig.sharepoint.loader", "import notesmig.pipeline",
     "import notesmig.transform.stage", "import notesmig.mapping.suggest"],
)  # fmt: skip
def test_production_code_never_imports_the_emulator(statement: str) -> None:
    modules = imported_after(statement)
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
