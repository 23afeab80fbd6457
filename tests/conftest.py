"""Shared fixtures: the real Domino exports in ../shared and the generated sample corpus."""

from __future__ import annotations

from pathlib import Path

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
