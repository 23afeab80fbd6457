"""The checks a list makes on the values written to its items, before they are stored.

Each value is checked against its column (``columns.normalise_value``); this module adds what
needs the list and the site: columns that exist and may be written, required columns, unique
columns (through the index of values), people who are site users, lookups to items that exist.
"""

from __future__ import annotations

import json
import zlib
from typing import TYPE_CHECKING, Any

from notesmig.emulator.columns import normalise_value, sqlite_id
from notesmig.emulator.graph_errors import GraphError, bad_request
from notesmig.spfacts.columns import is_system_field

if TYPE_CHECKING:
    from notesmig.emulator.lists import ListRow
    from notesmig.emulator.tenant import Tenant


class ItemValidation:
    """The values of an item as a write gives them, checked and normalised for storing."""

    def __init__(self, tenant: Tenant) -> None:
        self._tenant = tenant
        self.db = tenant.db

    def validated(
        self,
        row: ListRow,
        fields: Any,
        *,
        partial: bool,
        item_id: int | None,
        graph: bool = True,
    ) -> dict[str, Any]:
        """``fields`` of a Graph write (``partial``: a PATCH, required columns may be left
        out), normalised; ``item_id`` is the item written, whose own values are no clash."""
        if not isinstance(fields, dict):
            raise bad_request("'fields' must be a JSON object.")
        columns = {c.name: c for c in self._tenant.columns(row.id)}
        by_lookup = {f"{c.name}LookupId": c for c in columns.values() if c.uses_lookup_id}
        values: dict[str, Any] = {}
        user_ids: set[int] | None = None
        for key, value in fields.items():
            if key.endswith("@odata.type"):
                continue
            if is_system_field(key):
                raise bad_request(f"Field '{key}' is read-only.")
            column = by_lookup.get(key) or columns.get(key)
            if column is None or (column.uses_lookup_id and key == column.name):
                raise bad_request(f"Field '{key}' is not recognized")
            if column.read_only:
                raise bad_request(f"Field '{key}' is read-only.")
            if column.facet == "hyperlinkOrPicture" and graph:
                # Graph v1.0 cannot write hyperlink columns: SharePoint answers 400 "Invalid
                # request" (microsoft-graph-docs #12638, msgraph-sdk-dotnet #2957).
                raise bad_request("Invalid request")
            if column.facet == "personOrGroup" and user_ids is None:
                user_ids = self._tenant.user_ids(row.site_id)
            lookup_ids: set[int] = set()
            if column.facet == "lookup":
                # Only the ids written are looked up: a list of 100,000 items is not read
                # for every value.
                wanted = [
                    key
                    for v in (value if isinstance(value, list) else [value])
                    if (key := sqlite_id(v)) is not None
                ][:500]
                target = str(column.settings["listId"])
                lookup_ids = {
                    key
                    for key in wanted
                    if self.db.execute(
                        "SELECT 1 FROM items WHERE list_id = ? AND id = ? AND deleted = 0",
                        (target, key),
                    ).fetchone()
                }
            values[column.name] = normalise_value(column, value, user_ids or set(), lookup_ids)
        if not partial:
            for column in columns.values():
                if column.required and values.get(column.name) in (None, "", []):
                    raise bad_request(f"Field '{column.name}' is required.")
        for name, value in values.items():
            column = columns[name]
            if column.unique and value is not None:
                clash = self.db.execute(
                    "SELECT item FROM item_values WHERE list_id = ? AND column = ? AND value = ?",
                    (row.id, name, json.dumps(value)),
                ).fetchone()
                if clash is not None and clash["item"] != item_id:
                    raise unique_violation(name, value)
        return values

    def stored_values(self, row: ListRow, values: dict[str, Any]) -> dict[str, Any]:
        """Values parsed by REST, checked as Graph's are: required and unique columns."""
        columns = {c.name: c for c in self._tenant.columns(row.id)}
        for column in columns.values():
            if column.required and values.get(column.name) in (None, "", []):
                raise bad_request(f"Field '{column.name}' is required.")
        for name, value in values.items():
            unique = columns.get(name)
            if unique is not None and unique.unique and value is not None:
                clash = self.db.execute(
                    "SELECT item FROM item_values WHERE list_id = ? AND column = ? AND value = ?",
                    (row.id, name, json.dumps(value)),
                ).fetchone()
                if clash is not None:
                    raise unique_violation(name, value)
        return dict(values)


def unique_violation(column: str, value: Any) -> GraphError:
    """SharePoint's refusal of a duplicate in a unique column. How it is worded, and with which
    status, varies: SharePoint's REST message through Graph is a 400, but 409 and 500 answers
    in other words are met too, so a client must not recognise it by its text. The variant is
    chosen by the value, so the same request always gets the same answer."""
    variant = zlib.crc32(json.dumps(value).encode()) % 3
    if variant == 0:
        return bad_request(
            "The list item could not be added or updated because duplicate values "
            f"were found in the following field(s) in the list: [{column}]."
        )
    if variant == 1:
        return GraphError(409, "nameAlreadyExists", "An item with the same key already exists.")
    return GraphError(500, "generalException", "General exception while processing")
