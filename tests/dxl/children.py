"""Making every file be read by the forked child of notesmig.dxl.source_process, in a test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import notesmig.dxl.source_process
from notesmig.dxl.source_process import ProcessByteSource


def read_by_children(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """From now on every file is read by a child process; returns the list of the files the
    children read (filled in as they start), so a test can show the child really ran."""
    read: list[Path] = []
    chunks = ProcessByteSource.chunks

    def counted(self: ProcessByteSource) -> Iterator[bytes]:
        read.append(self.path)
        return chunks(self)

    monkeypatch.setattr(notesmig.dxl.source_process, "MIN_BYTES", 0)
    # The test runner may hold threads of its own; the child only reads, hashes and pipes.
    monkeypatch.setattr(notesmig.dxl.source_process, "can_fork", lambda: True)
    monkeypatch.setattr(ProcessByteSource, "chunks", counted)
    return read
