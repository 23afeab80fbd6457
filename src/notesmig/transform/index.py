"""The extract's ``documents.jsonl`` read twice rather than held: a first pass notes where each
document is and which records are copies of one document (the same UNID twice), then the
transform reads the documents back one at a time in that order.

What stays in memory is a byte offset and line number per document and its UNID (about 150
bytes a document), never the documents themselves.
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson

from notesmig.dxl.model import NotesDocument
from notesmig.dxl.records import document_from_json
from notesmig.records import RecordError


def _record(line: bytes, path: Path, number: int) -> dict[str, Any]:
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise RecordError(f"{path}:{number}: not a notesmig document record: {exc}") from exc
    if not isinstance(record, dict):
        raise RecordError(f"{path}:{number}: not a notesmig document record: not an object")
    return record


Place = tuple[int, int]


@dataclass
class DocumentIndex:
    """Where each document of one ``documents.jsonl`` is, grouped by (database, UNID).

    Kept compact on purpose: places are two machine integers in arrays, a UNID maps to the
    number of its first copy, and only UNIDs seen more than once get a list."""

    path: Path
    #: Documents read per database (copies included).
    extracted: Counter[str] = field(default_factory=Counter)
    _offsets: array[int] = field(default_factory=lambda: array("q"))
    _lines: array[int] = field(default_factory=lambda: array("q"))
    _without_unid: array[int] = field(default_factory=lambda: array("q"))
    #: database -> UNID -> number of its first copy.
    _first: dict[str, dict[str, int]] = field(default_factory=dict)
    #: (database, UNID) -> numbers of every copy, for UNIDs read more than once.
    _repeated: dict[tuple[str, str], list[int]] = field(default_factory=dict)

    @classmethod
    def read(cls, path: Path) -> DocumentIndex:
        index = cls(path)
        offset = 0
        databases: dict[str, str] = {}
        with path.open("rb") as source:
            for number, line in enumerate(source, start=1):
                start = offset
                offset += len(line)
                if not line.strip():
                    continue
                record = _record(line, path, number)
                name = str(record.get("database") or "")
                database = databases.setdefault(name, name.upper())
                index.extracted[database] += 1
                at = len(index._offsets)
                index._offsets.append(start)
                index._lines.append(number)
                unid = record.get("unid")
                if not isinstance(unid, str) or not unid:
                    index._without_unid.append(at)
                    continue
                first = index._first.setdefault(database, {})
                earlier = first.setdefault(unid, at)
                if earlier != at:
                    index._repeated.setdefault((database, unid), [earlier]).append(at)
        return index

    def _place(self, at: int) -> Place:
        return self._offsets[at], self._lines[at]

    @property
    def without_unid(self) -> list[Place]:
        """Documents without a (valid) UNID, in file order."""
        return [self._place(at) for at in self._without_unid]

    def groups(self) -> Iterator[tuple[str, str, list[Place]]]:
        """(database, UNID, the places of its copies), in order of first appearance."""
        for database, first in self._first.items():
            for unid, at in first.items():
                numbers = self._repeated.get((database, unid))
                if numbers is None:
                    yield database, unid, [self._place(at)]
                else:
                    yield database, unid, [self._place(n) for n in numbers]

    def places(self) -> list[Place]:
        """Every document's place, in file order."""
        return [self._place(at) for at in range(len(self._offsets))]

    def reader(self) -> DocumentReader:
        return DocumentReader(self.path)


class DocumentReader:
    """Reads single documents of a ``documents.jsonl`` by their offset."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._source: IO[bytes] = path.open("rb")

    def __enter__(self) -> DocumentReader:
        return self

    def __exit__(self, *_exc: object) -> None:
        self._source.close()

    def at(self, place: Place) -> NotesDocument:
        offset, number = place
        if self._source.tell() != offset:
            self._source.seek(offset)
        record = _record(self._source.readline(), self.path, number)
        try:
            return document_from_json(record)
        except (ValueError, KeyError, TypeError) as exc:
            raise RecordError(
                f"{self.path}:{number}: not a notesmig document record: {exc}"
            ) from exc

    def all(self, places: list[Place]) -> Iterator[NotesDocument]:
        for place in places:
            yield self.at(place)
