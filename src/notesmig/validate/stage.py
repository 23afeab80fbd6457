"""The validation stage of one database: its transform output checked before anything is
written to SharePoint.

Rows that fail a check are held back in the ledger with the check named (the others go on);
when more than the mapping's ``validation.max_failure_ratio`` of the documents fail, or the
totals do not balance, the database's load is stopped before any write. Every run leaves a
Data Docs site (offline) in the database's ``validated`` folder and a record in the ledger.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from notesmig import reasons
from notesmig.errors import TerminalError
from notesmig.ledger import Ledger
from notesmig.ledger.evidence import ValidationFact
from notesmig.ledger.models import VALIDATE_STAGE
from notesmig.mapping.model import Mapping
from notesmig.records import (
    DatabaseTotals,
    FileRow,
    ItemRow,
    ValidatedDatabase,
    read_records,
)
from notesmig.transform.stage import FILES_FILE, ITEMS_DIR
from notesmig.validate.checks import file_checks, item_checks, totals_checks
from notesmig.validate.frames import build_tables
from notesmig.validate.runner import run_checks

#: The ledger's name for this stage (quarantine entries, the loader's filter).
STAGE = VALIDATE_STAGE
SUMMARY_FILE = "validation.json"


class ValidationStoppedError(TerminalError):
    """The validation stopped a database's load (names the database and why)."""


def validate(
    mapping: Mapping,
    *,
    title: str | None,
    extract_dir: Path,
    transform_dir: Path,
    validated_dir: Path,
    totals: DatabaseTotals,
    ledger: Ledger,
    data_docs: bool = True,
) -> ValidatedDatabase:
    replica = mapping.replica_id
    rows = [
        row
        for path in sorted((transform_dir / ITEMS_DIR).glob("*.jsonl"))
        for row in read_records(path, ItemRow)
        if row.database == replica
    ]
    files = [f for f in read_records(transform_dir / FILES_FILE, FileRow) if f.database == replica]
    tables = build_tables(mapping, rows, files, totals)
    checks = [
        c
        for title_ in sorted({f.list for f in mapping.forms.values()})
        for c in item_checks(mapping, title_)
    ]
    for library in sorted({f.library for f in mapping.forms.values() if f.library}):
        checks.extend(file_checks(library))
    checks.extend(totals_checks())
    site = validated_dir / "data-docs"
    if site.exists():
        shutil.rmtree(site)  # one run's Data Docs: never a page of an earlier run's rows
    findings = run_checks(replica, tables, checks, site if data_docs else None)
    database_id = ledger.database_id(replica)
    known = {row.unid for row in rows}
    failing = {unid for unid in findings.failures if unid in known}
    # A row filed under a UNID the extraction never saw has no document to hold back: only
    # stopping the database keeps it out of SharePoint.
    strays = sorted(failing - set(ledger.states(replica))) if database_id is not None else []
    failing -= set(strays)
    if database_id is not None:
        for unid in sorted(failing):
            first = findings.failures[unid][0][0]
            ledger.quarantine(
                database_id,
                unid,
                STAGE,
                reasons.VALIDATION_FAILED(check=first),
                "; ".join(f"{label}: {what}" for label, what in findings.failures[unid]),
            )
        ledger.release_held(database_id, STAGE, keep=failing)
    ratio = len(failing) / len(rows) if rows else 0.0
    stop_reason = ""
    if findings.database_failures:
        stop_reason = "; ".join(f"{label}: {what}" for label, what in findings.database_failures)
    elif strays:
        stop_reason = "; ".join(
            f"{findings.failures[unid][0][0]}: {unid} is not a document of the ledger"
            for unid in strays[:5]
        )
    elif ratio > mapping.validation.max_failure_ratio:
        stop_reason = (
            f"{len(failing)} of {len(rows)} documents ({ratio:.1%}) failed validation, more than "
            f"validation.max_failure_ratio {mapping.validation.max_failure_ratio:.1%}"
        )
    failed_checks = sum(1 for r in findings.results if not r.success)
    results = [r.as_json() for r in findings.results]
    record = ValidatedDatabase(
        replica_id=replica,
        title=title,
        extract_dir=str(extract_dir),
        transform_dir=str(transform_dir),
        validated_dir=str(validated_dir),
        rows=len(rows),
        failed_rows=len(failing),
        expectations=len(findings.results),
        failed_expectations=failed_checks,
        max_failure_ratio=mapping.validation.max_failure_ratio,
        stopped=bool(stop_reason),
        stop_reason=stop_reason,
        data_docs=str(findings.data_docs) if findings.data_docs else None,
    )
    validated_dir.mkdir(parents=True, exist_ok=True)
    summary = {**record.model_dump(), "results": results}
    partial = validated_dir / (SUMMARY_FILE + ".partial")
    partial.write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    partial.replace(validated_dir / SUMMARY_FILE)
    if database_id is not None:
        ledger.record_validation(
            database_id,
            ValidationFact(
                rows=record.rows,
                failed_rows=record.failed_rows,
                expectations=record.expectations,
                failed_expectations=failed_checks,
                max_failure_ratio=record.max_failure_ratio,
                stopped=record.stopped,
                data_docs=record.data_docs,
                results=results,
            ),
        )
    return record


def stop_message(record: ValidatedDatabase) -> str:
    return reasons.bilingual(
        reasons.VALIDATION_STOPPED(why=f"{record.replica_id}: {record.stop_reason}")
    )
