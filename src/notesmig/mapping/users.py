"""Notes names to Entra ID accounts: the user-mapping CSV and the unknown-name policy.

Notes writes one person several ways: canonical ``CN=山田 太郎/OU=情報政策課/O=Maebashi``,
abbreviated ``山田 太郎/情報政策課/Maebashi``, sometimes the common name alone; groups
(``Maebashi_全職員``) and roles (``[Approver]``) appear in the same fields. All forms are
normalised to one key (abbreviated, NFKC, case-folded, single spaces) before lookup; a
common name alone matches only if exactly one mapped person has it.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from notesmig.errors import TerminalError

_PREFIX = re.compile(r"^(?:cn|ou|o|c)=", re.IGNORECASE)
_UPN = re.compile(r"^[^@\s]+@[^@\s]+$")


class UserMappingError(TerminalError):
    """The user-mapping CSV cannot be used; names the file and line."""


def abbreviate(name: str) -> str:
    """``CN=山田 太郎/OU=情報政策課/O=Maebashi`` -> ``山田 太郎/情報政策課/Maebashi``."""
    return "/".join(_PREFIX.sub("", part.strip()) for part in name.split("/"))


def name_key(name: str) -> str:
    text = unicodedata.normalize("NFKC", abbreviate(name)).casefold()
    return "/".join(" ".join(part.split()) for part in text.split("/"))


def common_name(name: str) -> str:
    return abbreviate(name).split("/", 1)[0].strip()


@contextmanager
def _mapping_csv(path: Path, what: str, needed: tuple[str, str]) -> Iterator[csv.DictReader[str]]:
    """A UTF-8 mapping CSV whose header names ``needed`` (and may name display_name)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        reason = "not UTF-8" if isinstance(exc, UnicodeDecodeError) else "cannot be read"
        raise UserMappingError(f"{path}: {reason}; the {what} is a UTF-8 CSV") from None
    with io.StringIO(text, newline="") as source:
        reader = csv.DictReader(source)
        if not set(needed) <= set(reader.fieldnames or ()):
            # The header is not echoed: the mapping may name a file that is not a mapping at
            # all, and its first line is nobody's business.
            raise UserMappingError(
                f"{path}:1: the header must name {needed[0]} and {needed[1]} (and may name "
                "display_name)"
            )
        yield reader


@dataclass(frozen=True)
class Account:
    upn: str
    display_name: str | None = None


@dataclass(frozen=True)
class Resolution:
    """What one Notes name became: an account, or nothing (with the name kept as text)."""

    notes_name: str
    account: Account | None
    fallback: bool = False


@dataclass
class UserDirectory:
    """Lookup of Notes names, counting what was not found (for the report)."""

    accounts: dict[str, Account] = field(default_factory=dict)
    by_common_name: dict[str, list[Account]] = field(default_factory=dict)
    unknown: Counter[str] = field(default_factory=Counter)
    resolved: Counter[str] = field(default_factory=Counter)

    @classmethod
    def from_csv(cls, path: Path | None) -> UserDirectory:
        directory = cls()
        if path is None:
            return directory
        with _mapping_csv(path, "user mapping", ("notes_name", "upn")) as reader:
            for row in reader:
                line = reader.line_num
                notes_name, upn = (
                    (row.get("notes_name") or "").strip(),
                    (row.get("upn") or "").strip(),
                )
                if not notes_name:
                    raise UserMappingError(f"{path}:{line}: notes_name is empty")
                if not _UPN.match(upn):
                    raise UserMappingError(f"{path}:{line}: {upn!r} is not a UPN (name@domain)")
                key = name_key(notes_name)
                if key in directory.accounts and directory.accounts[key].upn != upn:
                    raise UserMappingError(
                        f"{path}:{line}: {notes_name!r} is mapped twice, to "
                        f"{directory.accounts[key].upn} and {upn}"
                    )
                account = Account(upn, (row.get("display_name") or "").strip() or None)
                directory.accounts[key] = account
                directory.by_common_name.setdefault(name_key(common_name(notes_name)), []).append(
                    account
                )
        return directory

    def lookup(self, notes_name: str) -> Account | None:
        key = name_key(notes_name)
        account = self.accounts.get(key)
        if account is None and "/" not in key:
            candidates = self.by_common_name.get(key, [])
            if len({c.upn for c in candidates}) == 1:
                account = candidates[0]
        return account

    def is_person(self, notes_name: str) -> bool:
        return self.lookup(notes_name) is not None

    def resolve(self, notes_name: str, *, unknown: str, fallback: str | None) -> Resolution:
        """Apply the policy (``fallback``, ``text`` or ``fail``; the caller handles fail)."""
        account = self.lookup(notes_name)
        if account is not None:
            self.resolved[notes_name] += 1
            return Resolution(notes_name, account)
        self.unknown[notes_name] += 1
        if unknown == "fallback" and fallback:
            return Resolution(notes_name, Account(fallback), fallback=True)
        return Resolution(notes_name, None)


@dataclass(frozen=True)
class EntraGroup:
    """An Entra ID group a Notes group becomes (its name or object id, as SharePoint's claims
    take it)."""

    name: str
    display_name: str | None = None


@dataclass
class GroupDirectory:
    """Notes groups to Entra ID groups, from a CSV (``notes_group,entra_group[,display_name]``)."""

    groups: dict[str, EntraGroup] = field(default_factory=dict)

    @classmethod
    def from_csv(cls, path: Path | None) -> GroupDirectory:
        directory = cls()
        if path is None:
            return directory
        with _mapping_csv(path, "group mapping", ("notes_group", "entra_group")) as reader:
            for row in reader:
                line = reader.line_num
                notes, entra = (
                    (row.get("notes_group") or "").strip(),
                    (row.get("entra_group") or "").strip(),
                )
                if not notes or not entra:
                    raise UserMappingError(
                        f"{path}:{line}: notes_group and entra_group are both needed"
                    )
                key = name_key(notes)
                if key in directory.groups and directory.groups[key].name != entra:
                    raise UserMappingError(f"{path}:{line}: {notes!r} is mapped twice")
                directory.groups[key] = EntraGroup(
                    entra, (row.get("display_name") or "").strip() or None
                )
        return directory

    def lookup(self, notes_name: str) -> EntraGroup | None:
        return self.groups.get(name_key(notes_name))
