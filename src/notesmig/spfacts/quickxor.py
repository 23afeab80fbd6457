"""QuickXorHash: the content hash SharePoint and OneDrive report for every file.

A 160-bit vector; byte ``i`` of the content is XORed in at bit ``(11 * i) mod 160`` (wrapping
around the vector), and the content length (64-bit little-endian) is XORed into the last eight
bytes. Since the bit position repeats every 160 bytes, all bytes 160 apart are XORed together
first, vectorised, which keeps hashing at memory speed.
"""

from __future__ import annotations

import base64

import numpy as np

_WIDTH = 160
_SHIFT = 11
_MASK = (1 << _WIDTH) - 1


class QuickXorHash:
    """Incremental QuickXorHash (``update`` any number of times, then ``b64digest``)."""

    def __init__(self) -> None:
        self._columns = np.zeros(_WIDTH, dtype=np.uint8)
        self._length = 0

    def update(self, data: bytes) -> None:
        if not data:
            return
        offset = self._length % _WIDTH
        buffer = np.frombuffer(data, dtype=np.uint8)
        head = min(len(buffer), _WIDTH - offset) if offset else 0
        if head:
            self._columns[offset : offset + head] ^= buffer[:head]
        rest = buffer[head:]
        whole = len(rest) - len(rest) % _WIDTH
        if whole:
            self._columns ^= np.bitwise_xor.reduce(rest[:whole].reshape(-1, _WIDTH), axis=0)
        tail = rest[whole:]
        if len(tail):
            self._columns[: len(tail)] ^= tail
        self._length += len(data)

    def digest(self) -> bytes:
        vector = 0
        for column, value in enumerate(self._columns.tolist()):
            if value:
                shift = (column * _SHIFT) % _WIDTH
                rotated = (value << shift) | (value >> (_WIDTH - shift)) if shift else value
                vector ^= rotated & _MASK
        out = bytearray(vector.to_bytes(_WIDTH // 8, "little"))
        for index, byte in enumerate(self._length.to_bytes(8, "little", signed=True)):
            out[_WIDTH // 8 - 8 + index] ^= byte
        return bytes(out)

    def b64digest(self) -> str:
        return base64.b64encode(self.digest()).decode()


def quickxorhash(data: bytes) -> str:
    """The base64 QuickXorHash of bytes in memory."""
    hasher = QuickXorHash()
    hasher.update(data)
    return hasher.b64digest()
