"""Accounts as SharePoint site users: the ids person columns and permissions take.

A person column holds the id of a site user (the site's User Information List). That list only
holds accounts that visited the site or were added to it, so an account not yet there is added
with REST ``ensureuser`` (Graph has no way to), once per site and run. An account SharePoint
does not know at all stays unresolved: counted, and kept in the ``<column>Notes`` companion.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote

from notesmig.sharepoint.graph import Graph
from notesmig.sharepoint.rest import RestRequestError, SharePointRest

USER_LIST = "User Information List"


@dataclass
class SitePeople:
    """UPN (lower case) -> site user id, for one site."""

    graph: Graph
    rest: SharePointRest
    site_id: str
    site_path: str
    ids: dict[str, int] = field(default_factory=dict)
    unknown: set[str] = field(default_factory=set)

    async def load(self) -> SitePeople:
        path = f"/sites/{self.site_id}/lists/{quote(USER_LIST)}/items?$expand=fields&$top=500"
        for item in await self.graph.pages(path):
            fields = item.get("fields", {})
            for key in ("EMail", "UserName"):
                if fields.get(key):
                    self.ids[str(fields[key]).lower()] = int(item["id"])
        return self

    async def id_of(self, upn: str) -> int | None:
        """The site user id of ``upn``, ensuring the user on the site if need be; None when
        SharePoint knows no such account."""
        key = upn.lower()
        if key in self.ids:
            return self.ids[key]
        if key in self.unknown:
            return None
        try:
            found = await self.rest.ensure_user(self.site_path, upn)
        except RestRequestError as exc:
            if exc.status in (400, 404):
                self.unknown.add(key)
                return None
            raise
        self.ids[key] = found
        return found
