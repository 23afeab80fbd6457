"""Notes access planned as SharePoint grants: the ACL bounds what Readers and Authors fields
give, Author edits only its own items, and whatever cannot be carried exactly is said."""

from __future__ import annotations

from pathlib import Path

from notesmig.dxl.model import AclEntry
from notesmig.mapping.model import AclPolicy, Mapping, UserPolicy
from notesmig.mapping.users import Account, EntraGroup, GroupDirectory, UserDirectory, name_key
from notesmig.transform.access import AccessPlanner, DatabaseAcl

UNID = "A" * 32
PEOPLE = {
    "CN=斎藤 一郎/O=Maebashi": "saito@contoso.onmicrosoft.com",
    "CN=退職者 花子/O=Maebashi": "retired@contoso.onmicrosoft.com",
    "CN=預け入れ 次郎/O=Maebashi": "depositor@contoso.onmicrosoft.com",
    "CN=編集 三郎/O=Maebashi": "editor@contoso.onmicrosoft.com",
}


def planner(*entries: AclEntry) -> AccessPlanner:
    mapping = Mapping(path=Path("memo.yaml"), replica_id="0" * 16, title="メモ",
                      site="contoso.sharepoint.com:/sites/x", users=UserPolicy(),
                      readers="restrict", exclude_forms=frozenset(),
                      acl=AclPolicy(apply=True))  # fmt: skip
    users = UserDirectory(accounts={name_key(n): Account(u) for n, u in PEOPLE.items()})
    groups = GroupDirectory(groups={name_key("Maebashi_全職員"): EntraGroup("all@contoso.jp")})
    return AccessPlanner(mapping, users, groups, DatabaseAcl("メモ", entries))


ACL = (
    AclEntry("-Default-", "noaccess"),
    AclEntry("Maebashi_全職員", "author"),
    AclEntry("CN=退職者 花子/O=Maebashi", "noaccess"),
    AclEntry("CN=預け入れ 次郎/O=Maebashi", "depositor"),
    AclEntry("CN=編集 三郎/O=Maebashi", "editor"),
)


def test_names_the_acl_keeps_out_are_never_granted_and_the_plan_says_so() -> None:
    plan = planner(*ACL).plan(
        UNID,
        readers=["CN=斎藤 一郎/O=Maebashi", "CN=退職者 花子/O=Maebashi",
                 "CN=預け入れ 次郎/O=Maebashi"],
        authors=["CN=斎藤 一郎/O=Maebashi", "CN=編集 三郎/O=Maebashi"],
    )  # fmt: skip
    granted = {(g.principal.name, g.role) for g in plan.grants}
    assert granted == {("saito@contoso.onmicrosoft.com", "Read"),
                       ("editor@contoso.onmicrosoft.com", "Contribute")}  # fmt: skip
    assert any("退職者 花子" in n and "noaccess" in n and "not granted" in n for n in plan.notes)
    assert any("預け入れ 次郎" in n and "depositor" in n for n in plan.notes)
    # Saito reaches the database through a group whose members the export does not hold: the
    # edit right his Authors entry may give is not proven, so he reads, and the plan says so.
    assert any("斎藤 一郎" in n and "edit not carried" in n for n in plan.notes)


def test_author_level_edits_only_its_own_items_on_lists_and_reads_in_libraries() -> None:
    access = planner(*ACL).database_access()
    assert access.own_items_only
    lists = {(g.principal.name, g.role) for g in access.list_grants}
    libraries = {(g.principal.name, g.role) for g in access.library_grants}
    assert ("all@contoso.jp", "Contribute") in lists and ("all@contoso.jp", "Read") in libraries
    assert ("editor@contoso.onmicrosoft.com", "Edit") in lists & libraries
    assert not {name for name, _ in lists} & {"retired@contoso.onmicrosoft.com",
                                              "depositor@contoso.onmicrosoft.com"}  # fmt: skip
    said = " ".join(access.unresolved)
    assert "Author level: edits only the items one created" in said
    assert "Editor level: edits only the items one created" in said


def test_without_author_entries_every_item_stays_editable_by_its_editors() -> None:
    access = planner(AclEntry("-Default-", "noaccess"),
                     AclEntry("CN=編集 三郎/O=Maebashi", "editor")).database_access()  # fmt: skip
    assert not access.own_items_only and access.unresolved == []
