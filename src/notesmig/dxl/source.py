"""The byte stream between a DXL file on disk and the XML parser.

Three jobs happen here, on raw bytes, before libxml2 sees anything:

* Encoding: the declared encoding is checked against the bytes. A legacy encoding (Shift_JIS,
  EUC-JP...) is transcoded to UTF-8; bytes that do not fit it, or a declaration that lies (UTF-8
  bytes declared as Shift_JIS), stop the file with the place named, never mojibake.
* Safety: the prolog may not declare entities. DXL never needs them; XXE and entity-expansion
  attacks do. They are refused before parsing starts.
* Streaming binaries: the content of ``<filedata>``, ``<gif>``, ``<jpeg>`` and ``<png>`` is pure
  base64 (no ``<`` can occur in it), so it is cut out of the stream here and decoded straight
  into the blob store. The parser sees a short token (``#blob:N``) plus the same number of line
  breaks, so line numbers in later errors stay exact while a 1 GB attachment never becomes a
  1.3 GB text node in memory.
"""

from __future__ import annotations

import codecs
import hashlib
import queue
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from notesmig.dxl.blobs import BlobResult, BlobStore, BlobWriter
from notesmig.errors import EncodingMismatchError, SourcePosition, UnsafeDxlError

# 64 KiB: below glibc's mmap threshold, so the chunk buffers (and the copies made of them) are
# reused heap memory rather than fresh pages each time; 1 MiB chunks were 6 to 11% slower.
CHUNK_SIZE = 1 << 16
BLOB_TOKEN_PREFIX = "#blob:"  # noqa: S105 (a marker, not a secret)
_MAX_PROLOG = 1 << 20
_MAX_DECLARATION = 4096
_MAX_HELD_TAG = 4096

_OPENINGS = re.compile(rb"<(filedata|gif|jpeg|png)(?:\s[^<>]*)?>|<!--|<!\[CDATA\[")
_DECLARATION = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*(['"])([A-Za-z0-9._:-]+)\1""")
_ROOT_START = re.compile(rb"<[A-Za-z_]")
_UTF8_NAMES = {"utf-8", "utf8"}


def take_blob(blobs: dict[int, BlobResult], text: str | None) -> BlobResult | None:
    """The blob a ``#blob:N`` token stands for, taken out of ``blobs`` (each once)."""
    if not text:
        return None
    token = text.strip()
    if not token.startswith(BLOB_TOKEN_PREFIX):
        return None
    try:
        key = int(token[len(BLOB_TOKEN_PREFIX) :])
    except ValueError:
        return None
    return blobs.pop(key, None)


def _codec_name(label: str) -> str | None:
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


class _Position:
    """Tracks line and column over bytes that have gone past, for error messages."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lines = 0
        self._column_base = 0

    def advance(self, chunk: bytes) -> None:
        newlines = chunk.count(b"\n")
        if newlines:
            self._lines += newlines
            self._column_base = len(chunk) - chunk.rfind(b"\n") - 1
        else:
            self._column_base += len(chunk)

    def at(self, chunk: bytes, index: int) -> SourcePosition:
        before = chunk[:index]
        newlines = before.count(b"\n")
        if newlines:
            column = index - before.rfind(b"\n")
        else:
            column = self._column_base + index + 1
        return SourcePosition(self.path, self._lines + newlines + 1, column)


class HashThread:
    """sha256 updates applied in order on a thread of its own (hashlib releases the GIL on
    large buffers). Worth it only where the reading thread's own work is C code too, as in
    :mod:`notesmig.dxl.source_process`'s child: beside the Python-heavy parser, the GIL
    hand-offs cost more than the overlap saves."""

    def __init__(self) -> None:
        self._queue: queue.Queue[tuple[hashlib._Hash, bytes]] = queue.Queue(maxsize=16)
        self._thread: threading.Thread | None = None

    def update(self, target: hashlib._Hash, data: bytes) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, name="hash", daemon=True)
            self._thread.start()
        self._queue.put((target, data))

    def wait(self) -> None:
        """Return once every update handed over has been applied."""
        self._queue.join()

    def _work(self) -> None:
        # A daemon thread: it ends with its process (the source's child, which exits at once).
        while True:
            target, data = self._queue.get()
            try:
                target.update(data)
            finally:
                self._queue.task_done()


class FileHash:
    """sha256 of a file's bytes as they are read, inline or on a :class:`HashThread`."""

    def __init__(self, thread: HashThread | None = None) -> None:
        self._hash = hashlib.sha256()
        self._thread = thread

    def update(self, data: bytes) -> None:
        if self._thread is None:
            self._hash.update(data)
        else:
            self._thread.update(self._hash, data)

    def hexdigest(self) -> str:
        if self._thread is not None:
            self._thread.wait()
        return self._hash.hexdigest()


class DxlByteSource:
    """Yields parser-ready UTF-8 chunks of one DXL file; binary content goes to ``store``."""

    def __init__(
        self,
        path: Path,
        store: BlobStore,
        stream: BinaryIO | None = None,
        *,
        hash_thread: HashThread | None = None,
    ) -> None:
        self.path = path
        self.store = store
        self.bytes_read = 0
        #: sha256 of the file's bytes as read, complete once :attr:`finished`.
        self.file_hash = FileHash(hash_thread)
        #: Whether every byte was read and checked (only the last chunk may be still to come).
        self.finished = False
        self.blobs: dict[int, BlobResult] = {}
        self._stream = stream
        self._next_blob = 0
        self._position = _Position(path)
        self._decoder: codecs.IncrementalDecoder | None = None
        self._declared: str | None = None
        self._check_lie = False
        self._validator = codecs.getincrementaldecoder("utf-8")("strict")
        # Interception state.
        self._held = b""
        self._state = "outside"
        self._closer = b""
        self._writer: BlobWriter | None = None
        self._blob_newlines = 0
        self._prolog_done = False
        self._prolog = b""

    # -- public ---------------------------------------------------------------------------

    def chunks(self) -> Iterator[bytes]:
        """The file's content as UTF-8 for the parser, in chunks of about ``CHUNK_SIZE``."""
        stream = self._stream or self.path.open("rb")
        try:
            first = True
            while True:
                raw = stream.read(CHUNK_SIZE)
                if not raw:
                    break
                if first:
                    raw = self._start(self._whole_declaration(raw, stream))
                    first = False
                self.bytes_read += len(raw)
                self.file_hash.update(raw)
                out = self._intercept(self._to_utf8(raw, final=False))
                if out:
                    yield self._checked(out, final=False)
            tail = self._intercept(self._to_utf8(b"", final=True)) + self._intercept_flush()
            tail = self._checked(tail, final=True)
            self.finished = True
            if tail:
                yield tail
        finally:
            if self._writer is not None:
                self._writer.abort("reading stopped inside this binary content")
                self._writer = None
            if self._stream is None:
                stream.close()

    def take_blob(self, text: str | None) -> BlobResult | None:
        """The blob a ``#blob:N`` token stands for (each can be taken once)."""
        return take_blob(self.blobs, text)

    # -- encoding -------------------------------------------------------------------------

    @staticmethod
    def _whole_declaration(raw: bytes, stream: BinaryIO) -> bytes:
        """Extend the first chunk until it holds the whole XML declaration (if any)."""
        while (
            (raw.startswith(b"<?xml") or b"<?xml".startswith(raw))
            and b"?>" not in raw
            and len(raw) < _MAX_DECLARATION
        ):
            more = stream.read(_MAX_DECLARATION)
            if not more:
                break
            raw += more
        return raw

    def _start(self, raw: bytes) -> bytes:
        if raw.startswith(codecs.BOM_UTF8):
            return raw
        if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            # UTF-16 declares itself by its BOM; the text declaration inside is rewritten below.
            self._decoder = codecs.getincrementaldecoder("utf-16")("strict")
            self._declared = "utf-16"
            return raw
        match = _DECLARATION.match(raw)
        if match is None:
            return raw
        label = match.group(2).decode("ascii")
        codec = _codec_name(label)
        if codec is None:
            raise EncodingMismatchError(
                f"declared encoding {label!r} is not one Python knows", self._position.at(raw, 0)
            )
        if codec in _UTF8_NAMES:
            return raw
        self._declared = label
        self._decoder = codecs.getincrementaldecoder(codec)("strict")
        self._check_lie = codec not in {"utf-16", "utf-32", "utf-16-le", "utf-16-be"}
        return raw

    def _to_utf8(self, raw: bytes, *, final: bool) -> bytes:
        """Transcode a declared legacy encoding to UTF-8; UTF-8 input passes untouched."""
        if self._decoder is None:
            return raw
        if self._check_lie:
            self._detect_lie(raw)
        try:
            text = self._decoder.decode(raw, final=final)
        except UnicodeDecodeError as exc:
            raise EncodingMismatchError(
                f"bytes {raw[exc.start : exc.start + 4]!r} are not valid {self._declared} "
                "(the declared encoding); the export must be redone or its declaration fixed",
                self._position.at(raw, exc.start),
            ) from exc
        self._position.advance(raw)
        out = text.encode("utf-8")
        if self._declared is not None and not self._prolog_done and out.startswith(b"<?xml"):
            out = re.sub(rb"""encoding\s*=\s*(['"])[^'"]*\1""", b"encoding='UTF-8'", out, count=1)
        return out

    def _checked(self, out: bytes, *, final: bool) -> bytes:
        """Check UTF-8 input where the parser will read it (base64 content is already gone,
        and line breaks are kept, so positions stay exact)."""
        if self._decoder is not None:
            return out
        try:
            self._validator.decode(out, final=final)
        except UnicodeDecodeError as exc:
            self._raise_not_utf8(out, exc)
        self._position.advance(out)
        return out

    def _detect_lie(self, raw: bytes) -> None:
        first = next((i for i, b in enumerate(raw) if b >= 0x80), None)
        if first is None:
            return
        self._check_lie = False
        try:
            codecs.getincrementaldecoder("utf-8")("strict").decode(raw, final=False)
        except UnicodeDecodeError:
            return
        destroyed = b"\xef\xbf\xbd" in raw
        detail = (
            "; it holds U+FFFD replacement characters, so the original text was already "
            "destroyed before this file was written"
            if destroyed
            else ""
        )
        raise EncodingMismatchError(
            f"declared encoding is {self._declared}, but the bytes are UTF-8{detail}. "
            "Reading it either way would produce garbled text; re-export the database",
            self._position.at(raw, first),
        )

    def _raise_not_utf8(self, raw: bytes, exc: UnicodeDecodeError) -> None:
        hint = ""
        try:
            raw[exc.start : exc.start + 64].decode("cp932")
            hint = " (they read as Shift_JIS/cp932: the file may lack its encoding declaration)"
        except UnicodeDecodeError:
            pass
        raise EncodingMismatchError(
            f"bytes {raw[exc.start : exc.start + 4]!r} are not valid UTF-8, the encoding the "
            f"file declares or defaults to{hint}",
            self._position.at(raw, exc.start),
        ) from exc

    # -- safety ---------------------------------------------------------------------------

    def _check_prolog(self, text: bytes) -> None:
        self._prolog += text
        match = _ROOT_START.search(self._prolog)
        scope = self._prolog if match is None else self._prolog[: match.start()]
        if b"<!ENTITY" in scope:
            raise UnsafeDxlError(
                "the DTD declares entities; DXL exports never do, and expanding them is how "
                "XXE and billion-laughs attacks work, so the file is refused",
                SourcePosition(self.path, scope[: scope.index(b"<!ENTITY")].count(b"\n") + 1),
            )
        if match is not None:
            self._prolog_done = True
            self._prolog = b""
        elif len(self._prolog) > _MAX_PROLOG:
            raise UnsafeDxlError(
                "no root element in the first 1 MiB (an oversized prolog or DTD)",
                SourcePosition(self.path, 1),
            )

    # -- binary interception --------------------------------------------------------------

    def _intercept(self, text: bytes) -> bytes:
        if not self._prolog_done:
            self._check_prolog(text)
        data = self._held + text
        self._held = b""
        out: list[bytes] = []
        pos = 0
        end = len(data)
        while pos < end:
            if self._state == "blob":
                stop = data.find(b"<", pos)
                if stop < 0:
                    self._feed_blob(data[pos:])
                    pos = end
                    break
                self._feed_blob(data[pos:stop])
                out.append(self._close_blob())
                pos = stop
                continue
            if self._state == "skip":
                stop = data.find(self._closer, pos)
                if stop < 0:
                    keep = len(self._closer) - 1
                    cut = max(pos, end - keep)
                    out.append(data[pos:cut])
                    self._held = data[cut:]
                    pos = end
                    break
                stop += len(self._closer)
                out.append(data[pos:stop])
                pos = stop
                self._state = "outside"
                continue
            match = _OPENINGS.search(data, pos)
            if match is None:
                cut = self._safe_cut(data, pos)
                out.append(data[pos:cut])
                self._held = data[cut:]
                pos = end
                break
            out.append(data[pos : match.end()])
            pos = match.end()
            opening = match.group(0)
            if opening == b"<!--":
                self._state, self._closer = "skip", b"-->"
            elif opening.startswith(b"<![CDATA["):
                self._state, self._closer = "skip", b"]]>"
            elif opening.endswith(b"/>"):
                continue
            else:
                self._state = "blob"
                self._writer = self.store.writer()
                self._blob_newlines = 0
        return b"".join(out)

    def _safe_cut(self, data: bytes, pos: int) -> int:
        """Where output may stop without splitting a tag an opening could still match."""
        last = data.rfind(b"<", pos)
        if last < 0 or data.find(b">", last) >= 0 or len(data) - last > _MAX_HELD_TAG:
            return len(data)
        return last

    def _feed_blob(self, piece: bytes) -> None:
        assert self._writer is not None
        self._blob_newlines += self._writer.feed(piece)

    def _close_blob(self) -> bytes:
        assert self._writer is not None
        key = self._next_blob
        self._next_blob += 1
        self.blobs[key] = self._writer.finish()
        self._writer = None
        self._state = "outside"
        return f"{BLOB_TOKEN_PREFIX}{key}".encode() + b"\n" * self._blob_newlines

    def _intercept_flush(self) -> bytes:
        held, self._held = self._held, b""
        if self._state == "blob" and self._writer is not None:
            # The file ended inside binary content: the parser will report the truncation;
            # the partial blob is recorded so the document can say what was lost.
            return self._close_blob() + held
        return held
