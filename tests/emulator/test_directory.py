"""``directory``: the tenant's accounts and Entra ID groups, as configured."""

from __future__ import annotations

from pathlib import Path

from notesmig.emulator.config import EmulatorConfig
from notesmig.emulator.directory import ADMIN, DEFAULT_USERS, Directory


def test_without_configured_accounts_the_sample_ones_are_there(tmp_path: Path) -> None:
    accounts = Directory(EmulatorConfig(data_dir=tmp_path)).accounts
    assert accounts == {upn: name for upn, name in DEFAULT_USERS}
    assert accounts[ADMIN] == "移行 管理者"


def test_configured_accounts_replace_them_but_the_app_is_always_one(tmp_path: Path) -> None:
    config = EmulatorConfig(
        data_dir=tmp_path, users=(("Suzuki.Ichiro@Contoso.onmicrosoft.com", "鈴木 一郎"),)
    )
    assert Directory(config).accounts == {
        "suzuki.ichiro@contoso.onmicrosoft.com": "鈴木 一郎",  # UPNs in lower case
        ADMIN: "移行 管理者",
    }


def test_groups_and_their_members_compare_without_case(tmp_path: Path) -> None:
    config = EmulatorConfig(data_dir=tmp_path, groups=(("Sales", "A@contoso.onmicrosoft.com"),
                                                        ("sales", "b@contoso.onmicrosoft.com"),
                                                        ("Legal", "c@contoso.onmicrosoft.com")))  # fmt: skip
    directory = Directory(config)
    assert directory.is_group("SALES") and not directory.is_group("Finance")
    assert directory.group_members("SaLeS") == {"a@contoso.onmicrosoft.com",
                                                "b@contoso.onmicrosoft.com"}  # fmt: skip
    assert directory.group_members("Finance") == set()
