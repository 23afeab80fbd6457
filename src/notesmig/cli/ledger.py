"""The ledger the commands use: its URL and opening it.

Without ``--db-url`` the ledger is ``notesmig-ledger.sqlite3`` in the working directory, named
by its full path. An unusable URL is a message (the password masked) and exit 2. SQLAlchemy
and the ledger's own modules are imported only when a ledger is opened.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from notesmig.cli.render import error

if TYPE_CHECKING:
    from notesmig.ledger import Ledger

LEDGER_FILE = "notesmig-ledger.sqlite3"


def ledger_url(given: str | None) -> str:
    """The ledger URL: the one given, or the SQLite file in the working directory (resolved
    once, so every stage and message names the same file)."""
    if given:
        return given
    return f"sqlite:///{(Path.cwd() / LEDGER_FILE).resolve()}"


def open_ledger(given: str | None) -> Ledger:
    """The ledger, migrated to the current schema; an unusable URL exits 2 with why."""
    from sqlalchemy.exc import ArgumentError, OperationalError  # noqa: PLC0415

    from notesmig.ledger import Ledger  # noqa: PLC0415
    from notesmig.pipeline.settings import mask_url  # noqa: PLC0415

    url = ledger_url(given)
    try:
        ledger = Ledger(url)
        ledger.upgrade()
    except (ArgumentError, ValueError) as exc:
        error(
            "台帳 URL を解釈できません", "the ledger URL cannot be read", f"{mask_url(url)}: {exc}"
        )
        raise typer.Exit(2) from None
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        error("台帳に接続できません", "cannot reach the ledger", f"{mask_url(url)}: {reason}")
        raise typer.Exit(2) from None
    return ledger
