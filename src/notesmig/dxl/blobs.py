"""Content-addressed store for attachment and picture bytes, fed base64 text as a stream.

A blob lives at ``<root>/<sha256[:2]>/<sha256>``: the name is the hash of the content, never
the attachment's own name, so no file name in an export can choose where bytes are written,
and identical content is stored once. Writers decode base64 incrementally and hash as they
go, so memory stays flat whatever the attachment size.

Disk writes happen behind the reader, on one background thread, in order: hashing stays on
the caller's thread (so a blob's sha256 and size are known at once), while writing, closing
and renaming overlap with parsing. A bounded queue caps the bytes in flight. A blob is on disk
once :meth:`BlobStore.flush` returns, and :meth:`BlobStore.path_of` flushes first, so a
reader of blob files asks the store where they are; the extract stage closes the store (and
so flushes it) before it reports.
"""

from __future__ import annotations

import binascii
import hashlib
import os
import queue
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pybase64

from notesmig.errors import TerminalError

_OTHER_WHITESPACE = b" \t\r"
# Queued write actions; each holds at most one decoded chunk (about 0.75 MiB).
_MAX_QUEUED = 48


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

    def __init__(self, root: Path | None) -> None:
        self.root = root
        self._queue: queue.Queue[Callable[[], None] | None] | None = None
        self._thread: threading.Thread | None = None
        self._failure: BaseException | None = None
        if root is not None:
            (root / "tmp").mkdir(parents=True, exist_ok=True)

    def writer(self) -> BlobWriter:
        return BlobWriter(self)

    def relative_path(self, sha256: str) -> str:
        return f"{sha256[:2]}/{sha256}"

    def path_of(self, sha256: str) -> Path:
        """Where a stored blob is, once every pending write has landed."""
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
        """Wait until every blob handed over so far is on disk; raise if any write failed."""
        if self._queue is not None:
            self._queue.join()
        if self._failure is not None:
            raise BlobStoreError(f"writing blobs under {self.root} failed: {self._failure}")

    def close(self) -> None:
        """Flush, then stop the background writer."""
        try:
            self.flush()
        finally:
            if self._queue is not None and self._thread is not None:
                self._queue.put(None)
                self._thread.join()
                self._queue = None
                self._thread = None

    # -- background writing ---------------------------------------------------------------

    def _submit(self, action: Callable[[], None]) -> None:
        if self._failure is not None:
            raise BlobStoreError(f"writing blobs under {self.root} failed: {self._failure}")
        if self._queue is None:
            self._queue = queue.Queue(maxsize=_MAX_QUEUED)
            self._thread = threading.Thread(target=self._work, name="blob-writer", daemon=True)
            self._thread.start()
        self._queue.put(action)

    def _work(self) -> None:
        assert self._queue is not None
        while True:
            action = self._queue.get()
            try:
                if action is None:
                    return
                if self._failure is None:
                    action()
            except BaseException as exc:  # reported to the reading thread by flush/_submit
                self._failure = exc
            finally:
                self._queue.task_done()


class BlobWriter:
    """Receives base64 text in pieces of any size and writes the decoded bytes once."""

    def __init__(self, store: BlobStore) -> None:
        self._store = store
        self._hash = hashlib.sha256()
        self._size = 0
        self._pending = b""
        self._error: str | None = None
        # Touched only by the store's writer thread, in submission order.
        self._file: BinaryIO | None = None
        self._tmp: Path | None = None
        if store.root is not None:
            self._tmp = store.root / "tmp" / uuid.uuid4().hex

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
            self._store._submit(lambda: self._write(decoded))

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
        self._store._submit(lambda: self._commit(relative))
        return BlobResult(digest, self._size, relative)

    def abort(self, reason: str) -> None:
        """Give up on this blob (its source ended early); nothing is stored."""
        if self._error is None:
            self._fail(reason)

    def _fail(self, message: str) -> None:
        self._error = message
        if self._tmp is not None:
            self._store._submit(self._discard)

    # -- run on the writer thread ---------------------------------------------------------

    def _write(self, decoded: bytes) -> None:
        if self._file is None:
            assert self._tmp is not None
            self._file = self._tmp.open("wb")
        self._file.write(decoded)

    def _commit(self, relative: str) -> None:
        assert self._tmp is not None
        assert self._store.root is not None
        if self._file is None:  # an empty file: nothing was written yet
            self._file = self._tmp.open("wb")
        self._file.close()
        self._file = None
        target = self._store.root / relative
        if target.exists():
            self._tmp.unlink()
        else:
            target.parent.mkdir(exist_ok=True)
            os.replace(self._tmp, target)

    def _discard(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        if self._tmp is not None:
            self._tmp.unlink(missing_ok=True)
