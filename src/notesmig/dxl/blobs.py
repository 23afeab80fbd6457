"""Content-addressed store for attachment and picture bytes, fed base64 text as a stream.

A blob lives at ``<root>/<sha256[:2]>/<sha256>``: the name is the hash of the content, never
the attachment's own name, so no file name in an export can choose where bytes are written,
and identical content is stored once. Writers decode base64 incrementally and hash as they
go, so memory stays flat whatever the attachment size.

Everything happens on the caller's thread, in order. A background writer thread was tried
(and kept until 2026-12-02): on two cores its GIL hand-offs cost the parser more than the
overlapped hashing and writing saved (``make bench-extract`` measured the extract 2 to 12%
faster without it). The parallel work of a large export is done by a separate process instead
(:mod:`notesmig.dxl.source_process`), which owns a store of its own for the blobs it decodes.
"""

from __future__ import annotations

import binascii
import contextlib
import hashlib
import itertools
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pybase64

from notesmig.errors import TerminalError

_OTHER_WHITESPACE = b" \t\r"


class BlobStoreError(TerminalError):
    """Blob bytes could not be written (disk full, permissions): the extract is incomplete."""


@dataclass(frozen=True)
class BlobResult:
    """The outcome of one streamed blob: its hash and size, where it is, or why it failed."""

    sha256: str | None
    size: int
    path: str | None
    error: str | None = None


class BlobStore:
    """A directory of blobs named by their sha256; ``root=None`` hashes without storing."""

    def __init__(self, root: Path | None, tmp_prefix: str | None = None) -> None:
        self.root = root
        self._failure: OSError | None = None
        # Temporary names: one random prefix per store (the stores of a parent and its source
        # process share a folder), then a counter: a uuid4 per blob costs an os.urandom each.
        prefix = tmp_prefix if tmp_prefix is not None else f"{uuid.uuid4().hex}-"
        self._tmp_prefix = f"{root / 'tmp'}/{prefix}" if root is not None else ""
        self._tmp_numbers = itertools.count()
        if root is not None:
            (root / "tmp").mkdir(parents=True, exist_ok=True)

    def writer(self) -> BlobWriter:
        return BlobWriter(self)

    def relative_path(self, sha256: str) -> str:
        return f"{sha256[:2]}/{sha256}"

    def path_of(self, sha256: str) -> Path:
        """Where a stored blob is."""
        if self.root is None:
            raise ValueError("this blob store only hashes; it keeps no files")
        self.flush()
        return self.root / self.relative_path(sha256)

    def put_bytes(self, data: bytes) -> BlobResult:
        """Store bytes already in memory (small pictures, MIME parts, generated files)."""
        writer = self.writer()
        writer.feed_bytes(data)
        return writer.finish()

    def flush(self) -> None:
        """Raise if any write failed (the extract is then incomplete)."""
        if self._failure is not None:
            raise BlobStoreError(f"writing blobs under {self.root} failed: {self._failure}")

    def close(self) -> None:
        self.flush()

    def _disk(self, action: Callable[[], None]) -> None:
        """Run a disk operation; the first failure stops every later write and is raised."""
        self.flush()
        try:
            action()
        except OSError as exc:
            self._failure = exc
            self.flush()


class BlobWriter:
    """Receives base64 text in pieces of any size and writes the decoded bytes once."""

    def __init__(self, store: BlobStore) -> None:
        self._store = store
        self._hash = hashlib.sha256()
        self._size = 0
        self._pending = b""
        self._error: str | None = None
        self._file: BinaryIO | None = None
        self._tmp: str | None = None
        if store.root is not None:
            self._tmp = f"{store._tmp_prefix}{next(store._tmp_numbers)}"

    def feed(self, text: bytes) -> int:
        """Add base64 text (line breaks and blanks anywhere); returns the line breaks seen."""
        stripped = text.replace(b"\n", b"")  # memchr-fast, unlike translate
        newlines = len(text) - len(stripped)
        if self._error is not None:
            return newlines
        data = self._pending + stripped if self._pending else stripped
        usable = len(data) - len(data) % 4
        try:
            decoded = pybase64.b64decode(memoryview(data)[:usable], validate=True)
        except binascii.Error:
            # Rare: CR or blanks inside the base64 (Windows line ends). Strip and re-align.
            data = data.translate(None, _OTHER_WHITESPACE)
            usable = len(data) - len(data) % 4
            try:
                decoded = pybase64.b64decode(memoryview(data)[:usable], validate=True)
            except binascii.Error as exc:
                self._fail(f"invalid base64 after {self._size} decoded bytes: {exc}")
                return newlines
        self._pending = data[usable:]
        self.feed_bytes(decoded)
        return newlines

    def feed_bytes(self, decoded: bytes) -> None:
        if not decoded:
            return
        self._hash.update(decoded)
        self._size += len(decoded)
        if self._tmp is not None:
            self._on_disk(lambda: self._write(decoded))

    def finish(self) -> BlobResult:
        if self._error is None and self._pending:
            self._fail(
                f"truncated base64: {len(self._pending)} character(s) left over after "
                f"{self._size} decoded bytes"
            )
        if self._error is not None:
            return BlobResult(None, self._size, None, self._error)
        digest = self._hash.hexdigest()
        if self._tmp is None:
            return BlobResult(digest, self._size, None)
        relative = self._store.relative_path(digest)
        self._on_disk(lambda: self._commit(relative))
        return BlobResult(digest, self._size, relative)

    def abort(self, reason: str) -> None:
        """Give up on this blob (its source ended early); nothing is stored."""
        if self._error is None:
            self._fail(reason)

    def _fail(self, message: str) -> None:
        self._error = message
        if self._tmp is not None:
            with contextlib.suppress(OSError):  # the blob is lost either way; its error says so
                self._discard()

    def _on_disk(self, action: Callable[[], None]) -> None:
        try:
            self._store._disk(action)
        except BlobStoreError:
            with contextlib.suppress(OSError):
                self._discard()
            raise

    def _write(self, decoded: bytes) -> None:
        if self._file is None:
            assert self._tmp is not None
            self._file = open(self._tmp, "wb")  # noqa: SIM115 (closed by _commit or _discard)
        self._file.write(decoded)

    def _commit(self, relative: str) -> None:
        assert self._tmp is not None
        assert self._store.root is not None
        if self._file is None:  # an empty file: nothing was written yet
            self._file = open(self._tmp, "wb")  # noqa: SIM115
        self._file.close()
        self._file = None
        target = self._store.root / relative
        if target.exists():
            os.unlink(self._tmp)
        else:
            target.parent.mkdir(exist_ok=True)
            os.replace(self._tmp, target)

    def _discard(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        if self._tmp is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self._tmp)
