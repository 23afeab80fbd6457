"""Folders of a list or library as items see them: a folder by name, an item's folder path.

A folder is an item (``is_folder``) whose ``FileLeafRef`` is its name; its items point to it
(``parent_item``). Names compare case-insensitively, as SharePoint's do.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

if TYPE_CHECKING:
    from notesmig.emulator.lists import ListRow
    from notesmig.emulator.tenant import Tenant


class Folders:
    """Folder items of every list."""

    def __init__(self, tenant: Tenant) -> None:
        self._tenant = tenant
        self.db = tenant.db

    def folder_named(self, row: ListRow, parent: int | None, name: str) -> int | None:
        """The folder item called ``name`` in ``parent`` (None: the list's root); names compare
        case-insensitively, as SharePoint's do."""
        # Through the folder-name index (SQLite's lower() folds ASCII only); a name with other
        # letters is compared in Python over the folder's subfolders.
        query, values = (
            ("AND lower(json_extract(fields, '$.FileLeafRef')) = lower(?)", (name,))
            if name.isascii()
            else ("", ())
        )
        for found in self.db.execute(
            "SELECT id, fields FROM items WHERE list_id = ? AND is_folder = 1 AND deleted = 0 "  # noqa: S608 (fixed text)
            f"AND parent_item IS ? {query}",
            (row.id, parent, *values),
        ):
            if str(json.loads(found["fields"]).get("FileLeafRef", "")).lower() == name.lower():
                return int(found["id"])
        return None

    def folder_path(self, row: ListRow, item_id: int) -> str:
        """The server-relative path of the folder an item is in (``FileDirRef``)."""
        names: list[str] = []
        current = self._tenant._item_row(row, item_id)["parent_item"]
        while current is not None:
            parent = self._tenant._item_row(row, current)
            names.append(str(json.loads(parent["fields"]).get("FileLeafRef", "")))
            current = parent["parent_item"]
        root = unquote(urlsplit(self._tenant.list_url(row)).path).rstrip("/")
        return "/".join([root, *reversed(names)])
