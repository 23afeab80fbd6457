"""``notesmig map suggest``: a drafted mapping per Notes database, written where --out says, and
what could not be drafted said (exit 1) while the others are still written."""

from __future__ import annotations

from pathlib import Path

import yaml
from typer.testing import CliRunner

from notesmig.cli.app import app
from notesmig.sample.corpus import SampleFile

ENV = {"COLUMNS": "200"}


def test_a_folder_of_exports_drafts_one_file_per_database(
    sample_corpus: list[SampleFile], tmp_path: Path
) -> None:
    folder = sample_corpus[0].path.parent
    done = CliRunner().invoke(app, ["map", "suggest", str(folder), "--out", str(tmp_path / "m")],
                              env=ENV)  # fmt: skip
    assert done.exit_code == 0, done.output
    written = sorted(p.name for p in (tmp_path / "m").iterdir())
    assert written == ["bunsho.yaml", "genmen.yaml", "keijiban.yaml", "shutcho.yaml"]
    # One line per draft (the console wraps what is wider than the terminal: joined again).
    lines = (
        done.stdout.replace("\n", "").replace("文書 / documents", "文書 / documents\n").splitlines()
    )
    assert len(lines) == 4
    assert any(line.startswith(f"{tmp_path / 'm' / 'keijiban.yaml'}  掲示板  ") for line in lines)


def test_one_export_drafts_the_file_named(sample_corpus: list[SampleFile], tmp_path: Path) -> None:
    board = next(s for s in sample_corpus if s.title == "掲示板")
    target = tmp_path / "board.yaml"
    done = CliRunner().invoke(app, ["map", "suggest", str(board.path), "--out", str(target),
                                    "--site", "city.sharepoint.com:/sites/board"], env=ENV)  # fmt: skip
    assert done.exit_code == 0, done.output
    assert done.stdout.replace("\n", "").startswith(f"{target}  掲示板  ")
    drafted = yaml.safe_load(target.read_text(encoding="utf-8"))
    assert drafted["target"]["site"] == "city.sharepoint.com:/sites/board"
    assert drafted["database"]["title"] == "掲示板"


def test_an_export_that_does_not_read_is_said_and_the_others_drafted(
    sample_corpus: list[SampleFile], tmp_path: Path
) -> None:
    broken = tmp_path / "broken.dxl"
    broken.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<database xmlns="http://www.lotus.com/dxl" '
        'replicaid="C12575C3002B6B52" title="t">\n<document form="F" unid="x">\n',
        encoding="utf-8",
    )
    done = CliRunner().invoke(app, ["map", "suggest", str(broken), str(sample_corpus[0].path),
                                    "--out", str(tmp_path / "m")], env=ENV)  # fmt: skip
    assert done.exit_code == 1
    assert "エラー / error 下書きできません / cannot draft a mapping: " in done.stderr
    assert "broken.dxl: cannot draft a mapping from a file that does not read" in done.stderr
    assert [p.name for p in (tmp_path / "m").iterdir()] == [f"{sample_corpus[0].path.stem}.yaml"]


def test_a_missing_export_is_a_bad_path(tmp_path: Path) -> None:
    done = CliRunner().invoke(app, ["map", "suggest", str(tmp_path / "nope.dxl"),
                                    "--out", str(tmp_path / "m")], env=ENV)  # fmt: skip
    assert done.exit_code == 2
    assert "見つかりません" in done.stderr and "not found" in done.stderr
    assert not (tmp_path / "m").exists()
