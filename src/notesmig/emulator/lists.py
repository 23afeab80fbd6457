"""The lists and document libraries of each site: created, found by id or title, deleted.

A list is addressed by its id or its title (case-insensitively, as SharePoint compares
titles); a document library also has a drive, whose root folder is made with it. Every list
has SharePoint's ``Title`` column, every library its ``FileLeafRef`` (the file's name).
"""

from __future__ import annotations

import sqlite3
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from notesmig.emulator.columns import Column, parse_column
from notesmig.emulator.graph_errors import GraphError, bad_request, not_found, unknown_property
from notesmig.emulator.ids import new_item_id, now_text
from notesmig.spfacts.limits import MAX_COLUMNS_PER_LIST, MAX_LIST_TITLE

if TYPE_CHECKING:
    from notesmig.emulator.tenant import Tenant


@dataclass(frozen=True)
class ListRow:
    id: str
    site_id: str
    name: str
    display_name: str
    template: str
    drive_id: str | None
    created: str
    modified: str
    hidden: bool

    @property
    def is_library(self) -> bool:
        return self.template == "documentLibrary"


def list_row(row: sqlite3.Row) -> ListRow:
    """A row of the ``lists`` table, typed."""
    return ListRow(
        row["id"],
        row["site_id"],
        row["name"],
        row["display_name"],
        row["template"],
        row["drive_id"],
        row["created"],
        row["modified"],
        bool(row["hidden"]),
    )


class Lists:
    """Every site's lists and libraries."""

    def __init__(self, tenant: Tenant) -> None:
        self._tenant = tenant
        self.db = tenant.db

    def lists(self, site_id: str) -> list[dict[str, Any]]:
        self._tenant.site_path(site_id)
        rows = self.db.execute(
            "SELECT * FROM lists WHERE site_id = ? ORDER BY created, rowid", (site_id,)
        )
        return [self.list_json(list_row(r)) for r in rows]

    def get_list(self, site_id: str, ref: str) -> ListRow:
        row = self.db.execute(
            "SELECT * FROM lists WHERE site_id = ? AND (lower(id) = lower(?) OR "
            "display_name = ? COLLATE NOCASE)",
            (site_id, ref, ref),
        ).fetchone()
        if row is None:
            self._tenant.site_path(site_id)
            raise not_found(f"List '{ref}' does not exist at site with URL '{site_id}'.")
        return list_row(row)

    def list_url(self, row: ListRow) -> str:
        prefix = self._tenant.base_url + self._tenant.site_path(row.site_id)
        name = quote(row.name)
        return f"{prefix}/{name}" if row.is_library else f"{prefix}/Lists/{name}"

    def list_json(self, row: ListRow) -> dict[str, Any]:
        etag = f'"{row.id},1"'
        return {
            "@odata.etag": etag,
            "id": row.id,
            "name": row.name,
            "displayName": row.display_name,
            "description": "",
            "eTag": etag,
            "createdDateTime": row.created,
            "lastModifiedDateTime": row.modified,
            "webUrl": self.list_url(row),
            "createdBy": {"user": {"displayName": "System Account"}},
            "parentReference": {"siteId": row.site_id},
            "list": {"contentTypesEnabled": False, "hidden": row.hidden, "template": row.template},
        }

    def create_list(self, site_id: str, body: Any) -> dict[str, Any]:
        """A list or library as Graph's ``POST /sites/{id}/lists`` creates it."""
        self._tenant.site_path(site_id)
        if not isinstance(body, dict):
            raise bad_request("The request body must be a JSON object.")
        allowed = {"displayName", "description", "columns", "list", "name", "@odata.type"}
        unknown = set(body) - allowed
        if unknown:
            raise unknown_property(sorted(unknown)[0], "list")
        display = body.get("displayName")
        if not isinstance(display, str) or not display.strip():
            raise bad_request("'displayName' is required and must be a non-empty string.")
        if len(display) > MAX_LIST_TITLE or any(ord(c) < 32 for c in display):
            raise bad_request(
                f"The list title must be at most {MAX_LIST_TITLE} characters, without control "
                "characters."
            )
        info = body.get("list", {})
        if not isinstance(info, dict) or set(info) - {"template", "contentTypesEnabled", "hidden"}:
            raise bad_request(
                "'list' may only hold 'template', 'contentTypesEnabled' and 'hidden'."
            )
        template = info.get("template", "genericList")
        if template not in ("genericList", "documentLibrary"):
            raise bad_request(f"The list template '{template}' is not supported.")
        columns = body.get("columns", [])
        if not isinstance(columns, list):
            raise bad_request("'columns' must be a list of column definitions.")
        if len(columns) > MAX_COLUMNS_PER_LIST:
            raise bad_request(
                f"A list can be created with at most {MAX_COLUMNS_PER_LIST} columns; "
                f"this request has {len(columns)}."
            )
        parsed = [parse_column(c) for c in columns]
        if self.db.execute(
            "SELECT 1 FROM lists WHERE site_id = ? AND display_name = ? COLLATE NOCASE",
            (site_id, display),
        ).fetchone():
            raise GraphError(
                409,
                "nameAlreadyExists",
                "A list, survey, discussion board, or "
                f"document library with the specified title already exists: {display}",
            )
        row = self.add(site_id, display, template, parsed)
        return self.list_json(row)

    def add(
        self,
        site_id: str,
        display: str,
        template: str,
        columns: list[tuple[Column, str]],
        *,
        url_name: str | None = None,
        hidden: bool = False,
    ) -> ListRow:
        """A new list (unchecked: the caller checked the request), with its columns."""
        list_id = str(uuid.uuid4())
        stamp = now_text()
        name = url_name or "".join(c for c in display if c not in ' "#%*:<>?/\\|{}~&')
        drive_id = None
        if template == "documentLibrary":
            drive_id = "b!" + uuid.uuid4().hex
        self.db.execute(
            "INSERT INTO lists (id, site_id, name, display_name, template, hidden, drive_id, "
            "created, modified) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                list_id,
                site_id,
                name or list_id,
                display,
                template,
                int(hidden),
                drive_id,
                stamp,
                stamp,
            ),
        )
        self._tenant._store_column(
            list_id, Column("Title", "Title", "text", {"maxLength": 255}, builtin=True)
        )
        if drive_id is not None:
            self._tenant._store_column(
                list_id, Column("FileLeafRef", "Name", "text", {"maxLength": 400}, builtin=True)
            )
            self.db.execute(
                "INSERT INTO drive_items (id, drive_id, parent, name, folder, created, modified) "
                "VALUES (?, ?, NULL, 'root', 1, ?, ?)",
                (new_item_id(), drive_id, stamp, stamp),
            )
        for column, requested in columns:
            self._tenant._add_column(list_id, column, requested)
        return self.get_list(site_id, list_id)

    def delete_list(self, site_id: str, ref: str) -> ListRow:
        """The list gone with its items (and a library's files); its columns are the
        caller's to drop."""
        row = self.get_list(site_id, ref)
        for table, key in (
            ("lists", "id"),
            ("items", "list_id"),
            ("item_values", "list_id"),
        ):
            self.db.execute(f"DELETE FROM {table} WHERE {key} = ?", (row.id,))  # noqa: S608
        if row.drive_id:
            self.db.execute("DELETE FROM drive_items WHERE drive_id = ?", (row.drive_id,))
        return row
