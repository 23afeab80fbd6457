"""JSON form of extracted documents (one line of ``documents.jsonl`` each).

The shape is specified by ``schemas/document.schema.json``; keep the two in step. Lines are
compact JSON in UTF-8 written by orjson (no spaces after separators; a number in its shortest
round-trip form, e.g. ``1e-5``): readers see the values, whichever encoder wrote them.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections import Counter
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import orjson

from notesmig.dxl.datetimes import DateTimeRange
from notesmig.dxl.model import (
    Attachment,
    ExtractionIssue,
    Item,
    ItemType,
    ItemValue,
    MimePart,
    NotesDocument,
    NotesLink,
    RawValue,
    value_to_json,
)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _item_json(item: Item) -> dict[str, Any]:
    record: dict[str, Any] = {
        "type": item.type.value,
        "values": [value_to_json(v) for v in item.values],
    }
    if item.names or item.readers or item.authors or item.protected or item.sealed:
        for flag in ("names", "readers", "authors", "protected", "sealed"):
            if getattr(item, flag):
                record[flag] = True
    return record


def _merge_items(items: list[Item]) -> dict[str, dict[str, Any]]:
    """Items by name. Notes allows several items of one name (MIME parts, ``$FILE``,
    ``Received``); their values are kept in order under the first one's type."""
    merged: dict[str, dict[str, Any]] = {}
    for item in items:
        record = _item_json(item)
        existing = merged.get(item.name)
        if existing is None:
            if item.occurrences > 1:
                record["count"] = item.occurrences
            merged[item.name] = record
            continue
        existing["values"].extend(record["values"])
        existing["count"] = existing.get("count", 1) + item.occurrences
        for flag in ("names", "readers", "authors", "protected", "sealed"):
            if record.get(flag):
                existing[flag] = True
    return merged


def attachment_json(attachment: Attachment) -> dict[str, Any]:
    return {
        "name": attachment.name,
        "size": attachment.size,
        "sha256": attachment.sha256,
        "blob": f"blobs/{attachment.blob}" if attachment.blob else None,
        "kind": attachment.kind,
        "item": attachment.item,
        "created": _iso(attachment.created),
        "modified": _iso(attachment.modified),
        "error": attachment.error,
    }


def document_json(document: NotesDocument) -> dict[str, Any]:
    """The ``documents.jsonl`` record of one document."""
    return {
        "unid": document.unid,
        "noteid": document.noteid,
        "form": document.form,
        "parent_unid": document.parent_unid,
        "database": document.database_replica,
        "source": {"file": str(document.source), "line": document.line},
        "sequence": document.sequence,
        "created": _iso(document.created),
        "modified": _iso(document.modified),
        "revised": _iso(document.revised),
        "updatedby": document.updatedby,
        "items": _merge_items(document.items),
        "html": document.html,
        "attachments": [attachment_json(a) for a in document.attachments],
        "links": [
            {
                "kind": link.kind,
                "item": link.item,
                "database": link.database,
                "view": link.view,
                "document": link.document,
                "server": link.server,
                "description": link.description,
            }
            for link in document.links
        ],
        "unconverted": dict(document.unconverted),
        "errors": [
            {"code": e.code, "message": e.message, "item": e.item, "line": e.line}
            for e in document.errors
        ],
    }


def document_line(document: NotesDocument) -> bytes:
    """One line of ``documents.jsonl``: the record, compact, UTF-8, ending in a newline."""
    record = document_json(document)
    try:
        return orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE)
    except orjson.JSONEncodeError:
        # An integer beyond 64 bits (a Notes number written without a decimal point): the
        # standard encoder writes any integer.
        return (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


def document_sha256(document: NotesDocument) -> str:
    """Hash of the canonical extracted document: the same content gives the same hash,
    whichever file or line it was read from (``SourceSha256``, the change detector)."""
    record = document_json(document)
    del record["source"]
    canonical = json.dumps(record, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def document_from_json(record: dict[str, Any]) -> NotesDocument:
    """A typed document back from its ``documents.jsonl`` record (inverse of document_json)."""
    items = []
    for name, body in record["items"].items():
        item_type = ItemType(body["type"])
        item = Item(
            name=name,
            type=item_type,
            values=[_value_from_json(item_type, v) for v in body["values"]],
            names=body.get("names", False),
            readers=body.get("readers", False),
            authors=body.get("authors", False),
            protected=body.get("protected", False),
            sealed=body.get("sealed", False),
            occurrences=body.get("count", 1),
        )
        items.append(item)
    return NotesDocument(
        unid=record["unid"],
        noteid=record["noteid"],
        form=record["form"],
        parent_unid=record["parent_unid"],
        source=Path(record["source"]["file"]),
        line=record["source"]["line"],
        database_replica=record["database"],
        sequence=record["sequence"],
        created=_when(record["created"]),
        modified=_when(record["modified"]),
        revised=_when(record["revised"]),
        updatedby=list(record["updatedby"]),
        items=items,
        html=dict(record["html"]),
        attachments=[
            Attachment(
                name=a["name"],
                size=a["size"],
                sha256=a["sha256"],
                blob=a["blob"].removeprefix("blobs/") if a["blob"] else None,
                kind=a["kind"],
                item=a["item"],
                created=_when(a["created"]),
                modified=_when(a["modified"]),
                error=a["error"],
            )
            for a in record["attachments"]
        ],
        links=[NotesLink(**link) for link in record["links"]],
        unconverted=Counter(record["unconverted"]),
        errors=[ExtractionIssue(**e) for e in record["errors"]],
    )


def _when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _value_from_json(item_type: ItemType, value: Any) -> ItemValue:
    if isinstance(value, dict):
        if "base64" in value:
            return RawValue(value["notes_type"], base64.b64decode(value["base64"]))
        return MimePart(value["content_type"], value["headers"], value["text"], value["size"])
    if item_type in (
        ItemType.DATETIME,
        ItemType.DATETIMELIST,
        ItemType.DATETIMEPAIR,
    ) and isinstance(value, str):
        if "/" in value:
            start, end = value.split("/", 1)
            return DateTimeRange(_temporal(start), _temporal(end))
        return _temporal(value)
    return value  # type: ignore[no-any-return]


def _temporal(text: str) -> date | time | datetime:
    if "T" in text or (" " in text and len(text) > 10):
        return datetime.fromisoformat(text)
    if ":" in text:
        return time.fromisoformat(text)
    return date.fromisoformat(text)
