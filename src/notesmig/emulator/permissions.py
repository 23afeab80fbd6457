"""SharePoint permissions on the emulated tenant: scopes, role assignments, site groups, and who
may read or change what.

A securable object (the site, a list or library, a folder, an item or a file) either inherits
its parent's permissions or has a unique scope of role assignments (principal, role
definition). Principals are site users (people, Entra ID groups, "Everyone except external
users") and site groups; they share one id space, as in SharePoint. A request made with a
delegated token (``user:<UPN>``) acts as that person: reads return only what the person may
read (an item the person may not read is a 404, as SharePoint answers), writes need Contribute
or more. Any other token is the app, with full control everywhere.

``breakroleinheritance(copyRoleAssignments=false)`` leaves only the caller with Full Control
(CSOM ``SecurableObject.BreakRoleInheritance``); the limits are SharePoint's: 50,000 unique
scopes per list, 5,000 role assignments per scope, and no breaking (or restoring) inheritance on
a list or folder of more than 100,000 items: 429, which no retry cures (Migration API
permission guidance).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from notesmig.emulator.graph_errors import GraphError, RestError
from notesmig.spfacts.limits import (
    BREAK_INHERITANCE_MAX_ITEMS,
    ROLE_ASSIGNMENTS_PER_SCOPE,
    UNIQUE_SCOPES_SUPPORTED,
)
from notesmig.spfacts.roles import BUILT_IN_ROLES, FULL_CONTROL, READ, RoleDefinition

if TYPE_CHECKING:
    from notesmig.emulator.lists import ListRow
    from notesmig.emulator.tenant import Tenant

SCHEMA = """
CREATE TABLE IF NOT EXISTS scopes (key TEXT PRIMARY KEY, site_id TEXT NOT NULL, list_id TEXT);
CREATE TABLE IF NOT EXISTS role_assignments (
    key TEXT NOT NULL, principal INTEGER NOT NULL, role INTEGER NOT NULL,
    PRIMARY KEY (key, principal, role));
CREATE TABLE IF NOT EXISTS site_groups (
    site_id TEXT NOT NULL, id INTEGER NOT NULL, title TEXT NOT NULL, description TEXT,
    PRIMARY KEY (site_id, id));
CREATE UNIQUE INDEX IF NOT EXISTS site_groups_title ON site_groups (site_id, title COLLATE NOCASE);
CREATE TABLE IF NOT EXISTS group_members (
    site_id TEXT NOT NULL, group_id INTEGER NOT NULL, member INTEGER NOT NULL,
    PRIMARY KEY (site_id, group_id, member));
CREATE TABLE IF NOT EXISTS list_settings (
    list_id TEXT PRIMARY KEY, write_security INTEGER NOT NULL);
"""
EVERYONE = "Everyone except external users"
EVERYONE_LOGIN = "c:0-f|rolemanager|spo-grid-all-users"
#: What each kind of role lets a principal do (RoleTypeKind: 2 Reader ... 5 Administrator).
_READERS = {2, 3, 4, 5, 6}
_WRITERS = {3, 4, 5, 6}
_MANAGERS = {5}
#: Roles exempt from a list's item-level write security: those holding Cancel Checkout
#: (Override List Behaviors), i.e. Design and Full Control. The list settings page says "Users
#: with the Cancel Checkout permission can read and edit all items"; Edit is Contribute plus
#: Manage Lists, without it (learn.microsoft.com, SharePoint Online default permission levels).
_OVERRIDERS = {4, 5}
#: SPList.WriteSecurity: 1 all users modify all items, 2 only items they create, 4 none
#: (learn.microsoft.com/previous-versions/office/developer/sharepoint-2010/ms410739).
WRITE_SECURITY = (1, 2, 4)
ROLES_BY_ID = {role.id: role for role in BUILT_IN_ROLES}
THROTTLED = "-2147024860, Microsoft.SharePoint.SPQueryThrottledException"
TOO_MANY_ITEMS = (
    "The attempted operation is prohibited: the list, library, or folder contains more than "
    "100,000 items, so its permission inheritance cannot be broken or restored."
)


def site_key(site_id: str) -> str:
    return f"site:{site_id}"


def list_key(list_id: str) -> str:
    return f"list:{list_id}"


def item_key(list_id: str, item_id: int) -> str:
    return f"item:{list_id}:{item_id}"


@dataclass(frozen=True)
class Assignment:
    principal: int
    role: RoleDefinition


class Permissions:
    """The permission state of one tenant (kept in the tenant's SQLite)."""

    def __init__(self, tenant: Tenant) -> None:
        self.tenant = tenant
        self.db = tenant.db
        self._principals: dict[tuple[str, str], set[int]] = {}

    def forget(self) -> None:
        """Drop what was worked out for the current request."""
        self._principals.clear()

    # -- provisioning ---------------------------------------------------------------------

    def provision_site(self, site_id: str, admin_id: int) -> None:
        """A new site: the app's account has Full Control, everyone in the tenant reads."""
        key = site_key(site_id)
        if self.db.execute("SELECT 1 FROM scopes WHERE key = ?", (key,)).fetchone():
            return
        self.db.execute("INSERT INTO scopes VALUES (?, ?, NULL)", (key, site_id))
        everyone = self.tenant.ensure_principal(site_id, EVERYONE_LOGIN, EVERYONE, "everyone")
        self._assign(key, admin_id, FULL_CONTROL.id)
        self._assign(key, everyone, READ.id)

    # -- scopes ---------------------------------------------------------------------------

    def effective_key(self, row: ListRow, item_id: int | None) -> str:
        """The key of the scope whose assignments apply to a list (item_id None) or item."""
        current = item_id
        while current is not None:
            key = item_key(row.id, current)
            if self._is_unique(key):
                return key
            parent = self.db.execute(
                "SELECT parent_item FROM items WHERE list_id = ? AND id = ?", (row.id, current)
            ).fetchone()
            current = parent["parent_item"] if parent is not None else None
        key = list_key(row.id)
        if self._is_unique(key):
            return key
        return site_key(row.site_id)

    def _is_unique(self, key: str) -> bool:
        return self.db.execute("SELECT 1 FROM scopes WHERE key = ?", (key,)).fetchone() is not None

    def has_unique(self, row: ListRow, item_id: int | None) -> bool:
        return self._is_unique(item_key(row.id, item_id) if item_id else list_key(row.id))

    def assignments(self, key: str) -> list[Assignment]:
        return [
            Assignment(int(r["principal"]), ROLES_BY_ID[int(r["role"])])
            for r in self.db.execute(
                "SELECT principal, role FROM role_assignments WHERE key = ? "
                "ORDER BY principal, role",
                (key,),
            )
        ]

    def _assign(self, key: str, principal: int, role: int) -> None:
        self.db.execute(
            "INSERT OR IGNORE INTO role_assignments VALUES (?, ?, ?)", (key, principal, role)
        )

    def _items_under(self, row: ListRow, item_id: int | None) -> int:
        if item_id is None:
            found = self.db.execute(
                "SELECT count(*) AS n FROM items WHERE list_id = ? AND deleted = 0", (row.id,)
            ).fetchone()
            return int(found["n"])
        return len(self._descendants(row, item_id))

    def _descendants(self, row: ListRow, item_id: int) -> list[int]:
        found: list[int] = []
        frontier = [item_id]
        while frontier:
            children = [
                int(r["id"])
                for r in self.db.execute(
                    f"SELECT id FROM items WHERE list_id = ? AND deleted = 0 AND parent_item IN "  # noqa: S608 (placeholders only)
                    f"({','.join('?' * len(frontier))})",
                    (row.id, *frontier),
                )
            ]
            found.extend(children)
            frontier = children
        return found

    def break_inheritance(
        self, row: ListRow, item_id: int | None, *, copy: bool, clear_subscopes: bool
    ) -> None:
        key = item_key(row.id, item_id) if item_id else list_key(row.id)
        is_container = item_id is None or self._is_folder(row, item_id)
        if is_container and self._items_under(row, item_id) > self._max_items():
            raise RestError(
                429, "-2147024860, Microsoft.SharePoint.SPQueryThrottledException", TOO_MANY_ITEMS
            )
        if not self._is_unique(key):
            if item_id is not None:
                scopes = self.db.execute(
                    "SELECT count(*) AS n FROM scopes WHERE list_id = ? AND key LIKE 'item:%'",
                    (row.id,),
                ).fetchone()
                if int(scopes["n"]) >= UNIQUE_SCOPES_SUPPORTED:
                    raise RestError(
                        400,
                        "-2147024809, System.ArgumentException",
                        "You cannot break inheritance for this item because there are too many "
                        "items with unique permissions in this list.",
                    )
            inherited = self.assignments(self.effective_key(row, item_id))
            self.db.execute("INSERT INTO scopes VALUES (?, ?, ?)", (key, row.site_id, row.id))
            if copy:
                for assignment in inherited:
                    self._assign(key, assignment.principal, assignment.role.id)
            else:
                self._assign(key, self.tenant.actor_id(row.site_id), FULL_CONTROL.id)
        if clear_subscopes and is_container:
            below = self._descendants(row, item_id) if item_id else [
                int(r["id"]) for r in self.db.execute(
                    "SELECT id FROM items WHERE list_id = ? AND deleted = 0", (row.id,))
            ]  # fmt: skip
            for child in below:
                self._drop(item_key(row.id, child))

    def reset_inheritance(self, row: ListRow, item_id: int | None) -> None:
        key = item_key(row.id, item_id) if item_id else list_key(row.id)
        is_container = item_id is None or self._is_folder(row, item_id)
        if is_container and self._items_under(row, item_id) > self._max_items():
            raise RestError(
                429, "-2147024860, Microsoft.SharePoint.SPQueryThrottledException", TOO_MANY_ITEMS
            )
        self._drop(key)

    def _max_items(self) -> int:
        return min(BREAK_INHERITANCE_MAX_ITEMS, self.tenant.config.break_inheritance_max_items)

    def _drop(self, key: str) -> None:
        self.db.execute("DELETE FROM scopes WHERE key = ?", (key,))
        self.db.execute("DELETE FROM role_assignments WHERE key = ?", (key,))

    def _is_folder(self, row: ListRow, item_id: int) -> bool:
        found = self.db.execute(
            "SELECT is_folder FROM items WHERE list_id = ? AND id = ?", (row.id, item_id)
        ).fetchone()
        return bool(found and found["is_folder"])

    def _unique_key(self, row: ListRow, item_id: int | None) -> str:
        key = item_key(row.id, item_id) if item_id else list_key(row.id)
        if not self._is_unique(key):
            raise RestError(
                400,
                "-2146232832, Microsoft.SharePoint.SPException",
                "This operation is not allowed on an object that inherits permissions.",
            )
        return key

    def add_assignment(self, row: ListRow, item_id: int | None, principal: int, role: int) -> None:
        key = self._unique_key(row, item_id)
        if role not in ROLES_BY_ID:
            raise RestError(404, "-2146232832, Microsoft.SharePoint.SPException",
                            f"The role definition {role} does not exist.")  # fmt: skip
        if not self.principal_exists(row.site_id, principal):
            raise RestError(404, "-2146232832, Microsoft.SharePoint.SPException",
                            f"The principal {principal} does not exist.")  # fmt: skip
        present = {a.principal for a in self.assignments(key)}
        if principal not in present and len(present) >= ROLE_ASSIGNMENTS_PER_SCOPE:
            limit = ROLE_ASSIGNMENTS_PER_SCOPE
            raise RestError(400, "-2147024809, System.ArgumentException",
                            f"A scope holds at most {limit} role assignments.")  # fmt: skip
        self._assign(key, principal, role)

    def remove_assignment(
        self, row: ListRow, item_id: int | None, principal: int, role: int | None
    ) -> None:
        key = self._unique_key(row, item_id)
        if role is None:
            found = self.db.execute(
                "SELECT 1 FROM role_assignments WHERE key = ? AND principal = ?", (key, principal)
            ).fetchone()
            if found is None:
                # GetByPrincipalId on a principal without an assignment (CSOM ee536165).
                raise RestError(400, "-2147024809, System.ArgumentException",
                                "Value does not fall within the expected range.")  # fmt: skip
            self.db.execute(
                "DELETE FROM role_assignments WHERE key = ? AND principal = ?", (key, principal)
            )
        else:
            self.db.execute(
                "DELETE FROM role_assignments WHERE key = ? AND principal = ? AND role = ?",
                (key, principal, role),
            )

    def unique_scopes(self, row: ListRow) -> int:
        found = self.db.execute(
            "SELECT count(*) AS n FROM scopes WHERE list_id = ?", (row.id,)
        ).fetchone()
        return int(found["n"])

    # -- principals -----------------------------------------------------------------------

    def principal_exists(self, site_id: str, principal: int) -> bool:
        return self.tenant.site_user(site_id, principal) is not None

    def principals_of(self, site_id: str, upn: str) -> set[int]:
        """Every principal id of a site that stands for this person."""
        cache_key = (site_id, upn.lower())
        known = self._principals.get(cache_key)
        if known is not None:
            return known
        person = upn.lower()
        in_tenant = person in self.tenant.directory
        direct: set[int] = set()
        for user_id, fields in self.tenant.site_users(site_id):
            kind = fields.get("PrincipalKind", "user")
            name = str(fields.get("UserName", "")).lower()
            matches = (
                (kind == "user" and name == person)
                or (kind == "group" and person in self.tenant.group_members(name))
                or (kind == "everyone" and in_tenant)
            )
            if matches:
                direct.add(user_id)
        groups = {
            int(r["group_id"])
            for r in self.db.execute(
                "SELECT group_id, member FROM group_members WHERE site_id = ?", (site_id,)
            )
            if int(r["member"]) in direct
        }
        known = direct | groups
        self._principals[cache_key] = known
        return known

    def allowed(self, upn: str, site_id: str, key: str, need: str) -> bool:
        kinds = {"read": _READERS, "write": _WRITERS, "manage": _MANAGERS,
                 "permissions": _MANAGERS}[need]  # fmt: skip
        mine = self.principals_of(site_id, upn)
        return any(a.principal in mine and a.role.kind in kinds for a in self.assignments(key))

    def can(self, row: ListRow, item_id: int | None, need: str) -> bool:
        """Whether the acting identity may ``need`` (read, write, manage) the list or item."""
        upn = self.tenant.acting_as
        if upn is None:  # the app: full control everywhere, permissions if it was granted that
            return need != "permissions" or self.tenant.config.manage_permissions
        key = self.effective_key(row, item_id)
        if not self.allowed(upn, row.site_id, key, need):
            return False
        if need != "write" or item_id is None or row.is_library:
            return True  # (libraries have no item-level write security)
        security = self.write_security(row)
        if security == 1:
            return True
        mine = self.principals_of(row.site_id, upn)
        if any(a.principal in mine and a.role.kind in _OVERRIDERS for a in self.assignments(key)):
            return True
        if security == 4:
            return False
        author = self.db.execute(
            "SELECT author FROM items WHERE list_id = ? AND id = ?", (row.id, item_id)
        ).fetchone()
        return author is not None and author["author"] in mine

    def write_security(self, row: ListRow) -> int:
        found = self.db.execute(
            "SELECT write_security FROM list_settings WHERE list_id = ?", (row.id,)
        ).fetchone()
        return int(found["write_security"]) if found is not None else 1

    def set_write_security(self, row: ListRow, value: object) -> None:
        if not isinstance(value, int) or isinstance(value, bool) or value not in WRITE_SECURITY:
            raise RestError(
                400,
                "-2147024809, System.ArgumentException",
                "Value does not fall within the expected range.",
            )
        self.db.execute(
            "INSERT INTO list_settings VALUES (?, ?) ON CONFLICT (list_id) "
            "DO UPDATE SET write_security = excluded.write_security",
            (row.id, value),
        )

    def can_site(self, site_id: str, need: str) -> bool:
        upn = self.tenant.acting_as
        if upn is None:
            return need != "permissions" or self.tenant.config.manage_permissions
        return self.allowed(upn, site_id, site_key(site_id), need)

    def readable(self, row: ListRow, item_ids: Iterable[int]) -> set[int]:
        ids = list(item_ids)
        if self.tenant.acting_as is None:
            return set(ids)
        return {i for i in ids if self.can(row, i, "read")}

    # -- site groups ----------------------------------------------------------------------

    def groups(self, site_id: str) -> list[dict[str, Any]]:
        return [
            self.group_json(site_id, int(r["id"]))
            for r in self.db.execute(
                "SELECT id FROM site_groups WHERE site_id = ? ORDER BY id", (site_id,)
            )
        ]

    def group_by_title(self, site_id: str, title: str) -> int | None:
        found = self.db.execute(
            "SELECT id FROM site_groups WHERE site_id = ? AND title = ? COLLATE NOCASE",
            (site_id, title),
        ).fetchone()
        return int(found["id"]) if found else None

    def create_group(self, site_id: str, title: str, description: str) -> int:
        if self.group_by_title(site_id, title) is not None:
            raise RestError(400, "-2130575293, Microsoft.SharePoint.SPException",
                            f"The specified name is already in use: {title}")  # fmt: skip
        group_id = self.tenant.ensure_principal(site_id, f"sitegroup:{title}", title, "sitegroup")
        self.db.execute(
            "INSERT INTO site_groups VALUES (?, ?, ?, ?)", (site_id, group_id, title, description)
        )
        return group_id

    def group_json(self, site_id: str, group_id: int) -> dict[str, Any]:
        row = self.db.execute(
            "SELECT * FROM site_groups WHERE site_id = ? AND id = ?", (site_id, group_id)
        ).fetchone()
        if row is None:
            raise RestError(404, "-2146232832, Microsoft.SharePoint.SPException",
                            "Group cannot be found.")  # fmt: skip
        return {"Id": group_id, "Title": row["title"], "Description": row["description"],
                "LoginName": row["title"], "PrincipalType": 8}  # fmt: skip

    def members(self, site_id: str, group_id: int) -> list[int]:
        self.group_json(site_id, group_id)
        return [
            int(r["member"])
            for r in self.db.execute(
                "SELECT member FROM group_members WHERE site_id = ? AND group_id = ? "
                "ORDER BY member",
                (site_id, group_id),
            )
        ]

    def add_member(self, site_id: str, group_id: int, member: int) -> None:
        self.group_json(site_id, group_id)
        self.db.execute(
            "INSERT OR IGNORE INTO group_members VALUES (?, ?, ?)", (site_id, group_id, member)
        )
        self.forget()

    def remove_member(self, site_id: str, group_id: int, member: int) -> None:
        self.db.execute(
            "DELETE FROM group_members WHERE site_id = ? AND group_id = ? AND member = ?",
            (site_id, group_id, member),
        )
        self.forget()


def forbidden() -> GraphError:
    return GraphError(
        403,
        "accessDenied",
        "Access denied. You do not have permission to perform this action or access this resource.",
    )


def principal_json(tenant: Tenant, site_id: str, principal: int) -> dict[str, Any]:
    fields = tenant.site_user(site_id, principal) or {}
    kind = fields.get("PrincipalKind", "user")
    types = {"user": 1, "group": 4, "everyone": 4, "sitegroup": 8}
    login = str(fields.get("UserName", ""))
    if kind == "user":
        login = f"i:0#.f|membership|{login}"
    elif kind == "group":
        login = f"c:0t.c|tenant|{login}"
    elif kind == "sitegroup":
        login = str(fields.get("Title", ""))
    return {"Id": principal, "Title": fields.get("Title"), "LoginName": login,
            "PrincipalType": types.get(kind, 1)}  # fmt: skip


def _json(value: object) -> str:
    return json.dumps(value)
