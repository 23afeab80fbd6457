"""Which failures Airflow retries: only those a retry can cure."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import sqlalchemy.exc

from notesmig.errors import (
    DxlError,
    NotesmigError,
    SourcePosition,
    Terminal,
    TerminalError,
    TransientError,
    is_transient,
)
from notesmig.pipeline.running import DatabaseBusyError
from tests.dags.test_notes_migration import airflow_env
from tests.modules import notesmig_modules


class _RefusedValue(ValueError, Terminal):
    pass


@pytest.mark.parametrize(
    ("error", "retried"),
    [
        (TransientError("throttled"), True),
        (DatabaseBusyError("another run loads it"), True),
        (ConnectionResetError("reset by peer"), True),
        (TimeoutError("timed out"), True),
        (httpx.ConnectError("refused"), True),
        (
            sqlalchemy.exc.OperationalError(
                "SELECT 1", {}, Exception("server closed the connection")
            ),
            True,
        ),
        (sqlalchemy.exc.OperationalError("BEGIN", {}, Exception("database is locked")), True),
        (
            sqlalchemy.exc.OperationalError(
                "connect", {}, Exception('FATAL: password authentication failed for user "nm"')
            ),
            False,
        ),
        (
            sqlalchemy.exc.OperationalError("SELECT", {}, Exception("no such table: documents")),
            False,
        ),
        (sqlalchemy.exc.InterfaceError("SELECT 1", {}, Exception("connection closed")), True),
        (TerminalError("bad mapping"), False),
        (DxlError("not XML", SourcePosition(Path("a.xml"), 3, 1)), False),
        (_RefusedValue("refused"), False),
        (sqlalchemy.exc.IntegrityError("INSERT", {}, Exception("duplicate key")), False),
        (KeyError("programming error"), False),
        (PermissionError("bad credential"), False),
    ],
)
def test_only_curable_failures_are_retried(error: BaseException, retried: bool) -> None:
    assert is_transient(error) is retried


def test_every_notesmig_error_has_one_root() -> None:
    assert issubclass(DatabaseBusyError, NotesmigError)
    assert issubclass(_RefusedValue, ValueError)
    assert str(DxlError("not XML", SourcePosition(Path("a.xml"), 3, 1))) == ("a.xml:3:1: not XML")


#: Every exception class a module of notesmig defines, and those outside NotesmigError.
_EXCEPTIONS = """
import importlib, inspect, json, sys
from notesmig.errors import NotesmigError
defined, outside = [], []
for name in json.loads(sys.argv[1]):
    module = importlib.import_module(name)
    for value in vars(module).values():
        if inspect.isclass(value) and issubclass(value, BaseException) and value.__module__ == name:
            defined.append(f"{name}.{value.__qualname__}")
            if not issubclass(value, NotesmigError):
                outside.append(f"{name}.{value.__qualname__}")
print(json.dumps({"defined": defined, "outside": outside}))
"""


def test_every_exception_notesmig_defines_is_a_notesmig_error(tmp_path: Path) -> None:
    """Every module, the emulator's too (its errors are terminal ones of its own, under the same
    root): an error outside NotesmigError has no kind, and is_transient cannot judge it."""
    # A fresh interpreter: importing the Airflow hooks configures Airflow, not for this one.
    done = subprocess.run(
        [sys.executable, "-c", _EXCEPTIONS, json.dumps(notesmig_modules())],
        env=airflow_env(tmp_path / "airflow"), capture_output=True, text=True, timeout=300,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert "notesmig.emulator.config.EmulatorConfigError" in found["defined"]
    assert "notesmig.transform.access.AccessRefused" in found["defined"]
    assert found["outside"] == []
