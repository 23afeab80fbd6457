"""Notes access as SharePoint permissions: who may read and edit each restricted document, the
database ACL as roles of its lists, and each Notes role as a site group.

Notes semantics carried over:

* A **Readers** field (any item flagged ``readers``, or ``$Readers``) means only the listed people,
  groups and roles, and the document's Authors, may read it. An **Authors** field lets its
  names edit the document when their ACL level is Author or higher (otherwise they read it).
* A **role** (``[Reviewer]``) means every ACL entry holding it; it becomes a site group named
  from the database title and the role, with the accounts of those entries.
* The **ACL** levels become roles on the database's lists and libraries: Manager Full Control,
  Designer Design, Editor Edit, Author Contribute, Reader Read; Depositor and No Access nothing;
  ``-Default-`` what the mapping names for everyone else, or nothing. Notes Authors edit only
  the documents that name them: where Author is carried, the lists let Contribute edit only
  one's own items (SharePoint's WriteSecurity 2; Created By is the Notes author), and in the
  libraries, which cannot limit it so, Author reads.
* A name in a Readers or Authors field whose own ACL entry is Depositor or No Access cannot
  read the document in Notes: it is not granted (and the plan says so). An Authors name whose
  own level is not known (it reaches the database through a group, whose members the export
  does not hold) reads, and the plan says its edit right was not carried.

A name that resolves to nothing holds its document back with the name in the reason: access is
never widened, and never silently narrowed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from notesmig import reasons
from notesmig.dxl.model import AclEntry
from notesmig.errors import TerminalError
from notesmig.mapping.model import Mapping
from notesmig.mapping.users import GroupDirectory, UserDirectory, abbreviate, name_key
from notesmig.records import (
    DatabaseAccess,
    Grant,
    PermissionPlan,
    Principal,
    RoleName,
    SiteGroupPlan,
)

DEFAULT_ENTRY = "-default-"
EVERYONE = "everyone"
_ROLE_OF_LEVEL: dict[str, RoleName] = {
    "manager": "Full Control",
    "designer": "Design",
    "editor": "Edit",
    "author": "Contribute",
    "reader": "Read",
}
_RANK = {"noaccess": 0, "depositor": 1, "reader": 2, "author": 3, "editor": 4, "designer": 5,
         "manager": 6}  # fmt: skip
#: The strongest role wins when a principal is granted twice.
_ROLE_RANK: dict[str, int] = {"Read": 1, "Contribute": 2, "Edit": 3, "Design": 4, "Full Control": 5}
#: Folder names for audiences: a prefix and a digest of the grants (nothing about who).
AUDIENCE_PREFIX = "notesmig-"


class AccessRefused(TerminalError):
    """Why a document's access cannot be carried over exactly (it is held back)."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class DatabaseAcl:
    """A database's ACL as the export holds it."""

    title: str | None = None
    entries: tuple[AclEntry, ...] = ()
    roles: tuple[str, ...] = ()


def audience_of(grants: list[Grant]) -> str:
    """The folder name of everyone who shares exactly these grants."""
    signature = "\n".join(
        sorted(f"{g.principal.kind}\t{g.principal.name.casefold()}\t{g.role}" for g in grants)
    )
    return AUDIENCE_PREFIX + hashlib.sha256(signature.encode("utf-8")).hexdigest()[:16]


def _merged(grants: list[Grant]) -> list[Grant]:
    """One grant per principal, the strongest role kept, in a stable order."""
    best: dict[tuple[str, str], Grant] = {}
    for grant in grants:
        key = (grant.principal.kind, grant.principal.name.casefold())
        known = best.get(key)
        if known is None or _ROLE_RANK[grant.role] > _ROLE_RANK[known.role]:
            best[key] = grant
    return [best[k] for k in sorted(best)]


@dataclass
class AccessPlanner:
    """Plans the access of one database's documents."""

    mapping: Mapping
    users: UserDirectory
    groups: GroupDirectory
    acl: DatabaseAcl = field(default_factory=DatabaseAcl)

    def __post_init__(self) -> None:
        self.title = (self.mapping.title or self.acl.title or self.mapping.replica_id).strip()
        self.roles = {r.casefold(): r for r in self.acl.roles}
        for entry in self.acl.entries:
            for role in entry.roles:
                self.roles.setdefault(role.casefold(), role)
        self.levels = {name_key(e.name): e.level.lower() for e in self.acl.entries}

    # -- principals -----------------------------------------------------------------------

    def site_group_title(self, role: str) -> str:
        return f"{self.title} {role}"[:255]

    def principal(self, notes_name: str) -> Principal | None:
        """What a Notes name in a Readers, Authors or ACL entry stands for in SharePoint."""
        name = notes_name.strip()
        if name.startswith("[") and name.endswith("]"):
            role = self.roles.get(name.casefold())
            if role is None:
                return None
            return Principal(kind="sitegroup", name=self.site_group_title(role), notes_name=name)
        group = self.groups.lookup(name)
        if group is not None:
            return Principal(kind="group", name=group.name, notes_name=name)
        account = self.users.lookup(name)
        if account is not None:
            return Principal(kind="user", name=account.upn, notes_name=name)
        return None

    def _everyone_else(self) -> Principal | None:
        target = self.mapping.acl.everyone_else
        if not target:
            return None
        if target.casefold() == EVERYONE:
            return Principal(kind="everyone", name=EVERYONE, notes_name="-Default-")
        return Principal(kind="group", name=target, notes_name="-Default-")

    def own_level(self, notes_name: str) -> str | None:
        """A name's (or group's) own ACL entry's level, None if it has none."""
        return self.levels.get(name_key(notes_name.strip()))

    def level(self, notes_name: str) -> str:
        """A name's ACL level: its own entry, its role's entries (the highest), or -Default-."""
        name = notes_name.strip()
        if name.startswith("[") and name.endswith("]"):
            holders = [e.level.lower() for e in self.acl.entries
                       if any(r.casefold() == name.casefold() for r in e.roles)]  # fmt: skip
            return max(holders, key=lambda level: _RANK.get(level, 0), default="noaccess")
        return self.levels.get(name_key(name), self.levels.get(DEFAULT_ENTRY, "noaccess"))

    # -- the database ---------------------------------------------------------------------

    def database_access(self) -> DatabaseAccess:
        unresolved: list[str] = []
        grants: list[Grant] = []
        library_grants: list[Grant] = []
        if self.mapping.acl.apply:
            for entry in self.acl.entries:
                role = _ROLE_OF_LEVEL.get(entry.level.lower())
                if role is None:
                    continue  # Depositor and No Access grant nothing
                if entry.name.casefold() == DEFAULT_ENTRY:
                    principal = self._everyone_else()
                    if principal is None:
                        unresolved.append(
                            f"ACL -Default- ({entry.level}): not carried, the mapping names no "
                            "group for everyone else (acl.everyone_else)"
                        )
                        continue
                else:
                    principal = self.principal(entry.name)
                if principal is None:
                    unresolved.append(
                        f"ACL entry {abbreviate(entry.name)} ({entry.level}): no account or "
                        "group, not carried"
                    )
                    continue
                grants.append(Grant(principal=principal, role=role))
                library_grants.append(
                    Grant(principal=principal, role="Read" if role == "Contribute" else role)
                )
        own_items_only = any(g.role == "Contribute" for g in grants)
        if own_items_only:
            unresolved.append(
                "作成者（Author）レベル: リストでは自分が作成したアイテムのみ編集可、"
                "ライブラリでは閲覧のみ / Author level: edits only the items one created in the "
                "lists, reads in the libraries"
            )
            if any(g.role == "Edit" for g in grants):
                unresolved.append(
                    "編集者（Editor）レベル: 自分が作成したアイテムのみ編集可（全アイテムを編集"
                    "できるのはデザイン・フル コントロールのみ） / Editor level: edits only the "
                    "items one created (only Design and Full Control edit every item then)"
                )
        site_groups = []
        for notes_role in sorted(self.roles.values()):
            members: list[Principal] = []
            for entry in self.acl.entries:
                if not any(r.casefold() == notes_role.casefold() for r in entry.roles):
                    continue
                if entry.name.casefold() == DEFAULT_ENTRY:
                    member = self._everyone_else()
                else:
                    member = self.principal(entry.name)
                if member is None or member.kind == "sitegroup":
                    unresolved.append(
                        f"role {notes_role}: {abbreviate(entry.name)} has no account or group, "
                        "not a member"
                    )
                    continue
                members.append(member)
            site_groups.append(
                SiteGroupPlan(
                    title=self.site_group_title(notes_role), notes_role=notes_role, members=members
                )
            )
        return DatabaseAccess(
            database=self.mapping.replica_id,
            title=self.title,
            acl_apply=self.mapping.acl.apply,
            list_grants=_merged(grants),
            library_grants=_merged(library_grants),
            own_items_only=own_items_only,
            site_groups=site_groups,
            unresolved=unresolved,
        )

    # -- one document ---------------------------------------------------------------------

    def plan(self, unid: str, readers: list[str], authors: list[str]) -> PermissionPlan:
        """The grants of a document with a Readers field; raises :class:`AccessRefused`."""
        grants: list[Grant] = []
        missing: list[str] = []
        roles_unknown: list[str] = []
        notes: list[str] = []
        edits_by_group = any(
            _RANK.get(e.level.lower(), 0) >= _RANK["author"]
            for e in self.acl.entries
            if self.groups.lookup(e.name) is not None
        )
        for name, is_author in [(n, False) for n in readers] + [(n, True) for n in authors]:
            principal = self.principal(name)
            if principal is None:
                target = roles_unknown if name.strip().startswith("[") else missing
                target.append(abbreviate(name))
                continue
            own = None if principal.kind == "sitegroup" else self.own_level(name)
            if own is not None and _RANK.get(own, 0) < _RANK["reader"]:
                # Readers and Authors fields never raise access above the ACL: in Notes this
                # name cannot open the document, so in SharePoint it is not granted either.
                notes.append(
                    f"{abbreviate(name)}: ACL で {own} のため権限なし / {own} in the ACL: "
                    "not granted"
                )
                continue
            rank = _RANK.get(self.level(name), 0)
            can_edit = is_author and rank >= _RANK["author"]
            if is_author and not can_edit and own is None and edits_by_group:
                notes.append(
                    f"{abbreviate(name)}: グループ経由の ACL レベルが不明のため閲覧のみ / ACL "
                    "level through a group unknown: reads, edit not carried"
                )
            grants.append(Grant(principal=principal, role="Contribute" if can_edit else "Read"))
        if roles_unknown:
            raise AccessRefused(
                str(reasons.ROLE_UNKNOWN),
                ", ".join(dict.fromkeys(roles_unknown)),
            )
        if missing:
            raise AccessRefused(
                str(reasons.READER_NO_ACCOUNT),
                ", ".join(dict.fromkeys(missing)),
            )
        merged = _merged(grants)
        return PermissionPlan(
            database=self.mapping.replica_id,
            unid=unid,
            grants=merged,
            audience=audience_of(merged),
            readers=[abbreviate(n) for n in readers],
            authors=[abbreviate(n) for n in authors],
            notes=list(dict.fromkeys(notes)),
        )
