"""The items of each list: created, read, changed and deleted, with their ETags and versions.

An item's values are kept as JSON; the values of its indexed single-value columns are also
kept in ``item_values``, the index a lookup by value and a unique column's check go through.
Every write takes a change number (``changes``) and names its editor (the site user the
request acts as). A deleted item keeps its row, without values, for delta to report.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from typing import TYPE_CHECKING, Any

from notesmig.emulator.columns import sqlite_id
from notesmig.emulator.graph_errors import GraphError, bad_request, not_found, unknown_property
from notesmig.emulator.ids import now_text
from notesmig.emulator.site_users import USER_LIST

if TYPE_CHECKING:
    from notesmig.emulator.lists import ListRow
    from notesmig.emulator.tenant import Tenant


class Items:
    """List items in SQLite."""

    def __init__(self, tenant: Tenant) -> None:
        self._tenant = tenant
        self.db = tenant.db

    def live_count(self, list_id: str) -> int:
        """How many items the list holds (deleted ones left out)."""
        row = self.db.execute(
            "SELECT count(*) AS n FROM items WHERE list_id = ? AND deleted = 0", (list_id,)
        ).fetchone()
        return int(row["n"])

    def index(self, row: ListRow, item_id: int, fields: dict[str, Any]) -> None:
        """The item's values of indexed (single-value) columns, in ``item_values``."""
        self.db.execute("DELETE FROM item_values WHERE list_id = ? AND item = ?", (row.id, item_id))
        for column in self._tenant.columns(row.id):
            if column.indexed and not column.multi and fields.get(column.name) is not None:
                self.db.execute(
                    "INSERT INTO item_values VALUES (?, ?, ?, ?)",
                    (row.id, column.name, json.dumps(fields[column.name]), item_id),
                )

    def create_item(
        self, row: ListRow, body: Any, *, drive_item: str | None = None
    ) -> dict[str, Any]:
        """An item as Graph's ``POST .../items`` creates it."""
        if not isinstance(body, dict):
            raise bad_request("The request body must be a JSON object.")
        unknown = set(body) - {"fields", "@odata.type", "contentType"}
        if unknown:
            raise unknown_property(sorted(unknown)[0], "listItem")
        fields = self._tenant._validated(row, body.get("fields", {}), partial=False, item_id=None)
        item_id = self.insert(row, fields, drive_item)
        return self._tenant.item_json(row, item_id, expand_fields=True)

    def insert(
        self,
        row: ListRow,
        fields: dict[str, Any],
        drive_item: str | None,
        *,
        parent_item: int | None = None,
        folder: bool = False,
    ) -> int:
        """A new item of already checked values: its id, the list's next."""
        counter = self.db.execute("SELECT next_item FROM lists WHERE id = ?", (row.id,)).fetchone()
        item_id = int(counter["next_item"])
        self.db.execute("UPDATE lists SET next_item = ? WHERE id = ?", (item_id + 1, row.id))
        stamp = now_text()
        actor = None if row.display_name == USER_LIST else self._tenant.actor_id(row.site_id)
        self.db.execute(
            "INSERT INTO items (list_id, id, fields, version, created, modified, change, "
            "drive_item, guid, author, editor, parent_item, is_folder) "
            "VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                row.id,
                item_id,
                json.dumps(fields),
                stamp,
                stamp,
                self._tenant._next_change(),
                drive_item,
                str(uuid.uuid4()),
                actor,
                actor,
                parent_item,
                int(folder),
            ),
        )
        self.index(row, item_id, fields)
        return item_id

    def item_row(self, row: ListRow, item_id: str | int) -> sqlite3.Row:
        """The item (not deleted); 404 otherwise, and for an id that cannot be one."""
        key = sqlite_id(item_id)
        if key is None:
            raise not_found(f"Item '{str(item_id)[:40]}' not found")
        found: sqlite3.Row | None = self.db.execute(
            "SELECT * FROM items WHERE list_id = ? AND id = ? AND deleted = 0", (row.id, key)
        ).fetchone()
        if found is None:
            raise not_found("The resource could not be found.")
        return found

    @staticmethod
    def etag(item: sqlite3.Row) -> str:
        return f'"{item["guid"]},{item["version"]}"'

    def check_etag(self, item: sqlite3.Row, if_match: str | None) -> None:
        """SharePoint's optimistic concurrency: a stale If-Match is 412."""
        if if_match not in (None, "*") and if_match != self.etag(item):
            raise GraphError(
                412,
                "resourceModified",
                "The request ETag value does not match the object's ETag value.",
            )

    def update_fields(
        self, row: ListRow, item_id: str, body: Any, if_match: str | None
    ) -> dict[str, Any]:
        """Graph's ``PATCH .../items/{id}/fields``: the item's full field set comes back."""
        item = self.item_row(row, item_id)
        self.check_etag(item, if_match)
        values = self._tenant._validated(row, body, partial=True, item_id=item["id"])
        fields = json.loads(item["fields"])
        fields.update(values)
        self.db.execute(
            "UPDATE items SET fields = ?, version = version + 1, modified = ?, change = ?, "
            "editor = ? WHERE list_id = ? AND id = ?",
            (
                json.dumps(fields),
                now_text(),
                self._tenant._next_change(),
                self._tenant.actor_id(row.site_id),
                row.id,
                item["id"],
            ),
        )
        self.index(row, item["id"], fields)
        return self._tenant.fields_json(row, self.item_row(row, item["id"]), None)

    def set_system_fields(
        self,
        row: ListRow,
        item_id: int,
        values: dict[str, Any],
        *,
        new_version: bool,
    ) -> None:
        """Created, Modified, Author and Editor, as SharePoint REST may set them; other
        fields (already validated) go into the item's values."""
        item = self.item_row(row, item_id)
        fields = json.loads(item["fields"])
        columns: dict[str, Any] = {}
        for name, value in values.items():
            if name in ("Created", "Modified") or name in ("Author", "Editor"):
                columns[name.lower()] = value
            else:
                fields[name] = value
        if "modified" not in columns and new_version:
            columns["modified"] = now_text()
        if "editor" not in columns:
            columns["editor"] = self._tenant.actor_id(row.site_id)
        assignments = ", ".join(f"{key} = ?" for key in columns)
        self.db.execute(
            "UPDATE items SET fields = ?, change = ?, version = version + ?"  # noqa: S608 (column names are fixed above)
            + (f", {assignments}" if assignments else "")
            + " WHERE list_id = ? AND id = ?",
            (json.dumps(fields), self._tenant._next_change(), 1 if new_version else 0,
             *columns.values(), row.id, item_id),
        )  # fmt: skip
        self.index(row, item_id, fields)

    def delete_item(self, row: ListRow, item_id: str, if_match: str | None = None) -> None:
        """The item deleted (its row kept, without values, for delta), and a library
        item's file with it."""
        item = self.item_row(row, item_id)
        self.check_etag(item, if_match)
        self.db.execute(
            "UPDATE items SET deleted = 1, fields = NULL, change = ? WHERE list_id = ? AND id = ?",
            (self._tenant._next_change(), row.id, item["id"]),
        )
        self.db.execute(
            "DELETE FROM item_values WHERE list_id = ? AND item = ?", (row.id, item["id"])
        )
        if item["drive_item"]:
            self.db.execute("DELETE FROM drive_items WHERE id = ?", (item["drive_item"],))
