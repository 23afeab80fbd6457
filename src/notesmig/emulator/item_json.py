"""List items in Graph's JSON shape: ``listItem`` and its ``fields``.

Person and lookup values come back as ``{name}LookupId`` (text ids; a collection, typed
``Collection(Edm.String)``, for a multi-value column), as Graph returns them; every item also
has SharePoint's own fields (``ContentType``, ``Created``, ``AuthorLookupId``,
``_UIVersionString``...). ``$select`` keeps the ETag and a column's ``LookupId`` form.
"""

from __future__ import annotations

import json
import sqlite3
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from notesmig.emulator.lists import ListRow
    from notesmig.emulator.tenant import Tenant


class ItemJson:
    """Items of a list as Graph returns them."""

    def __init__(self, tenant: Tenant) -> None:
        self._tenant = tenant
        self.db = tenant.db

    def fields_json(
        self, row: ListRow, item: sqlite3.Row, select: set[str] | None
    ) -> dict[str, Any]:
        stored = json.loads(item["fields"])
        fields: dict[str, Any] = {"@odata.etag": self._tenant.etag(item)}
        for column in self._tenant.columns(row.id):
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
                "ContentType": content_type(row, item)[1],
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
        tenant = self._tenant
        item = item if item is not None else tenant._item_row(row, item_id)
        body: dict[str, Any] = {
            "@odata.etag": tenant.etag(item),
            "id": str(item["id"]),
            "eTag": tenant.etag(item),
            "createdDateTime": item["created"],
            "lastModifiedDateTime": item["modified"],
            "webUrl": f"{tenant.list_url(row)}/DispForm.aspx?ID={item['id']}",
            "createdBy": {"user": tenant.user_json(row.site_id, item["author"])},
            "lastModifiedBy": {"user": tenant.user_json(row.site_id, item["editor"])},
            "parentReference": {"id": row.id, "siteId": row.site_id},
            "contentType": dict(zip(("id", "name"), content_type(row, item), strict=True)),
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
                body["driveItem"] = tenant.drives.drive_item_json(found)
        return body


def content_type(row: ListRow, item: sqlite3.Row) -> tuple[str, str]:
    """The item's content type id and name: a folder, a library's document, a list's item."""
    if item["is_folder"]:
        return "0x0120", "Folder"
    return ("0x0101", "Document") if row.is_library else ("0x0100", "Item")
