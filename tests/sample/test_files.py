"""Sample attachment contents: genuine PNG images and office-like files of exact sizes, the same
bytes for the same seed."""

from __future__ import annotations

import random
import struct
import zlib

import pytest

from notesmig.sample.files import document_bytes, png


def chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """A PNG's chunks (type, data), each CRC checked: decoded without the code under test."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    found, at = [], 8
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind, body = data[at + 4 : at + 8], data[at + 8 : at + 8 + length]
        (crc,) = struct.unpack(">I", data[at + 8 + length : at + 12 + length])
        assert crc == zlib.crc32(kind + body), kind
        found.append((kind, body))
        at += 12 + length
    return found


def test_a_png_is_a_valid_rgb_image_of_its_size() -> None:
    data = png(48, 32, random.Random(1))
    found = chunks(data)
    assert [kind for kind, _ in found] == [b"IHDR", b"IDAT", b"IEND"]
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", found[0][1])
    assert (width, height, depth, colour, interlace) == (48, 32, 8, 2, 0)  # 8-bit RGB
    pixels = zlib.decompress(found[1][1])
    assert len(pixels) == height * (1 + 3 * width)
    rows = [pixels[y * (1 + 3 * width) : (y + 1) * (1 + 3 * width)] for y in range(height)]
    assert all(row[0] == 0 for row in rows)  # no filter: the bytes are the pixels
    assert len(set(rows)) > 1  # a gradient, not a flat colour


def test_the_same_seed_gives_the_same_bytes() -> None:
    assert png(16, 8, random.Random(7)) == png(16, 8, random.Random(7))
    assert png(16, 8, random.Random(7)) != png(16, 8, random.Random(8))
    assert document_bytes(".pdf", 500, random.Random(7)) == document_bytes(
        ".pdf", 500, random.Random(7)
    )


@pytest.mark.parametrize(
    ("suffix", "signature"),
    [(".pdf", b"%PDF-1.7\n"), (".docx", b"PK\x03\x04"), (".XLSX", b"PK\x03\x04"),
     (".pptx", b"PK\x03\x04")],
)  # fmt: skip
def test_office_files_and_pdfs_start_with_their_signature_at_their_exact_size(
    suffix: str, signature: bytes
) -> None:
    for size in (4, 1000, 48_000):
        data = document_bytes(suffix, size, random.Random(size))
        assert len(data) == size
        assert data.startswith(signature[:size])


def test_text_files_are_japanese_csv_lines_and_unknown_types_random_bytes() -> None:
    line = "令和6年度,前橋市,サンプル,データ\n".encode()
    data = document_bytes(".csv", 12_000, random.Random(1))
    assert len(data) == 12_000 and data.startswith(line * 3)
    assert data == (line * (12_000 // len(line) + 1))[:12_000]
    assert document_bytes(".txt", 0, random.Random(1)) == b""
    other = document_bytes(".bin", 64, random.Random(1))
    assert len(other) == 64 and other == random.Random(1).randbytes(64)
