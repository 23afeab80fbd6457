"""The emulated tenant: one object holding all its state, made of modules with one job each.

:class:`Tenant` is the facade ``app``, the routes (``graph``, ``rest``, ``uploads``) and the
tenant's own parts call (the parts reach each other through it, not directly). It keeps no logic
of its own beyond the order things are made in, and hands each call to the part that does it:

- ``store``: the SQLite database (WAL, in the data directory), its tables, transactions;
- ``sites``: the sites, found by id or path; ``directory``: the accounts and groups;
- ``site_users``: each site's User Information List, its principals, who acts;
- ``lists`` and ``list_columns``: lists and libraries, and the columns each has;
- ``items``: list items, ETags, versions; ``item_validation``: what a write may hold;
- ``item_json``: items in Graph's shape; ``queries``: ``$filter``; ``folders``: folder items;
- ``changes``: change numbers and delta; ``drives``, ``permissions``: files and scopes.

Methods raise :class:`GraphError` for anything SharePoint would refuse and return plain dicts
in Graph's JSON shape. File content is on disk by sha256, beside the database.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from notesmig.emulator.changes import ChangeLog
from notesmig.emulator.columns import Column
from notesmig.emulator.config import EmulatorConfig
from notesmig.emulator.directory import Directory
from notesmig.emulator.drives import Drives
from notesmig.emulator.folders import Folders
from notesmig.emulator.item_json import ItemJson
from notesmig.emulator.item_validation import ItemValidation
from notesmig.emulator.items import Items
from notesmig.emulator.list_columns import ListColumns
from notesmig.emulator.lists import ListRow, Lists, list_row
from notesmig.emulator.permissions import SCHEMA as PERMISSIONS_SCHEMA
from notesmig.emulator.permissions import Permissions
from notesmig.emulator.queries import Queries
from notesmig.emulator.site_users import SiteUsers
from notesmig.emulator.sites import Sites
from notesmig.emulator.store import SCHEMA, Transaction, connect

__all__ = ["ListRow", "Tenant"]


class Tenant:
    """All state of one emulated tenant, on SQLite."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        config.data_dir.mkdir(parents=True, exist_ok=True)
        self.content_dir = config.data_dir / "content"
        self.upload_dir = config.data_dir / "uploads"
        self.content_dir.mkdir(exist_ok=True)
        self.upload_dir.mkdir(exist_ok=True)
        self.db = connect(config.data_dir / "tenant.sqlite3", SCHEMA, PERMISSIONS_SCHEMA)
        #: The UPN a delegated token acts as (None: the app itself, with full control).
        self.acting_as: str | None = None
        self._changes = ChangeLog(self.db)
        self._sites = Sites(self)
        self._directory = Directory(config)
        self._users = SiteUsers(self)
        self._lists = Lists(self)
        self._columns = ListColumns(self)
        self._items = Items(self)
        self._validation = ItemValidation(self)
        self._json = ItemJson(self)
        self._queries = Queries(self)
        self._folders = Folders(self)
        self.drives = Drives(self)
        self.permissions = Permissions(self)
        with self.transaction():
            self._provision()

    # -- plumbing -------------------------------------------------------------------------

    def transaction(self) -> Transaction:
        return Transaction(self.db, self._columns.forget_all)

    def _next_change(self) -> int:
        return self._changes.next()

    @property
    def base_url(self) -> str:
        return self._sites.base_url

    def _provision(self) -> None:
        """Sites with their lists, then their users and permissions (at every start: what is
        there already is left as it is)."""
        self._sites.provision()
        self._users.provision()

    # -- the directory (Entra ID) and site users ------------------------------------------

    @property
    def directory(self) -> dict[str, str]:
        """UPN (lower case) -> display name, for every account of the tenant."""
        return self._directory.accounts

    def group_members(self, group: str) -> set[str]:
        return self._directory.group_members(group)

    def is_group(self, name: str) -> bool:
        return self._directory.is_group(name)

    def ensure_site_user(self, site_id: str, upn: str) -> int:
        return self._users.ensure_site_user(site_id, upn)

    def ensure_principal(self, site_id: str, login: str, title: str, kind: str) -> int:
        return self._users.ensure_principal(site_id, login, title, kind)

    def site_user(self, site_id: str, user_id: int) -> dict[str, Any] | None:
        return self._users.site_user(site_id, user_id)

    def site_users(self, site_id: str) -> list[tuple[int, dict[str, Any]]]:
        return self._users.site_users(site_id)

    def _user_list_columns(self, list_id: str) -> None:
        self._users.list_columns(list_id)

    def user_ids(self, site_id: str) -> set[int]:
        return self._users.user_ids(site_id)

    def actor_id(self, site_id: str) -> int:
        return self._users.actor_id(site_id)

    def user_json(self, site_id: str, user_id: int | None) -> dict[str, Any]:
        return self._users.user_json(site_id, user_id)

    # -- sites ----------------------------------------------------------------------------

    def site(self, ref: str, path: str | None = None) -> dict[str, Any]:
        return self._sites.site(ref, path)

    def site_path(self, site_id: str) -> str:
        return self._sites.site_path(site_id)

    # -- lists and their columns ----------------------------------------------------------

    def lists(self, site_id: str) -> list[dict[str, Any]]:
        return self._lists.lists(site_id)

    def get_list(self, site_id: str, ref: str) -> ListRow:
        return self._lists.get_list(site_id, ref)

    @staticmethod
    def _list_row(row: sqlite3.Row) -> ListRow:
        return list_row(row)

    def list_url(self, row: ListRow) -> str:
        return self._lists.list_url(row)

    def list_json(self, row: ListRow) -> dict[str, Any]:
        return self._lists.list_json(row)

    def create_list(self, site_id: str, body: Any) -> dict[str, Any]:
        return self._lists.create_list(site_id, body)

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
        return self._lists.add(
            site_id, display, template, columns, url_name=url_name, hidden=hidden
        )

    def delete_list(self, site_id: str, ref: str) -> None:
        row = self._lists.delete_list(site_id, ref)
        self._columns.drop(row.id)

    def columns(self, list_id: str) -> list[Column]:
        return self._columns.columns(list_id)

    def _store_column(self, list_id: str, column: Column) -> None:
        self._columns.store(list_id, column)

    def _add_column(self, list_id: str, column: Column, requested: str) -> Column:
        return self._columns.add(list_id, column, requested)

    def create_column(self, row: ListRow, body: Any) -> dict[str, Any]:
        return self._columns.create_column(row, body)

    # -- items ----------------------------------------------------------------------------

    def _live_count(self, list_id: str) -> int:
        return self._items.live_count(list_id)

    def _validated(
        self,
        row: ListRow,
        fields: Any,
        *,
        partial: bool,
        item_id: int | None,
        graph: bool = True,
    ) -> dict[str, Any]:
        return self._validation.validated(
            row, fields, partial=partial, item_id=item_id, graph=graph
        )

    def stored_values(self, row: ListRow, values: dict[str, Any]) -> dict[str, Any]:
        return self._validation.stored_values(row, values)

    def create_item(
        self, row: ListRow, body: Any, *, drive_item: str | None = None
    ) -> dict[str, Any]:
        return self._items.create_item(row, body, drive_item=drive_item)

    def _insert_item(
        self,
        row: ListRow,
        fields: dict[str, Any],
        drive_item: str | None,
        *,
        parent_item: int | None = None,
        folder: bool = False,
    ) -> int:
        return self._items.insert(row, fields, drive_item, parent_item=parent_item, folder=folder)

    def _item_row(self, row: ListRow, item_id: str | int) -> sqlite3.Row:
        return self._items.item_row(row, item_id)

    def etag(self, item: sqlite3.Row) -> str:
        return self._items.etag(item)

    def update_fields(
        self, row: ListRow, item_id: str, body: Any, if_match: str | None
    ) -> dict[str, Any]:
        return self._items.update_fields(row, item_id, body, if_match)

    def set_system_fields(
        self, row: ListRow, item_id: int, values: dict[str, Any], *, new_version: bool
    ) -> None:
        self._items.set_system_fields(row, item_id, values, new_version=new_version)

    def delete_item(self, row: ListRow, item_id: str, if_match: str | None = None) -> None:
        self._items.delete_item(row, item_id, if_match)

    def fields_json(
        self, row: ListRow, item: sqlite3.Row, select: set[str] | None
    ) -> dict[str, Any]:
        return self._json.fields_json(row, item, select)

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
        return self._json.item_json(
            row,
            item_id,
            expand_fields=expand_fields,
            select=select,
            item=item,
            expand_drive_item=expand_drive_item,
        )

    # -- folders, queries, changes --------------------------------------------------------

    def folder_named(self, row: ListRow, parent: int | None, name: str) -> int | None:
        return self._folders.folder_named(row, parent, name)

    def folder_path(self, row: ListRow, item_id: int) -> str:
        return self._folders.folder_path(row, item_id)

    def query_items(
        self,
        row: ListRow,
        *,
        conditions: list[tuple[str, str, Any]],
        honor_non_indexed: bool,
        after: int,
        top: int,
    ) -> tuple[list[sqlite3.Row], int | None]:
        return self._queries.query_items(
            row, conditions=conditions, honor_non_indexed=honor_non_indexed, after=after, top=top
        )

    def changes(
        self, row: ListRow, since: int, after: int, top: int
    ) -> tuple[list[sqlite3.Row], int | None, int]:
        return self._changes.since(row, since, after, top)
