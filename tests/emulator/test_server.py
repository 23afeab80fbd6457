"""The emulator as a child process: one child per emulator, always stopped."""

from __future__ import annotations

import shlex
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from notesmig.emulator.server import (
    EmulatorAlreadyRunning,
    EmulatorProcess,
    EmulatorStartError,
    free_port,
)
from tests.conftest import strays


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


def test_a_port_held_by_another_emulator_is_an_error_not_a_start(tmp_path: Path) -> None:
    before = len(_emulator_children())
    with EmulatorProcess(tmp_path / "first", options=("--ru-per-minute", "0")) as first:
        second = EmulatorProcess(tmp_path / "second", port=first.port)
        # Before: the first emulator's answer was taken for the second's, whose child had died
        # on the taken port; every request then went to the first one's state.
        with pytest.raises(EmulatorStartError, match=f"port {first.port} is held by another"):
            second.start()
        assert not second.running and second.process is None
        assert len(_emulator_children()) == before + 1
        assert first.charged()["pid"] == first.process.pid  # type: ignore[union-attr]
    assert len(_emulator_children()) == before


def test_an_orphaned_emulator_is_found_by_the_session_check(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # Its parent gone, an emulator is re-parented away from pytest: children() no longer sees
    # it, but the check at the session's end must.
    data = tmp_path / "orphan"
    command = (f"{shlex.quote(sys.executable)} -m notesmig.cli emulator serve --port "
               f"{free_port()} --data {shlex.quote(str(data))} >/dev/null 2>&1 &")  # fmt: skip
    subprocess.run(["sh", "-c", command], check=True, timeout=30)
    basetemp = tmp_path_factory.getbasetemp().resolve()

    def orphans() -> list[psutil.Process]:  # other tests' emulators may be running too
        return [p for p in strays(basetemp) if p.info["cmdline"][-1] == str(data)]

    deadline = time.monotonic() + 30
    found = orphans()
    while not found and time.monotonic() < deadline:
        time.sleep(0.1)
        found = orphans()
    try:
        assert len(found) == 1
        assert found[0].pid not in {c.pid for c in psutil.Process().children(recursive=True)}
    finally:
        for process in found:
            process.kill()
            process.wait(timeout=10)
    assert orphans() == []
