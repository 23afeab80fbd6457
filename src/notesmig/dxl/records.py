"""JSON form of extracted documents (one line of ``documents.jsonl`` each).

The shape is specified by ``schemas/document.schema.json``; keep the two in step.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from notesmig.dxl.model import Attachment, Item, NotesDocument, value_to_json


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _item_json(item: Item) -> dict[str, Any]:
    record: dict[str, Any] = {
        "type": str(item.type),
        "values": [value_to_json(v) for v in item.values],
    }
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
            merged[item.name] = record
            continue
        existing["values"].extend(record["values"])
        existing["count"] = existing.get("count", 1) + 1
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
