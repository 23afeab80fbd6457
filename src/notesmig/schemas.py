"""Where the JSON Schemas in ``schemas/`` are, in a source checkout or an installed wheel."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

_PACKAGED = Path(__file__).resolve().parent / "schemas"
_SOURCE = Path(__file__).resolve().parents[2] / "schemas"


@cache
def load_schema(name: str) -> dict[str, Any]:
    """The parsed schema ``schemas/<name>.schema.json``."""
    for folder in (_PACKAGED, _SOURCE):
        path = folder / f"{name}.schema.json"
        if path.is_file():
            schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
            return schema
    raise FileNotFoundError(f"schema {name!r} not found in {_PACKAGED} or {_SOURCE}")
