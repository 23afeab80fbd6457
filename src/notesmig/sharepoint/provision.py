"""Making sure the target lists, libraries and columns exist, idempotently.

A missing list or library is created with all its columns; an existing one has its columns
checked: a missing column is added, a column of another type stops the run with a clear error
(never a silent change to what the customer already has).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from notesmig.errors import TerminalError
from notesmig.mapping.model import SYSTEM_COLUMNS, ColumnType, Mapping
from notesmig.sharepoint.graph import Graph, GraphRequestError
from notesmig.spfacts.columns import COLUMN_FACETS
from notesmig.spfacts.costs import COST_LIST
from notesmig.spfacts.names import encode_internal_name

USER_LIST = "User Information List"


class ProvisioningError(TerminalError):
    """The target cannot take the mapped data as it is (a column of another type...)."""


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    body: dict[str, Any]

    @property
    def facet(self) -> str:
        return next(k for k in self.body if k in COLUMN_FACETS)


@dataclass
class Target:
    """A provisioned list or library: ids and what each column holds."""

    title: str
    id: str
    web_url: str
    columns: dict[str, str] = field(default_factory=dict)  # API name -> facet
    multi: set[str] = field(default_factory=set)
    drive_id: str | None = None


def column_body(
    kind: ColumnType, choices: tuple[str, ...] = (), allow_other: bool = False
) -> dict[str, Any]:
    if kind is ColumnType.TEXT:
        return {"text": {"maxLength": 255}}
    if kind is ColumnType.MULTILINE:
        return {"text": {"allowMultipleLines": True}}
    if kind is ColumnType.RICHTEXT:
        return {"text": {"allowMultipleLines": True, "textType": "richText"}}
    if kind is ColumnType.NUMBER:
        return {"number": {}}
    if kind is ColumnType.DATETIME:
        return {"dateTime": {"format": "dateTime"}}
    if kind is ColumnType.DATEONLY:
        return {"dateTime": {"format": "dateOnly"}}
    if kind is ColumnType.BOOLEAN:
        return {"boolean": {}}
    if kind is ColumnType.CHOICE:
        return {"choice": {"choices": list(choices), "allowTextEntry": allow_other}}
    if kind is ColumnType.MULTICHOICE:
        return {
            "choice": {
                "choices": list(choices),
                "displayAs": "checkBoxes",
                "allowTextEntry": allow_other,
            }
        }
    if kind is ColumnType.PERSON:
        return {"personOrGroup": {}}
    if kind is ColumnType.MULTIPERSON:
        return {"personOrGroup": {"allowMultipleSelection": True}}
    if kind is ColumnType.HYPERLINK:
        return {"hyperlinkOrPicture": {}}
    raise ProvisioningError(f"no SharePoint column for {kind}")


def list_columns(mapping: Mapping, title: str) -> list[ColumnSpec]:
    """Every column a generic list needs: notesmig's own, then each mapped item's."""
    specs: dict[str, ColumnSpec] = {}
    for system in SYSTEM_COLUMNS:
        body = column_body(system.type)
        if system.indexed:
            body["indexed"] = True
        if system.unique:
            body["enforceUniqueValues"] = True
        specs[system.name] = ColumnSpec(system.name, body)
    for form in mapping.forms.values():
        if form.list != title:
            continue
        for spec in form.items.values():
            if spec.column == "Title":
                continue
            if spec.type is ColumnType.LOOKUP:
                raise ProvisioningError(
                    f"{mapping.path}: lookup columns are not loaded yet ({spec.item})"
                )
            body = column_body(spec.type, spec.choices, spec.allow_other)
            body["displayName"] = spec.display_name
            specs.setdefault(spec.column, ColumnSpec(spec.column, body))
            for companion in spec.companion_columns:
                kind = ColumnType.MULTILINE if companion.endswith("Notes") else ColumnType.TEXT
                specs.setdefault(companion, ColumnSpec(companion, column_body(kind)))
    return list(specs.values())


def library_columns() -> list[ColumnSpec]:
    return [
        ColumnSpec("NotesUNID", {"text": {"maxLength": 255}, "indexed": True}),
        ColumnSpec("NotesOriginalName", {"text": {"maxLength": 255}}),
        ColumnSpec("NotesItem", {"hyperlinkOrPicture": {}}),
    ]


class Provisioner:
    def __init__(self, graph: Graph) -> None:
        self.graph = graph

    async def site_id(self, site: str) -> str:
        host, _, path = site.partition(":")
        found = await self.graph.get_json(f"/sites/{quote(host)}:{quote(path)}:")
        return str(found["id"])

    async def site_users(self, site_id: str) -> dict[str, int]:
        """UPN (lower case) -> the id person columns take, from the site's user list."""
        users: dict[str, int] = {}
        path = f"/sites/{site_id}/lists/{quote(USER_LIST)}/items?$expand=fields&$top=500"
        while path:
            page = await self.graph.get_json(path, COST_LIST)
            for item in page.get("value", []):
                fields = item.get("fields", {})
                for key in ("EMail", "UserName"):
                    if fields.get(key):
                        users[str(fields[key]).lower()] = int(item["id"])
            next_link = page.get("@odata.nextLink")
            path = next_link.removeprefix(self.graph.base) if next_link else ""
        return users

    async def _find(self, site_id: str, title: str) -> dict[str, Any] | None:
        existing = await self.graph.get_json(f"/sites/{site_id}/lists", COST_LIST)
        for entry in existing.get("value", []):
            if entry["displayName"].casefold() == title.casefold():
                return dict(entry)
        return None

    async def ensure(
        self, site_id: str, title: str, template: str, columns: list[ColumnSpec]
    ) -> Target:
        found = await self._find(site_id, title)
        if found is None:
            body = {
                "displayName": title,
                "list": {"template": template},
                "columns": [{"name": c.name, **c.body} for c in columns],
            }
            try:
                found = await self.graph.write_json("POST", f"/sites/{site_id}/lists", body)
            except GraphRequestError as exc:
                # Created by an attempt whose answer was lost: it is there, read it back.
                found = await self._find(site_id, title) if exc.status == 409 else None
                if found is None:
                    raise
        elif found.get("list", {}).get("template") != template:
            raise ProvisioningError(
                f"{title!r} exists as a {found.get('list', {}).get('template')}, not a {template}"
            )
        target = Target(title, found["id"], found.get("webUrl", ""))
        present = await self.graph.get_json(
            f"/sites/{site_id}/lists/{target.id}/columns", COST_LIST
        )
        by_name = {c["name"]: c for c in present.get("value", [])}
        for column in columns:
            internal = encode_internal_name(column.name)
            current = by_name.get(internal)
            if current is None:
                try:
                    current = await self.graph.write_json(
                        "POST",
                        f"/sites/{site_id}/lists/{target.id}/columns",
                        {"name": column.name, **column.body},
                    )
                except GraphRequestError as exc:
                    if exc.status != 409:
                        raise
                    again = await self.graph.get_json(
                        f"/sites/{site_id}/lists/{target.id}/columns", COST_LIST
                    )
                    current = next(c for c in again.get("value", []) if c["name"] == internal)
            elif column.facet not in current:
                actual = next((k for k in current if k in COLUMN_FACETS), "unknown")
                raise ProvisioningError(
                    f"column {internal!r} of {title!r} is {actual} in SharePoint; the mapping "
                    f"needs {column.facet}. Change the mapping or the column; notesmig will not "
                    "change it."
                )
            target.columns[internal] = column.facet
            facet = current.get(column.facet, {}) if isinstance(current, dict) else {}
            if facet.get("allowMultipleSelection") or facet.get("displayAs") == "checkBoxes":
                target.multi.add(internal)
        target.columns.setdefault("Title", "text")
        if template == "documentLibrary":
            drive = await self.graph.get_json(f"/sites/{site_id}/lists/{target.id}/drive")
            target.drive_id = str(drive["id"])
        return target
