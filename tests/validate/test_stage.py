"""The validation before the load, on the sample and on real exports: what passes, what a
failing row becomes, when a database's load is stopped, and Data Docs that load nothing from
outside."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

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
from notesmig.records import (
    FileRow,
    ItemRow,
    TransformedDatabase,
    read_records,
    write_records,
)
from notesmig.sample.corpus import SampleFile
from notesmig.sharepoint.client import GraphEndpoint
from notesmig.transform.stage import FILES_FILE
from notesmig.validate.datadocs import CDN_FILES, LOGO_BUCKET
from notesmig.validate.stage import ValidationStoppedError
from tests.migration import mappings_for

TRIPS = "B82634FA404574D2"
LIBRARY = "58D6B8A63270688E"
LIBRARY_FILES = "文書ライブラリ ファイル"
SAMPLE_CHECKS = {
    "unid-present", "unid-unique", "unid-format", "source-hash", "database", "text-length",
    "multiline-length", "number", "date-format", "date-range", "person", "file-name",
    "name-length", "folder-name", "file-path", "file-unid", "balance",
}  # fmt: skip
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
    keys: set[str] = set()
    for replica, record in transformed(sample_corpus[0].path.parent, settings).items():
        validated = validate_database(record, settings)
        assert (validated.failed_rows, validated.stopped) == (0, False), validated.stop_reason
        assert validated.expectations >= 10 and validated.failed_expectations == 0
        assert validated.rows == record.totals.transformed
        summary = json.loads((Path(validated.validated_dir) / "validation.json").read_text())
        keys |= {r["key"] for r in summary["results"]}
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
    # Every check the sample's mappings call for ran (none has a required item or a closed set
    # of choices: those are planted below).
    assert keys == SAMPLE_CHECKS


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


def _plant_files(record: TransformedDatabase, changes: dict[int, dict[str, Any]]) -> list[str]:
    """Break file rows as a faulty transform would; their documents' UNIDs."""
    path = Path(record.transform_dir) / FILES_FILE
    files = list(read_records(path, FileRow))
    for index, change in changes.items():
        files[index] = files[index].model_copy(update=change)
    write_records(path, files)
    return [files[index].unid for index in changes]


def _row(record: TransformedDatabase, index: int) -> ItemRow:
    path = next((Path(record.transform_dir) / "items").glob("*.jsonl"))
    return list(read_records(path, ItemRow))[index]


def _unid_of(record: TransformedDatabase, index: int, change: Callable[[str], str]) -> list[str]:
    return _plant(record, {index: {"NotesUNID": change(_row(record, index).unid)}})


def _folder_of(record: TransformedDatabase, make: Callable[[str], str]) -> list[str]:
    first = next(iter(read_records(Path(record.transform_dir) / FILES_FILE, FileRow)))
    return _plant_files(record, {0: {"folder": make(first.folder)}})


#: One planted defect per check: (database, mapping change as (item, settings), the planting,
#: the check the held-back documents must name).
Planting = Callable[[TransformedDatabase], list[str]]
DEFECTS: dict[str, tuple[str, tuple[str, dict[str, Any]] | None, Planting, str]] = {
    "choice outside its set": (
        TRIPS, ("Status", {"allow_other": False}),
        lambda r: _plant(r, {0: {"Status": "保留中"}}), "choice (items: 出張申請 / Status)",
    ),
    "text over maxLength": (
        TRIPS, None, lambda r: _plant(r, {0: {"Department": "部" * 256}}),
        "text-length (items: 出張申請 / Department)",
    ),
    "required value missing": (
        TRIPS, ("Department", {"required": True}), lambda r: _plant(r, {0: {"Department": None}}),
        "required (items: 出張申請 / Department)",
    ),
    "NotesUNID missing": (
        TRIPS, None, lambda r: _plant(r, {0: {"NotesUNID": None}}),
        "unid-present (items: 出張申請 / NotesUNID)",
    ),
    "lower-case NotesUNID": (
        TRIPS, None, lambda r: _unid_of(r, 0, str.lower),
        "unid-format (items: 出張申請 / NotesUNID)",
    ),
    "short NotesUNID": (
        TRIPS, None, lambda r: _unid_of(r, 0, lambda u: u[:16]),
        "unid-format (items: 出張申請 / NotesUNID)",
    ),
    "duplicate NotesUNID": (
        TRIPS, None,
        lambda r: [_row(r, 0).unid, *_plant(r, {1: {"NotesUNID": _row(r, 0).unid}})],
        "unid-unique (items: 出張申請 / NotesUNID)",
    ),
    "reserved file name": (
        LIBRARY, None, lambda r: _plant_files(r, {0: {"name": "CON.txt"}}),
        f"file-name (files: {LIBRARY_FILES} / name)",
    ),
    "file name over the name limit": (
        LIBRARY, None, lambda r: _plant_files(r, {0: {"name": "長" * 256 + ".pdf"}}),
        f"name-length (files: {LIBRARY_FILES} / name)",
    ),
    "refused folder name": (
        LIBRARY, None, lambda r: _folder_of(r, lambda f: f"{f}/a:b"),
        f"folder-name (folders: {LIBRARY_FILES} / segment)",
    ),
    "folder name over the name limit": (
        LIBRARY, None, lambda r: _folder_of(r, lambda f: f"{f}/{'長' * 256}"),
        f"name-length (folders: {LIBRARY_FILES} / segment)",
    ),
    "path over the path limit": (
        LIBRARY, None, lambda r: _folder_of(r, lambda f: "/".join([f, *["長" * 100] * 4])),
        f"file-path (files: {LIBRARY_FILES} / path)",
    ),
}  # fmt: skip


def _lose_one(record: TransformedDatabase) -> TransformedDatabase:
    """One document read from the exports that the transform neither made, held nor left out."""
    totals = record.totals.model_copy(update={"extracted": record.totals.extracted + 1})
    return record.model_copy(update={"totals": totals})


@pytest.mark.parametrize("defect", [*sorted(DEFECTS), "totals that do not balance"])
def test_each_check_holds_back_what_breaks_it_and_a_balance_failure_stops_the_load(
    defect: str, sample_corpus: list[SampleFile], tmp_path: Path
) -> None:
    replica, change, plant, label = DEFECTS.get(
        defect, (LIBRARY, None, lambda _r: [], "balance (totals)")
    )
    mappings = mappings_for(sample_corpus, tmp_path / "mappings")
    if change is not None:
        path = next(p for p in mappings.glob("*.yaml") if replica in p.read_text("utf-8"))
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        item, settings_of_item = change
        for form in data["forms"].values():
            form["items"][item].update(settings_of_item)
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    settings = settings_for(tmp_path, mappings, data_docs=False)
    record = transformed(sample_corpus[0].path.parent, settings)[replica]
    broken = plant(record)
    if defect not in DEFECTS:
        record = _lose_one(record)
    validated = validate_database(record, settings)
    ledger = Ledger(settings.ledger_url)
    held = {q["unid"]: q["reason"] for q in ledger.quarantined(replica) if q["stage"] == "validate"}
    ledger.close()
    assert held == dict.fromkeys(broken, f"failed validation: {label}")
    assert validated.failed_rows == len(set(broken)) and validated.failed_expectations == 1
    if broken:
        return
    # Nothing to hold back one by one: the whole database stops before any request.
    assert validated.stopped and validated.stop_reason.startswith(f"{label}: ")
    with pytest.raises(ValidationStoppedError, match="balance"):
        load_database(validated, settings)


def test_a_failing_row_filed_under_a_unid_the_ledger_does_not_know_stops_the_load(
    sample_corpus: list[SampleFile], tmp_path: Path
) -> None:
    settings = settings_for(tmp_path, mappings_for(sample_corpus, tmp_path / "mappings"),
                            data_docs=False)  # fmt: skip
    record = transformed(sample_corpus[0].path.parent, settings)[TRIPS]
    path = next((Path(record.transform_dir) / "items").glob("*.jsonl"))
    rows = list(read_records(path, ItemRow))
    stray = rows[0].unid.lower()
    rows[0] = rows[0].model_copy(update={"unid": stray, "fields": {**rows[0].fields,
                                                                   "NotesUNID": stray}})  # fmt: skip
    write_records(path, rows)
    # No document of the ledger to hold back: only stopping the database keeps the row out.
    validated = validate_database(record, settings)
    assert validated.stopped and validated.failed_rows == 0
    assert validated.stop_reason == (
        f"unid-format (items: 出張申請 / NotesUNID): {stray} is not a document of the ledger"
    )
    with pytest.raises(ValidationStoppedError):
        load_database(validated, settings)
