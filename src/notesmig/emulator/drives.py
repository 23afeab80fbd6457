"""The emulated tenant's drives: document libraries' files and folders, and upload sessions.

Every file or folder is also an item of its library's list (``FileLeafRef`` and any custom
columns), as in SharePoint; content is stored once per sha256 under the data directory.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from notesmig.emulator.graph_errors import GraphError, bad_request, not_found
from notesmig.emulator.ids import new_item_id, now_text
from notesmig.emulator.paths import check_item_name, check_path_length
from notesmig.emulator.promotion import is_promoted, promote
from notesmig.spfacts.quickxor import QuickXorHash

if TYPE_CHECKING:
    from notesmig.emulator.lists import ListRow
    from notesmig.emulator.tenant import Tenant


class Drives:
    """Files, folders and upload sessions of every document library in the tenant."""

    def __init__(self, tenant: Tenant) -> None:
        self._tenant = tenant
        self.db = tenant.db
        self.config = tenant.config
        self.content_dir = tenant.content_dir
        self.upload_dir = tenant.upload_dir

    def drive_of_list(self, row: ListRow) -> dict[str, Any]:
        if row.drive_id is None:
            raise not_found("This list is not a document library; it has no drive.")
        return self.drive(row.drive_id)

    def library_of_drive(self, drive_id: str) -> ListRow:
        found: sqlite3.Row | None = self.db.execute(
            "SELECT * FROM lists WHERE drive_id = ?", (drive_id,)
        ).fetchone()
        if found is None:
            raise not_found(f"Drive '{drive_id}' not found")
        return self._tenant._list_row(found)

    def drive(self, drive_id: str) -> dict[str, Any]:
        library = self.library_of_drive(drive_id)
        used = self.db.execute(
            "SELECT coalesce(sum(size), 0) AS n FROM drive_items WHERE drive_id = ?", (drive_id,)
        ).fetchone()["n"]
        return {
            "id": drive_id,
            "name": library.display_name,
            "driveType": "documentLibrary",
            "createdDateTime": library.created,
            "lastModifiedDateTime": library.modified,
            "webUrl": self._tenant.list_url(library),
            "owner": {"group": {"displayName": "Owners"}},
            "quota": {
                "used": used,
                "remaining": 27_487_790_694_400 - used,
                "state": "normal",
                "total": 27_487_790_694_400,
                "deleted": 0,
            },
        }

    def site_drive(self, site_id: str) -> dict[str, Any]:
        return self.drive_of_list(self._tenant.get_list(site_id, "Documents"))

    def drive_item_row(self, drive_id: str, item_id: str) -> sqlite3.Row:
        self.library_of_drive(drive_id)
        if item_id == "root":
            found: sqlite3.Row | None = self.db.execute(
                "SELECT * FROM drive_items WHERE drive_id = ? AND parent IS NULL", (drive_id,)
            ).fetchone()
        else:
            found = self.db.execute(
                "SELECT * FROM drive_items WHERE drive_id = ? AND id = ?", (drive_id, item_id)
            ).fetchone()
        if found is None:
            raise not_found("The resource could not be found.")
        return found

    def resolve_path(self, drive_id: str, base: str, path: str) -> sqlite3.Row:
        current = self.drive_item_row(drive_id, base)
        for part in (p for p in path.split("/") if p):
            found: sqlite3.Row | None = self.db.execute(
                "SELECT * FROM drive_items WHERE drive_id = ? AND parent = ? AND name = ? "
                "COLLATE NOCASE",
                (drive_id, current["id"], part),
            ).fetchone()
            if found is None:
                raise not_found("The resource could not be found.")
            current = found
        return current

    def item_path(self, item: sqlite3.Row) -> str:
        parts: list[str] = []
        current = item
        while current["parent"] is not None:
            parts.append(current["name"])
            current = self.db.execute(
                "SELECT * FROM drive_items WHERE id = ?", (current["parent"],)
            ).fetchone()
        return "/".join(reversed(parts))

    def children(
        self, drive_id: str, parent: str, visible: Callable[[int], bool] | None = None
    ) -> list[dict[str, Any]]:
        """A folder's children (only those ``visible`` passes, by their list item id)."""
        folder = self.drive_item_row(drive_id, parent)
        rows = self.db.execute(
            "SELECT * FROM drive_items WHERE parent = ? ORDER BY name", (folder["id"],)
        ).fetchall()
        return [
            self.drive_item_json(r)
            for r in rows
            if visible is None or r["list_item"] is None or visible(int(r["list_item"]))
        ]

    def drive_item_json(
        self, item: sqlite3.Row, *, expand_list_item: bool = False
    ) -> dict[str, Any]:
        library = self.library_of_drive(item["drive_id"])
        path = self.item_path(item)
        parent_path = path.rsplit("/", 1)[0] if "/" in path else ""
        etag = f'"{{{item["id"]}}},{item["version"]}"'
        body: dict[str, Any] = {
            "@odata.etag": etag,
            "id": item["id"],
            "name": item["name"],
            "eTag": etag,
            "cTag": f'"c:{{{item["id"]}}},{item["version"]}"',
            "createdDateTime": item["created"],
            "lastModifiedDateTime": item["modified"],
            "size": item["size"],
            "webUrl": self._tenant.list_url(library) + ("/" + quote(path) if path else ""),
            "createdBy": {"user": {"displayName": "移行 管理者"}},
            "lastModifiedBy": {"user": {"displayName": "移行 管理者"}},
            "fileSystemInfo": {
                "createdDateTime": item["fs_created"] or item["created"],
                "lastModifiedDateTime": item["fs_modified"] or item["modified"],
            },
        }
        if item["parent"] is not None:
            body["parentReference"] = {
                "driveType": "documentLibrary",
                "driveId": item["drive_id"],
                "id": item["parent"],
                "path": "/drive/root:" + ("/" + parent_path if parent_path else ""),
                "siteId": library.site_id,
            }
        else:
            body["root"] = {}
        if item["folder"]:
            count = self.db.execute(
                "SELECT count(*) AS n FROM drive_items WHERE parent = ?", (item["id"],)
            ).fetchone()["n"]
            body["folder"] = {"childCount": count}
        else:
            body["file"] = {
                "mimeType": item["mime"] or "application/octet-stream",
                "hashes": {"quickXorHash": item["quickxor"]},
            }
        if expand_list_item and item["list_item"] is not None:
            body["listItem"] = self._tenant.item_json(
                library, item["list_item"], expand_fields=True
            )
        return body

    def drive_item_list_item(self, drive_id: str, item_id: str) -> tuple[ListRow, int]:
        item = self.drive_item_row(drive_id, item_id)
        if item["list_item"] is None:
            raise not_found("The drive item has no list item.")
        return self.library_of_drive(drive_id), int(item["list_item"])

    def _check_placement(self, drive_id: str, parent: sqlite3.Row, name: str, folder: bool) -> None:
        check_item_name(name, at_library_root=parent["parent"] is None, is_folder=folder)
        library = self.library_of_drive(drive_id)
        full = "/".join(
            p
            for p in (
                self._tenant.site_path(library.site_id).strip("/"),
                library.name,
                self.item_path(parent),
                name,
            )
            if p
        )
        check_path_length(full)

    def _sibling(self, drive_id: str, parent: str, name: str) -> sqlite3.Row | None:
        found: sqlite3.Row | None = self.db.execute(
            "SELECT * FROM drive_items WHERE drive_id = ? AND parent = ? "
            "AND name = ? COLLATE NOCASE",
            (drive_id, parent, name),
        ).fetchone()
        return found

    def _free_name(self, drive_id: str, parent: str, name: str) -> str:
        stem, dot, suffix = name.rpartition(".")
        if not dot:
            stem, suffix = name, ""
        counter = 1
        while True:
            candidate = f"{stem} {counter}" + (f".{suffix}" if suffix else "")
            if self._sibling(drive_id, parent, candidate) is None:
                return candidate
            counter += 1

    def create_folder(self, drive_id: str, parent_id: str, body: Any) -> tuple[dict[str, Any], int]:
        if not isinstance(body, dict) or not isinstance(body.get("name"), str):
            raise bad_request("A folder needs a 'name'.")
        unknown = set(body) - {
            "name",
            "folder",
            "@microsoft.graph.conflictBehavior",
            "fileSystemInfo",
        }
        if unknown or "folder" not in body:
            raise bad_request("A new folder is {'name': ..., 'folder': {}}.")
        parent = self.drive_item_row(drive_id, parent_id)
        name = body["name"]
        self._check_placement(drive_id, parent, name, folder=True)
        conflict = body.get("@microsoft.graph.conflictBehavior", "fail")
        existing = self._sibling(drive_id, parent["id"], name)
        if existing is not None:
            if conflict == "fail":
                raise GraphError(
                    409, "nameAlreadyExists", f"An item named '{name}' already exists."
                )
            if conflict == "rename":
                name = self._free_name(drive_id, parent["id"], name)
            elif existing["folder"]:
                return self.drive_item_json(existing), 200
        item = self._insert_drive_item(drive_id, parent["id"], name, folder=True)
        return self.drive_item_json(item), 201

    def _insert_drive_item(
        self,
        drive_id: str,
        parent: str,
        name: str,
        *,
        folder: bool,
        size: int = 0,
        sha256: str | None = None,
        quickxor: str | None = None,
        mime: str | None = None,
        fs_info: dict[str, Any] | None = None,
    ) -> sqlite3.Row:
        library = self.library_of_drive(drive_id)
        item_id = new_item_id()
        stamp = now_text()
        fs = fs_info or {}
        self.db.execute(
            "INSERT INTO drive_items (id, drive_id, parent, name, folder, size, sha256, quickxor, "
            "mime, created, modified, fs_created, fs_modified) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                item_id,
                drive_id,
                parent,
                name,
                int(folder),
                size,
                sha256,
                quickxor,
                mime,
                stamp,
                stamp,
                fs.get("createdDateTime"),
                fs.get("lastModifiedDateTime"),
            ),
        )
        parent_row = self.db.execute(
            "SELECT list_item FROM drive_items WHERE id = ?", (parent,)
        ).fetchone()
        parent_item = parent_row["list_item"] if parent_row is not None else None
        list_item = self._tenant._insert_item(
            library, {"FileLeafRef": name}, item_id, parent_item=parent_item, folder=folder
        )
        self.db.execute("UPDATE drive_items SET list_item = ? WHERE id = ?", (list_item, item_id))
        return self.drive_item_row(drive_id, item_id)

    def update_item(self, drive_id: str, item_id: str, body: Any) -> sqlite3.Row:
        """PATCH a driveItem: its fileSystemInfo dates (what a migration sets) or description."""
        item = self.drive_item_row(drive_id, item_id)
        if not isinstance(body, dict):
            raise bad_request("The request body must be a JSON object.")
        unknown = set(body) - {"fileSystemInfo", "description", "@odata.type"}
        if unknown:
            raise bad_request(
                f"The property '{sorted(unknown)[0]}' cannot be changed here (only fileSystemInfo)."
            )
        info = body.get("fileSystemInfo", {})
        if not isinstance(info, dict) or set(info) - {
            "createdDateTime",
            "lastModifiedDateTime",
            "@odata.type",
        }:
            raise bad_request("'fileSystemInfo' takes createdDateTime and lastModifiedDateTime.")
        stamps = {}
        for key, column in (
            ("createdDateTime", "fs_created"),
            ("lastModifiedDateTime", "fs_modified"),
        ):
            if key in info:
                value = info[key]
                if not isinstance(value, str) or not _is_timestamp(value):
                    raise bad_request(f"'{key}' must be an ISO 8601 date-time.")
                stamps[column] = value
        # The column names come from the fixed table above, never from the request.
        for column, value in stamps.items():
            statement = f"UPDATE drive_items SET {column} = ? WHERE id = ?"  # noqa: S608
            self.db.execute(statement, (value, item["id"]))
        return self.drive_item_row(drive_id, item["id"])

    def store_file(
        self,
        drive_id: str,
        parent_id: str,
        name: str,
        *,
        content: Path,
        size: int,
        sha256: str,
        quickxor: str,
        conflict: str,
        fs_info: dict[str, Any] | None,
        mime: str | None,
    ) -> tuple[dict[str, Any], int]:
        """Put finished content at parent/name: 201 when new, 200 when replaced."""
        parent = self.drive_item_row(drive_id, parent_id)
        if not parent["folder"]:
            raise bad_request("The parent of a file must be a folder.")
        self._check_placement(drive_id, parent, name, folder=False)
        if self._tenant.config.rewrite_office_files and is_promoted(name):
            data = promote(content.read_bytes(), item_id=f"{drive_id}/{parent_id}/{name}")
            content.write_bytes(data)
            hasher = QuickXorHash()
            hasher.update(data)
            size, sha256, quickxor = len(data), hashlib.sha256(data).hexdigest(), hasher.b64digest()
        target = self.content_dir / sha256[:2] / sha256
        if not target.exists():
            target.parent.mkdir(exist_ok=True)
            content.replace(target)
        else:
            content.unlink(missing_ok=True)
        existing = self._sibling(drive_id, parent["id"], name)
        if existing is not None:
            if conflict == "fail":
                raise GraphError(
                    409, "nameAlreadyExists", f"An item named '{name}' already exists."
                )
            if conflict == "replace" and not existing["folder"]:
                fs = fs_info or {}
                self.db.execute(
                    "UPDATE drive_items SET size = ?, sha256 = ?, quickxor = ?, mime = ?, "
                    "modified = ?, version = version + 1, fs_created = coalesce(?, fs_created), "
                    "fs_modified = coalesce(?, fs_modified) WHERE id = ?",
                    (
                        size,
                        sha256,
                        quickxor,
                        mime,
                        now_text(),
                        fs.get("createdDateTime"),
                        fs.get("lastModifiedDateTime"),
                        existing["id"],
                    ),
                )
                library = self.library_of_drive(drive_id)
                self.db.execute(
                    "UPDATE items SET version = version + 1, modified = ?, change = ? "
                    "WHERE list_id = ? AND id = ?",
                    (now_text(), self._tenant._next_change(), library.id, existing["list_item"]),
                )
                return self.drive_item_json(self.drive_item_row(drive_id, existing["id"])), 200
            name = self._free_name(drive_id, parent["id"], name)
        item = self._insert_drive_item(
            drive_id,
            parent["id"],
            name,
            folder=False,
            size=size,
            sha256=sha256,
            quickxor=quickxor,
            mime=mime,
            fs_info=fs_info,
        )
        return self.drive_item_json(item), 201

    def content_path(self, item: sqlite3.Row) -> Path:
        if item["folder"] or item["sha256"] is None:
            raise bad_request("A folder has no content.")
        sha = str(item["sha256"])
        return self.content_dir / sha[:2] / sha

    # -- upload sessions ------------------------------------------------------------------

    def create_upload(
        self,
        drive_id: str,
        parent_id: str,
        name: str,
        conflict: str,
        fs_info: dict[str, Any] | None,
        *,
        declared_size: int | None = None,
        defer_commit: bool = False,
    ) -> tuple[str, float]:
        parent = self.drive_item_row(drive_id, parent_id)
        self._check_placement(drive_id, parent, name, folder=False)
        if conflict == "fail" and self._sibling(drive_id, parent["id"], name) is not None:
            raise GraphError(409, "nameAlreadyExists", f"An item named '{name}' already exists.")
        session = uuid.uuid4().hex
        expires = time.time() + self.config.upload_session_seconds
        self.db.execute(
            "INSERT INTO uploads (id, drive_id, parent, name, conflict, fs_info, expires, "
            "declared_size, defer_commit) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (session, drive_id, parent["id"], name, conflict, json.dumps(fs_info), expires,
             declared_size, int(defer_commit)),
        )  # fmt: skip
        return session, expires

    def upload(self, session: str) -> sqlite3.Row:
        found: sqlite3.Row | None = self.db.execute(
            "SELECT * FROM uploads WHERE id = ?", (session,)
        ).fetchone()
        if found is None or found["expires"] < time.time():
            if found is not None:
                self.drop_upload(session)
            raise not_found("The upload session was not found or has expired.")
        if found["completed"]:
            # As SharePoint does (msgraph-sdk-python-core #716, #718): a completed session
            # refuses further fragments, including a repeat of the final one.
            raise bad_request("The upload session has already been completed.")
        return found

    def complete_upload(self, session: str) -> None:
        self.db.execute("UPDATE uploads SET completed = 1 WHERE id = ?", (session,))
        self.upload_file(session).unlink(missing_ok=True)

    def upload_file(self, session: str) -> Path:
        return self.upload_dir / session

    def drop_upload(self, session: str) -> None:
        self.db.execute("DELETE FROM uploads WHERE id = ?", (session,))
        self.upload_file(session).unlink(missing_ok=True)


def _is_timestamp(value: str) -> bool:
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True
