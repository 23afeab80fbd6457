"""The auditors' report written as a folder of static pages: Japanese first, English beside.

``DIR/index.html`` (Japanese) and ``DIR/en/index.html``, a page per database under ``db/``
(named by its replica id, or a digest of it when it is not one), each with a link to the same
page in the other language (no server needed); the stylesheet in ``assets/``; each database's
GX Data Docs copied under ``data-docs/``; ``exceptions.csv`` (UTF-8
with a byte-order mark, so Excel on the web and Google Sheets read the Japanese right);
``ledger-export.json`` (what the report was made from, deterministic) and ``evidence.json``
(hashes of the sources and of both files, versions, the time, the counts), so the report can be
made again from the ledger and checked against it. Nothing in it loads anything from another
host: staff read it on Chromebooks behind a filtering proxy.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import platform
import re
import shutil
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from sqlalchemy import select

from notesmig.ledger import Ledger
from notesmig.ledger.models import (
    Attachment,
    Database,
    Document,
    Quarantine,
    SourceExport,
    VerdictRow,
)
from notesmig.pipeline.settings import mask_url
from notesmig.reasons import VERDICTS
from notesmig.records import WrittenReport
from notesmig.report.data import OUTCOMES, SOURCE_OUTCOMES, DatabaseReport, gather
from notesmig.report.labels import ACCESS_STATES, LABELS, ROLES

EXCEPTIONS_FILE = "exceptions.csv"
EVIDENCE_FILE = "evidence.json"
LEDGER_EXPORT_FILE = "ledger-export.json"
EXCEPTION_COLUMNS = ("database", "unid", "form", "verdict", "reason", "detail")
#: Rows of exceptions shown on a page (all of them are in the CSV).
PAGE_LIMIT = 500
_OWN = (
    "index.html",
    "en",
    "db",
    "assets",
    "data-docs",
    EXCEPTIONS_FILE,
    EVIDENCE_FILE,
    LEDGER_EXPORT_FILE,
)
_TOKYO = ZoneInfo("Asia/Tokyo")
_REPLICA_ID = re.compile(r"[0-9A-F]{16}")


def page_name(replica_id: str) -> str:
    """The name of a database's page and Data Docs folder: its replica id when it is one (16
    upper-case hex digits), else a digest of it. The id comes from the DXL, and a name made of
    whatever an export says could point out of the report's folder."""
    if _REPLICA_ID.fullmatch(replica_id):
        return replica_id
    return "replica-" + hashlib.sha256(replica_id.encode("utf-8")).hexdigest()[:16]


def write_report(
    ledger: Ledger, out: Path, replicas: list[str] | None = None, *, now: datetime | None = None
) -> WrittenReport:
    """Write the report of the ledger's databases (or of ``replicas``) into ``out``."""
    databases = gather(ledger, replicas)
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    out.mkdir(parents=True, exist_ok=True)
    for name in _OWN:
        stale = out / name
        if stale.is_dir():
            shutil.rmtree(stale)
        elif stale.exists():
            stale.unlink()
    (out / "assets").mkdir()
    shutil.copyfile(Path(__file__).parent / "static" / "report.css", out / "assets" / "report.css")
    data_docs = _copy_data_docs(databases, out)
    env = Environment(
        loader=PackageLoader("notesmig.report", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    shown_ledger = mask_url(ledger.url)
    generated = moment.astimezone(_TOKYO).strftime("%Y-%m-%d %H:%M JST")
    totals = {
        "documents": sum(d.documents for d in databases),
        "sources": sum(d.source_documents for d in databases),
        "unaccounted": sum(len(d.unaccounted) for d in databases),
    }
    totals.update({o: sum(d.outcomes[o] for d in databases) for o in OUTCOMES})
    pages = 0
    for lang in ("ja", "en"):
        index_dir = out if lang == "ja" else out / "en"
        (index_dir / "db").mkdir(parents=True, exist_ok=True)
        up = "" if lang == "ja" else "../"
        common = {
            "lang": lang,
            "t": _translator(lang),
            "verdict": lambda kind, lang=lang: VERDICTS.get(kind, (kind, kind))[
                0 if lang == "ja" else 1
            ],
            "role": _lookup(ROLES, lang),
            "access": _lookup(ACCESS_STATES, lang),
            "generated": generated,
            "ledger": shown_ledger,
            "outcomes": OUTCOMES,
            "source_outcomes": SOURCE_OUTCOMES,
            "page": page_name,
        }
        index = env.get_template("index.html.j2").render(
            **common,
            root=up,
            here="",
            totals=totals,
            databases=databases,
            other="en/index.html" if lang == "ja" else "../index.html",
        )
        (index_dir / "index.html").write_text(index, encoding="utf-8")
        pages += 1
        for db in databases:
            docs = data_docs.get(db.replica_id)
            name = page_name(db.replica_id)
            page = env.get_template("database.html.j2").render(
                **common,
                root=f"{up}../",
                here="../",
                db=db,
                limit=PAGE_LIMIT,
                data_docs=f"{up}../{docs}" if docs else None,
                other=f"../en/db/{name}.html" if lang == "ja" else f"../../db/{name}.html",
            )
            (index_dir / "db" / f"{name}.html").write_text(page, encoding="utf-8")
            pages += 1
    exceptions = _write_exceptions(databases, out / EXCEPTIONS_FILE)
    export = ledger_export(ledger, [d.replica_id for d in databases])
    (out / LEDGER_EXPORT_FILE).write_bytes(export)
    _write_evidence(ledger, databases, out, moment)
    return WrittenReport(
        folder=str(out),
        index=str(out / "index.html"),
        pages=pages,
        exceptions=exceptions,
        balanced=all(d.balanced for d in databases),
    )


def _translator(lang: str) -> Any:
    position = 0 if lang == "ja" else 1

    def t(key: str) -> str:
        return LABELS[key][position]

    return t


def _lookup(table: dict[str, tuple[str, str]], lang: str) -> Any:
    position = 0 if lang == "ja" else 1
    return lambda key: table.get(key, (key, key))[position]


def _copy_data_docs(databases: list[DatabaseReport], out: Path) -> dict[str, str]:
    """Each database's Data Docs site beside the report (relative links, nothing outside)."""
    copied: dict[str, str] = {}
    for db in databases:
        index = Path(db.validation.data_docs) if db.validation and db.validation.data_docs else None
        if index is None or not index.is_file():
            continue
        name = page_name(db.replica_id)
        shutil.copytree(index.parent, out / "data-docs" / name)
        copied[db.replica_id] = f"data-docs/{name}/index.html"
    return copied


def _write_exceptions(databases: list[DatabaseReport], path: Path) -> int:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(EXCEPTION_COLUMNS)
    rows = 0
    for db in databases:
        for row in [*db.exceptions, *db.unexpected]:
            writer.writerow([row.database, row.unid, row.form, row.verdict, row.reason, row.detail])
            rows += 1
    # The byte-order mark tells Excel (also on the web) and Google Sheets the file is UTF-8.
    path.write_bytes(b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8"))
    return rows


def ledger_export(ledger: Ledger, replicas: list[str]) -> bytes:
    """What the report was made from, as deterministic JSON (no timestamps, sorted): the same
    ledger state always gives the same bytes, so the report can be checked against it."""
    tables: dict[str, list[dict[str, Any]]] = {
        "databases": [],
        "source_exports": [],
        "documents": [],
        "attachments": [],
        "quarantine": [],
        "verdicts": [],
    }
    with ledger.session() as session:
        for db in session.scalars(select(Database).where(Database.replica_id.in_(replicas))):
            tables["databases"].append(
                {"replica_id": db.replica_id, "title": db.title, "merged": db.merged}
            )
            for e in session.scalars(select(SourceExport).where(SourceExport.database_id == db.id)):
                tables["source_exports"].append(
                    {
                        "database": db.replica_id,
                        "path": e.path,
                        "sha256": e.sha256,
                        "bytes": e.bytes,
                        "documents": e.documents,
                    }
                )
            documents = {
                d.id: d
                for d in session.scalars(select(Document).where(Document.database_id == db.id))
            }
            for d in documents.values():
                tables["documents"].append(
                    {
                        "database": db.replica_id,
                        "unid": d.unid,
                        "form": d.form,
                        "state": d.state,
                        "source_sha256": d.source_sha256,
                        "list": d.list_title,
                        "item_id": d.item_id,
                        "web_url": d.web_url,
                        "audience": d.audience,
                        "access": d.access_state,
                        "error": d.error,
                    }
                )
            for a in session.scalars(
                select(Attachment).where(Attachment.document_id.in_(list(documents)))
            ):
                tables["attachments"].append(
                    {
                        "database": db.replica_id,
                        "unid": documents[a.document_id].unid,
                        "library": a.library,
                        "folder": a.folder,
                        "name": a.name,
                        "size": a.size,
                        "sha256": a.sha256,
                        "state": a.state,
                        "quickxor": a.quickxor,
                        "source_quickxor": a.source_quickxor,
                    }
                )
            for q in session.scalars(
                select(Quarantine).where(
                    Quarantine.document_id.in_(list(documents)), Quarantine.resolved.is_(False)
                )
            ):
                tables["quarantine"].append(
                    {
                        "database": db.replica_id,
                        "unid": documents[q.document_id].unid,
                        "stage": q.stage,
                        "reason": q.reason,
                        "detail": q.detail,
                    }
                )
            for v in session.scalars(select(VerdictRow).where(VerdictRow.database_id == db.id)):
                tables["verdicts"].append(
                    {
                        "database": db.replica_id,
                        "subject": v.subject,
                        "unid": v.unid,
                        "verdict": v.verdict,
                        "differences": v.differences,
                    }
                )
    for rows in tables.values():
        rows.sort(key=lambda r: json.dumps(r, sort_keys=True, ensure_ascii=False))
    return (json.dumps(tables, ensure_ascii=False, sort_keys=True, indent=1) + "\n").encode()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _write_evidence(
    ledger: Ledger, databases: list[DatabaseReport], out: Path, moment: datetime
) -> None:
    evidence = {
        "generated_at": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "ledger": mask_url(ledger.url),
        "versions": {
            "notesmig": _version("notesmig"),
            "apache-airflow": _version("apache-airflow"),
            "great-expectations": _version("great-expectations"),
            "python": platform.python_version(),
        },
        "sources": [
            {
                "database": db.replica_id,
                "path": path,
                "sha256": sha,
                "bytes": size,
                "documents": count,
            }
            for db in databases
            for path, sha, size, count in db.exports
        ],
        "files": {name: _sha256(out / name) for name in (EXCEPTIONS_FILE, LEDGER_EXPORT_FILE)},
        "databases": [
            {
                "replica_id": db.replica_id,
                "title": db.title,
                "documents": db.documents,
                "exported": db.exported,
                "merged": db.merged,
                "source_documents": db.source_documents,
                "outcomes": db.outcomes,
                "unaccounted": len(db.unaccounted),
                "verdicts": db.verdicts,
                "balanced": db.balanced,
            }
            for db in databases
        ],
    }
    (out / EVIDENCE_FILE).write_text(
        json.dumps(evidence, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
