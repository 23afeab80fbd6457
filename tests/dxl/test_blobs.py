"""The content-addressed blob store."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from notesmig.dxl.blobs import BlobStore, BlobStoreError


@given(st.binary(max_size=4096), st.lists(st.integers(min_value=1, max_value=97), min_size=1))
def test_any_split_of_base64_decodes_to_the_same_bytes(data: bytes, cuts: list[int]) -> None:
    text = base64.encodebytes(data)
    writer = BlobStore(None).writer()
    position = 0
    for cut in cuts * (len(text) // max(1, sum(cuts)) + 1):
        writer.feed(text[position : position + cut])
        position += cut
    writer.feed(text[position:])
    result = writer.finish()
    assert result.error is None
    assert (result.size, result.sha256) == (len(data), hashlib.sha256(data).hexdigest())


def test_store_layout_and_no_leftovers(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    result = store.put_bytes(b"hello")
    digest = hashlib.sha256(b"hello").hexdigest()
    assert result.path == f"{digest[:2]}/{digest}"
    assert store.path_of(digest) == tmp_path / digest[:2] / digest
    assert store.path_of(digest).read_bytes() == b"hello"
    failed = store.writer()
    failed.feed(b"QUJD" * 100_000)
    failed.feed(b"####")
    assert failed.finish().error is not None
    store.flush()
    assert list((tmp_path / "tmp").iterdir()) == []
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == [digest]


def test_a_failing_disk_is_reported_not_ignored(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    (tmp_path / "tmp").rmdir()  # every write now fails, as on a vanished or read-only volume
    with pytest.raises(BlobStoreError, match="writing blobs under"):
        store.put_bytes(b"lost")
    with pytest.raises(BlobStoreError, match="writing blobs under"):
        store.flush()  # and the store stays failed: the extract cannot report success


def test_interleaved_blobs_each_hash_only_their_own_bytes_in_order(
    tmp_path: Path,
) -> None:
    import random

    chunks = [random.Random(n).randbytes(size) for n, size in enumerate(
        (70_000, 10, 200_000, 5, 65_536, 1))]  # fmt: skip
    store = BlobStore(tmp_path)
    first, second = store.writer(), store.writer()
    for chunk in chunks:  # two blobs interleaved: each hash sees only its own bytes, in order
        first.feed_bytes(chunk)
        second.feed_bytes(chunk[::-1])
    one, two = first.finish(), second.finish()
    store.close()
    assert one.sha256 == hashlib.sha256(b"".join(chunks)).hexdigest()
    assert two.sha256 == hashlib.sha256(b"".join(c[::-1] for c in chunks)).hexdigest()
    assert store.path_of(one.sha256).read_bytes() == b"".join(chunks)
