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


def _survivors() -> list[psutil.Process]:
    alive = []
    for child in psutil.Process().children(recursive=True):
        try:
            command = " ".join(child.cmdline())
        except psutil.Error:
            continue
        if "multiprocessing.resource_tracker" in command:
            continue  # Python's own helper for spawned processes, gone with the interpreter
        alive.append(child)
    return alive


@pytest.fixture(scope="session", autouse=True)
def no_process_outlives_the_suite() -> Iterator[None]:
    """Every emulator, Airflow component or worker a test starts is stopped by that test."""
    yield
    deadline = time.monotonic() + 10
    survivors = _survivors()
    while survivors and time.monotonic() < deadline:
        time.sleep(0.2)
        survivors = _survivors()
    if survivors:
        described = []
        for process in survivors:
            try:
                described.append(f"{process.pid}: {' '.join(process.cmdline())[:200]}")
                process.kill()
            except psutil.Error:
                continue
        pytest.fail("child processes outlived the suite:\n" + "\n".join(described))
