"""Which failures Airflow retries: only those a retry can cure."""

from __future__ import annotations

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
