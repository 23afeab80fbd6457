"""What is in the drop folder, before anything is migrated: the discovery's inventory.

Per Notes database: its title and replica id, documents per form, responses, attachments and
their bytes, rich text and the elements notesmig does not convert, how much of it Readers and
Authors fields restrict, its ACL, whether a mapping exists (a draft is written, from all its
exports, for one that has none and reads whole), and a complexity class with the reasons for it,
so a migration team can plan its waves:

* ``simple-list``: documents with plain items, a list does it;
* ``document-library``: files are most of it, a library beside the list;
* ``workflow-with-security``: Readers/Authors fields or ACL roles decide who sees what (unique
  permissions, site groups);
* ``needs-design-work``: elements notesmig does not convert, read errors, many forms.

The inventory is ``inventory.json`` (a typed record) and ``index.html`` (Japanese first).
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import yaml

from notesmig.dxl.blobs import BlobStore
from notesmig.dxl.scan import FileReport, scan_file
from notesmig.pipeline.discover import discover_databases
from notesmig.records import AclFact, Complexity, Inventory, InventoryEntry

COMPLEXITY: dict[str, tuple[str, str]] = {
    "simple-list": ("単純なリスト", "simple list"),
    "document-library": ("文書ライブラリ", "document library"),
    "workflow-with-security": ("セキュリティ付きワークフロー", "workflow with security"),
    "needs-design-work": ("設計作業が必要", "needs design work"),
}
INVENTORY_FILE = "inventory.json"
#: More forms than this is an application, not a list: its design needs a look first.
MANY_FORMS = 8
#: Files in at least this share of the documents make it a library.
LIBRARY_SHARE = 0.3


def _existing_mappings(folder: Path) -> dict[str, Path]:
    """Replica id -> mapping file, read leniently (a broken mapping is the transform's to
    report, not the inventory's)."""
    found: dict[str, Path] = {}
    for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]) if folder.is_dir() else []:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            replica = str(data["database"]["replica_id"]).upper()
        except (OSError, UnicodeDecodeError, yaml.YAMLError, KeyError, TypeError):
            continue
        found.setdefault(replica, path)
    return found


def _scanned(path: Path) -> FileReport:
    """A file read to its end for its report only (nothing is stored)."""
    report, documents = scan_file(path, BlobStore(None))
    for _document in documents:
        pass
    return report


def classify(reports: list[FileReport]) -> tuple[Complexity, list[str]]:
    """The complexity class of a database and why, from what its exports hold."""
    documents = sum(r.documents for r in reports)
    forms: Counter[str] = Counter()
    unconverted: Counter[str] = Counter()
    for report in reports:
        forms.update(report.forms)
        unconverted.update(report.unconverted)
    errors = sum(len(r.errors) for r in reports)
    readers = sum(r.readers_documents for r in reports)
    authors = sum(r.authors_documents for r in reports)
    with_files = len({(a.document, r.file) for r in reports for a in r.attachments})
    roles = sorted({role for r in reports if r.database for role in r.database.roles})
    reasons: list[str] = []
    if unconverted:
        shown = ", ".join(f"{k} {v}" for k, v in unconverted.most_common(3))
        reasons.append(f"変換しない要素 / elements not converted: {shown}")
    if errors:
        reasons.append(f"読み取りエラー {errors} 件 / {errors} read error(s)")
    if len(forms) > MANY_FORMS:
        reasons.append(f"フォーム {len(forms)} 種類 / {len(forms)} forms")
    if reasons:
        return "needs-design-work", reasons
    if readers:
        # Who may see which document: unique permissions, and site groups for the roles.
        reasons.append(f"読者フィールドのある文書 {readers} 件 / {readers} with Readers")
        if authors:
            reasons.append(f"作成者フィールドのある文書 {authors} 件 / {authors} with Authors")
        if roles:
            reasons.append(f"ACL のロール / ACL roles: {', '.join(roles)}")
        return "workflow-with-security", reasons
    if documents and with_files / documents >= LIBRARY_SHARE:
        share = with_files / documents
        reasons.append(f"添付ファイルのある文書 {share:.0%} / {share:.0%} of documents have files")
        return "document-library", reasons
    reasons.append(
        f"文書 {documents} 件、フォーム {len(forms)} 種類 / {documents} documents, "
        f"{len(forms)} form(s)"
    )
    if authors:
        reasons.append(f"作成者フィールドのある文書 {authors} 件 / {authors} with Authors")
    return "simple-list", reasons


def take_inventory(drop: Path, mappings: Path, drafts: Path | None = None) -> Inventory:
    """Scan the drop folder; draft a mapping (into ``drafts``) for each database without one."""
    from notesmig.mapping.suggest import SuggestError, draft_file_name, suggest_files  # noqa: PLC0415

    existing = _existing_mappings(mappings)
    entries = []
    sources = discover_databases([drop])
    # Exports of different databases often share a name (export.dxl in a folder per office):
    # their drafts must not overwrite one another.
    stems = Counter(Path(s.files[0]).stem for s in sources)
    for source in sources:
        files = [Path(f) for f in source.files]
        reports = [_scanned(f) for f in files]
        complexity, reasons = classify(reports)
        mapping = existing.get((source.replica_id or "").upper())
        draft: Path | None = None
        if mapping is None and drafts is not None and source.replica_id:
            try:
                drafted = suggest_files(files)
            except SuggestError:
                # An export that does not read whole: its read errors are in the entry, and a
                # draft of part of a database would not run as drafted.
                drafted = None
            if drafted is not None:
                drafts.mkdir(parents=True, exist_ok=True)
                draft = drafts / draft_file_name(files[0], drafted.replica_id, stems)
                draft.write_text(drafted.yaml, encoding="utf-8")
        forms: Counter[str] = Counter()
        unconverted: Counter[str] = Counter()
        for report in reports:
            forms.update(report.forms)
            unconverted.update(report.unconverted)
        info = next((r.database for r in reports if r.database), None)
        entries.append(
            InventoryEntry(
                key=source.key,
                replica_id=source.replica_id,
                title=source.title,
                files=source.files,
                bytes=sum(r.bytes for r in reports),
                documents=sum(r.documents for r in reports),
                forms=dict(sorted(forms.items())),
                responses=sum(r.responses for r in reports),
                attachments=sum(len(r.attachments) for r in reports),
                attachment_bytes=sum(r.attachment_bytes for r in reports),
                richtext_items=sum(r.richtext_items for r in reports),
                unconverted=dict(sorted(unconverted.items())),
                readers_documents=sum(r.readers_documents for r in reports),
                authors_documents=sum(r.authors_documents for r in reports),
                acl=[
                    AclFact(name=e.name, level=e.level, roles=list(e.roles))
                    for e in (info.acl if info else [])
                    if e.name
                ],
                roles=list(info.roles) if info else [],
                errors=sum(len(r.errors) for r in reports),
                complexity=complexity,
                reasons=reasons,
                mapping=str(mapping) if mapping else None,
                draft=str(draft) if draft else None,
            )
        )
    return Inventory(
        generated_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        drop_folder=str(drop),
        databases=entries,
    )


def write_inventory(inventory: Inventory, folder: Path) -> Path:
    """``inventory.json`` and its page, ``index.html``; returns the JSON's path."""
    from notesmig.report.inventory_page import render_inventory  # noqa: PLC0415

    folder.mkdir(parents=True, exist_ok=True)
    target = folder / INVENTORY_FILE
    partial = target.with_name(target.name + ".partial")
    partial.write_text(
        json.dumps(inventory.model_dump(mode="json"), ensure_ascii=False, indent=2) + "\n",
        encoding="utf-8",
    )
    partial.replace(target)
    render_inventory(inventory, folder)
    return target


def read_inventory(folder: Path) -> Inventory | None:
    """The inventory discovery last wrote (None when there is none, or it cannot be read)."""
    path = folder / INVENTORY_FILE
    try:
        return Inventory.model_validate_json(path.read_bytes())
    except (OSError, ValueError):
        return None
