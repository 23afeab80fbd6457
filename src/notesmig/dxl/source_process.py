"""A large DXL file's byte source run in a second process, so that two cores share one file.

The byte source (:mod:`notesmig.dxl.source`: encoding checks, the refusal of entities, base64
cut out of the stream, decoded, hashed and written to the blob store, and the sha256 of the
whole file) is half or more of the work of an attachment-heavy export, and all of it is C code
that either holds the GIL or hands it back and forth with the parser: threads beside the
parser made the extract slower, not faster (see :mod:`notesmig.dxl.blobs`). Here a forked
child runs :class:`~notesmig.dxl.source.DxlByteSource` unchanged and sends its parser-ready
chunks, the results of the blobs it stored, and its end (or its error) through a pipe, while
the parent parses. The parent sees the same chunks, blobs and errors in the same order as from
an in-process source, so the extract's output is byte for byte the same
(``tests/dxl/test_source_process.py``).

The child is used only where it pays and is safe: a file of at least :data:`MIN_BYTES`, read
by a process with no other thread (a fork copies only the calling thread, so a lock another
thread held would stay locked in the child) that is not a daemonic worker. Anywhere else the
source runs in-process. The child ends with ``os._exit`` (multiprocessing's way), so buffered
output and database connections it inherited are never flushed or closed by it.
"""

from __future__ import annotations

import contextlib
import fcntl
import multiprocessing
import pickle
import signal
import threading
import uuid
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from notesmig.dxl.blobs import BlobResult, BlobStore
from notesmig.dxl.source import DxlByteSource, FileHash, HashThread, take_blob
from notesmig.errors import DxlError, SourcePosition

#: Files smaller than this are read in-process. While the child lives, every page this process
#: writes is copied first (the fork shares them): up to some tens of milliseconds, whatever the
#: file's size, which only enough overlapped work repays. Measured 2026-12-02 (each a fresh
#: process, best of 7; this machine's speed varies by a third): the sample's 9 MB workflow 27%
#: faster through the child, its 11 MB library of few documents 10 to 60% slower, 86 MB of
#: attachments 0 to 20% faster, 100 MB of real documents 6% faster. At 8 MiB the sample's two
#: scales come out about even (bench-extract, three runs: 0.28 to 0.32 and 0.31 to 0.33 of raw).
MIN_BYTES = 8 << 20
#: The pipe's capacity asked for (Linux allows up to /proc/sys/fs/pipe-max-size, 1 MiB).
_PIPE_BYTES = 1 << 20
#: How long a child told to stop (its pipe closed) may take to end before it is terminated.
_STOP_SECONDS = 10.0


class SourceProcessError(DxlError):
    """The child reading a file ended without sending its end or its error (it was killed,
    by the out-of-memory killer say): the file is reported as read only so far."""


@dataclass(frozen=True)
class _Chunk:
    bytes_read: int
    blobs: dict[int, BlobResult]
    data: bytes


@dataclass(frozen=True)
class _End:
    bytes_read: int
    blobs: dict[int, BlobResult]
    tail: bytes | None
    sha256: str


@dataclass(frozen=True)
class _Failed:
    bytes_read: int
    blobs: dict[int, BlobResult]
    error: Exception


class _Digest:
    """The file's sha256 as the child computed it (what ``hashlib``'s ``hexdigest`` gives)."""

    def __init__(self, path: Path, hexdigest: str | None = None) -> None:
        self._path = path
        self._hexdigest = hexdigest

    def hexdigest(self) -> str:
        if self._hexdigest is None:  # asked before the end (``finished``): a caller's mistake
            raise SourceProcessError(
                "the file's hash is known only once every chunk has been read",
                SourcePosition(self._path),
            )
        return self._hexdigest


class ProcessByteSource:
    """:class:`DxlByteSource`'s interface, with the reading done by a forked child."""

    def __init__(self, path: Path, store: BlobStore) -> None:
        self.path = path
        self.store = store
        self.bytes_read = 0
        self.file_hash: _Digest | FileHash = _Digest(path)
        self.finished = False
        self.blobs: dict[int, BlobResult] = {}

    def chunks(self) -> Iterator[bytes]:
        if not can_fork():  # a thread started since this source was chosen
            yield from self._in_process()
            return
        context = multiprocessing.get_context("fork")
        receiver, sender = context.Pipe(duplex=False)
        _widen(sender)
        # The child's temporary blob files carry a prefix chosen here, so that what a killed
        # child leaves half-written can be removed.
        tmp_prefix = f"{uuid.uuid4().hex}-"
        child = context.Process(
            target=_serve,
            args=(self.path, self.store.root, tmp_prefix, sender, receiver),
            name=f"notesmig-source:{self.path.name}",
            daemon=True,
        )
        child.start()
        sender.close()
        finished = False
        try:
            while True:
                try:
                    message = receiver.recv()
                except (EOFError, OSError):  # OSError: it ended in the middle of a message
                    child.join(_STOP_SECONDS)
                    raise SourceProcessError(
                        "the process reading the file ended without a word "
                        f"(exit code {child.exitcode}); the documents before were extracted",
                        SourcePosition(self.path),
                    ) from None
                self.bytes_read = message.bytes_read
                self.blobs.update(message.blobs)
                if isinstance(message, _Chunk):
                    yield message.data
                    continue
                finished = True
                if isinstance(message, _Failed):
                    raise message.error
                self.file_hash = _Digest(self.path, message.sha256)
                self.finished = True
                if message.tail:
                    yield message.tail
                return
        finally:
            # Closing the pipe tells a child that is still reading to stop (its next send
            # fails); it then aborts its open blob, as the in-process source does.
            receiver.close()
            child.join(None if finished else _STOP_SECONDS)
            if child.is_alive():
                child.terminate()
                child.join()
            if child.exitcode != 0:
                self._remove_leftovers(tmp_prefix)
            child.close()

    def _in_process(self) -> Iterator[bytes]:
        source = DxlByteSource(self.path, self.store)
        self.file_hash = source.file_hash
        for chunk in source.chunks():
            self.bytes_read = source.bytes_read
            self.finished = source.finished
            self.blobs.update(source.blobs)
            source.blobs.clear()
            yield chunk
        self.bytes_read = source.bytes_read
        self.finished = source.finished
        self.blobs.update(source.blobs)

    def _remove_leftovers(self, tmp_prefix: str) -> None:
        if self.store.root is None:
            return
        for leftover in (self.store.root / "tmp").glob(f"{tmp_prefix}*"):
            with contextlib.suppress(OSError):
                leftover.unlink()

    def take_blob(self, text: str | None) -> BlobResult | None:
        return take_blob(self.blobs, text)


ByteSource = DxlByteSource | ProcessByteSource


def open_byte_source(path: Path, store: BlobStore) -> ByteSource:
    """The source for reading ``path``: in a child process where that pays and is safe."""
    try:
        large = path.stat().st_size >= MIN_BYTES
    except OSError:
        large = False  # the in-process source reports why the file cannot be read
    if large and can_fork():
        return ProcessByteSource(path, store)
    return DxlByteSource(path, store)


def can_fork() -> bool:
    """Whether this process may fork a helper safely: no other thread (whose locks the child
    would inherit held), and not a daemonic multiprocessing worker (which may not have
    children)."""
    return (
        "fork" in multiprocessing.get_all_start_methods()
        and threading.active_count() == 1
        and not multiprocessing.current_process().daemon
    )


def _serve(
    path: Path, root: Path | None, tmp_prefix: str, sender: Connection, inherited: Connection
) -> None:
    """The child: read the file, send what the parser needs, end with the hash or the error."""
    inherited.close()  # the parent's end: held open here, the parent's exit would go unseen
    # The parent stops a Ctrl-C; this process then ends at its next send (the pipe closed).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        # This process's own work is C code (reading, base64, writing), so a hash thread beside
        # it overlaps instead of contending for the GIL: the file's sha256 runs there.
        source = DxlByteSource(path, BlobStore(root, tmp_prefix), hash_thread=HashThread())
    except Exception as exc:  # the blob folder is gone, say: the parent reports it
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sender.send(_Failed(0, {}, _sendable(exc, path)))
        sender.close()
        return
    chunks = source.chunks()
    assert isinstance(chunks, Generator)
    # One chunk is held back, with how far the file was read when it was made, so that the
    # last one travels with the end message and the parent learns the file's hash without
    # another round trip. Blobs go with the chunk after the one that closed them, or earlier.
    previous: tuple[bytes, int] | None = None
    try:
        try:
            for chunk in chunks:
                if previous is not None:
                    sender.send(_Chunk(previous[1], _taken(source), previous[0]))
                previous = (chunk, source.bytes_read)
        except (BrokenPipeError, ConnectionResetError):
            raise
        except Exception as exc:  # every error is the parent's to raise, in its place
            if previous is not None:  # what was read before the fault is parsed first
                sender.send(_Chunk(previous[1], _taken(source), previous[0]))
            sender.send(_Failed(source.bytes_read, _taken(source), _sendable(exc, path)))
            return
        sha256 = source.file_hash.hexdigest()
        tail = previous[0] if previous is not None else None
        sender.send(_End(source.bytes_read, _taken(source), tail, sha256))
    except (BrokenPipeError, ConnectionResetError):
        pass  # the parent stopped reading (a parse error, a closed generator)
    finally:
        chunks.close()
        sender.close()


def _widen(connection: Connection) -> None:
    """Let the child run a chunk or so ahead: a base64-heavy chunk costs the child much and the
    parser little, a text-heavy one the other way round, and with a 64 KiB pipe (Linux's
    default) each side would wait out the other's slow chunks."""
    with contextlib.suppress(OSError, AttributeError):
        fcntl.fcntl(connection.fileno(), fcntl.F_SETPIPE_SZ, _PIPE_BYTES)


def _taken(source: DxlByteSource) -> dict[int, BlobResult]:
    """The blobs closed since the last message (each is sent once)."""
    blobs = dict(source.blobs)
    source.blobs.clear()
    return blobs


def _sendable(exc: Exception, path: Path) -> Exception:
    """``exc`` if it survives pickling (every notesmig error does), else its message."""
    try:
        pickle.loads(pickle.dumps(exc))  # noqa: S301 (our own object, in our own process)
    except Exception:  # an unpicklable error, of any kind
        return SourceProcessError(f"{type(exc).__name__}: {exc}", SourcePosition(path))
    return exc
