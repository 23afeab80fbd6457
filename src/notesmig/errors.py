"""The exceptions notesmig raises, and whether retrying can help.

Every error derives from :class:`NotesmigError` and is either transient (a retry may succeed:
throttling, a dropped connection) or terminal (retrying cannot help: bad input, a refused
request). Airflow retry policies and the ledger's quarantine decide on that marker alone, so a
new failure mode only needs the right base class to be handled correctly everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class NotesmigError(Exception):
    """Root of every error notesmig raises on purpose."""

    #: Whether running the same step again may succeed.
    transient: bool = False


class TransientError(NotesmigError):
    """A failure that a retry may cure (throttling, timeouts, lost connections)."""

    transient = True


class TerminalError(NotesmigError):
    """A failure that a retry cannot cure: the input or the request must change."""

    transient = False


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


class MalformedDxlError(DxlError):
    """The file is not well-formed XML; documents before the fault were still produced."""


class UnsafeDxlError(DxlError):
    """The file asks for something a DXL export never needs and an attacker would
    (external entities, entity expansion): refused before anything is parsed."""


class EncodingMismatchError(DxlError):
    """The bytes do not match the declared encoding; reading on would produce mojibake."""
