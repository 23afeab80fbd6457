"""Typed records the DXL reader produces: documents, their items, attachments and links.

These are the extractor's boundary: everything downstream (mapping, transform, loading,
reports) reads these dataclasses or their JSON form (``schemas/document.schema.json``).
"""

from __future__ import annotations

import base64
import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum
from pathlib import Path
from typing import Any

from notesmig.dxl.datetimes import DateTimeRange, NotesDateValue, isoformat


class ItemType(StrEnum):
    """The kind of value a Notes item holds, named after its DXL element."""

    TEXT = "text"
    TEXTLIST = "textlist"
    NUMBER = "number"
    NUMBERLIST = "numberlist"
    DATETIME = "datetime"
    DATETIMELIST = "datetimelist"
    DATETIMEPAIR = "datetimepair"
    RICHTEXT = "richtext"
    MIME = "mime"
    ATTACHMENT = "object"
    RAW = "rawitemdata"
    FORMULA = "formula"


@dataclass(frozen=True)
class RawValue:
    """Item data DXL could not interpret, kept byte for byte with its Notes data type."""

    notes_type: str
    data: bytes


@dataclass(frozen=True)
class MimePart:
    """One part of a Notes MIME item (Notes data type 0x19), headers and decoded body."""

    content_type: str
    headers: dict[str, str]
    text: str | None
    size: int


ItemValue = str | int | float | NotesDateValue | DateTimeRange | RawValue | MimePart


@dataclass(slots=True)
class Item:
    """A Notes item: name, type, every value, and its flags (names/readers/authors...)."""

    name: str
    type: ItemType
    values: list[ItemValue] = field(default_factory=list)
    names: bool = False
    readers: bool = False
    authors: bool = False
    summary: bool | None = None
    protected: bool = False
    sealed: bool = False
    #: How many Notes items of this name it stands for (merged from JSON; 1 when read from DXL).
    occurrences: int = 1


@dataclass(frozen=True, slots=True)
class ExtractionIssue:
    """Something in one document that could not be read as it should; the document is kept."""

    code: str
    message: str
    item: str | None = None
    line: int | None = None


@dataclass(slots=True)
class Attachment:
    """A file held by a document (``$FILE``), an OLE object's storage, or an inline picture."""

    name: str
    size: int
    sha256: str | None
    blob: str | None
    kind: str = "file"
    item: str = "$FILE"
    created: datetime | None = None
    modified: datetime | None = None
    declared_size: int | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class NotesLink:
    """A doclink, viewlink or databaselink in rich text: the Notes target it points at."""

    kind: str
    item: str
    database: str | None
    view: str | None
    document: str | None
    server: str | None = None
    description: str | None = None


@dataclass(slots=True)
class NotesDocument:
    """One Notes document as the extractor read it."""

    unid: str | None
    noteid: str | None
    form: str | None
    parent_unid: str | None
    source: Path
    line: int | None
    database_replica: str | None = None
    sequence: int | None = None
    created: datetime | None = None
    modified: datetime | None = None
    revised: datetime | None = None
    updatedby: list[str] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    html: dict[str, str] = field(default_factory=dict)
    attachments: list[Attachment] = field(default_factory=list)
    links: list[NotesLink] = field(default_factory=list)
    unconverted: Counter[str] = field(default_factory=Counter)
    errors: list[ExtractionIssue] = field(default_factory=list)

    @property
    def key(self) -> str:
        """What the ledger knows the document by: its UNID, or for a document without a valid
        one, a key made from where it was read (unique per file and line)."""
        if self.unid:
            return self.unid
        place = f"{self.source}:{self.line}:{self.noteid}".encode()
        return "NOUNID-" + hashlib.sha256(place).hexdigest()[:24].upper()

    def item(self, name: str) -> Item | None:
        """The first item of that name (Notes names are case-insensitive)."""
        folded = name.casefold()
        for it in self.items:
            if it.name == name or it.name.casefold() == folded:
                return it
        return None

    @property
    def is_response(self) -> bool:
        return self.parent_unid is not None


@dataclass(frozen=True)
class FieldDesign:
    """A field of a form design: what the application meant an item to hold."""

    name: str
    type: str
    kind: str | None = None
    multivalued: bool = False


@dataclass
class DesignNote:
    """A design element read as inventory (form, subform, view, folder, agent...)."""

    kind: str
    name: str | None
    unid: str | None
    fields: list[FieldDesign] = field(default_factory=list)


@dataclass(frozen=True)
class AclEntry:
    name: str
    level: str
    type: str | None = None
    roles: tuple[str, ...] = ()


@dataclass
class DatabaseInfo:
    """What the export says about the Notes database itself."""

    source: Path
    title: str | None = None
    replica_id: str | None = None
    path: str | None = None
    dxl_version: str | None = None
    declared_documents: int | None = None
    acl: list[AclEntry] = field(default_factory=list)
    #: The roles the ACL defines (``[Approver]``...).
    roles: list[str] = field(default_factory=list)
    design: list[DesignNote] = field(default_factory=list)


def value_to_json(value: ItemValue) -> Any:
    """JSON form of one item value (dates as ISO 8601, bytes as base64)."""
    if type(value) is str:  # most values: no further test
        return value
    if isinstance(value, RawValue):
        return {"notes_type": value.notes_type, "base64": base64.b64encode(value.data).decode()}
    if isinstance(value, MimePart):
        return {
            "content_type": value.content_type,
            "headers": value.headers,
            "text": value.text,
            "size": value.size,
        }
    if isinstance(value, (str, int, float)):
        return value
    return isoformat(value)


def as_text(value: ItemValue) -> str:
    """The text form of one item value (a number without a needless ``.0``, dates ISO 8601);
    raw item data has none (``TypeError``)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
    if isinstance(value, datetime | date | time | DateTimeRange):
        return isoformat(value)
    if isinstance(value, MimePart):
        return value.text or ""
    if isinstance(value, RawValue):
        raise TypeError("raw item data has no text form")
    return str(value)
