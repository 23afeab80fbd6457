"""The transform stage end to end: an extract folder and mappings in, reviewable files out,
every document's outcome in the ledger.

Output (``--out``): ``items/<list>.jsonl`` in load order, ``files.jsonl``, ``permissions.jsonl``,
``quarantine.jsonl``, ``excluded.jsonl``, ``links.jsonl`` and ``summary.json`` with per-database
totals that add up. Files are written whole (temporary name, then rename), and ledger
transitions are idempotent, so an interrupted run is simply run again.

Documents stream through one at a time (:mod:`notesmig.transform.index`): what is held per
document is its place in the extract and a row's ordering key, so memory stays flat however
many documents a database has.
"""

from __future__ import annotations

import hashlib
import json
import os
from array import array
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from notesmig.dxl.model import AclEntry, NotesDocument
from notesmig.dxl.records import document_sha256
from notesmig.extract import DOCUMENTS_FILE, SUMMARY_FILE, read_summary
from notesmig.ledger import DocumentRecord, Ledger
from notesmig.ledger.evidence import ExportFact
from notesmig.mapping.model import Mapping
from notesmig.records import (
    DatabaseTotals,
    FileRow,
    ItemRow,
    LinkRow,
    Outcome,
    PermissionPlan,
    Record,
    read_records,
    write_records,
)
from notesmig.transform.access import DatabaseAcl
from notesmig.transform.documents import (
    Transformer,
    TransformTally,
    merge_copies,
    row_threads,
    threaded,
)
from notesmig.transform.index import DocumentIndex

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
    """Every document of an extract, in file order, one at a time."""
    path = extract_dir / DOCUMENTS_FILE
    index = DocumentIndex.read(path)
    with index.reader() as reader:
        yield from reader.all(index.places())


def read_acls(extract_dir: Path) -> dict[str, DatabaseAcl]:
    """Each database's ACL and roles, as the extract's summary recorded them."""
    if not (extract_dir / SUMMARY_FILE).is_file():
        return {}
    found: dict[str, DatabaseAcl] = {}
    for report in read_summary(extract_dir).files:
        replica = (report.replica_id or "").upper()
        if not replica or not report.acl:
            continue
        found[replica] = DatabaseAcl(
            title=report.title,
            entries=tuple(AclEntry(e.name, e.level, e.type, tuple(e.roles)) for e in report.acl),
            roles=tuple(report.acl_roles),
        )
    return found


#: Held-back documents a console shows; all of them are in quarantine.jsonl.
HELD_BACK_SHOWN = 20


@dataclass
class TransformOutcome:
    """What a transform reports of itself; its rows and outcomes are in its files."""

    out_dir: Path
    tally: TransformTally
    rows: int = 0
    files: int = 0
    #: The first HELD_BACK_SHOWN held-back documents, and how many there are.
    held_back: list[Outcome] = field(default_factory=list)
    held_back_count: int = 0

    @property
    def totals(self) -> dict[str, DatabaseTotals]:
        return self.tally.totals

    @property
    def unknown_users(self) -> Counter[str]:
        return self.tally.unknown_users


def run_transform(
    extract_dir: Path, mappings: dict[str, Mapping], out_dir: Path, ledger: Ledger | None
) -> TransformOutcome:
    """Transform an extract one document at a time (memory does not grow with the number of
    documents), then record every outcome in the ledger."""
    index = DocumentIndex.read(extract_dir / DOCUMENTS_FILE)
    placements = (
        {replica: ledger.placements(replica) for replica in mappings} if ledger is not None else {}
    )
    transformer = Transformer(mappings, placements=placements, acls=read_acls(extract_dir))
    out_dir.mkdir(parents=True, exist_ok=True)
    with index.reader() as reader, _StreamedOutputs(out_dir) as sink:
        for database, extracted in index.extracted.items():
            sink.tally.counts[database].extracted = extracted
        conflicts: dict[tuple[str, str | None], str] = {}

        def kept() -> Iterator[NotesDocument]:
            # In the order the in-memory transform keeps: documents without a UNID first.
            yield from reader.all(index.without_unid)
            for database, unid, places in index.groups():
                if len(places) == 1:
                    yield reader.at(places[0])
                    continue
                winner, conflict = merge_copies(database, unid, list(reader.all(places)), sink)
                if conflict is not None:
                    conflicts[(database, unid)] = conflict
                yield winner

        transformer.run(kept(), conflicts, sink)
        outcome = sink.finish()
    if ledger is not None:
        _record(extract_dir, out_dir, sink, ledger)
    sink.discard_spills()
    return outcome


class LedgerDocument(Record):
    """The ledger's view of one kept document, spilled until the outcomes are recorded (an
    internal file of the stage, deleted after it: no schema)."""

    database: str
    unid: str
    form: str | None
    parent_unid: str | None
    sha256: str


class _Writer:
    """A JSON lines file written as records come, whole or not at all (renamed at commit)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.partial = path.with_name(path.name + ".partial")
        self._sink = self.partial.open("w", encoding="utf-8")
        self.count = 0

    def write(self, record: Record) -> int:
        """Write one record; returns where its line starts."""
        offset = self._sink.tell()
        self._sink.write(record.json_line())
        self._sink.write("\n")
        self.count += 1
        return offset

    def commit(self) -> None:
        self._sink.close()
        os.replace(self.partial, self.path)

    def abort(self) -> None:
        self._sink.close()
        self.partial.unlink(missing_ok=True)


class _SpilledRows:
    """Where each row waits in the spill file and what its load order needs, in parallel
    arrays (a few dozen bytes a row, not the row)."""

    def __init__(self) -> None:
        self.unids: list[str] = []
        self.parents: list[str | None] = []
        self.databases = array("l")
        self.created = array("d")
        self.offsets = array("q")
        self.lists = array("l")
        self.database_names: list[str] = []
        self.list_files: list[str] = []
        self._database_numbers: dict[str, int] = {}
        self._list_numbers: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self.unids)

    @staticmethod
    def _number(names: list[str], numbers: dict[str, int], name: str) -> int:
        found = numbers.get(name)
        if found is None:
            found = numbers[name] = len(names)
            names.append(name)
        return found

    def add(self, row: ItemRow, created: float, offset: int) -> None:
        self.unids.append(row.unid)
        self.parents.append(row.parent_unid)
        self.databases.append(
            self._number(self.database_names, self._database_numbers, row.database)
        )
        self.created.append(created)
        self.offsets.append(offset)
        self.lists.append(
            self._number(self.list_files, self._list_numbers, list_file_name(row.list))
        )

    def threads(self) -> list[tuple[int, str]]:
        return row_threads(
            [self.database_names[n] for n in self.databases], self.unids, self.parents
        )

    def load_order(self, threads: list[tuple[int, str]]) -> list[int]:
        """Row numbers parents first, then by creation (then UNID, for a stable order)."""
        return sorted(
            range(len(self)), key=lambda i: (threads[i][0], self.created[i], self.unids[i])
        )

    def of_database(self, database: str) -> Iterator[str]:
        if database not in self.database_names:
            return iter(())
        number = self.database_names.index(database)
        return (u for u, d in zip(self.unids, self.databases, strict=True) if d == number)


class _StreamedOutputs:
    """The transform's sink: each outcome is written to its file as it comes. Rows wait in a
    spill file until every document is read (their load order needs the whole response tree)
    and are then written per list in that order; the ledger's view of each document waits in
    another, read back when the outcomes are recorded."""

    SPILL_ROWS = ".rows.spill"
    SPILL_LEDGER = ".ledger.spill"

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self.tally = TransformTally()
        self.rows = _SpilledRows()
        self.databases: dict[str, None] = {}
        self.held_back: list[Outcome] = []
        self._writers = {
            name: _Writer(out_dir / name)
            for name in (FILES_FILE, PERMISSIONS_FILE, QUARANTINE_FILE, EXCLUDED_FILE,
                         MERGED_FILE, LINKS_FILE)
        }  # fmt: skip
        self._row_spill = _Writer(out_dir / self.SPILL_ROWS)
        self._ledger_spill = _Writer(out_dir / self.SPILL_LEDGER)

    def __enter__(self) -> _StreamedOutputs:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_exc: object) -> None:
        if kind is not None:
            for writer in (*self._writers.values(), self._row_spill, self._ledger_spill):
                writer.abort()

    # -- the sink ---------------------------------------------------------------------------

    def add_row(self, row: ItemRow, document: NotesDocument) -> None:
        created = document.created.timestamp() if document.created else 0.0
        self.rows.add(row, created, self._row_spill.write(row))

    def add_files(self, files: list[FileRow]) -> None:
        for file in files:
            self._writers[FILES_FILE].write(file)

    def add_permission(self, plan: PermissionPlan) -> None:
        self._writers[PERMISSIONS_FILE].write(plan)

    def add_links(self, links: list[LinkRow]) -> None:
        for link in links:
            self._writers[LINKS_FILE].write(link)

    def add_held(self, outcome: Outcome) -> None:
        self._writers[QUARANTINE_FILE].write(outcome)
        if len(self.held_back) < HELD_BACK_SHOWN:
            self.held_back.append(outcome)

    def add_excluded(self, outcome: Outcome) -> None:
        self._writers[EXCLUDED_FILE].write(outcome)

    def add_merged(self, outcome: Outcome, copy: NotesDocument) -> None:
        self._writers[MERGED_FILE].write(outcome)

    def seen(self, document: NotesDocument, row: ItemRow | None) -> None:
        database = (document.database_replica or "").upper()
        self.databases.setdefault(database, None)
        self._ledger_spill.write(
            LedgerDocument(
                database=database, unid=document.key, form=document.form,
                parent_unid=document.parent_unid,
                sha256=row.sha256 if row is not None else document_sha256(document),
            )
        )  # fmt: skip

    # -- the end ----------------------------------------------------------------------------

    def finish(self) -> TransformOutcome:
        """Rows into their lists' files in load order, the other files, summary.json."""
        for writer in self._writers.values():
            writer.commit()
        self._row_spill.commit()
        self._ledger_spill.commit()
        items = self.out_dir / ITEMS_DIR
        items.mkdir(exist_ok=True)
        rows = self.rows
        threads = rows.threads()
        lists = set(rows.list_files)
        for stale in {p.name for p in items.glob("*.jsonl")} - lists:
            (items / stale).unlink()
        writers = [_Writer(items / name) for name in rows.list_files]
        with (self.out_dir / self.SPILL_ROWS).open("rb") as spill:
            for i in rows.load_order(threads):
                spill.seek(rows.offsets[i])
                row = ItemRow.model_validate_json(spill.readline())
                writers[rows.lists[i]].write(threaded(row, *threads[i]))
        for writer in writers:
            writer.commit()
        write_records(
            self.out_dir / ACCESS_FILE, [self.tally.access[k] for k in sorted(self.tally.access)]
        )
        summary = {
            "databases": {
                database: {**totals.model_dump(), "balanced": totals.balanced}
                for database, totals in self.tally.totals.items()
            },
            "unknown_users": dict(self.tally.unknown_users.most_common()),
        }
        _write_text(
            self.out_dir / SUMMARY_FILE, json.dumps(summary, ensure_ascii=False, indent=2) + "\n"
        )
        return TransformOutcome(
            out_dir=self.out_dir,
            tally=self.tally,
            rows=len(self.rows),
            files=self._writers[FILES_FILE].count,
            held_back=self.held_back,
            held_back_count=self._writers[QUARANTINE_FILE].count,
        )

    def transformed(self, database: str) -> Iterator[str]:
        return self.rows.of_database(database)

    def ledger_documents(self, database: str) -> Iterator[DocumentRecord]:
        for entry in read_records(self.out_dir / self.SPILL_LEDGER, LedgerDocument):
            if entry.database == database:
                yield DocumentRecord(entry.unid, entry.form, entry.parent_unid, entry.sha256)

    def discard_spills(self) -> None:
        for name in (self.SPILL_ROWS, self.SPILL_LEDGER):
            (self.out_dir / name).unlink(missing_ok=True)


def _write_text(path: Path, text: str) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


def _record(extract_dir: Path, out_dir: Path, sink: _StreamedOutputs, ledger: Ledger) -> None:
    """Every database's documents and outcomes into the ledger, read back from the files."""
    summary = read_summary(extract_dir)
    sources = {f.replica_id: (f.title, f.file, f.sha256) for f in summary.files if f.replica_id}
    run = ledger.begin_run("transform")
    counts: dict[str, int] = defaultdict(int)

    def outcomes(name: str, database: str) -> Iterator[Outcome]:
        return (o for o in read_records(out_dir / name, Outcome) if o.database == database)

    for database in sink.databases:
        title, source, file_sha256 = sources.get(database, (None, None, None))
        database_id = ledger.register_database(database, title, source, file_sha256)
        tally = sink.tally.counts.get(database)
        exports = summary.of_database(database)
        ledger.record_sources(
            database_id,
            [ExportFact(f.file, f.sha256, f.bytes, f.documents) for f in exports],
            merged=tally.merged if tally is not None else 0,
        )
        # Only every export of the database read whole tells what Notes no longer holds.
        complete = not any(f.failed for f in exports)
        ledger.record_extracted(database_id, sink.ledger_documents(database), complete=complete)
        outcome = ledger.apply_transform(
            database_id,
            transformed=sink.transformed(database),
            quarantined=outcomes(QUARANTINE_FILE, database),
            excluded=outcomes(EXCLUDED_FILE, database),
            files=(
                f for f in read_records(out_dir / FILES_FILE, FileRow) if f.database == database
            ),
            links=(
                link for link in read_records(out_dir / LINKS_FILE, LinkRow)
                if link.database == database
            ),
            run_id=run,
        )  # fmt: skip
        for key, value in outcome.items():
            counts[key] += value
    ledger.finish_run(run, "success", dict(counts))
