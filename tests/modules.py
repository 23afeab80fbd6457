"""Every module of notesmig, for the tests that import all of them in a fresh interpreter."""

from __future__ import annotations

import pkgutil

import notesmig


def notesmig_modules() -> list[str]:
    """notesmig and every module under it. ``__main__`` modules are left out: importing one
    runs its program."""
    found = pkgutil.walk_packages(notesmig.__path__, "notesmig.")
    return ["notesmig", *sorted(m.name for m in found if not m.name.endswith(".__main__"))]
