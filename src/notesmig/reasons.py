"""Why a document was held back or left out: every reason notesmig records, in English (as the
ledger stores it, stable for queries and audits) and in Japanese (as people read it).

A reason may carry a value (a form's name, SharePoint's status): the ledger keeps the English
text with the value in it, and :func:`bilingual` finds the Japanese for any recorded text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Reason:
    """One reason; ``en`` and ``ja`` may hold ``{name}`` placeholders for the same values."""

    en: str
    ja: str
    _pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        names = re.findall(r"\{(\w+)\}", self.en)
        if sorted(names) != sorted(re.findall(r"\{(\w+)\}", self.ja)):
            raise ValueError(f"reason {self.en!r}: its Japanese must carry the same values")
        pattern = re.escape(self.en)
        for name in names:
            pattern = pattern.replace(re.escape("{" + name + "}"), f"(?P<{name}>.*?)", 1)
        object.__setattr__(self, "_pattern", re.compile(f"{pattern}$", re.DOTALL))

    def __str__(self) -> str:
        return self.en

    def __call__(self, **values: object) -> str:
        """The English text with its values, as recorded."""
        return self.en.format(**values)

    def japanese(self, text: str) -> str | None:
        """The Japanese of a recorded ``text`` if it is this reason's."""
        found = self._pattern.match(text)
        return None if found is None else self.ja.format(**found.groupdict())


# -- left out (excluded) -------------------------------------------------------------------
NO_MAPPING = Reason(
    "database {database} has no mapping", "データベース {database} のマッピングがない"
)
FORM_EXCLUDED = Reason("form excluded by the mapping", "マッピングで対象外とされたフォーム")
FORM_NOT_MAPPED = Reason("form {form} is not mapped", "フォーム {form} がマッピングにない")
MERGED_COPY = Reason("a copy of a document read elsewhere", "別の場所で読んだ文書の複製（統合）")

# -- held back in transform ----------------------------------------------------------------
CONFLICT = Reason(
    "conflict: two different versions of one document", "競合：同じ文書に内容の異なる版が二つある"
)
NO_UNID = Reason("no valid UNID", "有効な UNID（文書の一意 ID）がない")
ACCESS_UNREADABLE = Reason(
    "restricted (Readers/Authors field unreadable): held back",
    "閲覧制限あり（読者・作成者フィールドが読めない）：保留",
)
READERS_HELD = Reason(
    "restricted (Readers field): held back until permissions can be applied",
    "閲覧制限あり（読者フィールド）：権限を適用できるまで保留",
)
ROLE_UNKNOWN = Reason(
    "restricted: a role the database's ACL does not define, cannot restrict safely",
    "閲覧制限あり：ACL に定義のないロールがあり、安全に制限できない",
)
READER_NO_ACCOUNT = Reason(
    "restricted (Readers field): a reader has no account, cannot restrict safely",
    "閲覧制限あり（読者フィールド）：アカウントのない読者がいて、安全に制限できない",
)
ATTACHMENT_UNREADABLE = Reason("attachment unreadable", "添付ファイルが読めない")
EXTRACTION_ERROR = Reason("extraction error in a mapped item", "マッピング対象の項目に抽出エラー")
VALUE_DOES_NOT_FIT = Reason("value does not fit its column", "値が列に合わない")
NO_LIBRARY = Reason(
    "files but no document library mapped for the form",
    "ファイルがあるのにフォームにドキュメントライブラリがマッピングされていない",
)

# -- held back by the validation before the load ---------------------------------------
VALIDATION_FAILED = Reason("failed validation: {check}", "検証で不合格：{check}")
VALIDATION_STOPPED = Reason(
    "validation stopped the load of the database: {why}",
    "検証によりデータベースの移行を停止：{why}",
)

# -- held back in load ---------------------------------------------------------------------
PERMISSIONS_REFUSED = Reason(
    "restricted: its permissions could not be applied, held back",
    "閲覧制限あり：権限を適用できず保留",
)
FILES_REFUSED = Reason(
    "restricted: its files' permissions could not be applied, held back",
    "閲覧制限あり：ファイルの権限を適用できず保留",
)
WITHDRAWN = Reason(
    "restricted: withdrawn from SharePoint until it can be loaded restricted",
    "閲覧制限あり：制限付きで移行できるまで SharePoint から取り下げ",
)
UNID_IN_OTHER_DATABASE = Reason(
    "conflict: the same UNID is in this list from another database",
    "競合：同じ UNID の別データベースの文書がこのリストにある",
)
ITEM_REFUSED = Reason(
    "SharePoint refused the item: {answer}", "SharePoint がアイテムを拒否：{answer}"
)
FIELD_REFUSED = Reason("SharePoint refused a field", "SharePoint がフィールドを拒否")

#: The reconciler's verdicts, as people read them: Japanese, then English.
VERDICTS: dict[str, tuple[str, str]] = {
    "verified": ("検証済み", "verified"),
    "missing": ("SharePoint にない", "missing"),
    "changed": ("値が変更されている", "changed"),
    "file-missing": ("ファイルがない", "file missing"),
    "file-altered": ("ファイルが改変されている", "file altered"),
    "file-rewritten": (
        "SharePoint がファイルを書き換え（プロパティ昇格）",
        "file rewritten by SharePoint",
    ),
    "duplicate": ("重複している", "duplicate"),
    "permissions-wrong": ("権限が計画と異なる", "permissions wrong"),
    "unexpected": ("台帳にないアイテム・ファイル", "unexpected"),
}


#: Reasons that say a document's access could not be carried over: a copy already in SharePoint
#: must not stay readable there.
ACCESS: frozenset[Reason] = frozenset(
    {ACCESS_UNREADABLE, READERS_HELD, ROLE_UNKNOWN, READER_NO_ACCOUNT}
)

CATALOG: tuple[Reason, ...] = tuple(v for v in list(globals().values()) if isinstance(v, Reason))


def japanese(text: str) -> str | None:
    """The Japanese of a recorded reason, or None for a text no reason of the catalog made."""
    for reason in CATALOG:
        found = reason.japanese(text)
        if found is not None:
            return found
    return None


def is_access(text: str) -> bool:
    """Whether a recorded reason is one of :data:`ACCESS`."""
    return any(reason.japanese(text) is not None for reason in ACCESS)


def bilingual(text: str) -> str:
    """「日本語 / English」 for a recorded reason (the English alone if it is not catalogued)."""
    ja = japanese(text)
    return text if ja is None else f"{ja} / {text}"
