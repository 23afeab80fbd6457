"""Making sure the target lists, libraries and columns exist, idempotently.

A missing list or library is created with all its columns; an existing one has its columns
checked: a missing column is added, a column of another type stops the run with a clear error
(never a silent change to what the customer already has). What SharePoint calls each column
(its internal name, which may be cut or encoded) is read back, and the loader writes values
under that name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from notesmig.errors import TerminalError
from notesmig.mapping.model import SYSTEM_COLUMNS, ColumnType, Mapping
from notesmig.records import TargetColumn, TargetList, TargetPlan
from notesmig.sharepoint.graph import Graph, GraphRequestError
from notesmig.spfacts.columns import COLUMN_FACETS
from notesmig.spfacts.names import encode_internal_name

#: Columns every migrated file carries in its library.
LIBRARY_UNID = "NotesUNID"
LIBRARY_ORIGINAL_NAME = "NotesOriginalName"
LIBRARY_ITEM_LINK = "NotesItem"
LIBRARY_FILE_KEY = "NotesFileKey"


class ProvisioningError(TerminalError):
    """The target cannot take the mapped data as it is (a column of another type...)."""


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    body: dict[str, Any]

    @property
    def facet(self) -> str:
        return next(k for k in self.body if k in COLUMN_FACETS)


@dataclass(frozen=True)
class SiteRef:
    """A target site: Graph's id, its server-relative path (for REST), its URL."""

    id: str
    path: str
    web_url: str


@dataclass(frozen=True)
class ColumnInfo:
    """A provisioned column: the name SharePoint gave it, what it holds, single or multi."""

    internal: str
    facet: str
    multi: bool = False


@dataclass
class Target:
    """A provisioned list or library: ids and its columns by the name the mapping gives."""

    title: str
    id: str
    web_url: str
    site_id: str
    #: The site's server-relative path (``/sites/x``), where its REST API is.
    site_path: str
    columns: dict[str, ColumnInfo] = field(default_factory=dict)
    drive_id: str | None = None

    def column(self, name: str) -> ColumnInfo | None:
        return self.columns.get(name)


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


def target_plan(mapping: Mapping) -> TargetPlan:
    """Where the mapping sends a database, as the ledger keeps it for the reconciler."""
    types = mapping.column_types()
    lists = []
    for title in sorted({form.list for form in mapping.forms.values()}):
        columns = [
            TargetColumn(
                name=spec.name,
                facet=spec.facet,
                kind=str(types[(title, spec.name)]) if (title, spec.name) in types else None,
            )
            for spec in list_columns(mapping, title)
        ]
        lists.append(TargetList(title=title, columns=columns))
    return TargetPlan(
        replica_id=mapping.replica_id,
        site=mapping.site,
        forms={key: form.list for key, form in mapping.forms.items()},
        lists=lists,
        libraries=sorted({f.library for f in mapping.forms.values() if f.library}),
    )


def plan_columns(target: TargetList) -> list[ColumnSpec]:
    """A planned list's columns as provisioning specs (enough to find them, not to make them)."""
    return [ColumnSpec(c.name, {c.facet: {}}) for c in target.columns]


def library_columns() -> list[ColumnSpec]:
    return [
        ColumnSpec(LIBRARY_UNID, {"text": {"maxLength": 255}, "indexed": True}),
        ColumnSpec(LIBRARY_ORIGINAL_NAME, {"text": {"maxLength": 255}}),
        ColumnSpec(LIBRARY_FILE_KEY, {"text": {"maxLength": 255}}),
        ColumnSpec(LIBRARY_ITEM_LINK, {"hyperlinkOrPicture": {}}),
    ]


def _facet_of(column: dict[str, Any]) -> str | None:
    return next((k for k in column if k in COLUMN_FACETS), None)


class Provisioner:
    def __init__(self, graph: Graph) -> None:
        self.graph = graph

    async def site(self, site: str) -> SiteRef:
        """The site a mapping names (``host:/sites/name``)."""
        host, _, path = site.partition(":")
        found = await self.graph.get_json(f"/sites/{quote(host)}:{quote(path)}:")
        return SiteRef(str(found["id"]), quote(path.rstrip("/")), str(found.get("webUrl", "")))

    async def _find(self, site_id: str, title: str) -> dict[str, Any] | None:
        for entry in await self.graph.pages(f"/sites/{site_id}/lists"):
            if str(entry.get("displayName", "")).casefold() == title.casefold():
                return dict(entry)
        return None

    async def existing(self, site: SiteRef, title: str, columns: list[ColumnSpec]) -> Target | None:
        """A list or library as it is, changing nothing (None if it is not there): its columns
        that exist, by the mapping's names."""
        found = await self._find(site.id, title)
        if found is None:
            return None
        target = Target(title, found["id"], found.get("webUrl", ""), site.id, site.path)
        present = {
            c["name"]: c
            for c in await self.graph.pages(f"/sites/{site.id}/lists/{target.id}/columns")
        }
        for column in columns:
            current = present.get(encode_internal_name(column.name))
            if current is not None:
                facet = current.get(column.facet) or {}
                multi = bool(
                    facet.get("allowMultipleSelection") or facet.get("displayAs") == "checkBoxes"
                )
                target.columns[column.name] = ColumnInfo(str(current["name"]), column.facet, multi)
        target.columns.setdefault("Title", ColumnInfo("Title", "text"))
        if found.get("list", {}).get("template") == "documentLibrary":
            drive = await self.graph.get_json(f"/sites/{site.id}/lists/{target.id}/drive")
            target.drive_id = str(drive["id"])
        return target

    async def ensure_self_lookup(self, target: Target, name: str, shown: str = "Title") -> None:
        """A lookup column ``name`` from the list to itself (a response to its parent), made
        once the list exists since it needs the list's own id; kept if it is there."""
        internal = encode_internal_name(name)
        columns_path = f"/sites/{target.site_id}/lists/{target.id}/columns"
        current = next((c for c in await self.graph.pages(columns_path) if c["name"] == internal),
                       None)  # fmt: skip
        if current is None:
            body = {"name": name, "lookup": {"listId": target.id, "columnName": shown}}
            try:
                current = await self.graph.write_json("POST", columns_path, body)
            except GraphRequestError as exc:
                if exc.status != 409:
                    raise
                again = await self.graph.pages(columns_path)
                current = next((c for c in again if c["name"] == internal), None)
                if current is None:
                    raise ProvisioningError(
                        f"{target.title!r}: SharePoint refused the column {name} as existing "
                        "but lists none by that name"
                    ) from exc
        elif _facet_of(current) != "lookup":
            raise ProvisioningError(
                f"column {internal!r} of {target.title!r} is {_facet_of(current) or 'unknown'} "
                "in SharePoint; notesmig needs it as the lookup to a response's parent"
            )
        target.columns[name] = ColumnInfo(str(current["name"]), "lookup")

    async def ensure(
        self, site: SiteRef, title: str, template: str, columns: list[ColumnSpec]
    ) -> Target:
        site_id = site.id
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
        assert found is not None
        target = Target(title, found["id"], found.get("webUrl", ""), site_id, site.path)
        columns_path = f"/sites/{site_id}/lists/{target.id}/columns"
        present = await self.graph.pages(columns_path)
        by_name = {c["name"]: c for c in present}
        for column in columns:
            internal = encode_internal_name(column.name)
            current = by_name.get(internal)
            if current is None:
                try:
                    current = await self.graph.write_json(
                        "POST", columns_path, {"name": column.name, **column.body}
                    )
                except GraphRequestError as exc:
                    if exc.status != 409:
                        raise
                    again = await self.graph.pages(columns_path)
                    current = next(c for c in again if c["name"] == internal)
            else:
                actual = _facet_of(current)
                # Graph reads a hyperlink column back without its hyperlinkOrPicture facet
                # (microsoft-graph-toolkit #1614, alcionai/corso #4971): no facet is taken
                # as the hyperlink it was created as.
                matches = actual == column.facet or (
                    actual is None and column.facet == "hyperlinkOrPicture"
                )
                if not matches:
                    raise ProvisioningError(
                        f"column {internal!r} of {title!r} is {actual or 'unknown'} in "
                        f"SharePoint; the mapping needs {column.facet}. Change the mapping or "
                        "the column; notesmig will not change it."
                    )
            assert isinstance(current, dict)
            facet = current.get(column.facet) or {}
            multi = bool(
                facet.get("allowMultipleSelection") or facet.get("displayAs") == "checkBoxes"
            )
            target.columns[column.name] = ColumnInfo(str(current["name"]), column.facet, multi)
        target.columns.setdefault("Title", ColumnInfo("Title", "text"))
        if template == "documentLibrary":
            drive = await self.graph.get_json(f"/sites/{site_id}/lists/{target.id}/drive")
            target.drive_id = str(drive["id"])
        return target
