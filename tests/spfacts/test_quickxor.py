"""QuickXorHash as SharePoint and OneDrive report it, checked against an independent
implementation, whole and in pieces."""

from __future__ import annotations

import base64
import os

import pytest
import quickxorhash  # type: ignore[import-not-found]  # (a C extension without stubs)

from notesmig.spfacts.quickxor import QuickXorHash
from notesmig.spfacts.quickxor import quickxorhash as emulator_hash


def reference_hash(data: bytes) -> str:
    """QuickXorHash by an independent implementation (the C package on PyPI)."""
    hasher = quickxorhash.quickxorhash()
    hasher.update(data)
    return base64.b64encode(hasher.digest()).decode()


@pytest.mark.parametrize("size", [0, 1, 159, 160, 161, 4096, 1_000_003])
def test_quickxorhash_matches_an_independent_implementation(size: int) -> None:
    data = os.urandom(size)
    assert emulator_hash(data) == reference_hash(data)
    pieces = QuickXorHash()
    for start_at in range(0, size, 977):
        pieces.update(data[start_at : start_at + 977])
    assert pieces.b64digest() == reference_hash(data)


def test_pieces_that_start_and_end_anywhere_in_the_160_byte_cycle() -> None:
    data = os.urandom(2_000)
    hasher = QuickXorHash()
    start = 0
    for size in (1, 158, 1, 0, 161, 320, 7, 159, 160, 33):
        hasher.update(data[start : start + size])
        start += size
    hasher.update(data[start:])
    assert hasher.b64digest() == reference_hash(data)


def test_a_digest_midway_does_not_disturb_the_hash() -> None:
    data = os.urandom(1_000)
    hasher = QuickXorHash()
    hasher.update(data[:300])
    assert hasher.b64digest() == reference_hash(data[:300])
    hasher.update(data[300:])
    assert hasher.b64digest() == reference_hash(data)


def test_the_length_is_part_of_the_hash() -> None:
    # 20 zero bytes for nothing; zeros of any length XOR nothing in but their length.
    assert base64.b64decode(emulator_hash(b"")) == bytes(20)
    assert emulator_hash(bytes(160)) != emulator_hash(bytes(320))
    assert base64.b64decode(emulator_hash(bytes(160)))[-8:] == (160).to_bytes(8, "little")
