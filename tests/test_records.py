"""Stage records: their JSON form, their schemas in schemas/, and bad record files."""

from __future__ import annotations

import json
import math
from pathlib import Path

import jsonschema
import pytest
from pydantic import ValidationError

from notesmig.records import (
    SCHEMA_RECORDS,
    FileRow,
    ItemRow,
    RecordError,
    read_records,
    schema_text,
    write_records,
)

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"


@pytest.mark.parametrize("record", SCHEMA_RECORDS, ids=lambda r: r.schema_name)
def test_the_schema_files_are_the_records_schemas(record: type) -> None:
    path = SCHEMAS / f"{record.schema_name}.schema.json"
    assert path.read_text(encoding="utf-8") == schema_text(record), (
        f"{path} is out of date: run python -m notesmig.records schemas"
    )


def test_rows_round_trip_and_match_their_schema(tmp_path: Path) -> None:
    row = ItemRow(database="B82634FA404574D2", unid="A" * 32, list="出張申請", form="TripRequest",
                  fields={"Title": "研修", "Amount": 64400, "Tags": ["a"], "Ok": True,
                          "Link": {"Url": "https://example.jp", "Description": "x"}, "None": None},
                  sha256="0" * 64)  # fmt: skip
    path = tmp_path / "rows.jsonl"
    assert write_records(path, [row, row]) == 2
    again = list(read_records(path, ItemRow))
    assert again == [row, row]
    schema = json.loads((SCHEMAS / "item-row.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(json.loads(path.read_text(encoding="utf-8").splitlines()[0]), schema)
    assert "研修" in path.read_text(encoding="utf-8")  # Japanese as it is, not escaped


def test_a_bad_line_names_the_file_line_and_key(tmp_path: Path) -> None:
    path = tmp_path / "files.jsonl"
    good = FileRow(database="D", unid="U", library="L", folder="F", name="n.pdf",
                   original_name="n.pdf", size=1, sha256=None, blob=None, kind="file")  # fmt: skip
    path.write_text(good.json_line() + "\n" + '{"database": "D"}\n', encoding="utf-8")
    with pytest.raises(RecordError, match=r"files\.jsonl:2: not a FileRow record: unid"):
        list(read_records(path, FileRow))


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_numbers_that_json_cannot_hold_are_refused(value: float) -> None:
    with pytest.raises(ValidationError):
        ItemRow(database="D", unid="U", list="L", fields={"Amount": value}, sha256="x")
