"""Reading many DXL files, one report per file: the loop behind ``inspect`` and ``extract``.

One file's failure never stops the others: a fatal fault ends that file's report with the
error (its documents before the fault still counted and handed on), and the run goes on.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import tzinfo
from pathlib import Path
from typing import Any

from lxml import etree

from notesmig.dxl.blobs import BlobStore
from notesmig.dxl.model import DatabaseInfo, NotesDocument
from notesmig.dxl.reader import MAX_TITLE, DxlReader, valid_replica_id
from notesmig.dxl.source import DxlByteSource
from notesmig.dxl.xml import local_name
from notesmig.errors import DxlError, SourcePosition

DXL_SUFFIXES = (".dxl", ".xml")


@dataclass(frozen=True)
class FileError:
    """A problem in a file, located as precisely as the input allows."""

    message: str
    line: int | None = None
    column: int | None = None
    document: str | None = None
    fatal: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "message": self.message,
            "line": self.line,
            "column": self.column,
            "document": self.document,
            "fatal": self.fatal,
        }


@dataclass(frozen=True)
class AttachmentSummary:
    name: str
    size: int
    sha256: str | None
    document: str | None
    kind: str
    error: str | None


@dataclass
class FileReport:
    """What one DXL file held, and what went wrong reading it."""

    file: Path
    bytes: int = 0
    #: sha256 of the whole file, when it was read to its end.
    sha256: str | None = None
    title: str | None = None
    replica_id: str | None = None
    documents: int = 0
    responses: int = 0
    forms: Counter[str] = field(default_factory=Counter)
    item_types: Counter[str] = field(default_factory=Counter)
    richtext_items: int = 0
    attachments: list[AttachmentSummary] = field(default_factory=list)
    links: int = 0
    unconverted: Counter[str] = field(default_factory=Counter)
    design: Counter[str] = field(default_factory=Counter)
    profile_documents: int = 0
    #: Documents with a Readers (or Authors) item that holds names: who may read (edit) them.
    readers_documents: int = 0
    authors_documents: int = 0
    errors: list[FileError] = field(default_factory=list)
    #: The export's own inventory (design notes with form fields, ACL), once read.
    database: DatabaseInfo | None = None

    @property
    def failed(self) -> bool:
        """Whether reading stopped early (the file's later documents are missing)."""
        return any(error.fatal for error in self.errors)

    @property
    def attachment_bytes(self) -> int:
        return sum(a.size for a in self.attachments if a.error is None)

    def add(self, document: NotesDocument) -> None:
        self.documents += 1
        self.forms[document.form or "(no form)"] += 1
        if document.is_response:
            self.responses += 1
        readers = authors = False
        item_types = self.item_types
        for item in document.items:
            kind = item.type.value
            item_types[kind] += 1
            if kind == "richtext":
                self.richtext_items += 1
            if item.values:
                readers = readers or item.readers
                authors = authors or item.authors
        self.readers_documents += readers
        self.authors_documents += authors
        for attachment in document.attachments:
            self.attachments.append(
                AttachmentSummary(
                    attachment.name,
                    attachment.size,
                    attachment.sha256,
                    document.unid,
                    attachment.kind,
                    attachment.error,
                )
            )
        self.links += len(document.links)
        if document.unconverted:
            self.unconverted.update(document.unconverted)
        for issue in document.errors:
            self.errors.append(
                FileError(issue.message, issue.line, None, document.unid or document.noteid)
            )

    def as_json(self) -> dict[str, Any]:
        return {
            "file": str(self.file),
            "bytes": self.bytes,
            "sha256": self.sha256,
            "title": self.title,
            "replica_id": self.replica_id,
            "documents": self.documents,
            "responses": self.responses,
            "forms": dict(sorted(self.forms.items())),
            "item_types": dict(sorted(self.item_types.items())),
            "richtext_items": self.richtext_items,
            "attachments": [
                {
                    "name": a.name,
                    "size": a.size,
                    "sha256": a.sha256,
                    "document": a.document,
                    "kind": a.kind,
                    "error": a.error,
                }
                for a in self.attachments
            ],
            "attachment_bytes": self.attachment_bytes,
            "links": self.links,
            "unconverted": dict(sorted(self.unconverted.items())),
            "design": dict(sorted(self.design.items())),
            "acl": [
                {"name": e.name, "level": e.level, "type": e.type, "roles": list(e.roles)}
                for e in (self.database.acl if self.database else [])
            ],
            "acl_roles": list(self.database.roles) if self.database else [],
            "profile_documents": self.profile_documents,
            "readers_documents": self.readers_documents,
            "authors_documents": self.authors_documents,
            "errors": [e.as_json() for e in self.errors],
        }


def discover(paths: Iterable[Path]) -> list[Path]:
    """The DXL files named, or found (recursively, sorted) in the folders named."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.suffix.lower() in DXL_SUFFIXES))
        else:
            found.append(path)
    return found


def scan_file(
    path: Path,
    store: BlobStore,
    *,
    assume_tz: tzinfo | None = None,
    progress: Callable[[int], None] | None = None,
) -> tuple[FileReport, Iterator[NotesDocument]]:
    """Start reading one file: its report (filled in as documents are drawn) and the
    documents. The report is complete once the iterator is exhausted."""
    report = FileReport(file=path)
    reader = DxlReader(path, store, assume_tz=assume_tz)

    def documents() -> Iterator[NotesDocument]:
        seen = 0
        try:
            report.bytes = path.stat().st_size
            for document in reader.documents():
                report.add(document)
                if progress is not None:
                    progress(reader.bytes_read - seen)
                    seen = reader.bytes_read
                yield document
        except DxlError as exc:
            report.errors.append(
                FileError(exc.reason, exc.position.line, exc.position.column, fatal=True)
            )
        except OSError as exc:
            position = SourcePosition(path)
            report.errors.append(FileError(f"{position}: cannot read: {exc}", fatal=True))
        finally:
            info = reader.database
            report.database = info
            report.errors.extend(FileError(i.message, i.line) for i in reader.issues)
            report.title = info.title
            report.replica_id = info.replica_id
            report.design = Counter(note.kind for note in info.design)
            report.profile_documents = reader.profile_documents
            if not report.failed and reader.source.finished and reader.bytes_read == report.bytes:
                report.sha256 = reader.source.file_hash.hexdigest()
            if progress is not None:
                progress(max(0, report.bytes - seen))

    return report, documents()


def peek_database(path: Path) -> tuple[str | None, str | None]:
    """The replica id and title an export declares, read from its beginning only (the root
    element, ``<databaseinfo>``, or the first note); ``(None, None)`` for a file that does not
    say or cannot be read (the extract stage reports why)."""
    source = DxlByteSource(path, BlobStore(None))
    parser = etree.XMLPullParser(
        events=("start",), resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True
    )
    replica: str | None = None
    title: str | None = None
    chunks = source.chunks()
    assert isinstance(chunks, Generator)
    try:
        for chunk in chunks:
            failed = False
            try:
                parser.feed(chunk)
            except etree.XMLSyntaxError:
                failed = True  # events parsed before the fault are still delivered
            for _event, element in parser.read_events():
                assert isinstance(element, etree._Element)
                name = local_name(element)
                # An id that is not one is no key: it would name folders under --out (the
                # extract stage reports it with its line).
                replica = replica or valid_replica_id(element.get("replicaid"))
                if name == "database":
                    title = element.get("title")
                    title = title[:MAX_TITLE] if title is not None else None
                if name in ("databaseinfo", "document", "note") or replica:
                    return replica, title
            if failed:
                break
    except (DxlError, OSError):
        pass
    finally:
        chunks.close()
    return replica, title
