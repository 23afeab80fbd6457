"""The checks of what the shared arguments name: a bad one stops a command with exit 2 and says
why, Japanese first."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer

from notesmig.cli.options import checked_mappings, dxl_files, time_zone
from notesmig.sample.corpus import SampleFile


def test_a_time_zone_is_the_one_named_and_none_when_not_given() -> None:
    assert time_zone(None) is None
    zone = time_zone("Asia/Tokyo")
    assert zone is not None and str(zone) == "Asia/Tokyo"


@pytest.mark.parametrize("name", ["Mars/Olympus", "../etc/passwd", ""])
def test_an_unknown_time_zone_is_a_bad_assume_tz(name: str) -> None:
    with pytest.raises(typer.BadParameter) as refused:
        time_zone(name)
    assert refused.value.param_hint == "--assume-tz"
    assert str(refused.value) == f"タイムゾーン {name!r} は不明です / unknown time zone {name!r}"


def test_dxl_files_are_found_in_folders_and_named_files(
    sample_corpus: list[SampleFile], tmp_path: Path
) -> None:
    folder = sample_corpus[0].path.parent
    assert sorted(dxl_files([folder])) == sorted(s.path for s in sample_corpus)
    assert dxl_files([sample_corpus[1].path]) == [sample_corpus[1].path]


def test_a_missing_path_or_a_folder_without_dxl_is_a_bad_path(tmp_path: Path) -> None:
    with pytest.raises(typer.BadParameter) as missing:
        dxl_files([tmp_path, tmp_path / "nope.dxl"])
    assert missing.value.param_hint == "PATH"
    assert str(missing.value) == (
        f"見つかりません: {tmp_path / 'nope.dxl'} / not found: {tmp_path / 'nope.dxl'}"
    )
    (tmp_path / "notes.txt").write_text("not an export", encoding="utf-8")
    with pytest.raises(typer.BadParameter) as empty:
        dxl_files([tmp_path])
    assert (
        str(empty.value)
        == "指定されたパスに .dxl/.xml ファイルがありません / no .dxl or .xml files"
    )


def test_an_invalid_mapping_is_its_located_message_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mapping = tmp_path / "broken.yaml"
    mapping.write_text("database: 123\nlists: [\n", encoding="utf-8")
    with pytest.raises(typer.Exit) as stopped:
        checked_mappings(mapping)
    assert stopped.value.exit_code == 2
    said = capsys.readouterr()
    assert said.out == ""
    assert said.err.startswith("エラー / error マッピングが正しくありません / invalid mapping")
    assert "broken.yaml:3" in said.err and "not valid YAML" in said.err


def test_valid_mappings_are_by_replica_id(sample_corpus: list[SampleFile], tmp_path: Path) -> None:
    from notesmig.mapping.suggest import suggest

    drafted = suggest(sample_corpus[0].path)
    (tmp_path / "one.yaml").write_text(drafted.yaml, encoding="utf-8")
    assert list(checked_mappings(tmp_path / "one.yaml")) == [drafted.replica_id]
