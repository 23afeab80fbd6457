"""SharePoint REST (``/_api/web``) on the same tenant state as Graph: what the loader needs.

Served: ``ensureuser``, ``siteusers``, ``RegionalSettings`` and ``RegionalSettings/TimeZone``,
and ``lists(guid'...')/items(n)/ValidateUpdateListItem()``, which sets fields with SharePoint's
own parsing, including the system fields Author, Editor, Created and Modified that Graph cannot
write. Answers follow ``Accept``: ``odata=nometadata`` (plain JSON, collections as ``value``) or
``odata=verbose`` (``{"d": ...}``, collections as ``results``); errors are
``{"odata.error": {"code", "message": {"lang", "value"}}}``.

ValidateUpdateListItem parses values as the site's regional settings say (sp-dev-docs
``working-with-lists-and-list-items-with-rest.md``; SPFieldDateTime.ParseAndSetValue: "in the
website's local time and calendar"): date-times in site-local time as ``yyyy-MM-dd HH:mm:ss``
or the locale's own form; ISO 8601 with ``T``, ``Z`` or an offset is refused. People are
``[{'Key': 'i:0#.f|membership|upn'}]``, hyperlinks ``url, description``. Each field reports
``HasException``; when any field fails, nothing is changed. ``bNewDocumentUpdate: true``
updates without a new version.
"""

from __future__ import annotations

import ast
import json
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote, urlsplit

from notesmig.emulator.columns import Column, normalise_value
from notesmig.emulator.graph_errors import GraphError, RestError
from notesmig.emulator.http import JSON_TYPE, Request, Response
from notesmig.emulator.odata import whole_number
from notesmig.emulator.paths import Segment
from notesmig.emulator.permissions import EVERYONE, EVERYONE_LOGIN, principal_json
from notesmig.emulator.regional import LOCALE_ID, SiteTimeZone
from notesmig.emulator.tenant import ListRow, Tenant
from notesmig.spfacts.roles import BUILT_IN_ROLES, ROLES_BY_NAME, RoleDefinition

#: The demo tenant's regional settings: Japanese, Tokyo Standard Time (UTC+09:00, no DST).
VALIDATE_UPDATE = "ValidateUpdateListItem()"
_CLAIMS = re.compile(r"^i:0#\.f\|membership\|(?P<upn>[^|]+)$", re.IGNORECASE)
_GROUP_CLAIMS = re.compile(r"^c:0t\.c\|tenant\|(?P<group>.+)$", re.IGNORECASE)
_LOCAL_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d",
)


def rest_route(segments: list[Segment]) -> tuple[str, list[str]] | None:
    """``(site path, segments after _api)`` for a REST path, or None for any other."""
    plain = [s for s in segments if isinstance(s, str)]
    if len(plain) != len(segments):
        return None
    if plain[:1] == ["_api"]:
        return "", plain[1:]
    if len(plain) >= 3 and plain[0] == "sites" and plain[2] == "_api":
        return f"/sites/{plain[1]}", plain[3:]
    return None


def _verbose(request: Request) -> bool:
    return "odata=verbose" in request.headers.get("accept", "").lower()


def _answer(request: Request, payload: Any, *, collection: bool = False) -> Response:
    if _verbose(request):
        if collection:
            payload = {"d": {"results": payload}}
        else:
            payload = {"d": payload}
        content_type = "application/json;odata=verbose;charset=utf-8"
    else:
        if collection:
            payload = {"value": payload}
        content_type = "application/json;odata=nometadata;charset=utf-8"
    response = Response.of(200, payload)
    response.headers["Content-Type"] = content_type if payload is not None else JSON_TYPE
    return response


def not_found(message: str) -> RestError:
    return RestError(404, "-2130575338, Microsoft.SharePoint.SPException", message)


def bad(message: str) -> RestError:
    return RestError(400, "-1, Microsoft.SharePoint.Client.InvalidClientQueryException", message)


class RestRoutes:
    """The REST API of every site of one tenant."""

    def __init__(self, tenant: Tenant) -> None:
        self.tenant = tenant

    def route(self, request: Request, site_path: str, api: list[str]) -> Response:
        site = self.tenant.site(self.tenant.config.hostname, site_path or "/")
        site_id = str(site["id"])
        method = request.method
        if api[:1] != ["web"]:
            raise not_found(f"Cannot find resource for the request {'/'.join(api)}.")
        rest = api[1:]
        zone = self.tenant.config.site_time_zone
        if rest == ["RegionalSettings"] and method == "GET":
            return _answer(request, {"LocaleId": LOCALE_ID, "TimeZone": zone.json()})
        if rest == ["RegionalSettings", "TimeZone"] and method == "GET":
            return _answer(request, zone.json())
        if (
            len(rest) == 3
            and rest[:2] == ["RegionalSettings", "TimeZone"]
            and rest[2].lower().startswith("utctolocaltime(")
            and method in ("GET", "POST")
        ):
            return self._utc_to_local(request, zone, rest[2])
        if rest == ["ensureuser"] and method == "POST":
            return _answer(request, self._ensure_user(site_id, request))
        if rest == ["siteusers"] and method == "GET":
            return _answer(
                request,
                [self._user(site_id, uid, f) for uid, f in self.tenant.site_users(site_id)],
                collection=True,
            )
        if (
            len(rest) == 2
            and rest[0].startswith("GetFolderByServerRelativePath(")
            and (rest[1] == "ListItemAllFields")
        ):
            _only(method, "GET")
            return _answer(request, self._folder_by_path(site_id, rest[0]))
        if rest[:1] == ["roledefinitions"]:
            return self._role_definitions(request, rest[1:])
        if rest[:1] == ["sitegroups"] or (rest and rest[0].startswith("sitegroups")):
            return self._site_groups(request, site_id, rest)
        if rest and rest[0].startswith("lists("):
            # A list or item that is not there answers as one the user may not read: in
            # REST's shape, not Graph's (get_list and _item_row raise Graph's 404).
            list_id = _guid(rest[0])
            try:
                row = self.tenant.get_list(site_id, list_id)
            except GraphError as exc:
                if exc.status != 404:
                    raise
                raise not_found("List does not exist.") from None
            if not self.tenant.permissions.can(row, None, "read"):
                raise not_found("List does not exist.")
            tail = rest[1:]
            if tail[:1] == ["AddValidateUpdateItemUsingPath"] or tail[:1] == [
                "AddValidateUpdateItemUsingPath()"
            ]:
                _only(method, "POST")
                return _answer(request, self._add_item(row, request), collection=True)
            item_id: int | None = None
            if tail and tail[0].startswith("items("):
                item_id = _item_id(tail[0])
                try:
                    self.tenant._item_row(row, item_id)
                except GraphError as exc:
                    if exc.status != 404:
                        raise
                    raise not_found(
                        "Item does not exist. It may have been deleted by another user."
                    ) from None
                if not self.tenant.permissions.can(row, item_id, "read"):
                    raise not_found(
                        "Item does not exist. It may have been deleted by another user."
                    )
                tail = tail[1:]
            if tail == [VALIDATE_UPDATE] and item_id is not None:
                _only(method, "POST")
                self._require(row, item_id, "write")
                return _answer(
                    request, self._validate_update(row, item_id, request), collection=True
                )
            return self._securable(request, row, item_id, tail)
        raise not_found(f"Cannot find resource for the request {'/'.join(api)}.")

    @staticmethod
    def _utc_to_local(request: Request, zone: SiteTimeZone, segment: str) -> Response:
        """``UtcToLocalTime('2021-01-01T00:00:00Z')``: the site's wall-clock time of a UTC
        instant (zenn.dev/karamem0/articles/2022_01_14_180000)."""
        argument = segment[segment.index("(") + 1 : -1].strip().strip("'")
        try:
            moment = datetime.fromisoformat(argument.replace("Z", "+00:00"))
        except ValueError:
            raise bad(f"'{argument[:40]}' is not a date and time.") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        local = zone.to_local(moment).strftime("%Y-%m-%dT%H:%M:%S")
        if _verbose(request):
            return _answer(request, {"UTCToLocalTime": local})
        return _answer(request, {"value": local})

    # -- permissions ----------------------------------------------------------------------

    def _require(self, row: ListRow, item_id: int | None, need: str) -> None:
        if not self.tenant.permissions.can(row, item_id, need):
            raise access_denied()

    def _require_site(self, site_id: str) -> None:
        """Site groups and their members need permission management on the site."""
        if not self.tenant.permissions.can_site(site_id, "permissions"):
            raise access_denied()

    def _securable(
        self, request: Request, row: ListRow, item_id: int | None, tail: list[str]
    ) -> Response:
        """A list or an item as a securable object: its unique scope and role assignments."""
        permissions = self.tenant.permissions
        method = request.method
        if not tail:
            merging = method in ("PATCH", "MERGE") or (
                method == "POST"
                and request.headers.get("x-http-method", "").upper() in ("MERGE", "PATCH")
            )
            if merging and item_id is None:
                return self._update_list(request, row)
            _only(method, "GET")
            body: dict[str, Any] = {
                "Id": item_id if item_id is not None else row.id,
                "HasUniqueRoleAssignments": permissions.has_unique(row, item_id),
            }
            if item_id is None:
                body["WriteSecurity"] = permissions.write_security(row)
            if item_id is not None:
                body["FileSystemObjectType"] = int(permissions._is_folder(row, item_id))
                body["FileDirRef"] = self.tenant.folder_path(row, item_id)
                body.update(self._authorship(request, row, item_id))
            return _answer(request, body)
        head = tail[0]
        self._require(row, item_id, "permissions")
        if head.startswith("breakroleinheritance"):
            _only(method, "POST")
            options = _arguments(head)
            copy = options.get("copyroleassignments", "true").lower() == "true"
            clear = options.get("clearsubscopes", "false").lower() == "true"
            permissions.break_inheritance(row, item_id, copy=copy, clear_subscopes=clear)
            return _answer(request, {"odata.null": True})
        if head == "resetroleinheritance":
            _only(method, "POST")
            permissions.reset_inheritance(row, item_id)
            return _answer(request, {"odata.null": True})
        if head == "roleassignments":
            key = permissions.effective_key(row, item_id)
            if len(tail) == 1:
                _only(method, "GET")
                return _answer(request, self._assignments(row.site_id, key), collection=True)
            action = tail[1]
            arguments = _arguments(action)
            if action.startswith("addroleassignment"):
                _only(method, "POST")
                permissions.add_assignment(
                    row, item_id, _int(arguments, "principalid"), _int(arguments, "roledefid")
                )
                return _answer(request, {"odata.null": True})
            if action.startswith("removeroleassignment"):
                _only(method, "POST")
                permissions.remove_assignment(
                    row, item_id, _int(arguments, "principalid"), _int(arguments, "roledefid")
                )
                return _answer(request, {"odata.null": True})
            if action.startswith("getbyprincipalid("):
                principal = _whole(action[len("getbyprincipalid(") : -1], "principalid")
                deleting = method == "DELETE" or (
                    method == "POST"
                    and request.headers.get("x-http-method", "").upper() == "DELETE"
                )
                if deleting:
                    permissions.remove_assignment(row, item_id, principal, None)
                    return Response(200)
                _only(method, "GET")
                found = [
                    a for a in self._assignments(row.site_id, key) if a["PrincipalId"] == principal
                ]
                if not found:
                    # SPRoleAssignmentCollection.GetByPrincipalId's ArgumentException, as the
                    # DELETE above answers it (permissions.remove_assignment).
                    raise RestError(400, "-2147024809, System.ArgumentException",
                                    "Value does not fall within the expected range.")  # fmt: skip
                return _answer(request, found[0])
        raise not_found(f"Cannot find resource for the request {'/'.join(tail)}.")

    def _update_list(self, request: Request, row: ListRow) -> Response:
        """A list's properties (MERGE): of those, the emulator keeps WriteSecurity."""
        self._require(row, None, "manage")
        body = request.json()
        if not isinstance(body, dict):
            raise bad("The request body must be an SP.List object.")
        body = {k: v for k, v in body.items() if k != "__metadata"}
        unknown = sorted(set(body) - {"WriteSecurity"})
        if unknown:
            raise bad(f"The property '{unknown[0]}' does not exist on type 'SP.List'.")
        if "WriteSecurity" in body:
            self.tenant.permissions.set_write_security(row, body["WriteSecurity"])
        return Response(204)

    def _assignments(self, site_id: str, key: str) -> list[dict[str, Any]]:
        grouped: dict[int, list[dict[str, Any]]] = {}
        for assignment in self.tenant.permissions.assignments(key):
            role = assignment.role
            grouped.setdefault(assignment.principal, []).append(
                {"Id": role.id, "Name": role.name, "RoleTypeKind": role.kind, "Order": role.order}
            )
        return [
            {"PrincipalId": principal,
             "Member": principal_json(self.tenant, site_id, principal),
             "RoleDefinitionBindings": roles}
            for principal, roles in sorted(grouped.items())
        ]  # fmt: skip

    def _role_definitions(self, request: Request, rest: list[str]) -> Response:
        _only(request.method, "GET")
        if not rest:
            return _answer(request, [_role_json(r) for r in BUILT_IN_ROLES], collection=True)
        if len(rest) == 1 and rest[0].lower().startswith("getbyname("):
            name = rest[0][len("getbyname(") : -1].strip("'")
            role = ROLES_BY_NAME.get(name.casefold())
            if role is not None:
                return _answer(request, _role_json(role))
        raise RestError(404, "-2146232832, Microsoft.SharePoint.SPException",
                        "The role definition cannot be found.")  # fmt: skip

    def _site_groups(self, request: Request, site_id: str, rest: list[str]) -> Response:
        permissions = self.tenant.permissions
        method = request.method
        if rest == ["sitegroups"]:
            if method == "GET":
                return _answer(request, permissions.groups(site_id), collection=True)
            _only(method, "POST")
            self._require_site(site_id)
            body = request.json()
            title = body.get("Title") if isinstance(body, dict) else None
            if not isinstance(title, str) or not title.strip() or len(title) > 255:
                raise bad("A site group needs a 'Title' of 1 to 255 characters.")
            description = str(body.get("Description") or "")
            group_id = permissions.create_group(site_id, title, description)
            return _answer(request, permissions.group_json(site_id, group_id))
        head = rest[0] if rest[0] != "sitegroups" else rest[1]
        tail = rest[1:] if rest[0] != "sitegroups" else rest[2:]
        if head.lower().startswith("getbyname("):
            named = permissions.group_by_title(site_id, head[len("getbyname(") : -1].strip("'"))
            if named is None:
                raise RestError(404, "-2146232832, Microsoft.SharePoint.SPException",
                                "Group cannot be found.")  # fmt: skip
            group_id = named
        elif head.startswith("sitegroups("):
            group_id = _whole(head[len("sitegroups(") : -1], "id")
        else:
            raise not_found("Cannot find resource for the request.")
        if not tail:
            _only(method, "GET")
            return _answer(request, permissions.group_json(site_id, group_id))
        if tail == ["users"]:
            if method == "GET":
                return _answer(
                    request,
                    [
                        principal_json(self.tenant, site_id, m)
                        for m in permissions.members(site_id, group_id)
                    ],
                    collection=True,
                )
            _only(method, "POST")
            self._require_site(site_id)
            body = request.json()
            login = body.get("LoginName") if isinstance(body, dict) else None
            if not isinstance(login, str) or not login:
                raise bad("Adding a member takes {'LoginName': claims}.")
            try:
                if login.lower().startswith(EVERYONE_LOGIN):
                    member = self.tenant.ensure_principal(
                        site_id, EVERYONE_LOGIN, EVERYONE, "everyone"
                    )
                else:
                    member = self.tenant.ensure_site_user(site_id, principal_of(login))
            except GraphError as exc:
                raise RestError(exc.status, exc.code, exc.message) from None
            permissions.add_member(site_id, group_id, member)
            return _answer(request, principal_json(self.tenant, site_id, member))
        if len(tail) == 2 and tail[0] == "users" and tail[1].startswith("removebyid("):
            _only(method, "POST")
            member_id = _whole(tail[1][len("removebyid(") : -1], "id")
            permissions.remove_member(site_id, group_id, member_id)
            return _answer(request, {"odata.null": True})
        raise not_found("Cannot find resource for the request.")

    # -- items in folders -----------------------------------------------------------------

    def _folder_by_path(self, site_id: str, segment: str) -> dict[str, Any]:
        """``GetFolderByServerRelativePath(decodedurl='...')/ListItemAllFields``."""
        decoded = unquote(_arguments(segment).get("decodedurl", "")).replace("''", "'")
        for entry in self.tenant.lists(site_id):
            row = self.tenant.get_list(site_id, entry["id"])
            root = unquote(urlsplit(self.tenant.list_url(row)).path).rstrip("/")
            if decoded.lower().startswith(root.lower() + "/"):
                try:
                    folder = self._folder_at(row, decoded)
                except RestError:
                    break
                if folder is not None and self.tenant.permissions.can(row, folder, "read"):
                    return {"Id": folder, "FileSystemObjectType": 1}
        raise RestError(404, "-2147024894, System.IO.FileNotFoundException",
                        "File Not Found.")  # fmt: skip

    def _add_item(self, row: ListRow, request: Request) -> list[dict[str, Any]]:
        """``AddValidateUpdateItemUsingPath``: an item or folder created at a folder path with
        its values parsed as ValidateUpdateListItem does (nothing is created if one fails)."""
        body = request.json()
        info = body.get("listItemCreateInfo") if isinstance(body, dict) else None
        if not isinstance(info, dict) or not isinstance(body.get("formValues", []), list):
            raise bad("AddValidateUpdateItemUsingPath takes listItemCreateInfo and formValues.")
        folder_path = (info.get("FolderPath") or {}).get("DecodedUrl", "")
        kind = info.get("UnderlyingObjectType", 0)
        if kind not in (0, 1):
            raise bad("UnderlyingObjectType is 0 (an item) or 1 (a folder).")
        parent = self._folder_at(row, str(folder_path))
        self._require(row, parent, "write")
        columns = {c.name: c for c in self.tenant.columns(row.id)}
        results: list[dict[str, Any]] = []
        parsed: dict[str, Any] = {}
        for entry in body.get("formValues", []):
            name, raw = entry.get("FieldName"), entry.get("FieldValue")
            text = "" if raw is None else str(raw)
            try:
                parsed[name] = self._parse(row, columns, str(name), text)
                failure = None
            except ValueError as exc:
                failure = str(exc)
            results.append({"ErrorCode": 0 if failure is None else -2146232832,
                            "ErrorMessage": failure, "FieldName": name, "FieldValue": text,
                            "HasException": failure is not None, "ItemId": 0})  # fmt: skip
        if any(r["HasException"] for r in results):
            return results
        leaf = info.get("LeafName") or (parsed.get("Title") if kind == 1 else None)
        if kind == 1:
            if not isinstance(leaf, str) or not leaf.strip() or "/" in leaf:
                raise bad("A folder needs a LeafName without '/'.")
            if self.tenant.folder_named(row, parent, leaf) is not None:
                raise RestError(
                    400,
                    "-2130575257, Microsoft.SharePoint.SPException",
                    f"A file or folder with the name {leaf} already exists.",
                )
            values = {"Title": leaf, **{k: v for k, v in parsed.items() if k not in ("Title",)}}
        else:
            values = parsed
        system: dict[str, Any] = {
            k: values.pop(k) for k in ("Created", "Modified", "Author", "Editor") if k in values
        }
        try:
            graph_fields = self.tenant.stored_values(row, values)
        except GraphError as exc:
            # A value refused on the whole (a duplicate in a unique column, a required column
            # empty) is reported on the fields, as SharePoint's form validation does.
            for result in results:
                if result["FieldName"] in exc.message or not any(
                    r["FieldName"] in exc.message for r in results
                ):
                    result["HasException"] = True
                    result["ErrorMessage"] = exc.message
                    result["ErrorCode"] = -2146232832
            return results
        if kind == 1:
            graph_fields["FileLeafRef"] = leaf
        item_id = self.tenant._insert_item(
            row, graph_fields, None, parent_item=parent, folder=kind == 1
        )
        if system:
            self.tenant.set_system_fields(row, item_id, system, new_version=False)
        for result in results:
            result["ItemId"] = item_id
        if not results:
            results.append(
                {"ErrorCode": 0, "ErrorMessage": None, "FieldName": "Id",
                 "FieldValue": str(item_id), "HasException": False, "ItemId": item_id}
            )  # fmt: skip
        return results

    def _folder_at(self, row: ListRow, decoded: str) -> int | None:
        """The folder item at a server-relative path (None: the list's root)."""
        root = urlsplit(self.tenant.list_url(row)).path
        path = unquote(decoded).rstrip("/")
        if path.lower() == unquote(root).lower().rstrip("/") or not path:
            return None
        prefix = unquote(root).rstrip("/") + "/"
        if not path.lower().startswith(prefix.lower()):
            raise bad(f"The folder path {decoded!r} is not in this list.")
        parent: int | None = None
        for name in path[len(prefix) :].split("/"):
            found = self.tenant.folder_named(row, parent, name)
            if found is None:
                raise RestError(404, "-2147024894, System.IO.FileNotFoundException",
                                f"The folder {name!r} does not exist.")  # fmt: skip
            parent = found
        return parent

    # -- users ----------------------------------------------------------------------------

    def _ensure_user(self, site_id: str, request: Request) -> dict[str, Any]:
        body = request.json()
        logon = body.get("logonName") if isinstance(body, dict) else None
        if not isinstance(logon, str) or not logon:
            raise bad("ensureuser takes {'logonName': 'i:0#.f|membership|upn'}.")
        if logon.lower().startswith(EVERYONE_LOGIN):
            user_id = self.tenant.ensure_principal(site_id, EVERYONE_LOGIN, EVERYONE, "everyone")
            return principal_json(self.tenant, site_id, user_id)
        upn = principal_of(logon)
        try:
            user_id = self.tenant.ensure_site_user(site_id, upn)
        except GraphError as exc:
            raise RestError(exc.status, exc.code, exc.message) from None
        fields = self.tenant.site_user(site_id, user_id) or {}
        return self._user(site_id, user_id, fields)

    def _authorship(self, request: Request, row: ListRow, item_id: int) -> dict[str, Any]:
        """An item's Created, Modified (UTC), AuthorId and EditorId, as REST returns them with
        every item; ``$expand=Author,Editor`` adds the people (``Name`` is the claims login,
        what ValidateUpdateListItem takes back)."""
        item = self.tenant._item_row(row, item_id)
        found: dict[str, Any] = {
            "Created": item["created"], "Modified": item["modified"],
            "AuthorId": item["author"], "EditorId": item["editor"],
        }  # fmt: skip
        expanded = {e.strip().lower() for e in request.query.get("$expand", "").split(",")}
        for name in ("Author", "Editor"):
            user_id = item[name.lower()]
            if name.lower() in expanded and user_id:
                user = self._user(
                    row.site_id, user_id, self.tenant.site_user(row.site_id, user_id) or {}
                )
                found[name] = {"Id": user_id, "Name": user["LoginName"], "Title": user["Title"],
                               "EMail": user["Email"]}  # fmt: skip
        return found

    @staticmethod
    def _user(site_id: str, user_id: int, fields: dict[str, Any]) -> dict[str, Any]:
        group = fields.get("PrincipalKind") == "group"
        upn = str(fields.get("UserName", ""))
        return {
            "Id": user_id,
            "LoginName": f"c:0t.c|tenant|{upn}" if group else f"i:0#.f|membership|{upn}",
            "Title": fields.get("Title"),
            "Email": fields.get("EMail"),
            "PrincipalType": 4 if group else 1,
            "IsSiteAdmin": user_id == 1,
            "UserPrincipalName": None if group else upn,
        }

    # -- ValidateUpdateListItem -----------------------------------------------------------

    def _validate_update(
        self, row: ListRow, item_id: int, request: Request
    ) -> list[dict[str, Any]]:
        body = request.json()
        if not isinstance(body, dict) or not isinstance(body.get("formValues"), list):
            raise bad("ValidateUpdateListItem takes {'formValues': [...], 'bNewDocumentUpdate'}.")
        unknown = set(body) - {"formValues", "bNewDocumentUpdate", "checkInComment", "datesInUTC"}
        if unknown:
            raise bad(f"The property '{sorted(unknown)[0]}' does not exist on this method.")
        new_version = not bool(body.get("bNewDocumentUpdate", False))
        self.tenant._item_row(row, item_id)
        columns = {c.name: c for c in self.tenant.columns(row.id)}
        results: list[dict[str, Any]] = []
        parsed: dict[str, Any] = {}
        for entry in body["formValues"]:
            if not isinstance(entry, dict) or not isinstance(entry.get("FieldName"), str):
                raise bad("Every form value is {'FieldName', 'FieldValue'}.")
            name, raw = entry["FieldName"], entry.get("FieldValue")
            text = "" if raw is None else str(raw)
            try:
                parsed[name] = self._parse(row, columns, name, text)
                failure = None
            except ValueError as exc:
                failure = str(exc)
            results.append(
                {
                    "ErrorCode": 0 if failure is None else -2146232832,
                    "ErrorMessage": failure,
                    "FieldName": name,
                    "FieldValue": text,
                    "HasException": failure is not None,
                    "ItemId": item_id,
                }
            )
        if not any(r["HasException"] for r in results):
            self.tenant.set_system_fields(row, item_id, parsed, new_version=new_version)
        return results

    def _parse(self, row: ListRow, columns: dict[str, Column], name: str, text: str) -> Any:
        if name in ("Created", "Modified"):
            return _local_datetime(text, self.tenant.config.site_time_zone)
        if name in ("Author", "Editor"):
            people = self._people(row.site_id, text)
            if len(people) != 1:
                raise ValueError("The user does not exist or is not unique.")
            return people[0]
        column = columns.get(name)
        if column is None or column.read_only or (column.builtin and name != "Title"):
            raise ValueError(
                f"Column '{name}' does not exist. It may have been deleted by another user."
            )
        if text == "":
            if column.required:
                raise ValueError("You must specify a value for this required field.")
            return None
        facet = column.facet
        if facet == "hyperlinkOrPicture":
            url, separator, description = text.replace(",, ", "\0").partition(", ")
            url = url.replace("\0", ", ")
            if not url.lower().startswith(("http://", "https://", "mailto:", "/")):
                raise ValueError("Invalid URL: the value must start with http:// or https://.")
            return {
                "Url": url,
                "Description": (description if separator else url).replace("\0", ", "),
            }
        if facet == "personOrGroup":
            people = self._people(row.site_id, text)
            if not column.multi and len(people) > 1:
                raise ValueError("This field allows only one person.")
            return people if column.multi else people[0]
        if facet == "dateTime":
            return _local_datetime(text, self.tenant.config.site_time_zone)
        if facet == "number":
            try:
                value: Any = float(text.replace(",", ""))
            except ValueError:
                raise ValueError(f"'{text}' is not a number.") from None
            return int(value) if value.is_integer() else value
        if facet == "boolean":
            if text.lower() not in ("1", "0", "yes", "no", "true", "false"):
                raise ValueError(f"'{text}' is not Yes or No.")
            return text.lower() in ("1", "yes", "true")
        if facet == "choice" and column.multi:
            value = [v for v in text.split(";#") if v]
        else:
            value = text
        try:
            return normalise_value(column, value, set(), set())
        except GraphError as exc:
            raise ValueError(exc.message) from None

    def _people(self, site_id: str, text: str) -> list[int]:
        try:
            entries = ast.literal_eval(text) if text.strip().startswith("[") else json.loads(text)
        except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
            # What ast.literal_eval's documentation says malformed input can raise (and
            # json.loads a RecursionError for deep nesting): a bad value, never a 500.
            raise ValueError("A person value is [{'Key': 'i:0#.f|membership|upn'}].") from None
        if not isinstance(entries, list) or not entries:
            raise ValueError("A person value is [{'Key': 'i:0#.f|membership|upn'}].")
        found = []
        for entry in entries:
            key = entry.get("Key") if isinstance(entry, dict) else None
            if not isinstance(key, str):
                raise ValueError("A person value is [{'Key': 'i:0#.f|membership|upn'}].")
            try:
                found.append(self.tenant.ensure_site_user(site_id, principal_of(key)))
            except GraphError:
                raise ValueError("The user does not exist or is not unique.") from None
        return found


def principal_of(login: str) -> str:
    """The UPN or group name in a claims login (a plain UPN passes through)."""
    for pattern, group in ((_CLAIMS, "upn"), (_GROUP_CLAIMS, "group")):
        match = pattern.match(login.strip())
        if match:
            return match.group(group)
    return login.strip()


def _local_datetime(text: str, zone: SiteTimeZone) -> str:
    """A site-local date-time as SharePoint stores it: UTC, ISO 8601."""
    if "T" in text or text.endswith("Z") or re.search(r"[+-]\d\d:?\d\d$", text):
        raise ValueError(
            f"'{text}' is not a valid date/time value for this site's regional settings."
        )
    for pattern in _LOCAL_FORMATS:
        try:
            local = datetime.strptime(text.strip(), pattern)
        except ValueError:
            continue
        return zone.to_utc(local).strftime("%Y-%m-%dT%H:%M:%SZ")
    raise ValueError(f"'{text}' is not a valid date/time for this site's regional settings.")


def _guid(segment: str) -> str:
    match = re.fullmatch(r"lists\(guid'([0-9a-fA-F-]{36})'\)", segment)
    if match is None:
        raise bad(f"'{segment}' does not name a list by its id.")
    return match.group(1)


def _item_id(segment: str) -> int:
    match = re.fullmatch(r"items\((\d{1,10})\)", segment)
    if match is None:
        raise bad(f"'{segment}' does not name an item.")
    return int(match.group(1))


def _only(method: str, allowed: str) -> None:
    if method != allowed:
        raise RestError(405, "-1, Microsoft.SharePoint.Client.ClientServiceException",
                        f"The HTTP method '{method}' cannot be used here.")  # fmt: skip


def _arguments(segment: str) -> dict[str, str]:
    """``name(a=1,b=true)`` -> ``{"a": "1", "b": "true"}`` (keys lower case)."""
    inner = segment[segment.find("(") + 1 : segment.rfind(")")] if "(" in segment else ""
    found: dict[str, str] = {}
    for part in inner.split(","):
        key, sep, value = part.partition("=")
        if sep:
            found[key.strip().lower()] = value.strip().strip("'")
    return found


def _int(arguments: dict[str, str], name: str) -> int:
    if name not in arguments:
        raise bad(f"The parameter {name} must be a whole number.")
    return _whole(arguments[name], name)


def _whole(text: str, name: str) -> int:
    """A principal, role or group id from the path: SharePoint's ids are Int32, and anything
    else is its 400, never an int() or SQLite error."""
    value = whole_number(text.strip(), 2**31 - 1)
    if value is None:
        raise bad(f"The parameter {name} must be a whole number.")
    return value


def _role_json(role: RoleDefinition) -> dict[str, Any]:
    return {"Id": role.id, "Name": role.name, "RoleTypeKind": role.kind, "Order": role.order,
            "Hidden": False, "Description": ""}  # fmt: skip


def access_denied() -> RestError:
    return RestError(
        403,
        "-2147024891, System.UnauthorizedAccessException",
        "Access denied. You do not have permission to perform this action.",
    )
