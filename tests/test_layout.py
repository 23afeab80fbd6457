"""The tests mirror the package: every module of notesmig has its own test module, at the same
place under tests/ (``notesmig/ledger/views.py`` -> ``tests/ledger/test_views.py``)."""

from __future__ import annotations

import pkgutil
from pathlib import Path

import notesmig

TESTS = Path(__file__).parent


def test_every_module_has_its_own_test_module() -> None:
    missing = []
    for module in pkgutil.walk_packages(notesmig.__path__, "notesmig."):
        parts = module.name.split(".")[1:]
        if module.ispkg or parts[-1] in ("__main__",) or "migrations" in parts:
            continue  # packages, entry points and Alembic's revisions hold no behaviour of their own
        expected = TESTS.joinpath(*parts[:-1], f"test_{parts[-1]}.py")
        if not expected.is_file():
            missing.append(str(expected.relative_to(TESTS.parent)))
    assert missing == []
