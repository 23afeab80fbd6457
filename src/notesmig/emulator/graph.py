"""Microsoft Graph v1.0 for SharePoint, routed on the raw path: sites, lists, columns, items,
delta, drives and drive items (uploads are in :mod:`notesmig.emulator.uploads`)."""

from __future__ import annotations

from typing import Any

from notesmig.emulator.graph_errors import GraphError, bad_request, not_found
from notesmig.emulator.http import Request, Response
from notesmig.emulator.lists import ListRow
from notesmig.emulator.odata import (
    expand_fields,
    expansions,
    int_param,
    next_link,
    parse_filter,
)
from notesmig.emulator.odata import select as select_fields
from notesmig.emulator.paths import PathRef, Segment
from notesmig.emulator.permissions import forbidden
from notesmig.emulator.tenant import Tenant
from notesmig.emulator.uploads import Uploads
from notesmig.spfacts.costs import graph_collection

DEFAULT_PAGE = 200


class GraphRoutes:
    """The Graph resources of one tenant."""

    def __init__(self, tenant: Tenant, uploads: Uploads) -> None:
        self.tenant = tenant
        self.uploads = uploads

    def route(self, request: Request, route: list[Segment]) -> Response:
        return self._route(request, route)

    def _top(self, request: Request, default: int) -> int:
        """How many entries a page holds: ``$top`` (or ``default``) within the tenant's cap."""
        top = int_param(request.query, "$top", default, maximum=5_000)
        cap = self.tenant.config.max_page_size
        return top if cap is None else min(top, cap)

    def _page(self, request: Request, entries: list[dict[str, Any]]) -> Response:
        """One page of a collection, with ``@odata.nextLink`` when more follow."""
        top = self._top(request, self.tenant.config.page_size)
        after = int_param(request.query, "$skiptoken", 0, maximum=2**31)
        body: dict[str, Any] = {"value": entries[after : after + top]}
        if after + top < len(entries):
            body["@odata.nextLink"] = next_link(request, {"$skiptoken": str(after + top)})
        return Response.of(200, body)

    def _route(self, request: Request, route: list[Segment]) -> Response:
        method = request.method
        if not route:
            raise not_found("No resource at the service root.")
        head = route[0]
        if head == "sites" and len(route) >= 2:
            site = self._site(route[1])
            return self._site_route(request, site["id"], site, route[2:], method)
        if head == "drives" and len(route) >= 2 and isinstance(route[1], str):
            return self._drive_route(request, route[1], route[2:], method)
        raise GraphError(400, "BadRequest", f"Resource not found for the segment '{head}'.")

    def _site(self, segment: Segment) -> dict[str, Any]:
        if isinstance(segment, PathRef):
            return self.tenant.site(segment.base, segment.path)
        return self.tenant.site(segment)

    def _site_route(
        self, request: Request, site_id: str, site: dict[str, Any], rest: list[Segment], method: str
    ) -> Response:
        tenant = self.tenant
        if not rest:
            only(method, "GET")
            return Response.of(200, site)
        if rest == ["drive"]:
            only(method, "GET")
            return Response.of(200, tenant.drives.site_drive(site_id))
        if rest == ["drives"]:
            only(method, "GET")
            drives = [
                tenant.drives.drive(r["drive_id"])
                for r in tenant.db.execute(
                    "SELECT drive_id FROM lists WHERE site_id = ? AND drive_id IS NOT NULL",
                    (site_id,),
                )
            ]
            return Response.of(200, {"value": drives})
        if rest[0] != "lists":
            raise GraphError(400, "BadRequest", f"Resource not found for the segment '{rest[0]}'.")
        if len(rest) == 1:
            if method == "GET":
                visible = [
                    entry
                    for entry in tenant.lists(site_id)
                    if tenant.permissions.can(tenant.get_list(site_id, entry["id"]), None, "read")
                ]
                return self._page(request, visible)
            only(method, "POST")
            self._require(tenant.permissions.can_site(site_id, "manage"))
            return Response.of(201, tenant.create_list(site_id, request.json()))
        row = tenant.get_list(site_id, str(rest[1]))
        if not tenant.permissions.can(row, None, "read"):
            raise not_found(f"List '{rest[1]}' does not exist at site with URL '{site_id}'.")
        return self._list_route(request, row, rest[2:], method)

    @staticmethod
    def _require(allowed: bool) -> None:
        if not allowed:
            raise forbidden()

    def _list_route(
        self, request: Request, row: ListRow, rest: list[Segment], method: str
    ) -> Response:
        tenant = self.tenant
        if not rest:
            if method == "DELETE":
                self._require(tenant.permissions.can(row, None, "manage"))
                tenant.delete_list(row.site_id, row.id)
                return Response(204)
            only(method, "GET")
            return Response.of(200, tenant.list_json(row))
        if rest == ["columns"]:
            if method == "GET":
                return self._page(request, [c.as_graph() for c in tenant.columns(row.id)])
            only(method, "POST")
            self._require(tenant.permissions.can(row, None, "manage"))
            return Response.of(201, tenant.create_column(row, request.json()))
        if rest == ["drive"]:
            only(method, "GET")
            return Response.of(200, tenant.drives.drive_of_list(row))
        if rest[0] != "items":
            raise GraphError(400, "BadRequest", f"Resource not found for the segment '{rest[0]}'.")
        if len(rest) == 1:
            if method == "GET":
                return self._list_items(request, row)
            only(method, "POST")
            self._require(tenant.permissions.can(row, None, "write"))
            return Response.of(201, tenant.create_item(row, request.json()))
        if rest[1] in ("delta", "delta()") and len(rest) == 2:
            only(method, "GET")
            return self._delta(request, row)
        return self._item_route(request, row, str(rest[1]), rest[2:], method)

    def _item_route(
        self, request: Request, row: ListRow, item_id: str, rest: list[Segment], method: str
    ) -> Response:
        tenant = self.tenant
        key = tenant._item_row(row, item_id)["id"]
        if not tenant.permissions.can(row, key, "read"):
            raise not_found()  # an item the user may not read does not exist for them
        if method in ("PATCH", "DELETE", "POST", "PUT"):
            self._require(tenant.permissions.can(row, key, "write"))
        if not rest:
            if method == "DELETE":
                tenant.delete_item(row, item_id, request.headers.get("if-match"))
                return Response(204)
            only(method, "GET")
            expand, select = expand_fields(request.query)
            return Response.of(
                200, tenant.item_json(row, item_id, expand_fields=expand, select=select)
            )
        if rest == ["fields"]:
            if method == "PATCH":
                return Response.of(
                    200,
                    tenant.update_fields(
                        row, item_id, request.json(), request.headers.get("if-match")
                    ),
                )
            only(method, "GET")
            item = tenant._item_row(row, item_id)
            return Response.of(200, tenant.fields_json(row, item, select_fields(request.query)))
        raise GraphError(400, "BadRequest", f"Resource not found for the segment '{rest[0]}'.")

    def _list_items(self, request: Request, row: ListRow) -> Response:
        query = request.query
        conditions = parse_filter(query.get("$filter", ""))
        top = self._top(request, DEFAULT_PAGE)
        after = int_param(query, "$skiptoken", 0, maximum=2**62)
        honor = (
            "honornonindexedquerieswarningmayfailrandomly"
            in request.headers.get("prefer", "").lower()
        )
        items, last = self.tenant.query_items(
            row, conditions=conditions, honor_non_indexed=honor, after=after, top=top
        )
        # A page may come back short (what the user may not read is left out); the next link
        # still says where to go on.
        readable = self.tenant.permissions.readable(row, (int(i["id"]) for i in items))
        items = [i for i in items if int(i["id"]) in readable]
        expansion = expansions(query)
        body: dict[str, Any] = {
            "value": [
                self.tenant.item_json(
                    row,
                    i["id"],
                    expand_fields=expansion.fields,
                    select=expansion.select,
                    item=i,
                    expand_drive_item=expansion.drive_item,
                )
                for i in items
            ]
        }
        if last is not None:
            body["@odata.nextLink"] = next_link(request, {"$skiptoken": str(last)})
        return Response.of(200, body)

    def _delta(self, request: Request, row: ListRow) -> Response:
        query = request.query
        since = int_param(query, "token", 0, maximum=2**62)
        after = int_param(query, "$skiptoken", 0, maximum=2**62)
        top = self._top(request, DEFAULT_PAGE)
        changes, last, current = self.tenant.changes(row, since, after, top)
        readable = self.tenant.permissions.readable(
            row, (int(i["id"]) for i in changes if not i["deleted"])
        )
        values: list[dict[str, Any]] = []
        for item in changes:
            if not item["deleted"] and int(item["id"]) not in readable:
                continue
            if item["deleted"]:
                values.append({"id": str(item["id"]), "deleted": {"state": "deleted"}})
            else:
                values.append(self.tenant.item_json(row, item["id"], expand_fields=True, item=item))
        body: dict[str, Any] = {"value": values}
        if last is not None:
            body["@odata.nextLink"] = next_link(
                request, {"token": str(since), "$skiptoken": str(last)}
            )
        else:
            body["@odata.deltaLink"] = next_link(
                request, {"token": str(current)}, drop=("$skiptoken",)
            )
        return Response.of(200, body)

    # -- drives ---------------------------------------------------------------------------

    def _drive_route(
        self, request: Request, drive_id: str, rest: list[Segment], method: str
    ) -> Response:
        tenant = self.tenant
        if not rest:
            only(method, "GET")
            return Response.of(200, tenant.drives.drive(drive_id))
        library = tenant.drives.library_of_drive(drive_id)
        if not tenant.permissions.can(library, None, "read"):
            raise not_found("The drive could not be found.")
        if rest[0] == "list":
            return self._list_route(request, library, rest[1:], method)
        if rest[0] == "root" and len(rest) >= 1:
            target: Segment = "root"
            tail = rest[1:]
        elif rest[0] == "items" and len(rest) >= 2:
            target, tail = rest[1], rest[2:]
        elif isinstance(rest[0], PathRef):
            target, tail = rest[0], rest[1:]
        else:
            raise GraphError(400, "BadRequest", f"Resource not found for the segment '{rest[0]}'.")
        if isinstance(target, PathRef):
            return self._path_route(request, drive_id, target, tail, method)
        return self._item_by_id(request, drive_id, target, tail, method)

    def _item_by_id(
        self, request: Request, drive_id: str, item_id: str, tail: list[Segment], method: str
    ) -> Response:
        tenant = self.tenant
        found = tenant.drives.drive_item_row(drive_id, item_id)
        library = tenant.drives.library_of_drive(drive_id)
        if found["list_item"] is not None and not tenant.permissions.can(
            library, int(found["list_item"]), "read"
        ):
            raise not_found()  # a file or folder the user may not read does not exist for them
        if method != "GET" and not tenant.permissions.can(
            library, int(found["list_item"]) if found["list_item"] is not None else None, "write"
        ):
            raise forbidden()
        if not tail:
            item = found
            if method == "DELETE":
                library = tenant.drives.library_of_drive(drive_id)
                if item["parent"] is None:
                    raise GraphError(403, "accessDenied", "The root of a drive cannot be deleted.")
                tenant.delete_item(library, str(item["list_item"]))
                return Response(204)
            if method == "PATCH":
                updated = tenant.drives.update_item(drive_id, item["id"], request.json())
                return Response.of(200, tenant.drives.drive_item_json(updated))
            only(method, "GET")
            expand = "listItem" in request.query.get("$expand", "")
            return Response.of(200, tenant.drives.drive_item_json(item, expand_list_item=expand))
        if tail == ["children"]:
            if method == "POST":
                body, status = tenant.drives.create_folder(drive_id, item_id, request.json())
                return Response.of(status, body)
            only(method, "GET")
            children = tenant.drives.children(
                drive_id,
                item_id,
                lambda list_item: tenant.permissions.can(library, list_item, "read"),
            )
            if tenant.config.max_page_size is None:
                return Response.of(200, {"value": children})
            return self._page(request, children)
        if tail == ["content"]:
            item = tenant.drives.drive_item_row(drive_id, item_id)
            if method == "GET":
                data = tenant.drives.content_path(item).read_bytes()
                return Response(
                    200, data, {"Content-Type": item["mime"] or "application/octet-stream"}
                )
            only(method, "PUT")
            parent = item["parent"]
            if parent is None or item["folder"]:
                # Not only the root: any folder (before, its content went to a new file
                # named after it beside it, "f 1").
                raise bad_request("Content cannot be written to a folder.")
            return self.uploads.simple_upload(
                request, drive_id, parent, item["name"], default_conflict="replace"
            )
        if tail[0] == "listItem":
            library, list_item = tenant.drives.drive_item_list_item(drive_id, item_id)
            return self._item_route(request, library, str(list_item), tail[1:], method)
        raise GraphError(400, "BadRequest", f"Resource not found for the segment '{tail[0]}'.")

    def _path_route(
        self, request: Request, drive_id: str, ref: PathRef, tail: list[Segment], method: str
    ) -> Response:
        tenant = self.tenant
        base = "root" if ref.base == "root" else ref.base
        if tail in (["content"], ["createUploadSession"]) and method in ("PUT", "POST"):
            folder, name = self._parent_for(drive_id, base, ref.path)
            parent = tenant.drives.drive_item_row(drive_id, folder)
            if not tenant.permissions.can(
                tenant.drives.library_of_drive(drive_id),
                int(parent["list_item"]) if parent["list_item"] is not None else None,
                "write",
            ):
                raise forbidden()
            if tail == ["content"]:
                only(method, "PUT")
                return self.uploads.simple_upload(
                    request, drive_id, folder, name, default_conflict="replace"
                )
            return self.uploads.create_session(request, drive_id, folder, name)
        item = tenant.drives.resolve_path(drive_id, base, ref.path)
        return self._item_by_id(request, drive_id, item["id"], tail, method)

    def _parent_for(self, drive_id: str, base: str, path: str) -> tuple[str, str]:
        """The folder a path-addressed upload goes into, created as needed, and the name."""
        parts = [p for p in path.split("/") if p]
        if not parts:
            raise bad_request("A file name is required in the path.")
        folder = self.tenant.drives.drive_item_row(drive_id, base)
        for part in parts[:-1]:
            sibling = self.tenant.drives._sibling(drive_id, folder["id"], part)
            if sibling is None:
                body, _ = self.tenant.drives.create_folder(
                    drive_id, folder["id"], {"name": part, "folder": {}}
                )
                sibling = self.tenant.drives.drive_item_row(drive_id, body["id"])
            elif not sibling["folder"]:
                raise bad_request(f"'{part}' is a file, not a folder.")
            folder = sibling
        return str(folder["id"]), parts[-1]


def only(method: str, allowed: str) -> None:
    if method != allowed:
        raise GraphError(405, "methodNotAllowed", f"The method {method} is not allowed here.")


def route_names(route: list[Segment]) -> list[str]:
    """A route as the loader classifies its path for costs: each path reference as ``":"``."""
    return [":" if isinstance(s, PathRef) else s for s in route]


def is_collection(route: list[Segment]) -> bool:
    return graph_collection(route_names(route))
