"""The tenant's sites: the root site and the configured ``/sites/<name>``, found by id or path.

A site's id is Graph's ``{hostname},{site collection guid},{web guid}``, derived from its URL,
so it is the same at every start over the same data directory. Each site is created with its
``Documents`` library (URL ``Shared Documents``) and its hidden User Information List.
"""

from __future__ import annotations

import sqlite3
import uuid
from typing import TYPE_CHECKING, Any

from notesmig.emulator.graph_errors import not_found
from notesmig.emulator.ids import now_text

if TYPE_CHECKING:
    from notesmig.emulator.tenant import Tenant


class Sites:
    """The tenant's sites, made once at the first start."""

    def __init__(self, tenant: Tenant) -> None:
        self._tenant = tenant
        self.db = tenant.db
        self.config = tenant.config

    @property
    def base_url(self) -> str:
        return f"https://{self.config.hostname}"

    def provision(self) -> None:
        """Every configured site that is not there yet, with its library and user list."""
        tenant = self._tenant
        for path in ["", *(f"/sites/{s}" for s in self.config.sites)]:
            site_id = self.site_id(path)
            if self.db.execute("SELECT 1 FROM sites WHERE id = ?", (site_id,)).fetchone():
                continue
            name = path.rsplit("/", 1)[-1] or self.config.hostname
            self.db.execute(
                "INSERT INTO sites VALUES (?, ?, ?, ?)", (site_id, path, name, now_text())
            )
            tenant._create_list(
                site_id, "Documents", "documentLibrary", [], url_name="Shared Documents"
            )
            users = tenant._create_list(
                site_id, "User Information List", "genericList", [], hidden=True
            )
            tenant._user_list_columns(users.id)

    def site_id(self, path: str) -> str:
        site = uuid.uuid5(uuid.NAMESPACE_URL, f"{self.config.hostname}{path}")
        web = uuid.uuid5(site, "web")
        return f"{self.config.hostname},{site},{web}"

    def site(self, ref: str, path: str | None = None) -> dict[str, Any]:
        """A site by id, ``root``, or hostname and server-relative path (``host:/sites/x:``)."""
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
        return self.site_json(row)

    def site_json(self, row: sqlite3.Row) -> dict[str, Any]:
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
        """The site's server-relative path ('' for the root site); 404 for an unknown id."""
        row = self.db.execute("SELECT path FROM sites WHERE id = ?", (site_id,)).fetchone()
        if row is None:
            raise not_found("Requested site could not be found")
        return str(row["path"])
