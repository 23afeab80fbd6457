"""Databases in a drop folder: exports grouped by replica id, one folder per database."""

from __future__ import annotations

import shutil
from pathlib import Path

from notesmig.pipeline import discover_databases
from notesmig.sample.corpus import SampleFile
from tests.migration import emulator_for, mappings_for, migrate, read_back


def test_two_exports_of_one_database_are_one_database(dxl_real: Path, tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    for name in ("plomino-test1.xml", "plomino-test_names_type.xml", "plomino-dxlDocument.xml"):
        (drop / name).symlink_to(dxl_real / name)
    found = discover_databases([drop])
    by_key = {d.key: d for d in found}
    assert [Path(f).name for f in by_key["C12575C3002B6B52"].files] == [
        "plomino-test1.xml", "plomino-test_names_type.xml"]  # fmt: skip
    # An export that declares no replica id is still a database of its own, keyed by its path.
    [other] = [d for d in found if d.replica_id is None]
    assert other.key.startswith("FILE") and len(other.key) == 16
    assert [Path(f).name for f in other.files] == ["plomino-dxlDocument.xml"]


def test_the_same_file_name_in_two_folders_never_shares_a_work_folder(
    sample_corpus: list[SampleFile], tmp_path: Path
) -> None:
    # Before: both exports were extracted into work/x/ and overwrote each other's documents.
    drop = tmp_path / "drop"
    source = sample_corpus[0].path.parent
    for folder, name in (("kyoku-a", "keijiban.dxl"), ("kyoku-b", "shutcho.dxl")):
        (drop / folder).mkdir(parents=True)
        shutil.copy(source / name, drop / folder / "export.dxl")
    mappings = mappings_for(sample_corpus, tmp_path / "mappings")
    with emulator_for(tmp_path, sample_corpus, "--ru-per-minute", "0") as emulator:
        result = migrate([drop], mappings, tmp_path / "work", graph_url=emulator.graph_url,
                         db_url=f"sqlite:///{tmp_path / 'ledger.sqlite3'}")  # fmt: skip
        items, _ = read_back(emulator.graph_url)
    keys = sorted(e.replica_id for e in result.extracted)
    assert keys == ["1E9675FC9921B17D", "B82634FA404574D2"]
    assert sorted(p.name for p in (tmp_path / "work").iterdir()) == keys
    assert len(items["掲示板"]) == 40 and len(items["出張申請"]) == 17
