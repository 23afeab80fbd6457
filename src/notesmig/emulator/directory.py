"""The tenant's directory (Entra ID): its accounts and groups, as configured.

Accounts are UPNs with display names (three sample accounts when none are configured); the
app's own account, ``ADMIN``, is always one of them. UPNs and group names compare
case-insensitively, as Entra ID's do.
"""

from __future__ import annotations

from notesmig.emulator.config import EmulatorConfig

#: The app's own account: it creates and changes items unless told otherwise.
ADMIN = "admin@contoso.onmicrosoft.com"
DEFAULT_USERS = (
    (ADMIN, "移行 管理者"),
    ("yamada.taro@contoso.onmicrosoft.com", "山田 太郎"),
    ("sato.hanako@contoso.onmicrosoft.com", "佐藤 花子"),
)


class Directory:
    """The accounts and groups of the tenant."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config

    @property
    def accounts(self) -> dict[str, str]:
        """UPN (lower case) -> display name, for every account of the tenant."""
        accounts = dict(self.config.users or DEFAULT_USERS)
        accounts.setdefault(ADMIN, "移行 管理者")
        return {upn.lower(): name for upn, name in accounts.items()}

    def group_members(self, group: str) -> set[str]:
        return {m.lower() for g, m in self.config.groups if g.lower() == group.lower()}

    def is_group(self, name: str) -> bool:
        return any(g.lower() == name.lower() for g, _ in self.config.groups)
