"""Queries over a list's items: ``$filter`` conditions on ``fields/X``, in id order, a page at
a time.

As on SharePoint, a condition on a column that is not indexed is refused unless the request
says ``Prefer: HonorNonIndexedQueriesWarningMayFailRandomly``, and refused even then when the
list is over the list view threshold (5,000 items). An equality on an indexed column goes
through the index of values (``item_values``).
"""

from __future__ import annotations

import json
import sqlite3
from typing import TYPE_CHECKING, Any

from notesmig.emulator.graph_errors import bad_request
from notesmig.spfacts.limits import LIST_VIEW_THRESHOLD

if TYPE_CHECKING:
    from notesmig.emulator.lists import ListRow
    from notesmig.emulator.tenant import Tenant

#: Items whose indexed column holds a value, through that index. Left to itself, SQLite
#: walked the list in id order (for the ORDER BY) and looked each item's values up: a
#: NotesUNID lookup in a list of 18,000 items took 6 s instead of 0.1 ms, and a $batch of 20
#: of them timed out. The index is named so the plan cannot drift back.
BY_INDEXED_VALUE = (
    "SELECT items.* FROM item_values INDEXED BY item_values_key CROSS JOIN items "
    "ON items.list_id = item_values.list_id AND items.id = item_values.item "
    "WHERE item_values.list_id = ? AND item_values.column = ? AND item_values.value = ? "
    "AND items.deleted = 0 AND items.id > ? ORDER BY items.id"
)


class Queries:
    """Filtered, paged reads of list items."""

    def __init__(self, tenant: Tenant) -> None:
        self._tenant = tenant
        self.db = tenant.db

    def query_items(
        self,
        row: ListRow,
        *,
        conditions: list[tuple[str, str, Any]],
        honor_non_indexed: bool,
        after: int,
        top: int,
    ) -> tuple[list[sqlite3.Row], int | None]:
        """Items matching ``fields/X op value`` conditions, in id order, one page."""
        columns = {c.name: c for c in self._tenant.columns(row.id)}
        for name, _op, _value in conditions:
            column = columns.get(name)
            if column is None:
                raise bad_request(f"Field '{name}' is not recognized")
            if not column.indexed:
                if not honor_non_indexed:
                    raise bad_request(
                        f"Field '{name}' cannot be referenced in filter or orderby as it is not "
                        "indexed. Provide the 'Prefer: "
                        "HonorNonIndexedQueriesWarningMayFailRandomly' header to allow this, "
                        "but be warned that such queries may fail on large lists."
                    )
                if self._tenant._live_count(row.id) > LIST_VIEW_THRESHOLD:
                    raise bad_request(
                        "The attempted operation is prohibited because it exceeds the list view "
                        f"threshold ({LIST_VIEW_THRESHOLD} items) and '{name}' is not indexed."
                    )
        indexed_eq = next(
            ((n, v) for n, op, v in conditions if op == "eq" and columns[n].indexed), None
        )
        if indexed_eq is not None:
            name, value = indexed_eq
            candidates = self.db.execute(BY_INDEXED_VALUE, (row.id, name, json.dumps(value), after))
        elif not conditions:
            # One page (and one more row, to know whether another page follows), not the rest
            # of the list: paging through a large list must not cost the list at every page.
            candidates = self.db.execute(
                "SELECT * FROM items WHERE list_id = ? AND deleted = 0 AND id > ? ORDER BY id "
                "LIMIT ?",
                (row.id, after, top + 1),
            )
        else:
            candidates = self.db.execute(
                "SELECT * FROM items WHERE list_id = ? AND deleted = 0 AND id > ? ORDER BY id",
                (row.id, after),
            )
        matched: list[sqlite3.Row] = []
        try:
            for item in candidates:  # read as they match: a page stops the scan
                if conditions:
                    fields = json.loads(item["fields"])
                    if not all(compare(fields.get(n), op, v) for n, op, v in conditions):
                        continue
                matched.append(item)
                if len(matched) > top:
                    break
        finally:
            candidates.close()
        if len(matched) > top:
            return matched[:top], int(matched[top - 1]["id"])
        return matched, None


def compare(left: Any, op: str, right: Any) -> bool:
    """One condition on a stored value: ``eq``, ``ne``, ``startswith``, ``gt``, ``ge``,
    ``lt``, ``le``; an empty value or values of other types are never ordered."""
    if op == "eq":
        return bool(left == right)
    if op == "ne":
        return bool(left != right)
    if op == "startswith":
        return isinstance(left, str) and isinstance(right, str) and left.startswith(right)
    if left is None:
        return False
    try:
        if op == "gt":
            return bool(left > right)
        if op == "ge":
            return bool(left >= right)
        if op == "lt":
            return bool(left < right)
        if op == "le":
            return bool(left <= right)
    except TypeError:
        return False
    raise bad_request(f"The operator '{op}' is not supported in $filter.")
