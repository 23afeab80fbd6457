"""The emulated tenant's state: sites, lists, columns, items, drives, files, upload sessions.

Kept in SQLite (WAL) inside the data directory, file content on disk by sha256, so the state
survives restarts. Methods raise :class:`GraphError` for anything SharePoint would refuse and
return plain dicts in Graph's JSON shape.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
import zlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from notesmig.emulator.columns import Column, normalise_value, parse_column, sqlite_id
from notesmig.emulator.config import EmulatorConfig
from notesmig.emulator.drives import Drives
from notesmig.emulator.graph_errors import GraphError, bad_request, not_found, unknown_property
from notesmig.emulator.ids import new_item_id, now_text
from notesmig.emulator.permissions import SCHEMA as PERMISSIONS_SCHEMA
from notesmig.emulator.permissions import Permissions
from notesmig.spfacts.columns import is_system_field
from notesmig.spfacts.limits import LIST_VIEW_THRESHOLD, MAX_COLUMNS_PER_LIST, MAX_LIST_TITLE
from notesmig.spfacts.names import encode_internal_name

USER_LIST = "User Information List"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sites (
    id TEXT PRIMARY KEY, path TEXT UNIQUE NOT NULL, name TEXT NOT NULL, created TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS lists (
    id TEXT PRIMARY KEY, site_id TEXT NOT NULL, name TEXT NOT NULL, display_name TEXT NOT NULL,
    template TEXT NOT NULL, hidden INTEGER NOT NULL DEFAULT 0, drive_id TEXT,
    created TEXT NOT NULL, modified TEXT NOT NULL, next_item INTEGER NOT NULL DEFAULT 1);
CREATE UNIQUE INDEX IF NOT EXISTS lists_title ON lists (site_id, display_name COLLATE NOCASE);
CREATE TABLE IF NOT EXISTS columns (
    list_id TEXT NOT NULL, position INTEGER NOT NULL, name TEXT NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (list_id, name));
CREATE TABLE IF NOT EXISTS items (
    list_id TEXT NOT NULL, id INTEGER NOT NULL, fields TEXT, version INTEGER NOT NULL,
    created TEXT NOT NULL, modified TEXT NOT NULL, change INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0, drive_item TEXT, guid TEXT NOT NULL,
    author INTEGER, editor INTEGER, parent_item INTEGER, is_folder INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (list_id, id));
CREATE INDEX IF NOT EXISTS items_parent ON items (list_id, parent_item);
CREATE INDEX IF NOT EXISTS items_change ON items (list_id, change);
CREATE INDEX IF NOT EXISTS items_folder_name
    ON items (list_id, parent_item, lower(json_extract(fields, '$.FileLeafRef')))
    WHERE is_folder = 1;
CREATE TABLE IF NOT EXISTS item_values (
    list_id TEXT NOT NULL, column TEXT NOT NULL, value TEXT NOT NULL, item INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS item_values_key ON item_values (list_id, column, value);
CREATE INDEX IF NOT EXISTS item_values_item ON item_values (list_id, item);
CREATE TABLE IF NOT EXISTS drive_items (
    id TEXT PRIMARY KEY, drive_id TEXT NOT NULL, parent TEXT, name TEXT NOT NULL,
    folder INTEGER NOT NULL, size INTEGER NOT NULL DEFAULT 0, sha256 TEXT, quickxor TEXT,
    mime TEXT, created TEXT NOT NULL, modified TEXT NOT NULL, fs_created TEXT,
    fs_modified TEXT, list_item INTEGER, version INTEGER NOT NULL DEFAULT 1);
CREATE UNIQUE INDEX IF NOT EXISTS drive_items_name
    ON drive_items (drive_id, parent, name COLLATE NOCASE);
CREATE INDEX IF NOT EXISTS drive_items_list_item ON drive_items (drive_id, list_item);
CREATE INDEX IF NOT EXISTS drive_items_parent ON drive_items (parent);
CREATE TABLE IF NOT EXISTS uploads (
    id TEXT PRIMARY KEY, drive_id TEXT NOT NULL, parent TEXT NOT NULL, name TEXT NOT NULL,
    conflict TEXT NOT NULL, fs_info TEXT, expires REAL NOT NULL, total INTEGER,
    received INTEGER NOT NULL DEFAULT 0, completed INTEGER NOT NULL DEFAULT 0,
    declared_size INTEGER, defer_commit INTEGER NOT NULL DEFAULT 0);
"""
#: The app's own account: it creates and changes items unless told otherwise.
ADMIN = "admin@contoso.onmicrosoft.com"
_DEFAULT_USERS = (
    (ADMIN, "移行 管理者"),
    ("yamada.taro@contoso.onmicrosoft.com", "山田 太郎"),
    ("sato.hanako@contoso.onmicrosoft.com", "佐藤 花子"),
)


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


class Tenant:
    """All state of one emulated tenant, on SQLite."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        config.data_dir.mkdir(parents=True, exist_ok=True)
        self.content_dir = config.data_dir / "content"
        self.upload_dir = config.data_dir / "uploads"
        self.content_dir.mkdir(exist_ok=True)
        self.upload_dir.mkdir(exist_ok=True)
        self.db = sqlite3.connect(config.data_dir / "tenant.sqlite3", isolation_level=None)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(_SCHEMA)
        self.db.executescript(PERMISSIONS_SCHEMA)
        self._column_cache: dict[str, list[Column]] = {}
        #: The UPN a delegated token acts as (None: the app itself, with full control).
        self.acting_as: str | None = None
        self.drives = Drives(self)
        self.permissions = Permissions(self)
        with self.transaction():
            self._provision()

    # -- plumbing -------------------------------------------------------------------------

    def transaction(self) -> _Transaction:
        return _Transaction(self.db, self._column_cache)

    def _next_change(self) -> int:
        row = self.db.execute("SELECT value FROM meta WHERE key = 'change'").fetchone()
        value = int(row["value"]) + 1 if row else 1
        self.db.execute("INSERT OR REPLACE INTO meta VALUES ('change', ?)", (str(value),))
        return value

    @property
    def base_url(self) -> str:
        return f"https://{self.config.hostname}"

    # -- provisioning ---------------------------------------------------------------------

    def _provision(self) -> None:
        for path in ["", *(f"/sites/{s}" for s in self.config.sites)]:
            site_id = self._site_id(path)
            if self.db.execute("SELECT 1 FROM sites WHERE id = ?", (site_id,)).fetchone():
                continue
            name = path.rsplit("/", 1)[-1] or self.config.hostname
            self.db.execute(
                "INSERT INTO sites VALUES (?, ?, ?, ?)", (site_id, path, name, now_text())
            )
            self._create_list(
                site_id, "Documents", "documentLibrary", [], url_name="Shared Documents"
            )
            users = self._create_list(
                site_id, "User Information List", "genericList", [], hidden=True
            )
            self._user_list_columns(users.id)
        self._ensure_users()

    def _ensure_users(self) -> None:
        """Every site's User Information List starts with the app's own account (the loader
        acts as it) and the configured site members; other accounts must be ensured, as on
        SharePoint, where the list only holds users who visited the site or were added. The
        app has Full Control of every site; everyone in the tenant reads it."""
        members = [ADMIN, *(m for m in self.config.site_members if m.lower() != ADMIN.lower())]
        for site in self.db.execute("SELECT id FROM sites").fetchall():
            admin = self.ensure_site_user(site["id"], ADMIN)
            for upn in members:
                self.ensure_site_user(site["id"], upn)
            self.permissions.provision_site(site["id"], admin)

    # -- the directory (Entra ID) ---------------------------------------------------------

    @property
    def directory(self) -> dict[str, str]:
        """UPN (lower case) -> display name, for every account of the tenant."""
        accounts = dict(self.config.users or _DEFAULT_USERS)
        accounts.setdefault(ADMIN, "移行 管理者")
        return {upn.lower(): name for upn, name in accounts.items()}

    def group_members(self, group: str) -> set[str]:
        return {m.lower() for g, m in self.config.groups if g.lower() == group.lower()}

    def is_group(self, name: str) -> bool:
        return any(g.lower() == name.lower() for g, _ in self.config.groups)

    def ensure_site_user(self, site_id: str, upn: str) -> int:
        """The site user id of a directory account (or Entra ID group), added to the site's
        User Information List if it is not there yet; 400 for an account the tenant lacks."""
        found = self._principal_id(site_id, upn)
        if found is not None:
            return found
        name = self.directory.get(upn.lower())
        if name is None and not self.is_group(upn):
            raise GraphError(
                400,
                "-2146232832, Microsoft.SharePoint.SPException",
                f"The specified user i:0#.f|membership|{upn} could not be found.",
            )
        return self.ensure_principal(site_id, upn, name or upn, "group" if name is None else "user")

    def _principal_id(self, site_id: str, login: str) -> int | None:
        users = self.get_list(site_id, USER_LIST)
        for row in self.db.execute(
            "SELECT id, fields FROM items WHERE list_id = ? AND deleted = 0", (users.id,)
        ):
            if str(json.loads(row["fields"]).get("UserName", "")).lower() == login.lower():
                return int(row["id"])
        return None

    def ensure_principal(self, site_id: str, login: str, title: str, kind: str) -> int:
        """A principal of the site (user, Entra group, everyone, site group): one id space."""
        found = self._principal_id(site_id, login)
        if found is not None:
            return found
        users = self.get_list(site_id, USER_LIST)
        email = login if kind in ("user", "group") else ""
        fields = {"Title": title, "EMail": email, "UserName": login, "PrincipalKind": kind}
        self.permissions.forget()
        return self._insert_item(users, fields, None)

    def site_user(self, site_id: str, user_id: int) -> dict[str, Any] | None:
        users = self.get_list(site_id, USER_LIST)
        row = self.db.execute(
            "SELECT fields FROM items WHERE list_id = ? AND id = ? AND deleted = 0",
            (users.id, user_id),
        ).fetchone()
        return json.loads(row["fields"]) if row else None

    def site_users(self, site_id: str) -> list[tuple[int, dict[str, Any]]]:
        users = self.get_list(site_id, USER_LIST)
        return [
            (int(r["id"]), json.loads(r["fields"]))
            for r in self.db.execute(
                "SELECT id, fields FROM items WHERE list_id = ? AND deleted = 0 ORDER BY id",
                (users.id,),
            )
        ]

    def _user_list_columns(self, list_id: str) -> None:
        for name in ("EMail", "UserName", "PrincipalKind"):
            self._store_column(
                list_id, Column(name, name, "text", {"maxLength": 255}, builtin=True)
            )

    def _site_id(self, path: str) -> str:
        site = uuid.uuid5(uuid.NAMESPACE_URL, f"{self.config.hostname}{path}")
        web = uuid.uuid5(site, "web")
        return f"{self.config.hostname},{site},{web}"

    # -- users ----------------------------------------------------------------------------

    def user_ids(self, site_id: str) -> set[int]:
        users = self.get_list(site_id, USER_LIST)
        rows = self.db.execute(
            "SELECT id FROM items WHERE list_id = ? AND deleted = 0", (users.id,)
        )
        return {row["id"] for row in rows}

    # -- sites ----------------------------------------------------------------------------

    def site(self, ref: str, path: str | None = None) -> dict[str, Any]:
        if path is not None:
            if ref.lower() != self.config.hostname:
                raise not_found(f"Requested site could not be found: {ref}:{path}")
            row = self.db.execute(
                "SELECT * FROM sites WHERE lower(path) = lower(?)", (path.rstrip("/"),)
            ).fetchone()
        elif ref == "root":
            row = self.db.execute("SELECT * FROM sites WHERE path = ''").fetchone()
        else:
            row = self.db.execute(
                "SELECT * FROM sites WHERE lower(id) = lower(?)", (ref,)
            ).fetchone()
        if row is None:
            raise not_found("Requested site could not be found")
        return self._site_json(row)

    def _site_json(self, row: sqlite3.Row) -> dict[str, Any]:
        body = {
            "id": row["id"],
            "name": row["name"],
            "displayName": row["name"],
            "webUrl": self.base_url + row["path"],
            "createdDateTime": row["created"],
            "lastModifiedDateTime": row["created"],
            "siteCollection": {"hostname": self.config.hostname},
        }
        if row["path"] == "":
            body["root"] = {}
        return body

    def site_path(self, site_id: str) -> str:
        row = self.db.execute("SELECT path FROM sites WHERE id = ?", (site_id,)).fetchone()
        if row is None:
            raise not_found("Requested site could not be found")
        return str(row["path"])

    # -- lists ----------------------------------------------------------------------------

    def lists(self, site_id: str) -> list[dict[str, Any]]:
        self.site_path(site_id)
        rows = self.db.execute(
            "SELECT * FROM lists WHERE site_id = ? ORDER BY created, rowid", (site_id,)
        )
        return [self._list_json(self._list_row(r)) for r in rows]

    def get_list(self, site_id: str, ref: str) -> ListRow:
        row = self.db.execute(
            "SELECT * FROM lists WHERE site_id = ? AND (lower(id) = lower(?) OR "
            "display_name = ? COLLATE NOCASE)",
            (site_id, ref, ref),
        ).fetchone()
        if row is None:
            self.site_path(site_id)
            raise not_found(f"List '{ref}' does not exist at site with URL '{site_id}'.")
        return self._list_row(row)

    @staticmethod
    def _list_row(row: sqlite3.Row) -> ListRow:
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

    def list_url(self, row: ListRow) -> str:
        prefix = self.base_url + self.site_path(row.site_id)
        name = quote(row.name)
        return f"{prefix}/{name}" if row.is_library else f"{prefix}/Lists/{name}"

    def _list_json(self, row: ListRow) -> dict[str, Any]:
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

    def list_json(self, row: ListRow) -> dict[str, Any]:
        return self._list_json(row)

    def create_list(self, site_id: str, body: Any) -> dict[str, Any]:
        self.site_path(site_id)
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
        row = self._create_list(site_id, display, template, parsed)
        return self._list_json(row)

    def _create_list(
        self,
        site_id: str,
        display: str,
        template: str,
        columns: list[tuple[Column, str]],
        *,
        url_name: str | None = None,
        hidden: bool = False,
    ) -> ListRow:
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
        self._store_column(
            list_id, Column("Title", "Title", "text", {"maxLength": 255}, builtin=True)
        )
        if drive_id is not None:
            self._store_column(
                list_id, Column("FileLeafRef", "Name", "text", {"maxLength": 400}, builtin=True)
            )
            self.db.execute(
                "INSERT INTO drive_items (id, drive_id, parent, name, folder, created, modified) "
                "VALUES (?, ?, NULL, 'root', 1, ?, ?)",
                (new_item_id(), drive_id, stamp, stamp),
            )
        for column, requested in columns:
            self._add_column(list_id, column, requested)
        return self.get_list(site_id, list_id)

    def delete_list(self, site_id: str, ref: str) -> None:
        row = self.get_list(site_id, ref)
        for table, key in (
            ("lists", "id"),
            ("columns", "list_id"),
            ("items", "list_id"),
            ("item_values", "list_id"),
        ):
            self.db.execute(f"DELETE FROM {table} WHERE {key} = ?", (row.id,))  # noqa: S608
        if row.drive_id:
            self.db.execute("DELETE FROM drive_items WHERE drive_id = ?", (row.drive_id,))
        self._column_cache.pop(row.id, None)

    # -- columns --------------------------------------------------------------------------

    def columns(self, list_id: str) -> list[Column]:
        cached = self._column_cache.get(list_id)
        if cached is None:
            rows = self.db.execute(
                "SELECT body FROM columns WHERE list_id = ? ORDER BY position", (list_id,)
            )
            cached = [Column(**json.loads(r["body"])) for r in rows]
            self._column_cache[list_id] = cached
        return cached

    def _store_column(self, list_id: str, column: Column) -> None:
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

    def _add_column(self, list_id: str, column: Column, requested: str) -> Column:
        taken = {c.name.lower() for c in self.columns(list_id)}
        internal = encode_internal_name(requested)
        candidate, counter = internal, 0
        while candidate.lower() in taken:
            candidate = f"{internal[: 31 - len(str(counter))]}{counter}"
            counter += 1
        column.name = candidate
        self._store_column(list_id, column)
        return column

    def create_column(self, row: ListRow, body: Any) -> dict[str, Any]:
        column, requested = parse_column(body)
        if any(c.display_name.lower() == column.display_name.lower() for c in self.columns(row.id)):
            raise GraphError(
                409,
                "nameAlreadyExists",
                f"A field with the name '{column.display_name}' already exists.",
            )
        if column.facet == "lookup":
            self.get_list(row.site_id, str(column.settings["listId"]))
        if column.indexed and self._live_count(row.id) > LIST_VIEW_THRESHOLD:
            raise bad_request("The list is over the list view threshold; it cannot be indexed now.")
        return self._add_column(row.id, column, requested).as_graph()

    # -- items ----------------------------------------------------------------------------

    def _live_count(self, list_id: str) -> int:
        row = self.db.execute(
            "SELECT count(*) AS n FROM items WHERE list_id = ? AND deleted = 0", (list_id,)
        ).fetchone()
        return int(row["n"])

    def _validated(
        self,
        row: ListRow,
        fields: Any,
        *,
        partial: bool,
        item_id: int | None,
        graph: bool = True,
    ) -> dict[str, Any]:
        if not isinstance(fields, dict):
            raise bad_request("'fields' must be a JSON object.")
        columns = {c.name: c for c in self.columns(row.id)}
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
                user_ids = self.user_ids(row.site_id)
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

    def _index(self, row: ListRow, item_id: int, fields: dict[str, Any]) -> None:
        self.db.execute("DELETE FROM item_values WHERE list_id = ? AND item = ?", (row.id, item_id))
        for column in self.columns(row.id):
            if column.indexed and not column.multi and fields.get(column.name) is not None:
                self.db.execute(
                    "INSERT INTO item_values VALUES (?, ?, ?, ?)",
                    (row.id, column.name, json.dumps(fields[column.name]), item_id),
                )

    def create_item(
        self, row: ListRow, body: Any, *, drive_item: str | None = None
    ) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise bad_request("The request body must be a JSON object.")
        unknown = set(body) - {"fields", "@odata.type", "contentType"}
        if unknown:
            raise unknown_property(sorted(unknown)[0], "listItem")
        fields = self._validated(row, body.get("fields", {}), partial=False, item_id=None)
        item_id = self._insert_item(row, fields, drive_item)
        return self.item_json(row, item_id, expand_fields=True)

    def _insert_item(
        self,
        row: ListRow,
        fields: dict[str, Any],
        drive_item: str | None,
        *,
        parent_item: int | None = None,
        folder: bool = False,
    ) -> int:
        counter = self.db.execute("SELECT next_item FROM lists WHERE id = ?", (row.id,)).fetchone()
        item_id = int(counter["next_item"])
        self.db.execute("UPDATE lists SET next_item = ? WHERE id = ?", (item_id + 1, row.id))
        stamp = now_text()
        actor = None if row.display_name == USER_LIST else self.actor_id(row.site_id)
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
                self._next_change(),
                drive_item,
                str(uuid.uuid4()),
                actor,
                actor,
                parent_item,
                int(folder),
            ),
        )
        self._index(row, item_id, fields)
        return item_id

    def _item_row(self, row: ListRow, item_id: str | int) -> sqlite3.Row:
        key = sqlite_id(item_id)
        if key is None:
            raise not_found(f"Item '{str(item_id)[:40]}' not found")
        found: sqlite3.Row | None = self.db.execute(
            "SELECT * FROM items WHERE list_id = ? AND id = ? AND deleted = 0", (row.id, key)
        ).fetchone()
        if found is None:
            raise not_found("The resource could not be found.")
        return found

    def etag(self, item: sqlite3.Row) -> str:
        return f'"{item["guid"]},{item["version"]}"'

    def _check_etag(self, item: sqlite3.Row, if_match: str | None) -> None:
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
        item = self._item_row(row, item_id)
        self._check_etag(item, if_match)
        values = self._validated(row, body, partial=True, item_id=item["id"])
        fields = json.loads(item["fields"])
        fields.update(values)
        self.db.execute(
            "UPDATE items SET fields = ?, version = version + 1, modified = ?, change = ?, "
            "editor = ? WHERE list_id = ? AND id = ?",
            (
                json.dumps(fields),
                now_text(),
                self._next_change(),
                self.actor_id(row.site_id),
                row.id,
                item["id"],
            ),
        )
        self._index(row, item["id"], fields)
        return self.fields_json(row, self._item_row(row, item["id"]), None)

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
        current = self._item_row(row, item_id)["parent_item"]
        while current is not None:
            parent = self._item_row(row, current)
            names.append(str(json.loads(parent["fields"]).get("FileLeafRef", "")))
            current = parent["parent_item"]
        root = unquote(urlsplit(self.list_url(row)).path).rstrip("/")
        return "/".join([root, *reversed(names)])

    def stored_values(self, row: ListRow, values: dict[str, Any]) -> dict[str, Any]:
        """Values parsed by REST, checked as Graph's are: required and unique columns."""
        columns = {c.name: c for c in self.columns(row.id)}
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

    def actor_id(self, site_id: str) -> int:
        """The site user id of whoever makes the current request (the app, unless a
        delegated user token says otherwise)."""
        return self.ensure_site_user(site_id, self.acting_as or ADMIN)

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
        item = self._item_row(row, item_id)
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
            columns["editor"] = self.actor_id(row.site_id)
        assignments = ", ".join(f"{key} = ?" for key in columns)
        self.db.execute(
            "UPDATE items SET fields = ?, change = ?, version = version + ?"  # noqa: S608 (column names are fixed above)
            + (f", {assignments}" if assignments else "")
            + " WHERE list_id = ? AND id = ?",
            (json.dumps(fields), self._next_change(), 1 if new_version else 0,
             *columns.values(), row.id, item_id),
        )  # fmt: skip
        self._index(row, item_id, fields)

    def delete_item(self, row: ListRow, item_id: str, if_match: str | None = None) -> None:
        item = self._item_row(row, item_id)
        self._check_etag(item, if_match)
        self.db.execute(
            "UPDATE items SET deleted = 1, fields = NULL, change = ? WHERE list_id = ? AND id = ?",
            (self._next_change(), row.id, item["id"]),
        )
        self.db.execute(
            "DELETE FROM item_values WHERE list_id = ? AND item = ?", (row.id, item["id"])
        )
        if item["drive_item"]:
            self.db.execute("DELETE FROM drive_items WHERE id = ?", (item["drive_item"],))

    def fields_json(
        self, row: ListRow, item: sqlite3.Row, select: set[str] | None
    ) -> dict[str, Any]:
        stored = json.loads(item["fields"])
        fields: dict[str, Any] = {"@odata.etag": self.etag(item)}
        for column in self.columns(row.id):
            if column.name not in stored or stored[column.name] is None:
                continue
            value = stored[column.name]
            key = f"{column.name}LookupId" if column.uses_lookup_id else column.name
            if column.multi:
                fields[f"{key}@odata.type"] = "Collection(Edm.String)"
                value = [str(v) if column.uses_lookup_id else v for v in value]
            elif column.uses_lookup_id:
                value = str(value)
            fields[key] = value
        fields.update(
            {
                "id": str(item["id"]),
                "ContentType": _content_type(row, item)[1],
                "Created": item["created"],
                "Modified": item["modified"],
                "AuthorLookupId": str(item["author"] or 1),
                "EditorLookupId": str(item["editor"] or 1),
                "_UIVersionString": f"{item['version']}.0",
                "Attachments": False,
            }
        )
        if select:
            fields = {
                k: v
                for k, v in fields.items()
                if k.split("@")[0] in select
                or k == "@odata.etag"
                or k.removesuffix("LookupId") in select
            }
        return fields

    def item_json(
        self,
        row: ListRow,
        item_id: str | int,
        *,
        expand_fields: bool,
        select: set[str] | None = None,
        item: sqlite3.Row | None = None,
        expand_drive_item: bool = False,
    ) -> dict[str, Any]:
        item = item if item is not None else self._item_row(row, item_id)
        body: dict[str, Any] = {
            "@odata.etag": self.etag(item),
            "id": str(item["id"]),
            "eTag": self.etag(item),
            "createdDateTime": item["created"],
            "lastModifiedDateTime": item["modified"],
            "webUrl": f"{self.list_url(row)}/DispForm.aspx?ID={item['id']}",
            "createdBy": {"user": self.user_json(row.site_id, item["author"])},
            "lastModifiedBy": {"user": self.user_json(row.site_id, item["editor"])},
            "parentReference": {"id": row.id, "siteId": row.site_id},
            "contentType": dict(zip(("id", "name"), _content_type(row, item), strict=True)),
        }
        if expand_fields:
            body["fields"] = self.fields_json(row, item, select)
        if expand_drive_item and row.is_library and row.drive_id:
            # A library item's file (or folder), as Graph's listItem/driveItem relationship.
            found = self.db.execute(
                "SELECT * FROM drive_items WHERE drive_id = ? AND list_item = ?",
                (row.drive_id, int(item["id"])),
            ).fetchone()
            if found is not None:
                body["driveItem"] = self.drives.drive_item_json(found)
        return body

    def user_json(self, site_id: str, user_id: int | None) -> dict[str, Any]:
        """Graph's identity of a site user (``createdBy.user``)."""
        found = self.site_user(site_id, user_id) if user_id else None
        if found is None:
            return {"displayName": "System Account"}
        return {"displayName": found.get("Title"), "email": found.get("EMail")}

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
        columns = {c.name: c for c in self.columns(row.id)}
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
                if self._live_count(row.id) > LIST_VIEW_THRESHOLD:
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
                    if not all(_compare(fields.get(n), op, v) for n, op, v in conditions):
                        continue
                matched.append(item)
                if len(matched) > top:
                    break
        finally:
            candidates.close()
        if len(matched) > top:
            return matched[:top], int(matched[top - 1]["id"])
        return matched, None

    def changes(
        self, row: ListRow, since: int, after: int, top: int
    ) -> tuple[list[sqlite3.Row], int | None, int]:
        """Items changed after change number ``since`` (deleted ones included), one page."""
        rows = self.db.execute(
            "SELECT * FROM items WHERE list_id = ? AND change > ? AND (? > 0 OR deleted = 0) "
            "AND change > ? ORDER BY change LIMIT ?",
            (row.id, since, since, after, top + 1),
        ).fetchall()
        latest = self.db.execute("SELECT value FROM meta WHERE key = 'change'").fetchone()
        current = int(latest["value"]) if latest else 0
        if len(rows) > top:
            return rows[:top], int(rows[top - 1]["change"]), current
        return rows, None, current


def _content_type(row: ListRow, item: sqlite3.Row) -> tuple[str, str]:
    if item["is_folder"]:
        return "0x0120", "Folder"
    return ("0x0101", "Document") if row.is_library else ("0x0100", "Item")


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


def _compare(left: Any, op: str, right: Any) -> bool:
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


class _Transaction:
    """``with tenant.transaction():`` one atomic unit (BEGIN IMMEDIATE ... COMMIT)."""

    def __init__(self, db: sqlite3.Connection, cache: dict[str, list[Column]]) -> None:
        self._db = db
        self._cache = cache

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, value: object, trace: object) -> None:
        self._db.execute("COMMIT" if kind is None else "ROLLBACK")
        if kind is not None:
            self._cache.clear()
