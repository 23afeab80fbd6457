"""Permissions applied through SharePoint REST, converging on the plan and verified by reading
them back.

Graph v1.0 has no list item permissions (pnp/pnpcore #879; SharePoint/sp-dev-docs #5888), so
everything here is REST: site groups and their members for Notes roles, the database ACL on its
lists and libraries, and audience folders: one folder per distinct set of grants, whose unique
permissions are set (and read back) before anything is put in it, so a restricted document's
content is never readable by anyone outside its readers, whatever stops the run and when.

Every operation converges: a scope that does not inherit any more is not broken again, role
assignments are added or removed until they are exactly the plan's (the caller's own Full
Control, which ``breakroleinheritance(copyRoleAssignments=false)`` leaves, included), and a
scope that does not read back as planned stops the load of what it would hold.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

from notesmig.errors import TerminalError
from notesmig.records import DatabaseAccess, Grant, Principal, SiteGroupPlan
from notesmig.sharepoint.people import SitePeople
from notesmig.sharepoint.provision import SiteRef, Target
from notesmig.sharepoint.rest import RestRequestError, SharePointRest, group_login, login_name
from notesmig.spfacts.limits import UNIQUE_SCOPES_RECOMMENDED, UNIQUE_SCOPES_SUPPORTED

log = logging.getLogger("notesmig.sharepoint")

EVERYONE_LOGIN = "c:0-f|rolemanager|spo-grid-all-users"


class PermissionError_(TerminalError):
    """Permissions that cannot be applied as planned (names the scope and the principal)."""


class ScopeLimitError(PermissionError_):
    """A plan with more unique scopes in one list than SharePoint supports."""


class PrincipalError(PermissionError_):
    """A principal of the plan that SharePoint does not know."""


def grants_digest(grants: list[Grant]) -> str:
    canonical = sorted(
        f"{g.principal.kind}\t{g.principal.name.casefold()}\t{g.role}" for g in grants
    )
    return hashlib.sha256("\n".join(canonical).encode("utf-8")).hexdigest()


#: SharePoint's principal type of a site (SharePoint) group.
SHAREPOINT_GROUP = 8


def principal_key(kind: str, name: str) -> str:
    """How a principal is told apart in role assignments: its claims login (lower case), or
    ``sitegroup:<title>`` for a site group (whose login is its title)."""
    if kind == "sitegroup":
        return f"sitegroup:{name.casefold()}"
    if kind == "user":
        return login_name(name).lower()
    if kind == "everyone":
        return EVERYONE_LOGIN.lower()
    return group_login(name).lower()


def expected_assignments(grants: Iterable[tuple[str, str, str]]) -> set[tuple[str, str]]:
    """(principal key, role) pairs a scope must hold: exactly its grants (kind, name, role)."""
    return {(principal_key(kind, name), role) for kind, name, role in grants}


def grants_json(grants: list[Grant]) -> list[dict[str, str]]:
    return [{"kind": g.principal.kind, "name": g.principal.name, "role": g.role} for g in grants]


@dataclass
class PermissionApplier:
    """Applies a database's permissions on one site."""

    rest: SharePointRest
    people: SitePeople
    site: SiteRef
    _roles: dict[str, int] = field(default_factory=dict)
    _groups: dict[str, int] = field(default_factory=dict)
    scopes_applied: int = 0

    # -- principals and roles -------------------------------------------------------------

    async def role_id(self, name: str) -> int:
        known = self._roles.get(name)
        if known is None:
            found = await self.rest.call(
                "GET", self.site.path, f"web/roledefinitions/getbyname('{name}')",
                what=f"role definition {name}",
            )  # fmt: skip
            known = int(found["Id"])
            self._roles[name] = known
        return known

    async def principal_id(self, principal: Principal) -> int:
        """The site's id of a principal, adding the account or group to the site if needed."""
        if principal.kind == "sitegroup":
            known = self._groups.get(principal.name.casefold())
            if known is None:
                raise PrincipalError(f"site group {principal.name!r} was not created first")
            return known
        if principal.kind == "user":
            found = await self.people.id_of(principal.name)
            if found is None:
                raise PrincipalError(
                    f"{principal.notes_name or principal.name}: SharePoint knows no account "
                    f"{principal.name}"
                )
            return found
        login = EVERYONE_LOGIN if principal.kind == "everyone" else group_login(principal.name)
        known = self.people.ids.get(
            (EVERYONE_LOGIN if principal.kind == "everyone" else principal.name).lower()
        )
        if known is not None:
            return known  # already a principal of the site: nothing to ensure
        try:
            user = await self.rest.call(
                "POST", self.site.path, "web/ensureuser", {"logonName": login},
                what=f"ensureuser {principal.name}",
            )  # fmt: skip
        except RestRequestError as exc:
            raise PrincipalError(
                f"{principal.notes_name or principal.name}: SharePoint knows no group "
                f"{principal.name} ({exc.message})"
            ) from None
        self.people.ids[
            (EVERYONE_LOGIN if principal.kind == "everyone" else principal.name).lower()
        ] = int(user["Id"])
        return int(user["Id"])

    # -- site groups ----------------------------------------------------------------------

    async def ensure_site_groups(self, access: DatabaseAccess) -> None:
        """Each Notes role as a site group whose members are exactly the plan's."""
        for plan in access.site_groups:
            await self._ensure_group(plan)

    async def _ensure_group(self, plan: SiteGroupPlan) -> None:
        path = f"web/sitegroups/getbyname('{_odata(plan.title)}')"
        try:
            group = await self.rest.call("GET", self.site.path, path, what=plan.title)
        except RestRequestError as exc:
            if exc.status != 404:
                raise
            try:
                group = await self.rest.permission_call(
                    "POST", self.site.path, "web/sitegroups",
                    {"Title": plan.title, "Description": f"Notes role {plan.notes_role}"},
                    what=f"create site group {plan.title}",
                )  # fmt: skip
            except RestRequestError as refused:
                # "The specified name is already in use": an attempt whose answer was lost
                # (or a killed run) created it; the group found by its name is the one meant.
                if refused.status != 400:
                    raise
                group = await self.rest.call("GET", self.site.path, path, what=plan.title)
        group_id = int(group["Id"])
        self._groups[plan.title.casefold()] = group_id
        wanted = {await self.principal_id(m) for m in plan.members}
        current = await self.rest.call(
            "GET", self.site.path, f"web/sitegroups({group_id})/users", what=plan.title
        )
        present = {int(u["Id"]) for u in (current or [])}
        for member in plan.members:
            member_id = await self.principal_id(member)
            if member_id not in present:
                login = (
                    login_name(member.name)
                    if member.kind == "user"
                    else EVERYONE_LOGIN
                    if member.kind == "everyone"
                    else group_login(member.name)
                )
                await self.rest.permission_call(
                    "POST", self.site.path, f"web/sitegroups({group_id})/users",
                    {"LoginName": login}, what=f"{plan.title}: add {member.name}",
                )  # fmt: skip
        for extra in present - wanted:
            await self.rest.permission_call(
                "POST", self.site.path, f"web/sitegroups({group_id})/users/removebyid({extra})",
                what=f"{plan.title}: remove member {extra}",
            )  # fmt: skip

    # -- scopes ---------------------------------------------------------------------------

    def _object(self, target: Target, item_id: str | None) -> str:
        base = f"web/lists(guid'{target.id}')"
        return f"{base}/items({int(item_id)})" if item_id is not None else base

    async def ensure_scope(self, target: Target, item_id: str | None, grants: list[Grant]) -> None:
        """Make a list, folder or item's permissions exactly ``grants`` (and nothing, nobody,
        else), then read them back."""
        where = f"{target.title}" + (f" item {item_id}" if item_id else "")
        securable = self._object(target, item_id)
        wanted: dict[int, set[int]] = {}
        for grant in grants:
            principal = await self.principal_id(grant.principal)
            wanted.setdefault(principal, set()).add(await self.role_id(grant.role))
        state = await self.rest.call("GET", self.site.path, securable, what=where)
        if not state.get("HasUniqueRoleAssignments"):
            # clearSubscopes=false: a list whose ACL is applied after its audience folders
            # exist (a mapping turned to ``acl.apply``) must keep their own permissions;
            # clearing them would open restricted documents to the list's readers.
            await self.rest.permission_call(
                "POST", self.site.path,
                f"{securable}/breakroleinheritance(copyRoleAssignments=false,clearSubscopes=false)",
                what=f"{where}: break inheritance",
            )  # fmt: skip
            self.scopes_applied += 1
        current = await self._current(securable, where)
        for principal, roles in wanted.items():
            extra = current.get(principal, set()) - roles
            if extra:  # a role too many: drop the principal's assignment, then add what is planned
                await self._remove(securable, principal, where)
                current.pop(principal, None)
            for role in roles - current.get(principal, set()):
                await self.rest.permission_call(
                    "POST", self.site.path,
                    f"{securable}/roleassignments/addroleassignment(principalid={principal},"
                    f"roledefid={role})",
                    what=f"{where}: grant {role} to {principal}",
                )  # fmt: skip
        for principal in set(current) - set(wanted):
            await self._remove(securable, principal, where)
        after = await self._current(securable, where)
        if after != wanted:
            raise PermissionError_(
                f"{where}: the permissions read back as {_shown(after)}, not as planned "
                f"({_shown(wanted)})"
            )

    async def ensure_write_security(self, target: Target, value: int) -> None:
        """A list's item-level edit setting (WriteSecurity: 1 all items, 2 only one's own),
        set and read back."""
        path = f"web/lists(guid'{target.id}')"
        state = await self.rest.call("GET", self.site.path, path, what=target.title)
        if int(state.get("WriteSecurity") or 1) != value:
            await self.rest.call(
                "POST", self.site.path, path, {"WriteSecurity": value},
                what=f"{target.title}: WriteSecurity {value}",
                headers={"X-HTTP-Method": "MERGE", "IF-MATCH": "*"},
            )  # fmt: skip
            state = await self.rest.call("GET", self.site.path, path, what=target.title)
        if int(state.get("WriteSecurity") or 1) != value:
            raise PermissionError_(
                f"{target.title}: WriteSecurity read back as {state.get('WriteSecurity')}, "
                f"not {value}"
            )

    async def _current(self, securable: str, where: str) -> dict[int, set[int]]:
        found = await self.rest.permission_call(
            "GET", self.site.path,
            f"{securable}/roleassignments?$expand=Member,RoleDefinitionBindings",
            what=f"{where}: read permissions",
        )  # fmt: skip
        current: dict[int, set[int]] = {}
        for assignment in found or []:
            bindings = assignment.get("RoleDefinitionBindings") or []
            if isinstance(bindings, dict):
                bindings = bindings.get("results", [])
            current[int(assignment["PrincipalId"])] = {int(b["Id"]) for b in bindings}
        return current

    async def assignments(self, target: Target, item_id: str | None) -> set[tuple[str, str]]:
        """A scope's role assignments as (principal key, role name) pairs, read only (for the
        reconciler: it changes nothing, not even the site's users)."""
        where = f"{target.title}" + (f" item {item_id}" if item_id else "")
        securable = self._object(target, item_id)
        found = await self.rest.permission_call(
            "GET",
            self.site.path,
            f"{securable}/roleassignments?$expand=Member,RoleDefinitionBindings",
            what=f"{where}: read permissions",
        )
        pairs: set[tuple[str, str]] = set()
        for assignment in found or []:
            member = assignment.get("Member") or {}
            if int(member.get("PrincipalType") or 0) == SHAREPOINT_GROUP:
                key = principal_key("sitegroup", str(member.get("Title") or ""))
            else:
                key = str(member.get("LoginName") or "").lower()
            bindings = assignment.get("RoleDefinitionBindings") or []
            if isinstance(bindings, dict):
                bindings = bindings.get("results", [])
            pairs.update((key, str(b.get("Name"))) for b in bindings)
        return pairs

    async def _remove(self, securable: str, principal: int, where: str) -> None:
        try:
            await self.rest.permission_call(
                "POST", self.site.path,
                f"{securable}/roleassignments/getbyprincipalid({principal})",
                what=f"{where}: remove principal {principal}",
                headers={"X-HTTP-Method": "DELETE"},
            )  # fmt: skip
        except RestRequestError as exc:
            # Already gone (an earlier attempt whose answer was lost): what was wanted.
            if exc.status != 400 or principal in await self._current(securable, where):
                raise

    # -- folders --------------------------------------------------------------------------

    def list_path(self, target: Target) -> str:
        """The list's server-relative URL (decoded), as folder paths take it."""
        from urllib.parse import unquote  # noqa: PLC0415

        return unquote(urlsplit(target.web_url).path).rstrip("/")

    async def list_folder(self, target: Target, name: str) -> str:
        """The id of the folder ``name`` at a list's root, created if missing."""
        folder_path = f"{self.list_path(target)}/{name}"
        found = await self._folder_item(target, name)
        if found is not None:
            return found
        failed: list[dict[str, object]] = []
        try:
            answer = await self.rest.call(
                "POST", self.site.path,
                f"web/lists(guid'{target.id}')/AddValidateUpdateItemUsingPath",
                {"listItemCreateInfo": {"FolderPath": {"DecodedUrl": self.list_path(target)},
                                        "UnderlyingObjectType": 1, "LeafName": name},
                 "formValues": [{"FieldName": "Title", "FieldValue": name}],
                 "bNewDocumentUpdate": False},
                what=f"create folder {folder_path}",
            )  # fmt: skip
            results = answer if isinstance(answer, list) else (answer or {}).get("value", [])
            failed = [r for r in results if r.get("HasException")]
        except RestRequestError as exc:
            if exc.status != 400:
                raise
            results = []  # refused as existing: created by an attempt whose answer was lost
        if failed or not results:
            again = await self._folder_item(target, name)
            if again is not None:
                return again
            raise PermissionError_(
                f"{folder_path}: SharePoint did not create the folder ({failed})"
            )
        return str(results[0]["ItemId"])

    async def _folder_item(self, target: Target, name: str) -> str | None:
        """The list item id of a folder at the list's root (None: there is none)."""
        path = f"{self.list_path(target)}/{name}".replace("'", "''")
        try:
            found = await self.rest.call(
                "GET", self.site.path,
                f"web/GetFolderByServerRelativePath(decodedurl='{quote(path, safe='')}')"
                "/ListItemAllFields", what=f"folder {path}",
            )  # fmt: skip
        except RestRequestError as exc:
            if exc.status == 404:
                return None
            raise
        return str(found["Id"]) if found and found.get("Id") is not None else None

    def check_scope_budget(self, target: Target, audiences: int) -> str | None:
        """Refuse a plan over SharePoint's supported unique scopes per list; warn near the
        recommended limit. Returns the warning, if any."""
        if audiences > UNIQUE_SCOPES_SUPPORTED:
            raise ScopeLimitError(
                f"{target.title}: 固有の権限スコープが {audiences} 個必要で、SharePoint の上限 "
                f"{UNIQUE_SCOPES_SUPPORTED} を超えるため何も移行していません / {target.title}: "
                f"the plan needs {audiences} unique permission scopes; SharePoint supports "
                f"{UNIQUE_SCOPES_SUPPORTED} per list. Group the readers differently or split the "
                "list; nothing was loaded."
            )
        if audiences > UNIQUE_SCOPES_RECOMMENDED * 0.8:
            return (
                f"{target.title}: 固有の権限スコープ {audiences} 個（推奨上限 "
                f"{UNIQUE_SCOPES_RECOMMENDED} に近い） / {target.title}: {audiences} unique "
                f"permission scopes, near SharePoint's recommended {UNIQUE_SCOPES_RECOMMENDED} "
                "per list"
            )
        return None


def _shown(assignments: dict[int, set[int]]) -> str:
    return json.dumps({str(k): sorted(v) for k, v in sorted(assignments.items())})


def _odata(value: str) -> str:
    return value.replace("'", "''")


def _odata_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
