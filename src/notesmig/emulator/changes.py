"""The tenant's change log: change numbers, and the items changed since one (Graph's delta).

Every write to an item (created, changed, deleted) stamps it with the next number of one
counter for the whole tenant, kept in ``meta``; a delta token is the number current when it
was handed out, so the next delta returns what was stamped after it, deletions included (a
first delta, without a token, leaves deleted items out).
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from notesmig.emulator.lists import ListRow


class ChangeLog:
    """The tenant's change counter, and the changes of a list read back through it."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def next(self) -> int:
        """The next change number, taken (the caller stamps what it writes with it)."""
        row = self.db.execute("SELECT value FROM meta WHERE key = 'change'").fetchone()
        value = int(row["value"]) + 1 if row else 1
        self.db.execute("INSERT OR REPLACE INTO meta VALUES ('change', ?)", (str(value),))
        return value

    def current(self) -> int:
        """The last change number taken (0 before any)."""
        latest = self.db.execute("SELECT value FROM meta WHERE key = 'change'").fetchone()
        return int(latest["value"]) if latest else 0

    def since(
        self, row: ListRow, since: int, after: int, top: int
    ) -> tuple[list[sqlite3.Row], int | None, int]:
        """Items changed after change number ``since`` (deleted ones included), one page."""
        rows = self.db.execute(
            "SELECT * FROM items WHERE list_id = ? AND change > ? AND (? > 0 OR deleted = 0) "
            "AND change > ? ORDER BY change LIMIT ?",
            (row.id, since, since, after, top + 1),
        ).fetchall()
        current = self.current()
        if len(rows) > top:
            return rows[:top], int(rows[top - 1]["change"]), current
        return rows, None, current
