"""The validation before the load, on the sample and on real exports: what passes, what a
failing row becomes, when a database's load is stopped, and Data Docs that load nothing from
outside."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from notesmig.ledger import Ledger, State
from notesmig.pipeline import StageSettings, discover_databases
from notesmig.pipeline.stages import (
    extract_database,
    load_database,
    transform_database,
    validate_database,
)
from notesmig.records import ItemRow, TransformedDatabase, read_records, write_records
from notesmig.sample.corpus import SampleFile
from notesmig.sharepoint.client import GraphEndpoint
from notesmig.validate.datadocs import CDN_FILES, LOGO_BUCKET
from notesmig.validate.stage import ValidationStoppedError
from tests.migration import mappings_for

TRIPS = "B82634FA404574D2"
#: Whatever would make a page fetch from another host.
OUTSIDE = re.compile(r"<(?:script|link|img)\b[^>]*\b(?:src|href)=[\"'](?:https?:)?//", re.I)


def settings_for(tmp_path: Path, mappings: Path, *, data_docs: bool = True) -> StageSettings:
    return StageSettings(
        work=tmp_path / "work", mappings=mappings,
        ledger_url=f"sqlite:///{tmp_path / 'ledger.sqlite3'}",
        # Nothing listens there: a stage that tried to load would fail to connect.
        graph=GraphEndpoint("http://127.0.0.1:9/v1.0"), data_docs=data_docs,
    )  # fmt: skip


def transformed(drop: Path, settings: StageSettings) -> dict[str, TransformedDatabase]:
    done = {}
    for source in discover_databases([drop]):
        record, _result = transform_database(extract_database(source, settings), settings)
        done[record.replica_id] = record
    return done


def test_the_sample_passes_and_its_data_docs_work_offline(
    sample_corpus: list[SampleFile], tmp_path: Path
) -> None:
    settings = settings_for(tmp_path, mappings_for(sample_corpus, tmp_path / "mappings"))
    for replica, record in transformed(sample_corpus[0].path.parent, settings).items():
        validated = validate_database(record, settings)
        assert (validated.failed_rows, validated.stopped) == (0, False), validated.stop_reason
        assert validated.expectations >= 10 and validated.failed_expectations == 0
        assert validated.rows == record.totals.transformed
        summary = json.loads((Path(validated.validated_dir) / "validation.json").read_text())
        assert {r["key"] for r in summary["results"]} >= {"unid-unique", "unid-format", "balance"}
        assert all(r["ja"] and r["en"] for r in summary["results"])  # notes in both languages
        site = Path(str(validated.data_docs)).parent
        pages = list(site.rglob("*.html"))
        assert len(pages) > 3
        for page in pages:
            text = page.read_text(encoding="utf-8")
            assert not OUTSIDE.search(text), page
            assert not any(url in text for url in CDN_FILES) and LOGO_BUCKET not in text
            for address in re.findall(r"<(?:script|link)\b[^>]*\b(?:src|href)=\"([^\"]+)\"", text):
                assert (page.parent / address).resolve().is_file(), (page, address)
        ledger = Ledger(settings.ledger_url)
        fact = ledger.latest_validation(replica)
        ledger.close()
        assert fact is not None and fact.rows == validated.rows and not fact.stopped


def test_real_exports_validate_and_balance(dxl_real: Path, tmp_path: Path) -> None:
    from notesmig.mapping.suggest import suggest

    drop = tmp_path / "drop"
    drop.mkdir()
    names = ["plomino-test1.xml", "plomino-test_100docs.xml", "plomino-test_datetime_type.xml",
             "plomino-test_number_type.xml", "plomino-test_text_type.xml",
             "plomino-test_binaries.xml", "jnx-styledtext.xml"]  # fmt: skip
    mappings = tmp_path / "mappings"
    mappings.mkdir()
    for name in names:
        shutil.copy(dxl_real / name, drop / name)  # a working copy in the test's own folder
        (mappings / f"{Path(name).stem}.yaml").write_text(
            suggest(drop / name).yaml, encoding="utf-8"
        )
    settings = settings_for(tmp_path, mappings, data_docs=False)
    databases = transformed(drop, settings)
    assert len(databases) == len(names)
    for replica, record in databases.items():
        validated = validate_database(record, settings)
        assert not validated.stopped, (replica, validated.stop_reason)
        assert (validated.rows, validated.failed_rows) == (record.totals.transformed, 0), replica
        assert validated.failed_expectations == 0 and validated.expectations >= 6


def _plant(record: TransformedDatabase, changes: dict[int, dict[str, object]]) -> list[str]:
    """Break rows of the transform's output as a faulty transform would; their UNIDs."""
    path = next((Path(record.transform_dir) / "items").glob("*.jsonl"))
    rows = list(read_records(path, ItemRow))
    broken = []
    for index, fields in changes.items():
        rows[index] = rows[index].model_copy(update={"fields": {**rows[index].fields, **fields}})
        broken.append(rows[index].unid)
    write_records(path, rows)
    return broken


def test_a_row_that_breaks_an_expectation_is_held_back_and_too_many_stop_the_load(
    sample_corpus: list[SampleFile], tmp_path: Path
) -> None:
    mappings = mappings_for(sample_corpus, tmp_path / "mappings")
    settings = settings_for(tmp_path, mappings, data_docs=False)
    trips = transformed(sample_corpus[0].path.parent, settings)[TRIPS]
    amount, departure = _plant(trips, {0: {"Amount": "12万円"},
                                       1: {"DepartureDate": "1850-04-01T00:00:00Z"}})  # fmt: skip
    validated = validate_database(trips, settings)
    assert validated.failed_rows == 2 and validated.rows == 17
    ledger = Ledger(settings.ledger_url)
    held = {q["unid"]: q for q in ledger.quarantined(TRIPS) if q["stage"] == "validate"}
    assert held[amount]["reason"] == "failed validation: number (items: 出張申請 / Amount)"
    assert "Amount=12万円" in held[amount]["detail"]
    assert held[departure]["reason"] == (
        "failed validation: date-range (items: 出張申請 / DepartureDate (parsed))"
    )
    assert ledger.held_at(TRIPS, "validate") == {amount, departure}
    assert ledger.states(TRIPS)[amount] == State.QUARANTINED
    # 2 of 17 is over the default 5%: the database's load is stopped before any request.
    assert validated.stopped and "2 of 17 documents (11.8%)" in validated.stop_reason
    with pytest.raises(ValidationStoppedError, match="検証によりデータベースの移行を停止"):
        load_database(validated, settings)
    ledger.close()

    # Allowed a larger share, the rest go on; the two stay held back, named by their check.
    path = mappings / "shutcho.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["validation"] = {"max_failure_ratio": 0.2}
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    again = validate_database(trips, settings)
    assert not again.stopped and again.failed_rows == 2
    ledger = Ledger(settings.ledger_url)
    assert ledger.held_at(TRIPS, "validate") == {amount, departure}
    ledger.close()
