"""Decoders for Notes binary item data that DXL exports as ``<rawitemdata>``.

DXL writes items it does not interpret as base64 of the Notes C API structures, with the
item's data type in hexadecimal (``type='19'`` is TYPE_MIME_PART, ``'400'`` TYPE_NOTEREF_LIST).
The layouts decoded here are the documented, packed little-endian C structures.
"""

from __future__ import annotations

import email.policy
import struct
from email.message import EmailMessage
from email.parser import BytesParser

from notesmig.dxl.model import MimePart
from notesmig.errors import TerminalError

TYPE_COMPOSITE = "1"
TYPE_MIME_PART = "19"
TYPE_NOTEREF_LIST = "400"
TYPE_RFC822_TEXT = "502"

# MIME_PART: WORD wVersion, DWORD dwFlags, BYTE cPartType, BYTE cSpare, WORD wByteCount,
# WORD wBoundaryLen, WORD wHeadersLen, WORD wSpare, DWORD dwSpare (20 bytes, packed).
_MIME_PART = struct.Struct("<HIBBHHHHI")


class NotesDataError(TerminalError, ValueError):
    """The bytes do not hold the structure their Notes data type promises."""


def decode_mime_part(data: bytes) -> tuple[MimePart, bytes]:
    """A MIME part item: its headers and text, plus the decoded body bytes."""
    if len(data) < _MIME_PART.size:
        raise NotesDataError(f"MIME part of {len(data)} bytes is shorter than its header")
    _version, _flags, _part_type, _spare, _count, boundary_len, headers_len, _s, _d = (
        _MIME_PART.unpack_from(data)
    )
    start = _MIME_PART.size + boundary_len
    if start + headers_len > len(data):
        raise NotesDataError("MIME part header lengths run past the end of the item")
    raw = data[start:]
    message = BytesParser(policy=email.policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    headers = {key: str(value) for key, value in message.items()}
    content_type = message.get_content_type() if headers else "text/plain"
    body = message.get_payload(decode=True)
    if not isinstance(body, bytes):
        body = b""
    text: str | None = None
    if content_type.startswith("text/"):
        charset = message.get_content_charset() or "utf-8"
        try:
            text = body.decode(charset, errors="strict")
        except (LookupError, UnicodeDecodeError) as exc:
            raise NotesDataError(f"MIME text is not valid {charset}: {exc}") from exc
    return MimePart(content_type, headers, text, len(body)), body


def decode_noteref_list(data: bytes) -> list[str]:
    """UNIDs in a TYPE_NOTEREF_LIST (``$REF``): a WORD count, then 16-byte UNIVERSALNOTEIDs."""
    if len(data) < 2:
        raise NotesDataError("note reference list shorter than its count")
    (count,) = struct.unpack_from("<H", data)
    if len(data) < 2 + 16 * count:
        raise NotesDataError(f"note reference list promises {count} entries it does not hold")
    unids = []
    for index in range(count):
        file_lo, file_hi, note_lo, note_hi = struct.unpack_from("<IIII", data, 2 + 16 * index)
        unids.append(f"{file_hi:08X}{file_lo:08X}{note_hi:08X}{note_lo:08X}")
    return unids
