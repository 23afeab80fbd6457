"""Each site's users: its User Information List, the principals that list holds, and who acts.

As on SharePoint, the list only holds the accounts that were added to the site or ensured
(``ensureuser``): at the start, the app's own account (the loader acts as it) and the
configured site members. People, Entra ID groups, "Everyone except external users" and site
groups are all items of that list, so they share one id space.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from notesmig.emulator.columns import Column
from notesmig.emulator.directory import ADMIN
from notesmig.emulator.graph_errors import GraphError

if TYPE_CHECKING:
    from notesmig.emulator.tenant import Tenant

USER_LIST = "User Information List"


class SiteUsers:
    """The principals of every site, and the site user each request acts as."""

    def __init__(self, tenant: Tenant) -> None:
        self._tenant = tenant
        self.db = tenant.db

    def provision(self) -> None:
        """Every site's User Information List starts with the app's own account (the loader
        acts as it) and the configured site members; other accounts must be ensured, as on
        SharePoint, where the list only holds users who visited the site or were added. The
        app has Full Control of every site; everyone in the tenant reads it."""
        config = self._tenant.config
        members = [ADMIN, *(m for m in config.site_members if m.lower() != ADMIN.lower())]
        for site in self.db.execute("SELECT id FROM sites").fetchall():
            admin = self.ensure_site_user(site["id"], ADMIN)
            for upn in members:
                self.ensure_site_user(site["id"], upn)
            self._tenant.permissions.provision_site(site["id"], admin)

    def list_columns(self, list_id: str) -> None:
        """The User Information List's own columns (beside ``Title``, the display name)."""
        for name in ("EMail", "UserName", "PrincipalKind"):
            self._tenant._store_column(
                list_id, Column(name, name, "text", {"maxLength": 255}, builtin=True)
            )

    def ensure_site_user(self, site_id: str, upn: str) -> int:
        """The site user id of a directory account (or Entra ID group), added to the site's
        User Information List if it is not there yet; 400 for an account the tenant lacks."""
        found = self.principal_id(site_id, upn)
        if found is not None:
            return found
        name = self._tenant.directory.get(upn.lower())
        if name is None and not self._tenant.is_group(upn):
            raise GraphError(
                400,
                "-2146232832, Microsoft.SharePoint.SPException",
                f"The specified user i:0#.f|membership|{upn} could not be found.",
            )
        return self.ensure_principal(site_id, upn, name or upn, "group" if name is None else "user")

    def principal_id(self, site_id: str, login: str) -> int | None:
        users = self._tenant.get_list(site_id, USER_LIST)
        for row in self.db.execute(
            "SELECT id, fields FROM items WHERE list_id = ? AND deleted = 0", (users.id,)
        ):
            if str(json.loads(row["fields"]).get("UserName", "")).lower() == login.lower():
                return int(row["id"])
        return None

    def ensure_principal(self, site_id: str, login: str, title: str, kind: str) -> int:
        """A principal of the site (user, Entra group, everyone, site group): one id space."""
        found = self.principal_id(site_id, login)
        if found is not None:
            return found
        users = self._tenant.get_list(site_id, USER_LIST)
        email = login if kind in ("user", "group") else ""
        fields = {"Title": title, "EMail": email, "UserName": login, "PrincipalKind": kind}
        self._tenant.permissions.forget()
        return self._tenant._insert_item(users, fields, None)

    def site_user(self, site_id: str, user_id: int) -> dict[str, Any] | None:
        users = self._tenant.get_list(site_id, USER_LIST)
        row = self.db.execute(
            "SELECT fields FROM items WHERE list_id = ? AND id = ? AND deleted = 0",
            (users.id, user_id),
        ).fetchone()
        return json.loads(row["fields"]) if row else None

    def site_users(self, site_id: str) -> list[tuple[int, dict[str, Any]]]:
        users = self._tenant.get_list(site_id, USER_LIST)
        return [
            (int(r["id"]), json.loads(r["fields"]))
            for r in self.db.execute(
                "SELECT id, fields FROM items WHERE list_id = ? AND deleted = 0 ORDER BY id",
                (users.id,),
            )
        ]

    def user_ids(self, site_id: str) -> set[int]:
        users = self._tenant.get_list(site_id, USER_LIST)
        rows = self.db.execute(
            "SELECT id FROM items WHERE list_id = ? AND deleted = 0", (users.id,)
        )
        return {row["id"] for row in rows}

    def actor_id(self, site_id: str) -> int:
        """The site user id of whoever makes the current request (the app, unless a
        delegated user token says otherwise)."""
        return self.ensure_site_user(site_id, self._tenant.acting_as or ADMIN)

    def user_json(self, site_id: str, user_id: int | None) -> dict[str, Any]:
        """Graph's identity of a site user (``createdBy.user``)."""
        found = self.site_user(site_id, user_id) if user_id else None
        if found is None:
            return {"displayName": "System Account"}
        return {"displayName": found.get("Title"), "email": found.get("EMail")}
