"""``permissions``: scopes, role assignments and what a signed-in user may read or change, with
SharePoint's limits (5,000 role assignments per scope, 50,000 unique scopes per list, no
inheritance broken on a list of more than 100,000 items)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from notesmig.emulator.permissions import THROTTLED, item_key, list_key
from notesmig.emulator.server import EmulatorProcess
from notesmig.emulator.tenant import ListRow, Tenant
from notesmig.spfacts.limits import ROLE_ASSIGNMENTS_PER_SCOPE, UNIQUE_SCOPES_SUPPORTED
from notesmig.spfacts.roles import CONTRIBUTE, FULL_CONTROL, READ
from tests.emulator.helpers import assert_graph_error, assert_rest_error, new_list, start

WEB = "/sites/notes-migration/_api/web"
NOMETADATA = "application/json;odata=nometadata"
YAMADA = "yamada.taro@contoso.onmicrosoft.com"
SATO = "sato.hanako@contoso.onmicrosoft.com"
ARGUMENT = "-2147024809, System.ArgumentException"


def rest(url: str, token: str = "t") -> httpx.Client:
    return httpx.Client(base_url=url, timeout=30,
                        headers={"Authorization": f"Bearer {token}", "Accept": NOMETADATA})  # fmt: skip


def as_user(emulator: EmulatorProcess, upn: str) -> httpx.Client:
    return httpx.Client(base_url=emulator.graph_url, timeout=30,
                        headers={"Authorization": f"Bearer user:{upn}"})  # fmt: skip


def ensure(client: httpx.Client, upn: str) -> int:
    answer = client.post(f"{WEB}/ensureuser", json={"logonName": f"i:0#.f|membership|{upn}"})
    assert answer.status_code == 200, answer.text
    return int(answer.json()["Id"])


def grant(client: httpx.Client, securable: str, principal: int, role: int) -> httpx.Response:
    return client.post(
        f"{securable}/roleassignments/addroleassignment(principalid={principal},roledefid={role})"
    )


def break_inheritance(client: httpx.Client, securable: str, *, copy: bool) -> httpx.Response:
    flag = "true" if copy else "false"
    return client.post(f"{securable}/breakroleinheritance(copyRoleAssignments={flag},"
                       "clearSubscopes=false)")  # fmt: skip


# -- signed-in users (the shared emulator) ------------------------------------------------


@pytest.fixture
def target(http: httpx.Client, site_id: str) -> dict[str, str]:
    """A new list with two items the app made; its Graph items URL and its REST URL."""
    created = new_list(http, site_id, [{"name": "Note", "text": {}}])
    items = f"/sites/{site_id}/lists/{created['id']}/items"
    for title in ("公開", "秘密"):
        assert http.post(items, json={"fields": {"Title": title}}).status_code == 201
    return {"items": items, "rest": f"{WEB}/lists(guid'{created['id']}')"}


def test_a_reader_may_not_write_until_granted_contribute(
    emulator: EmulatorProcess, target: dict[str, str]
) -> None:
    items, securable = target["items"], target["rest"]
    yamada = as_user(emulator, YAMADA)
    assert yamada.get(f"{items}/1").status_code == 200  # everyone in the tenant reads the site
    assert_graph_error(yamada.post(items, json={"fields": {"Title": "x"}}), 403, "accessDenied")
    assert_graph_error(yamada.patch(f"{items}/1/fields", json={"Note": "x"}), 403, "accessDenied")
    assert_graph_error(yamada.delete(f"{items}/1"), 403, "accessDenied")
    user_rest = rest(emulator.url, f"user:{YAMADA}")
    refused = user_rest.post(f"{securable}/items(1)/ValidateUpdateListItem()",
                             json={"formValues": [{"FieldName": "Note", "FieldValue": "x"}]})  # fmt: skip
    assert_rest_error(refused, 403, "-2147024891, System.UnauthorizedAccessException")
    # Nor may a reader manage the list's permissions.
    assert break_inheritance(user_rest, securable, copy=True).status_code == 403
    app = rest(emulator.url)
    assert break_inheritance(app, securable, copy=True).status_code == 200
    assert grant(app, securable, ensure(app, YAMADA), CONTRIBUTE.id).status_code == 200
    created = yamada.post(items, json={"fields": {"Title": "山田の申請"}})
    assert created.status_code == 201, created.text
    assert created.json()["createdBy"]["user"]["email"] == YAMADA
    assert yamada.patch(f"{items}/1/fields", json={"Note": "x"}).status_code == 200
    assert app.get(f"{securable}/items(1)").json()["EditorId"] == ensure(app, YAMADA)


def test_an_item_a_user_may_not_read_is_404_on_graph_and_rest(
    emulator: EmulatorProcess, http: httpx.Client, target: dict[str, str]
) -> None:
    items, securable = target["items"], target["rest"]
    app = rest(emulator.url)
    # Item 2's own scope, copied from nothing: only the app (Full Control) is in it.
    assert break_inheritance(app, f"{securable}/items(2)", copy=False).status_code == 200
    assigned = app.get(f"{securable}/items(2)/roleassignments").json()["value"]
    assert [(a["Member"]["LoginName"], [r["Name"] for r in a["RoleDefinitionBindings"]])
            for a in assigned] == [("i:0#.f|membership|admin@contoso.onmicrosoft.com",
                                    [FULL_CONTROL.name])]  # fmt: skip
    yamada = as_user(emulator, YAMADA)
    assert_graph_error(yamada.get(f"{items}/2"), 404, "itemNotFound")
    # Not 403: for this user the item does not exist, whatever the method.
    assert_graph_error(yamada.patch(f"{items}/2/fields", json={"Note": "x"}), 404, "itemNotFound")
    assert_graph_error(yamada.get(f"{items}/2/fields"), 404, "itemNotFound")
    assert [i["id"] for i in yamada.get(items).json()["value"]] == ["1"]
    delta = yamada.get(f"{items}/delta").json()["value"]
    assert [i["id"] for i in delta] == ["1"]
    user_rest = rest(emulator.url, f"user:{YAMADA}")
    hidden = user_rest.get(f"{securable}/items(2)")
    message = assert_rest_error(hidden, 404, "-2130575338, Microsoft.SharePoint.SPException")
    assert "Item does not exist" in message
    missing = user_rest.get(f"{securable}/items(99)")  # the same answer as for item 2
    assert (
        assert_rest_error(missing, 404, "-2130575338, Microsoft.SharePoint.SPException") == message
    )
    assert user_rest.get(f"{securable}/items(1)").json()["Id"] == 1
    assert http.get(f"{items}/2").status_code == 200  # the app still reads it


def test_a_list_a_user_may_not_read_does_not_exist_for_them(
    emulator: EmulatorProcess, site_id: str, target: dict[str, str]
) -> None:
    assert break_inheritance(rest(emulator.url), target["rest"], copy=False).status_code == 200
    yamada = as_user(emulator, YAMADA)
    list_id = target["items"].split("/")[4]
    assert_graph_error(yamada.get(f"/sites/{site_id}/lists/{list_id}"), 404, "itemNotFound")
    assert_graph_error(yamada.get(target["items"]), 404, "itemNotFound")
    lists = yamada.get(f"/sites/{site_id}/lists", params={"$top": "5000"}).json()["value"]
    listed = {entry["id"] for entry in lists}
    assert list_id not in listed and listed  # the other lists are still there
    hidden = rest(emulator.url, f"user:{YAMADA}").get(target["rest"])
    assert_rest_error(hidden, 404, "-2130575338, Microsoft.SharePoint.SPException")


def test_a_site_group_gives_its_members_its_roles(
    emulator: EmulatorProcess, target: dict[str, str]
) -> None:
    app, securable = rest(emulator.url), target["rest"]
    title = f"Editors {target['items'].split('/')[4][:8]}"
    group = app.post(f"{WEB}/sitegroups", json={"Title": title})
    assert group.status_code == 200, group.text
    group_id = group.json()["Id"]
    assert_rest_error(app.post(f"{WEB}/sitegroups", json={"Title": title.upper()}),
                      400, "-2130575293, Microsoft.SharePoint.SPException")  # fmt: skip
    assert break_inheritance(app, securable, copy=True).status_code == 200
    assert grant(app, securable, group_id, CONTRIBUTE.id).status_code == 200
    yamada = as_user(emulator, YAMADA)
    assert yamada.post(target["items"], json={"fields": {"Title": "a"}}).status_code == 403
    joined = app.post(f"{WEB}/sitegroups({group_id})/users",
                      json={"LoginName": f"i:0#.f|membership|{YAMADA}"})  # fmt: skip
    assert joined.status_code == 200, joined.text
    assert yamada.post(target["items"], json={"fields": {"Title": "b"}}).status_code == 201
    member = joined.json()["Id"]
    assert app.post(f"{WEB}/sitegroups({group_id})/users/removebyid({member})").status_code == 200
    assert yamada.post(target["items"], json={"fields": {"Title": "c"}}).status_code == 403


def test_assignments_need_a_unique_scope_a_known_role_and_principal(
    emulator: EmulatorProcess, target: dict[str, str]
) -> None:
    app, securable = rest(emulator.url), target["rest"]
    yamada = ensure(app, YAMADA)
    message = assert_rest_error(grant(app, securable, yamada, READ.id), 400,
                                "-2146232832, Microsoft.SharePoint.SPException")  # fmt: skip
    assert "inherits permissions" in message
    assert app.get(securable).json()["HasUniqueRoleAssignments"] is False
    assert break_inheritance(app, securable, copy=True).status_code == 200
    assert app.get(securable).json()["HasUniqueRoleAssignments"] is True
    # Copied: the site's own assignments (the app's Full Control, everyone's Read).
    copied = {a["Member"]["Title"]: [r["Name"] for r in a["RoleDefinitionBindings"]]
              for a in app.get(f"{securable}/roleassignments").json()["value"]}  # fmt: skip
    assert copied == {"移行 管理者": ["Full Control"], "Everyone except external users": ["Read"]}
    assert grant(app, securable, yamada, 12345).status_code == 404
    assert grant(app, securable, 999_999, READ.id).status_code == 404
    assert_rest_error(app.get(f"{securable}/roleassignments/getbyprincipalid({yamada})"),
                      400, ARGUMENT)  # fmt: skip
    assert grant(app, securable, yamada, READ.id).status_code == 200
    found = app.get(f"{securable}/roleassignments/getbyprincipalid({yamada})").json()
    assert [r["Name"] for r in found["RoleDefinitionBindings"]] == ["Read"]
    assert app.post(f"{securable}/resetroleinheritance").status_code == 200
    assert app.get(securable).json()["HasUniqueRoleAssignments"] is False


# -- SharePoint's limits (filled in-process, then the next one through REST) ----------------


def serve(tenant: Tenant) -> EmulatorProcess:
    """An emulator on the ``tenant`` fixture's data, after the test filled it in-process."""
    return EmulatorProcess(tenant.config.data_dir, options=("--ru-per-minute", "0"))


def limited_list(tenant: Tenant, items: int) -> ListRow:
    site_id = tenant.site(tenant.config.hostname, "/sites/notes-migration")["id"]
    with tenant.transaction():
        created = tenant.create_list(site_id, {"displayName": "Limits"})
        row = tenant.get_list(site_id, created["id"])
        for number in range(items):
            tenant.create_item(row, {"fields": {"Title": f"item {number}"}})
    return row


def test_a_scope_holds_at_most_5000_role_assignments(tenant: Tenant) -> None:
    row = limited_list(tenant, 0)
    key = list_key(row.id)
    permissions = tenant.permissions
    with tenant.transaction():
        permissions.break_inheritance(row, None, copy=False, clear_subscopes=False)
        for principal in range(100_000, 100_000 + ROLE_ASSIGNMENTS_PER_SCOPE - 1):
            permissions._assign(key, principal, READ.id)  # placeholders: only counted
    assert len(permissions.assignments(key)) == ROLE_ASSIGNMENTS_PER_SCOPE  # with the app's
    (admin,) = {a.principal for a in permissions.assignments(key)} - set(range(100_000, 200_000))
    with serve(tenant) as emulator:
        app = rest(emulator.url)
        securable = f"{WEB}/lists(guid'{row.id}')"
        yamada = ensure(app, YAMADA)
        message = assert_rest_error(grant(app, securable, yamada, READ.id), 400, ARGUMENT)
        assert message == f"A scope holds at most {ROLE_ASSIGNMENTS_PER_SCOPE} role assignments."
        # Another role for a principal already assigned is no new assignment.
        assert grant(app, securable, admin, CONTRIBUTE.id).status_code == 200
        removed = app.delete(f"{securable}/roleassignments/getbyprincipalid(100000)")
        assert removed.status_code == 200
        assert grant(app, securable, yamada, READ.id).status_code == 200
        assert_rest_error(grant(app, securable, ensure(app, SATO), READ.id), 400, ARGUMENT)
    principals = {a.principal for a in permissions.assignments(key)}
    assert len(principals) == ROLE_ASSIGNMENTS_PER_SCOPE and yamada in principals


def test_a_list_holds_at_most_50000_unique_scopes(tenant: Tenant) -> None:
    row = limited_list(tenant, 2)
    placeholders = range(1_000_000, 1_000_000 + UNIQUE_SCOPES_SUPPORTED - 1)
    with tenant.transaction():
        tenant.permissions.db.executemany(
            "INSERT INTO scopes VALUES (?, ?, ?)",
            ((item_key(row.id, n), row.site_id, row.id) for n in placeholders),
        )
    assert tenant.permissions.unique_scopes(row) == UNIQUE_SCOPES_SUPPORTED - 1
    with serve(tenant) as emulator:
        app = rest(emulator.url)
        securable = f"{WEB}/lists(guid'{row.id}')"
        assert break_inheritance(app, f"{securable}/items(1)", copy=True).status_code == 200
        refused = break_inheritance(app, f"{securable}/items(2)", copy=True)
        assert assert_rest_error(refused, 400, ARGUMENT) == (
            "You cannot break inheritance for this item because there are too many items with "
            "unique permissions in this list."
        )
        assert app.get(f"{securable}/items(2)").json()["HasUniqueRoleAssignments"] is False
        # The list's own scope is not an item's: it may still be made.
        assert break_inheritance(app, securable, copy=True).status_code == 200
        # One item scope fewer, and the next one is made.
        assert app.post(f"{securable}/items(1)/resetroleinheritance").status_code == 200
        assert break_inheritance(app, f"{securable}/items(2)", copy=True).status_code == 200
        assert app.get(f"{securable}/items(2)").json()["HasUniqueRoleAssignments"] is True
    assert tenant.permissions.unique_scopes(row) == UNIQUE_SCOPES_SUPPORTED + 1  # with the list's


def test_a_list_of_too_many_items_keeps_its_inheritance(tmp_path: Path) -> None:
    with start(tmp_path, "--ru-per-minute", "0", "--break-inheritance-max-items", "2") as emulator:
        graph = httpx.Client(base_url=emulator.graph_url, headers={"Authorization": "Bearer t"})
        site_id = graph.get("/sites/contoso.sharepoint.com:/sites/notes-migration:").json()["id"]
        created = new_list(graph, site_id, [])
        items = f"/sites/{site_id}/lists/{created['id']}/items"
        for title in "ab":
            assert graph.post(items, json={"fields": {"Title": title}}).status_code == 201
        app, securable = rest(emulator.url), f"{WEB}/lists(guid'{created['id']}')"
        assert break_inheritance(app, securable, copy=True).status_code == 200  # 2: allowed
        assert app.post(f"{securable}/resetroleinheritance").status_code == 200
        assert graph.post(items, json={"fields": {}}).status_code == 201  # 3: one too many
        refused = break_inheritance(app, securable, copy=True)
        message = assert_rest_error(refused, 429, THROTTLED)
        assert "100,000 items" in message and "Retry-After" not in refused.headers
        assert app.get(securable).json()["HasUniqueRoleAssignments"] is False
        # An item is no container: its inheritance may still be broken.
        assert break_inheritance(app, f"{securable}/items(1)", copy=True).status_code == 200


def test_an_app_not_granted_permission_management_gets_403(tmp_path: Path) -> None:
    with start(tmp_path, "--ru-per-minute", "0", "--no-manage-permissions") as emulator:
        graph = httpx.Client(base_url=emulator.graph_url, headers={"Authorization": "Bearer t"})
        site_id = graph.get("/sites/contoso.sharepoint.com:/sites/notes-migration:").json()["id"]
        created = new_list(graph, site_id, [])
        securable = f"{WEB}/lists(guid'{created['id']}')"
        app = rest(emulator.url)
        refused = break_inheritance(app, securable, copy=True)
        assert_rest_error(refused, 403, "-2147024891, System.UnauthorizedAccessException")
        assert app.post(f"{WEB}/sitegroups", json={"Title": "Owners"}).status_code == 403
        # Everything else the app still does.
        items = f"/sites/{site_id}/lists/{created['id']}/items"
        assert graph.post(items, json={"fields": {"Title": "x"}}).status_code == 201
