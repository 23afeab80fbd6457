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
    # An httpx error can only exist if httpx was imported; looking it up keeps this module light.
    httpx = sys.modules.get("httpx")
    return httpx is not None and isinstance(exc, httpx.TransportError)


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
