"""Notes names to accounts: every way Notes writes a name, groups, roles, and the policies."""

from __future__ import annotations

from pathlib import Path

import pytest

from notesmig.mapping.users import UserDirectory, UserMappingError, abbreviate, name_key

CSV = """notes_name,upn,display_name
CN=山田 太郎/OU=情報政策課/O=Maebashi,yamada.taro@contoso.onmicrosoft.com,山田 太郎
佐藤 花子/総務課/Maebashi,sato.hanako@contoso.onmicrosoft.com,
CN=鈴木 一郎/OU=財政課/O=Maebashi,suzuki1@contoso.onmicrosoft.com,
CN=鈴木 一郎/OU=市民課/O=Maebashi,suzuki2@contoso.onmicrosoft.com,
[Approver],approvers@contoso.onmicrosoft.com,承認者
Maebashi_全職員,all-staff@contoso.onmicrosoft.com,
"""


@pytest.fixture
def directory(tmp_path: Path) -> UserDirectory:
    path = tmp_path / "users.csv"
    path.write_text(CSV, encoding="utf-8")
    return UserDirectory.from_csv(path)


def test_forms_of_a_name(directory: UserDirectory) -> None:
    assert abbreviate("CN=山田 太郎/OU=情報政策課/O=Maebashi") == "山田 太郎/情報政策課/Maebashi"
    assert name_key("CN=山田　太郎/OU=情報政策課/O=MAEBASHI") == "山田 太郎/情報政策課/maebashi"
    for written in ("CN=山田 太郎/OU=情報政策課/O=Maebashi", "山田 太郎/情報政策課/Maebashi",
                    "cn=山田　太郎/ou=情報政策課/o=maebashi", "山田 太郎"):  # fmt: skip
        account = directory.lookup(written)
        assert account is not None and account.upn == "yamada.taro@contoso.onmicrosoft.com", written
    assert (
        directory.lookup("CN=佐藤 花子/OU=総務課/O=Maebashi").upn
        == "sato.hanako@contoso.onmicrosoft.com"
    )  # type: ignore[union-attr]
    assert directory.lookup("鈴木 一郎") is None  # two people share the common name: never guess
    assert directory.lookup("[Approver]").upn == "approvers@contoso.onmicrosoft.com"  # type: ignore[union-attr]
    assert directory.lookup("Maebashi_全職員").upn == "all-staff@contoso.onmicrosoft.com"  # type: ignore[union-attr]


def test_policies_and_counts(directory: UserDirectory) -> None:
    known = directory.resolve("山田 太郎/情報政策課/Maebashi", unknown="text", fallback=None)
    assert known.account is not None and not known.fallback
    kept = directory.resolve("CN=Unknown Person/O=Elsewhere", unknown="text", fallback=None)
    assert kept.account is None
    replaced = directory.resolve(
        "CN=Unknown Person/O=Elsewhere",
        unknown="fallback",
        fallback="admin@contoso.onmicrosoft.com",
    )
    assert (
        replaced.account is not None
        and replaced.fallback
        and replaced.account.upn == "admin@contoso.onmicrosoft.com"
    )
    assert directory.unknown == {"CN=Unknown Person/O=Elsewhere": 2}


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("name,email\nx,y@z\n", "users.csv:1: the header must name notes_name and upn"),
        ("notes_name,upn\nCN=A/O=B,not-a-upn\n", "users.csv:2: 'not-a-upn' is not a UPN"),
        ("notes_name,upn\n,a@b\n", "users.csv:2: notes_name is empty"),
        ("notes_name,upn\nCN=A/O=B,a@b\nA/B,c@d\n", "users.csv:3: 'A/B' is mapped twice"),
    ],
)
def test_bad_user_files_name_file_and_line(tmp_path: Path, text: str, fragment: str) -> None:
    path = tmp_path / "users.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UserMappingError) as caught:
        UserDirectory.from_csv(path)
    assert fragment in str(caught.value)
