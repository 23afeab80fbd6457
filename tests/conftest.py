"""Shared fixtures: the real Domino exports in ../shared and the generated sample corpus."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from notesmig.sample.corpus import SampleFile, generate

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
DXL_REAL = SHARED / "dxl-real"


@pytest.fixture(scope="session")
def dxl_real() -> Path:
    """The folder of real DXL exports; tests that need it skip, saying why, when it is absent."""
    if not (DXL_REAL / "domino_10_0_1.dtd").is_file():
        pytest.skip(f"real Domino DXL exports not found at {DXL_REAL} (../shared is absent)")
    return DXL_REAL


@pytest.fixture(scope="session")
def sample_corpus(tmp_path_factory: pytest.TempPathFactory) -> list[SampleFile]:
    return generate(tmp_path_factory.mktemp("sample"), scale=1, seed=2025)


def _survivors(basetemp: Path | None = None) -> list[psutil.Process]:
    alive = []
    for child in psutil.Process().children(recursive=True):
        try:
            command = " ".join(child.cmdline())
        except psutil.Error:
            continue
        if "multiprocessing.resource_tracker" in command:
            continue  # Python's own helper for spawned processes, gone with the interpreter
        alive.append(child)
    known = {p.pid for p in alive}
    if basetemp is not None:
        alive.extend(p for p in strays(basetemp) if p.pid not in known)
    return alive


def strays(basetemp: Path) -> list[psutil.Process]:
    """Emulators serving a folder under this session's temporary directory, whoever their
    parent is now: one whose parent died was re-parented to init, out of children()'s sight."""
    found = []
    for process in psutil.process_iter(["cmdline"]):
        command = process.info["cmdline"] or []
        if "emulator" not in command or "serve" not in command or "--data" not in command:
            continue
        data = command.index("--data") + 1
        if data < len(command) and Path(command[data]).resolve().is_relative_to(basetemp):
            found.append(process)
    return found


@pytest.fixture(scope="session", autouse=True)
def no_process_outlives_the_suite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Every emulator, Airflow component or worker a test starts is stopped by that test."""
    basetemp = tmp_path_factory.getbasetemp().resolve()
    yield
    deadline = time.monotonic() + 10
    survivors = _survivors(basetemp)
    while survivors and time.monotonic() < deadline:
        time.sleep(0.2)
        survivors = _survivors(basetemp)
    if survivors:
        described = []
        for process in survivors:
            try:
                described.append(f"{process.pid}: {' '.join(process.cmdline())[:200]}")
                process.kill()
            except psutil.Error:
                continue
        pytest.fail("child processes outlived the suite:\n" + "\n".join(described))
