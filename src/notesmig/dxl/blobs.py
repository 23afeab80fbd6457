"""Content-addressed store for attachment and picture bytes, fed base64 text as a stream.

A blob lives at ``<root>/<sha256[:2]>/<sha256>``: the name is the hash of the content, never
the attachment's own name, so no file name in an export can choose where bytes are written,
and identical content is stored once. Writers decode base64 incrementally and hash as they
go, so memory stays flat whatever the attachment size.
"""

from __future__ import annotations

import binascii
import hashlib
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

_WHITESPACE = b" \t\r\n"


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
        if root is not None:
            (root / "tmp").mkdir(parents=True, exist_ok=True)

    def writer(self) -> BlobWriter:
        return BlobWriter(self)

    def relative_path(self, sha256: str) -> str:
        return f"{sha256[:2]}/{sha256}"

    def path_of(self, sha256: str) -> Path:
        if self.root is None:
            raise ValueError("this blob store only hashes; it keeps no files")
        return self.root / self.relative_path(sha256)

    def put_bytes(self, data: bytes) -> BlobResult:
        """Store bytes already in memory (small pictures, generated files)."""
        writer = self.writer()
        writer.feed_bytes(data)
        return writer.finish()


class BlobWriter:
    """Receives base64 text in pieces of any size and writes the decoded bytes once."""

    def __init__(self, store: BlobStore) -> None:
        self._store = store
        self._hash = hashlib.sha256()
        self._size = 0
        self._pending = b""
        self._error: str | None = None
        self._tmp: Path | None = None
        self._file: BinaryIO | None = None
        if store.root is not None:
            self._tmp = store.root / "tmp" / uuid.uuid4().hex
            self._file = self._tmp.open("wb")

    def feed(self, text: bytes) -> None:
        """Add base64 text; whitespace and line breaks anywhere are allowed."""
        if self._error is not None:
            return
        data = self._pending + text.translate(None, _WHITESPACE)
        usable = len(data) - len(data) % 4
        self._pending = data[usable:]
        if not usable:
            return
        try:
            decoded = binascii.a2b_base64(data[:usable], strict_mode=True)
        except binascii.Error as exc:
            self._fail(f"invalid base64 after {self._size} decoded bytes: {exc}")
            return
        self.feed_bytes(decoded)

    def feed_bytes(self, decoded: bytes) -> None:
        self._hash.update(decoded)
        self._size += len(decoded)
        if self._file is not None:
            self._file.write(decoded)

    def _fail(self, message: str) -> None:
        self._error = message
        self._discard()

    def _discard(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        if self._tmp is not None:
            self._tmp.unlink(missing_ok=True)
            self._tmp = None

    def finish(self) -> BlobResult:
        if self._error is None and self._pending:
            self._fail(
                f"truncated base64: {len(self._pending)} character(s) left over after "
                f"{self._size} decoded bytes"
            )
        if self._error is not None:
            self._discard()
            return BlobResult(None, self._size, None, self._error)
        digest = self._hash.hexdigest()
        relative = self._store.relative_path(digest)
        if self._file is not None and self._tmp is not None and self._store.root is not None:
            self._file.close()
            self._file = None
            target = self._store.root / relative
            if target.exists():
                self._tmp.unlink()
            else:
                target.parent.mkdir(exist_ok=True)
                os.replace(self._tmp, target)
            self._tmp = None
            return BlobResult(digest, self._size, relative)
        return BlobResult(digest, self._size, None)
