"""A database's transform output as the tables its checks run on (pandas DataFrames).

One table per list (a row per document, its single values), one per multi-valued column (a
row per value), one per library's files and one of its folder names, and the totals. Every
table but the totals is keyed by ``document`` (the ledger's UNID of the row), so a failing
value names its document; a list's ``NotesUNID`` is the one the row writes into SharePoint.
Derived columns (``<column> (parsed)``) hold what a check reads: a date as a moment, a link's
address.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from notesmig.mapping.model import ColumnType, Mapping
from notesmig.records import DatabaseTotals, FileRow, ItemRow
from notesmig.spfacts.names import decoded_path
from notesmig.validate.checks import (
    DOCUMENT,
    KEY,
    TOTALS_KEY,
    TOTALS_TABLE,
    files_table,
    folders_table,
    items_table,
    parsed_column,
    values_table,
)


@dataclass
class Tables:
    """The tables of one database, by name, and how many documents they cover."""

    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    documents: int = 0


def build_tables(
    mapping: Mapping,
    rows: list[ItemRow],
    files: list[FileRow],
    totals: DatabaseTotals,
) -> Tables:
    types = mapping.column_types()
    site_path = mapping.site.split(":", 1)[1] if ":" in mapping.site else mapping.site
    tables = Tables(documents=len(rows))
    by_list: dict[str, list[ItemRow]] = defaultdict(list)
    for row in rows:
        by_list[row.list].append(row)
    titles = sorted({form.list for form in mapping.forms.values()} | set(by_list))
    for title in titles:
        records: list[dict[str, Any]] = []
        values: dict[str, list[dict[str, Any]]] = defaultdict(list)
        columns = sorted({c for (t, c) in types if t == title})
        for row in by_list.get(title, []):
            # The NotesUNID the row writes, not the one it is filed under: a transform that
            # wrote a wrong one would load an item no re-run finds again.
            record: dict[str, Any] = {DOCUMENT: row.unid, KEY: row.fields.get(KEY)}
            for name in ("SourceSha256", "NotesDatabase"):
                record[name] = row.fields.get(name)
            for column in columns:
                kind = types[(title, column)]
                value = row.fields.get(column)
                if kind.multi:
                    for each in value if isinstance(value, list) else []:
                        values[column].append({DOCUMENT: row.unid, "value": each})
                    continue
                if kind is ColumnType.HYPERLINK:
                    address = value.get("Url") if isinstance(value, dict) else None
                    record[column] = None if value is None else str(value)
                    record[parsed_column(column)] = address
                    continue
                record[column] = value
            records.append(record)
        frame = pd.DataFrame.from_records(
            records,
            columns=[DOCUMENT, KEY, "SourceSha256", "NotesDatabase", *_table_columns(title, types)],
        )
        for column in columns:
            kind = types[(title, column)]
            if kind in (ColumnType.DATETIME, ColumnType.DATEONLY):
                frame[column] = frame[column].astype(object)
                frame[parsed_column(column)] = pd.to_datetime(
                    frame[column], utc=True, errors="coerce", format="ISO8601"
                )
            elif kind in (ColumnType.NUMBER, ColumnType.BOOLEAN):
                # Kept as they came: a text among numbers must show as a text.
                frame[column] = pd.Series(
                    [r.get(column) for r in records], dtype=object, index=frame.index
                )
        tables.frames[items_table(title)] = frame
        for column in columns:
            if types[(title, column)].multi:
                tables.frames[values_table(title, column)] = pd.DataFrame.from_records(
                    values[column], columns=[DOCUMENT, "value"]
                )
    by_library: dict[str, list[FileRow]] = defaultdict(list)
    for file in files:
        by_library[file.library].append(file)
    libraries = sorted({f.library for f in mapping.forms.values() if f.library} | set(by_library))
    for library in libraries:
        entries = by_library.get(library, [])
        tables.frames[files_table(library)] = pd.DataFrame.from_records(
            [
                {DOCUMENT: f.unid, KEY: f.unid, "name": f.name, "folder": f.folder,
                 "path": decoded_path(site_path, library, f.folder, f.name)}
                for f in entries
            ],
            columns=[DOCUMENT, KEY, "name", "folder", "path"],
        )  # fmt: skip
        tables.frames[folders_table(library)] = pd.DataFrame.from_records(
            [{DOCUMENT: f.unid, "segment": s} for f in entries for s in f.folder.split("/")],
            columns=[DOCUMENT, "segment"],
        )
    accounted = totals.transformed + totals.quarantined + totals.excluded + totals.merged
    tables.frames[TOTALS_TABLE] = pd.DataFrame(
        {TOTALS_KEY: [mapping.replica_id], "extracted": [totals.extracted],
         "accounted": [accounted]}
    )  # fmt: skip
    return tables


def _table_columns(title: str, types: dict[tuple[str, str], ColumnType]) -> list[str]:
    names: list[str] = []
    for (t, column), kind in sorted(types.items()):
        if t != title or kind.multi:
            continue
        names.append(column)
        if kind is ColumnType.HYPERLINK:
            names.append(parsed_column(column))
    return names
