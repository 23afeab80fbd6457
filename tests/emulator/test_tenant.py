"""``tenant``: the facade over one emulated tenant's state: what a new tenant holds, what a
restart on the same data keeps or adds, and whom its writes are by."""

from __future__ import annotations

from pathlib import Path

from notesmig.emulator.config import EmulatorConfig
from notesmig.emulator.directory import ADMIN
from notesmig.emulator.permissions import EVERYONE, site_key
from notesmig.emulator.tenant import Tenant
from notesmig.spfacts.roles import FULL_CONTROL, READ

YAMADA = "yamada.taro@contoso.onmicrosoft.com"


def test_a_new_tenant_is_ready_for_the_loader(tmp_path: Path) -> None:
    tenant = Tenant(EmulatorConfig(data_dir=tmp_path / "data", site_members=(YAMADA,)))
    assert tenant.base_url == "https://contoso.sharepoint.com"
    assert tenant.content_dir.is_dir() and tenant.upload_dir.is_dir()
    site_id = tenant.site("contoso.sharepoint.com", "/sites/notes-migration")["id"]
    assert tenant.get_list(site_id, "Documents").is_library
    users = {fields["UserName"]: user for user, fields in tenant.site_users(site_id)}
    assert {ADMIN, YAMADA} <= set(users)
    # The app's account has Full Control of the site, everyone in the tenant reads it.
    granted = {(tenant.site_user(site_id, a.principal) or {}).get("Title"): a.role
               for a in tenant.permissions.assignments(site_key(site_id))}  # fmt: skip
    assert granted == {"移行 管理者": FULL_CONTROL, EVERYONE: READ}
    tenant.db.close()


def test_a_restart_keeps_what_is_there_and_adds_new_sites(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = Tenant(EmulatorConfig(data_dir=data, site_members=(YAMADA,)))
    site_id = first.site("contoso.sharepoint.com", "/sites/notes-migration")["id"]
    with first.transaction():
        first.create_list(site_id, {"displayName": "Kept"})
    users = first.site_users(site_id)
    assignments = first.permissions.assignments(site_key(site_id))
    first.db.close()
    again = Tenant(EmulatorConfig(data_dir=data, sites=("notes-migration", "archive"),
                                  site_members=(YAMADA,)))  # fmt: skip
    assert again.site_users(site_id) == users  # nobody added twice
    assert again.permissions.assignments(site_key(site_id)) == assignments
    assert again.get_list(site_id, "Kept").display_name == "Kept"
    archive = again.site("contoso.sharepoint.com", "/sites/archive")["id"]
    assert again.get_list(archive, "Documents").is_library
    assert len(again.permissions.assignments(site_key(archive))) == 2
    again.db.close()


def test_writes_are_by_whoever_acts(tenant: Tenant) -> None:
    site_id = tenant.site("contoso.sharepoint.com", "/sites/notes-migration")["id"]
    with tenant.transaction():
        row = tenant.get_list(site_id, tenant.create_list(site_id, {"displayName": "By"})["id"])
        by_app = tenant.create_item(row, {"fields": {"Title": "app"}})
        tenant.acting_as = YAMADA
        by_user = tenant.create_item(row, {"fields": {"Title": "user"}})
        tenant.acting_as = None
    assert by_app["createdBy"]["user"]["email"] == ADMIN
    assert by_user["createdBy"]["user"] == {"displayName": "山田 太郎", "email": YAMADA}
    assert by_user["lastModifiedBy"] == by_user["createdBy"]
    # The person was added to the site on first use, as SharePoint ensures them.
    assert YAMADA in {fields["UserName"] for _, fields in tenant.site_users(site_id)}
