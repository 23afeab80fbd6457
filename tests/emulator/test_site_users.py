"""``site_users``: each site's User Information List, its principals, and who a request acts as."""

from __future__ import annotations

from pathlib import Path

import pytest

from notesmig.emulator.config import EmulatorConfig
from notesmig.emulator.directory import ADMIN
from notesmig.emulator.graph_errors import GraphError
from notesmig.emulator.tenant import Tenant

YAMADA = "yamada.taro@contoso.onmicrosoft.com"
SATO = "sato.hanako@contoso.onmicrosoft.com"


def test_a_site_starts_with_the_app_and_its_configured_members(tmp_path: Path) -> None:
    tenant = Tenant(EmulatorConfig(data_dir=tmp_path, site_members=(YAMADA,)))
    site_id = tenant.site("root")["id"]
    users = {fields["UserName"]: fields for _, fields in tenant.site_users(site_id)}
    assert {ADMIN, YAMADA} <= set(users) and SATO not in users
    assert users[YAMADA]["Title"] == "山田 太郎" and users[YAMADA]["PrincipalKind"] == "user"
    tenant.db.close()


def test_an_account_is_ensured_once_and_an_unknown_one_is_refused(tenant: Tenant) -> None:
    site_id = tenant.site("root")["id"]
    first = tenant.ensure_site_user(site_id, SATO)
    assert tenant.ensure_site_user(site_id, SATO.upper()) == first  # UPNs compare without case
    assert first in tenant.user_ids(site_id)
    assert tenant.site_user(site_id, first) == {
        "Title": "佐藤 花子", "EMail": SATO, "UserName": SATO, "PrincipalKind": "user"
    }  # fmt: skip
    with pytest.raises(GraphError) as caught:
        tenant.ensure_site_user(site_id, "ghost@contoso.onmicrosoft.com")
    assert caught.value.status == 400 and "could not be found" in caught.value.message


def test_groups_and_site_groups_share_the_users_id_space(tmp_path: Path) -> None:
    config = EmulatorConfig(data_dir=tmp_path, groups=(("Sales", YAMADA),))
    tenant = Tenant(config)
    site_id = tenant.site("root")["id"]
    group = tenant.ensure_site_user(site_id, "Sales")
    site_group = tenant.ensure_principal(site_id, "sitegroup:Owners", "Owners", "sitegroup")
    assert tenant.site_user(site_id, group) == {
        "Title": "Sales", "EMail": "Sales", "UserName": "Sales", "PrincipalKind": "group"
    }  # fmt: skip
    assert tenant.site_user(site_id, site_group)["EMail"] == ""  # type: ignore[index]
    ids = [user_id for user_id, _ in tenant.site_users(site_id)]
    assert len(ids) == len(set(ids)) and {group, site_group} <= set(ids)
    tenant.db.close()


def test_the_actor_is_the_app_unless_a_user_acts(tenant: Tenant) -> None:
    site_id = tenant.site("root")["id"]
    admin = tenant.actor_id(site_id)
    assert tenant.user_json(site_id, admin) == {"displayName": "移行 管理者", "email": ADMIN}
    tenant.acting_as = YAMADA
    yamada = tenant.actor_id(site_id)  # ensured on first use, as SharePoint does
    assert yamada != admin and tenant.site_user(site_id, yamada)["UserName"] == YAMADA  # type: ignore[index]
    assert tenant.user_json(site_id, None) == {"displayName": "System Account"}
    assert tenant.user_json(site_id, 9_999) == {"displayName": "System Account"}
