"""Where each stage of one database writes: one folder per database, named by its replica id.

``<work>/<REPLICA>/extract`` (documents.jsonl, blobs/, summary.json), ``.../transformed``,
``.../validation``, ``.../reconcile`` and ``.../report``. The replica id is the key because it
is what identifies a Notes database: two exports with the same file name in different folders
are different databases, and two exports of one database are one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from notesmig.errors import TerminalError

_KEY = re.compile(r"^[0-9A-Za-z_-]{1,64}$")


class LayoutError(TerminalError, ValueError):
    """A database key that cannot name a folder."""


@dataclass(frozen=True)
class DatabaseLayout:
    work: Path
    key: str

    def __post_init__(self) -> None:
        if not _KEY.match(self.key):
            raise LayoutError(f"{self.key!r} is not a replica id (16 hex digits) or file key")

    @property
    def root(self) -> Path:
        return self.work / self.key

    @property
    def extract(self) -> Path:
        return self.root / "extract"

    @property
    def transformed(self) -> Path:
        return self.root / "transformed"

    @property
    def validation(self) -> Path:
        return self.root / "validation"

    @property
    def reconcile(self) -> Path:
        return self.root / "reconcile"

    @property
    def report(self) -> Path:
        return self.root / "report"
