"""The JSON Schemas as notesmig finds them: every one by its name, from an installed wheel's
copy before a checkout's."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

import notesmig.schemas
from notesmig.schemas import load_schema

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"
NAMES = sorted(p.name.removesuffix(".schema.json") for p in SCHEMAS.glob("*.schema.json"))


def test_every_schema_of_the_checkout_loads_by_its_name_as_a_valid_schema() -> None:
    assert "mapping" in NAMES and "verdict" in NAMES
    for name in NAMES:
        schema = load_schema(name)
        assert schema == json.loads((SCHEMAS / f"{name}.schema.json").read_text("utf-8"))
        jsonschema.Draft202012Validator.check_schema(schema)
        assert schema["$id"].endswith(f"/{name}.schema.json")


def test_a_schema_that_does_not_exist_is_named_in_the_error() -> None:
    with pytest.raises(FileNotFoundError, match="'no-such-record'"):
        load_schema("no-such-record")


def test_an_installed_wheels_own_copy_wins_over_a_checkouts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    packaged = {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "packaged"}
    (tmp_path / "verdict.schema.json").write_text(json.dumps(packaged), encoding="utf-8")
    monkeypatch.setattr(notesmig.schemas, "_PACKAGED", tmp_path)
    load_schema.cache_clear()
    try:
        assert load_schema("verdict") == packaged
        # Not in the wheel's folder: the checkout's is read.
        assert load_schema("mapping")["$id"].endswith("/mapping.schema.json")
    finally:
        load_schema.cache_clear()
