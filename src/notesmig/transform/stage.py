"""The transform stage end to end: an extract folder and mappings in, reviewable files out,
every document's outcome in the ledger.

Output (``--out``): ``items/<list>.jsonl`` in load order, ``files.jsonl``, ``permissions.jsonl``,
``quarantine.jsonl``, ``excluded.jsonl``, ``links.jsonl`` and ``summary.json`` with per-database
totals that add up. Files are written whole (temporary name, then rename), and ledger
transitions are idempotent, so an interrupted run is simply run again.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

from notesmig.dxl.model import AclEntry, NotesDocument
from notesmig.dxl.records import document_from_json, document_sha256
from notesmig.extract import DOCUMENTS_FILE, SUMMARY_FILE
from notesmig.ledger import DocumentRecord, Ledger
from notesmig.ledger.evidence import ExportFact
from notesmig.mapping.model import Mapping
from notesmig.records import ItemRow, write_records
from notesmig.transform.access import DatabaseAcl
from notesmig.transform.documents import Transformer, TransformResult

ITEMS_DIR = "items"
FILES_FILE = "files.jsonl"
PERMISSIONS_FILE = "permissions.jsonl"
ACCESS_FILE = "access.jsonl"
QUARANTINE_FILE = "quarantine.jsonl"
EXCLUDED_FILE = "excluded.jsonl"
MERGED_FILE = "merged.jsonl"
LINKS_FILE = "links.jsonl"


def list_file_name(title: str) -> str:
    """The file of a list's rows: named from a hash of its title, never from the title itself
    (a title comes from data: ``../x``, ``/`` or a long Japanese name must not make a path)."""
    return hashlib.sha256(title.encode("utf-8")).hexdigest()[:16] + ".jsonl"


def read_documents(extract_dir: Path) -> Iterator[NotesDocument]:
    path = extract_dir / DOCUMENTS_FILE
    with path.open(encoding="utf-8") as source:
        for number, line in enumerate(source, start=1):
            try:
                yield document_from_json(json.loads(line))
            except (ValueError, KeyError, TypeError) as exc:
                raise ValueError(f"{path}:{number}: not a notesmig document record: {exc}") from exc


def read_acls(extract_dir: Path) -> dict[str, DatabaseAcl]:
    """Each database's ACL and roles, as the extract's summary recorded them."""
    path = extract_dir / SUMMARY_FILE
    if not path.is_file():
        return {}
    summary = json.loads(path.read_text(encoding="utf-8"))
    found: dict[str, DatabaseAcl] = {}
    for report in summary.get("files", []):
        replica = (report.get("replica_id") or "").upper()
        if not replica or not report.get("acl"):
            continue
        found[replica] = DatabaseAcl(
            title=report.get("title"),
            entries=tuple(
                AclEntry(e["name"], e["level"], e.get("type"), tuple(e.get("roles", ())))
                for e in report["acl"]
            ),
            roles=tuple(report.get("acl_roles", ())),
        )
    return found


def run_transform(
    extract_dir: Path, mappings: dict[str, Mapping], out_dir: Path, ledger: Ledger | None
) -> TransformResult:
    documents = list(read_documents(extract_dir))
    placements = (
        {replica: ledger.placements(replica) for replica in mappings} if ledger is not None else {}
    )
    result = Transformer(mappings, placements=placements, acls=read_acls(extract_dir)).transform(
        documents
    )
    _write(out_dir, result)
    if ledger is not None:
        _record(extract_dir, documents, result, ledger)
    return result


def _write(out_dir: Path, result: TransformResult) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    items = out_dir / ITEMS_DIR
    items.mkdir(exist_ok=True)
    by_list: dict[str, list[ItemRow]] = defaultdict(list)
    for row in result.rows:
        by_list[row.list].append(row)
    names = {list_file_name(name): rows for name, rows in by_list.items()}
    for stale in {p.name for p in items.glob("*.jsonl")} - set(names):
        (items / stale).unlink()
    for name, rows in names.items():
        write_records(items / name, rows)
    write_records(out_dir / FILES_FILE, result.files)
    write_records(out_dir / PERMISSIONS_FILE, result.permissions)
    write_records(out_dir / ACCESS_FILE, [result.access[k] for k in sorted(result.access)])
    write_records(out_dir / QUARANTINE_FILE, result.quarantined)
    write_records(out_dir / EXCLUDED_FILE, result.excluded)
    write_records(out_dir / MERGED_FILE, result.merged)
    write_records(out_dir / LINKS_FILE, result.links)
    summary = {
        "databases": {
            database: {**totals.model_dump(), "balanced": totals.balanced}
            for database, totals in result.totals.items()
        },
        "unknown_users": dict(result.unknown_users.most_common()),
    }
    _write_text(out_dir / SUMMARY_FILE, json.dumps(summary, ensure_ascii=False, indent=2) + "\n")


def _write_text(path: Path, text: str) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


def _record(
    extract_dir: Path, documents: list[NotesDocument], result: TransformResult, ledger: Ledger
) -> None:
    summary = json.loads((extract_dir / SUMMARY_FILE).read_text(encoding="utf-8"))
    sources = {
        f["replica_id"]: (f["title"], f["file"], f.get("sha256"))
        for f in summary["files"]
        if f.get("replica_id")
    }
    run = ledger.begin_run("transform")
    shas = {row.unid: row.sha256 for row in result.rows}
    by_database: dict[str, list[NotesDocument]] = defaultdict(list)
    for document in documents:
        if (str(document.source), document.line) in result.merged_places:
            continue  # a copy merged into another: one document, recorded once
        by_database[(document.database_replica or "").upper()].append(document)
    counts: dict[str, int] = defaultdict(int)
    for database, found in by_database.items():
        title, source, file_sha256 = sources.get(database, (None, None, None))
        database_id = ledger.register_database(database, title, source, file_sha256)
        ledger.record_sources(
            database_id,
            [
                ExportFact(str(f["file"]), f.get("sha256"), int(f.get("bytes") or 0),
                           int(f.get("documents") or 0))
                for f in summary["files"]
                if (f.get("replica_id") or "").upper() == database
            ],
            merged=result.counts[database].merged if database in result.counts else 0,
        )  # fmt: skip
        ledger.record_extracted(
            database_id,
            (
                DocumentRecord(
                    d.key,
                    d.form,
                    d.parent_unid,
                    shas.get(d.unid or "") or document_sha256(d),
                )
                for d in found
            ),
        )
        outcome = ledger.apply_transform(
            database_id,
            transformed=[r.unid for r in result.rows if r.database == database],
            quarantined=[
                (q.unid, q.reason, q.detail) for q in result.quarantined if q.database == database
            ],
            excluded=[(e.unid, e.reason) for e in result.excluded if e.database == database],
            files=[f for f in result.files if f.database == database],
            links=[
                (link.unid, link.kind, link.target_database, link.target_view, link.target_document)
                for link in result.links
                if link.database == database
            ],
            run_id=run,
        )
        for key, value in outcome.items():
            counts[key] += value
    ledger.finish_run(run, "success", dict(counts))
