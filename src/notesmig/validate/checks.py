"""The checks run on a database's rows before they are loaded, derived from its mapping.

Each check is one GX expectation with a stable key and notes in Japanese and English saying
what it means for the migration; a row that fails a check is held back with the check named.
The checks say what SharePoint will refuse or what the migration must not lose: the UNID that
makes every load idempotent, required values, text that fits its column, choices within their
set, numbers, dates SharePoint can hold, file names and paths SharePoint accepts, and totals
that balance.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from notesmig.mapping.model import ColumnType, ItemMapping, Mapping
from notesmig.spfacts.limits import (
    MAX_DECODED_PATH,
    MAX_NAME_LENGTH,
    MULTILINE_MAX_LENGTH,
    TEXT_MAX_LENGTH,
)
from notesmig.spfacts.names import REFUSED_NAME_PATTERN

if TYPE_CHECKING:
    from great_expectations.expectations.expectation import Expectation

UNID_PATTERN = r"^[0-9A-F]{32}$"
SHA256_PATTERN = r"^[0-9a-f]{64}$"
UTC_PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$"
UPN_PATTERN = r"^[^@\s]+@[^@\s]+$"
LINK_PATTERN = r"(?i)^(?:https?://|mailto:|notes://)"
#: Dates outside these are taken for typing errors in Notes (a year 0024 or 2204), although
#: SharePoint itself holds 1900-01-01 to 8900-12-31.
EARLIEST_SANE = datetime(1900, 1, 1, tzinfo=UTC)
LATEST_SANE = datetime(2100, 12, 31, 23, 59, 59, tzinfo=UTC)
#: The NotesUNID a row writes into SharePoint (the key every re-run finds its item by).
KEY = "NotesUNID"
#: The ledger's document a row belongs to (its UNID as extracted). Every table but the totals
#: is keyed by it, so a failure names the document to hold back even when the NotesUNID the row
#: would write is what is wrong.
DOCUMENT = "document"
TOTALS_KEY = "database"


@dataclass(frozen=True)
class Check:
    """One expectation on one table: what it checks, in both languages, and how."""

    key: str
    table: str
    column: str | None
    ja: str
    en: str
    expectation: str
    arguments: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """How a held-back document names the check it failed."""
        return f"{self.key} ({self.table}{f' / {self.column}' if self.column else ''})"

    def build(self) -> Expectation:
        """The GX Core expectation, with the notes shown in Data Docs."""
        import great_expectations.expectations as gxe  # noqa: PLC0415 - GX is slow to import

        kind = getattr(gxe, self.expectation)
        column = {"column": self.column} if self.column is not None else {}
        expectation: Expectation = kind(
            **column,
            **self.arguments,
            notes=[f"**日本語**: {self.ja}", f"**English**: {self.en}"],
            meta={"notesmig_check": self.key, "notesmig_table": self.table},
        )
        return expectation


def items_table(title: str) -> str:
    return f"items: {title}"


def values_table(title: str, column: str) -> str:
    return f"values: {title} / {column}"


def files_table(library: str) -> str:
    return f"files: {library}"


def folders_table(library: str) -> str:
    return f"folders: {library}"


TOTALS_TABLE = "totals"


def item_checks(mapping: Mapping, title: str) -> list[Check]:
    """The checks of one list's rows (one row per document)."""
    table = items_table(title)
    checks = [
        Check(
            "unid-present",
            table,
            KEY,
            "すべての文書に NotesUNID がある（再実行で重複しない鍵）",
            "Every document has its NotesUNID (the key that keeps re-runs from duplicating).",
            "ExpectColumnValuesToNotBeNull",
        ),
        Check(
            "unid-unique",
            table,
            KEY,
            "NotesUNID はリスト内で一意",
            "NotesUNID is unique in the list.",
            "ExpectColumnValuesToBeUnique",
        ),
        Check(
            "unid-format",
            table,
            KEY,
            "NotesUNID は 32 桁の 16 進数（大文字）",
            "NotesUNID is 32 upper-case hex digits.",
            "ExpectColumnValuesToMatchRegex",
            {"regex": UNID_PATTERN},
        ),
        Check(
            "source-hash",
            table,
            "SourceSha256",
            "変更検出用の SHA-256 がある",
            "The SHA-256 change detector is present.",
            "ExpectColumnValuesToMatchRegex",
            {"regex": SHA256_PATTERN},
        ),
        Check(
            "database",
            table,
            "NotesDatabase",
            "行は自分のデータベースのもの",
            "Rows belong to their own database.",
            "ExpectColumnValuesToBeInSet",
            {"value_set": [mapping.replica_id]},
        ),
    ]
    seen: set[str] = set()
    for form in mapping.forms.values():
        if form.list != title:
            continue
        for spec in form.items.values():
            if spec.column not in seen:
                seen.add(spec.column)
                checks.extend(_column_checks(table, title, spec))
    return checks


#: Per column type: the check's key, notes, expectation and arguments, and where it reads
#: (the column itself, the derived ``(parsed)`` column, or the values table of a multi column).
_BY_TYPE: dict[ColumnType, list[tuple[str, str, str, str, dict[str, Any], str]]] = {
    ColumnType.TEXT: [
        ("text-length", f"1 行テキストは {TEXT_MAX_LENGTH} 文字以内（SharePoint の上限）",
         f"Single-line text fits SharePoint's {TEXT_MAX_LENGTH} characters.",
         "ExpectColumnValueLengthsToBeBetween", {"min_value": 0, "max_value": TEXT_MAX_LENGTH},
         "column"),
    ],
    ColumnType.MULTILINE: [
        ("multiline-length",
         f"複数行テキストは {MULTILINE_MAX_LENGTH:,} 文字以内（超える分はファイルへ）",
         f"Multi-line text fits {MULTILINE_MAX_LENGTH:,} characters (longer goes to a file).",
         "ExpectColumnValueLengthsToBeBetween",
         {"min_value": 0, "max_value": MULTILINE_MAX_LENGTH}, "column"),
    ],
    ColumnType.NUMBER: [
        ("number", "数値列の値は数値", "Number columns hold numbers.",
         "ExpectColumnValuesToBeInTypeList", {"type_list": ["int", "float", "int64", "float64"]},
         "column"),
    ],
    ColumnType.BOOLEAN: [
        ("boolean", "はい／いいえ列の値は真偽値", "Yes/no columns hold true or false.",
         "ExpectColumnValuesToBeInTypeList", {"type_list": ["bool", "bool_"]}, "column"),
    ],
    ColumnType.DATETIME: [
        ("date-format", "日時は UTC の ISO 8601（SharePoint の形式）",
         "Date-times are UTC ISO 8601, as SharePoint stores them.",
         "ExpectColumnValuesToMatchRegex", {"regex": UTC_PATTERN}, "column"),
        ("date-range", "日時は 1900 年から 2100 年まで（範囲外は Notes での入力誤り）",
         "Dates fall between 1900 and 2100 (others are typing errors in Notes).",
         "ExpectColumnValuesToBeBetween", {"min_value": EARLIEST_SANE, "max_value": LATEST_SANE},
         "parsed"),
    ],
    ColumnType.PERSON: [
        ("person", "ユーザー列の値はアカウント（UPN）", "Person values are accounts (UPNs).",
         "ExpectColumnValuesToMatchRegex", {"regex": UPN_PATTERN}, "column"),
    ],
    ColumnType.MULTIPERSON: [
        ("person", "複数ユーザー列の各値はアカウント（UPN）", "Each person is an account (UPN).",
         "ExpectColumnValuesToMatchRegex", {"regex": UPN_PATTERN}, "values"),
    ],
    ColumnType.HYPERLINK: [
        ("link", "リンクは http(s)・mailto・notes のアドレス",
         "Links are http(s), mailto or notes addresses.",
         "ExpectColumnValuesToMatchRegex", {"regex": LINK_PATTERN}, "parsed"),
    ],
}  # fmt: skip
_BY_TYPE[ColumnType.RICHTEXT] = _BY_TYPE[ColumnType.MULTILINE]
_BY_TYPE[ColumnType.DATEONLY] = _BY_TYPE[ColumnType.DATETIME]
_CHOICE = ("choice", "選択肢列の値は定義された選択肢のどれか", "Choices are among the mapped ones.")


def _column_checks(table: str, title: str, spec: ItemMapping) -> list[Check]:
    column = spec.column
    reads = {
        "column": (table, column),
        "parsed": (table, parsed_column(column)),
        "values": (values_table(title, column), "value"),
    }
    checks: list[Check] = []
    if spec.required:
        checks.append(
            Check(
                "required",
                table,
                column,
                f"必須項目「{spec.display_name}」に値がある",
                f"The required item {spec.display_name!r} has a value.",
                "ExpectColumnValuesToNotBeNull",
            )
        )
    for key, ja, en, expectation, arguments, where in _BY_TYPE.get(spec.type, []):
        on_table, on_column = reads[where]
        checks.append(Check(key, on_table, on_column, ja, en, expectation, arguments))
    if spec.type in (ColumnType.CHOICE, ColumnType.MULTICHOICE) and not spec.allow_other:
        on_table, on_column = reads["values" if spec.type.multi else "column"]
        key, ja, en = _CHOICE
        arguments = {"value_set": list(spec.choices)}
        checks.append(
            Check(key, on_table, on_column, ja, en, "ExpectColumnValuesToBeInSet", arguments)
        )
    return checks


def parsed_column(column: str) -> str:
    """The derived column a check reads (a date as a moment, a link's address)."""
    return f"{column} (parsed)"


def file_checks(library: str) -> list[Check]:
    table = files_table(library)
    return [
        Check(
            "file-name",
            table,
            "name",
            "ファイル名は SharePoint が受け付けるもの（禁止文字・予約名なし）",
            "File names are ones SharePoint accepts (no refused characters, no reserved names).",
            "ExpectColumnValuesToNotMatchRegex",
            {"regex": REFUSED_NAME_PATTERN},
        ),
        Check(
            "name-length",
            table,
            "name",
            f"ファイル名は {MAX_NAME_LENGTH} 文字以内（同期・ダウンロード先で開ける長さ）",
            f"File names fit {MAX_NAME_LENGTH} characters (what synced and downloaded copies "
            "can hold).",
            "ExpectColumnValueLengthsToBeBetween",
            {"min_value": 1, "max_value": MAX_NAME_LENGTH},
        ),
        Check(
            "folder-name",
            folders_table(library),
            "segment",
            "フォルダー名は SharePoint が受け付けるもの",
            "Folder names are ones SharePoint accepts.",
            "ExpectColumnValuesToNotMatchRegex",
            {"regex": REFUSED_NAME_PATTERN},
        ),
        Check(
            "name-length",
            folders_table(library),
            "segment",
            f"フォルダー名は {MAX_NAME_LENGTH} 文字以内（同期・ダウンロード先で開ける長さ）",
            f"Folder names fit {MAX_NAME_LENGTH} characters (what synced and downloaded copies "
            "can hold).",
            "ExpectColumnValueLengthsToBeBetween",
            {"min_value": 1, "max_value": MAX_NAME_LENGTH},
        ),
        Check(
            "file-path",
            table,
            "path",
            f"パスは {MAX_DECODED_PATH} 文字以内（SharePoint の上限）",
            f"Paths fit SharePoint's {MAX_DECODED_PATH} characters.",
            "ExpectColumnValueLengthsToBeBetween",
            {"min_value": 1, "max_value": MAX_DECODED_PATH},
        ),
        Check(
            "file-unid",
            table,
            KEY,
            "ファイルは文書の NotesUNID を持つ",
            "Files carry their document's NotesUNID.",
            "ExpectColumnValuesToMatchRegex",
            {"regex": UNID_PATTERN},
        ),
    ]


def totals_checks() -> list[Check]:
    return [
        Check(
            "balance",
            TOTALS_TABLE,
            None,
            "抽出数 = 変換 + 保留 + 対象外 + 統合（1 件も失われない）",
            "Extracted = transformed + held back + excluded + merged (nothing is lost).",
            "ExpectColumnPairValuesToBeEqual",
            {"column_A": "extracted", "column_B": "accounted"},
        ),
    ]
