"""The emulator as a child process: one child per emulator, always stopped."""

from __future__ import annotations

from pathlib import Path

import psutil
import pytest

from notesmig.emulator.server import EmulatorAlreadyRunning, EmulatorProcess


def _emulator_children() -> list[psutil.Process]:
    return [
        p for p in psutil.Process().children(recursive=True) if "emulator" in " ".join(p.cmdline())
    ]


def test_started_then_entered_is_one_child_and_stopped(tmp_path: Path) -> None:
    before = len(_emulator_children())
    emulator = EmulatorProcess(tmp_path / "data", options=("--ru-per-minute", "0")).start()
    with emulator as entered:
        assert entered is emulator
        assert len(_emulator_children()) == before + 1
        with pytest.raises(EmulatorAlreadyRunning, match="already running"):
            emulator.start()
        assert len(_emulator_children()) == before + 1
    assert not emulator.running
    assert len(_emulator_children()) == before
