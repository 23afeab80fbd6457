"""Reading Domino DXL exports: documents, items, rich text as HTML, attachments as blobs."""

from notesmig.dxl.blobs import BlobStore
from notesmig.dxl.model import DatabaseInfo, Item, ItemType, NotesDocument
from notesmig.dxl.reader import DxlReader
from notesmig.dxl.scan import FileReport, discover, scan_file

__all__ = [
    "BlobStore",
    "DatabaseInfo",
    "DxlReader",
    "FileReport",
    "Item",
    "ItemType",
    "NotesDocument",
    "discover",
    "scan_file",
]
