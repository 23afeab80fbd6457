"""The exceptions notesmig raises, and whether retrying can help.

Every error derives from :class:`NotesmigError`. Whether a retry may help is a marker mixin, as
dlt does it: :class:`Transient` (throttling, a dropped connection, an outage) or
:class:`Terminal` (bad input, a refused request). A marker composes with any built-in base, so
an error can be both a ``ValueError`` and terminal. Airflow's retry policy and the ledger's
quarantine decide on the marker alone (:func:`is_transient`), so a new failure mode only needs
the right bases to be handled correctly everywhere; an error nobody classified is terminal.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path


class NotesmigError(Exception):
    """Root of every error notesmig raises on purpose."""


class Transient:
    """Marker: running the same step again may succeed."""


class Terminal:
    """Marker: the input or the request must change before a retry can succeed."""


class TransientError(NotesmigError, Transient):
    """A failure that a retry may cure (throttling, timeouts, lost connections)."""


class TerminalError(NotesmigError, Terminal):
    """A failure that a retry cannot cure: the input or the request must change."""


def is_transient(exc: BaseException) -> bool:
    """Whether retrying the step that raised ``exc`` may help.

    notesmig's own errors say so by their marker; network failures outside notesmig (a dropped
    connection, a timeout) are transient; anything else (a programming error, a refused
    credential) is not, so a retry never hides it.
    """
    if isinstance(exc, Transient):
        return True
    if isinstance(exc, Terminal | NotesmigError):
        return False
    if isinstance(exc, ConnectionError | TimeoutError):
        return True
    # An httpx or SQLAlchemy error can only exist if its library was imported; looking it up
    # keeps this module light. A lost or busy database connection (a restarted PostgreSQL, a
    # locked SQLite file) is worth another try; a refused password is not.
    httpx = sys.modules.get("httpx")
    if httpx is not None and isinstance(exc, httpx.TransportError):
        return True
    sqlalchemy_exc = sys.modules.get("sqlalchemy.exc")
    if sqlalchemy_exc is None:
        return False
    if isinstance(exc, sqlalchemy_exc.InterfaceError):
        return True
    if isinstance(exc, sqlalchemy_exc.OperationalError):
        # A lost or busy connection, not a refused password or a missing database.
        said = str(exc).lower()
        if any(m in said for m in ("authentication failed", "does not exist", "no such table")):
            return False
        return bool(exc.connection_invalidated) or any(m in said for m in _LOST_CONNECTION)
    return False


#: What a database driver says when a retry may find the connection again.
_LOST_CONNECTION = (
    "database is locked",
    "server closed the connection",
    "connection refused",
    "could not connect",
    "terminating connection",
    "connection reset",
    "timeout",
    "timed out",
)


@dataclass(frozen=True)
class SourcePosition:
    """Where in a source file something happened (1-based line and column, when known)."""

    file: Path
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        where = str(self.file)
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return where


class DxlError(TerminalError):
    """A DXL export that cannot be read (further). Carries the file and place."""

    def __init__(self, message: str, position: SourcePosition) -> None:
        super().__init__(f"{position}: {message}")
        self.reason = message
        self.position = position

    def __reduce__(self) -> tuple[type[DxlError], tuple[str, SourcePosition]]:
        # Raised in the process that reads a large file and re-raised in the parser's.
        return type(self), (self.reason, self.position)


class MalformedDxlError(DxlError):
    """The file is not well-formed XML; documents before the fault were still produced."""


class UnsafeDxlError(DxlError):
    """The file asks for something a DXL export never needs and an attacker would
    (external entities, entity expansion): refused before anything is parsed."""


class EncodingMismatchError(DxlError):
    """The bytes do not match the declared encoding; reading on would produce mojibake."""
