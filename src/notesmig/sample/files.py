"""Deterministic file contents for sample attachments: real PNG images, office-like files.

The PNGs are genuine (any viewer opens them). Office documents and PDFs carry their real
signature and a deterministic body: enough for type detection, sizes and hashes to be real.
"""

from __future__ import annotations

import random
import struct
import zlib

_SIGNATURES = {
    ".pdf": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n",
    ".docx": b"PK\x03\x04\x14\x00\x06\x00",
    ".xlsx": b"PK\x03\x04\x14\x00\x06\x00",
    ".pptx": b"PK\x03\x04\x14\x00\x06\x00",
    ".txt": b"",
    ".csv": b"",
}


def png(width: int, height: int, rng: random.Random) -> bytes:
    """A valid RGB PNG: a gradient with noise, so it compresses like a photo would not."""
    base = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
    rows = []
    for y in range(height):
        row = bytearray([0])
        for x in range(width):
            noise = rng.randrange(48)
            row += bytes(
                (
                    (base[0] + x * 2 + noise) % 256,
                    (base[1] + y * 3 + noise) % 256,
                    (base[2] + x + y + noise) % 256,
                )
            )
        rows.append(bytes(row))
    raw = b"".join(rows)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 6))
        + chunk(b"IEND", b"")
    )


def document_bytes(suffix: str, size: int, rng: random.Random) -> bytes:
    """``size`` bytes that start like a file of that type."""
    signature = _SIGNATURES.get(suffix.lower(), b"")
    if suffix.lower() in (".txt", ".csv"):
        line = "令和6年度,前橋市,サンプル,データ\n".encode()
        return (line * (size // len(line) + 1))[:size]
    return (signature + rng.randbytes(max(0, size - len(signature))))[:size]
