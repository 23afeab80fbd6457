"""The columns of each list: stored in order, cached, given their internal names.

What a column definition may say, and what values it takes, is ``columns``; this module keeps
which columns each list has. A column's internal name is encoded from the name asked for
(``Notes UNID`` -> ``Notes_x0020_UNID``, cut to 32 characters) and numbered when the list
already has it (``Title`` -> ``Title0``); a list holds at most ``MAX_COLUMNS_PER_LIST`` columns.
"""

from __future__ import annotations

import json
import sqlite3
from typing import TYPE_CHECKING, Any

from notesmig.emulator.columns import Column, parse_column
from notesmig.emulator.graph_errors import GraphError, bad_request
from notesmig.spfacts.limits import LIST_VIEW_THRESHOLD, MAX_COLUMNS_PER_LIST
from notesmig.spfacts.names import encode_internal_name

if TYPE_CHECKING:
    from notesmig.emulator.lists import ListRow
    from notesmig.emulator.tenant import Tenant


class ListColumns:
    """Every list's columns, read once and cached (a rolled-back transaction drops the cache:
    see ``forget_all``)."""

    def __init__(self, tenant: Tenant) -> None:
        self._tenant = tenant
        self.db: sqlite3.Connection = tenant.db
        self._cache: dict[str, list[Column]] = {}

    def columns(self, list_id: str) -> list[Column]:
        cached = self._cache.get(list_id)
        if cached is None:
            rows = self.db.execute(
                "SELECT body FROM columns WHERE list_id = ? ORDER BY position", (list_id,)
            )
            cached = [Column(**json.loads(r["body"])) for r in rows]
            self._cache[list_id] = cached
        return cached

    def forget_all(self) -> None:
        self._cache.clear()

    def store(self, list_id: str, column: Column) -> None:
        """The column added as it is named (past the limit: 400)."""
        known = self.columns(list_id)
        if len(known) >= MAX_COLUMNS_PER_LIST:
            raise bad_request(
                f"The list has {len(known)} columns; no more than {MAX_COLUMNS_PER_LIST} "
                "can be added."
            )
        body = json.dumps(column.__dict__)
        self.db.execute(
            "INSERT INTO columns VALUES (?, ?, ?, ?)", (list_id, len(known), column.name, body)
        )
        # The cache grows with the table (a rolled-back transaction drops every cache).
        known.append(column)

    def add(self, list_id: str, column: Column, requested: str) -> Column:
        """The column added under the internal name of ``requested``, numbered if taken."""
        taken = {c.name.lower() for c in self.columns(list_id)}
        internal = encode_internal_name(requested)
        candidate, counter = internal, 0
        while candidate.lower() in taken:
            candidate = f"{internal[: 31 - len(str(counter))]}{counter}"
            counter += 1
        column.name = candidate
        self.store(list_id, column)
        return column

    def create_column(self, row: ListRow, body: Any) -> dict[str, Any]:
        """A column as Graph's ``POST .../lists/{id}/columns`` creates it."""
        column, requested = parse_column(body)
        if any(c.display_name.lower() == column.display_name.lower() for c in self.columns(row.id)):
            raise GraphError(
                409,
                "nameAlreadyExists",
                f"A field with the name '{column.display_name}' already exists.",
            )
        if column.facet == "lookup":
            self._tenant.get_list(row.site_id, str(column.settings["listId"]))
        if column.indexed and self._tenant._live_count(row.id) > LIST_VIEW_THRESHOLD:
            raise bad_request("The list is over the list view threshold; it cannot be indexed now.")
        return self.add(row.id, column, requested).as_graph()

    def drop(self, list_id: str) -> None:
        """Every column of a deleted list."""
        self.db.execute("DELETE FROM columns WHERE list_id = ?", (list_id,))
        self._cache.pop(list_id, None)
