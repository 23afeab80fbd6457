"""``config``: the settings of one emulated tenant, refused when made if they cannot describe a
working emulator, and the accounts and groups read from CSV."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from notesmig.emulator.config import EmulatorConfig, EmulatorConfigError, read_groups, read_users
from notesmig.errors import is_transient


def test_the_defaults_describe_the_demo_tenant(tmp_path: Path) -> None:
    config = EmulatorConfig(data_dir=tmp_path)
    assert (config.hostname, config.sites) == ("contoso.sharepoint.com", ("notes-migration",))
    assert config.site_time_zone.json()["Id"] == 20  # Tokyo
    assert config.break_inheritance_max_items == 100_000 and config.manage_permissions


@pytest.mark.parametrize(
    ("setting", "fragment"),
    [({"hostname": "contoso.sharepoint.com/sites"}, "is not a host name"),
     ({"hostname": "host:443"}, "is not a host name"), ({"hostname": ""}, "is not a host name"),
     ({"sites": ()}, "at least one site"), ({"sites": ("a/b",)}, "single path segment"),
     ({"sites": ("",)}, "single path segment"), ({"ru_per_minute": -1}, "ru_per_minute"),
     ({"time_scale": 0}, "time_scale must be positive"),
     ({"fault_rate": 1.5}, "fault_rate must be between 0 and 1, not 1.5"),
     ({"lost_response_rate": -0.1}, "lost_response_rate must be between 0 and 1"),
     ({"upload_session_seconds": 0}, "upload_session_seconds"), ({"page_size": 0}, "page_size"),
     ({"max_page_size": 0}, "max_page_size"), ({"time_zone": 99}, "time zone 99"),
     ({"users": (("a@x.jp", "A"),), "site_members": ("b@x.jp",)}, "'b@x.jp' is not one of")],
)  # fmt: skip
def test_settings_that_cannot_work_are_refused(
    tmp_path: Path, setting: dict[str, Any], fragment: str
) -> None:
    with pytest.raises(EmulatorConfigError) as caught:
        EmulatorConfig(data_dir=tmp_path, **setting)
    assert fragment in str(caught.value)
    assert isinstance(caught.value, ValueError) and not is_transient(caught.value)


def test_edges_that_still_work(tmp_path: Path) -> None:
    EmulatorConfig(data_dir=tmp_path, ru_per_minute=0, fault_rate=1, lost_response_rate=0)
    EmulatorConfig(data_dir=tmp_path, max_page_size=1, page_size=1, time_zone=2)
    # Members compare without case; without configured users, any member is taken.
    EmulatorConfig(data_dir=tmp_path, users=(("A@x.jp", "A"),), site_members=("a@X.JP",))
    EmulatorConfig(data_dir=tmp_path, site_members=("anyone@x.jp",))


def test_users_are_read_from_csv_once_each_with_their_names(tmp_path: Path) -> None:
    path = tmp_path / "users.csv"
    path.write_text("\ufeffupn,display_name\n yamada@x.jp ,山田 太郎\nsato@x.jp,\n\n"
                    "yamada@x.jp,二度目\n,名無し\n", encoding="utf-8")  # fmt: skip
    assert read_users(path) == (("yamada@x.jp", "山田 太郎"), ("sato@x.jp", "sato@x.jp"))
    only_upn = tmp_path / "upn.csv"
    only_upn.write_text("upn\na@x.jp\n", encoding="utf-8")
    assert read_users(only_upn) == (("a@x.jp", "a@x.jp"),)


def test_groups_need_both_columns_on_every_row(tmp_path: Path) -> None:
    path = tmp_path / "groups.csv"
    path.write_text("group,member\n総務課,a@x.jp\n総務課,a@x.jp\n総務課,b@x.jp\n", encoding="utf-8")
    assert read_groups(path) == (("総務課", "a@x.jp"), ("総務課", "b@x.jp"))
    path.write_text("group,member\n総務課,a@x.jp\n総務課,\n", encoding="utf-8")
    with pytest.raises(EmulatorConfigError, match=r"groups\.csv:3: group and member"):
        read_groups(path)


def test_unreadable_csv_says_which_file_and_why(tmp_path: Path) -> None:
    header = tmp_path / "header.csv"
    header.write_text("mail,name\na@x.jp,A\n", encoding="utf-8")
    with pytest.raises(EmulatorConfigError, match=r"header\.csv:1: the header must name upn"):
        read_users(header)
    binary = tmp_path / "users.csv"
    binary.write_bytes("upn\n山田@x.jp\n".encode("cp932"))
    with pytest.raises(EmulatorConfigError, match="cannot be read as UTF-8 CSV"):
        read_users(binary)
    with pytest.raises(EmulatorConfigError, match="cannot be read"):
        read_groups(tmp_path / "missing.csv")
