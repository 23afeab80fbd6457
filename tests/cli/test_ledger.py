"""The ledger the commands use: the default file named by its full path, and an unusable URL as
a message with the password masked, exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer

from notesmig.cli.ledger import LEDGER_FILE, ledger_url, open_ledger


def test_the_url_given_is_used_as_it_is() -> None:
    given = "postgresql+psycopg://migrator:secret@db.internal/ledger"
    assert ledger_url(given) == given


def test_without_a_url_the_ledger_is_a_file_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert ledger_url(None) == ledger_url("") == f"sqlite:///{tmp_path.resolve() / LEDGER_FILE}"
    ledger = open_ledger(None)
    try:
        assert ledger.replicas() == []
    finally:
        ledger.close()
    assert (tmp_path / "notesmig-ledger.sqlite3").is_file()


def test_a_url_that_does_not_read_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(typer.Exit) as stopped:
        open_ledger("not a url at all")
    assert stopped.value.exit_code == 2
    said = capsys.readouterr().err
    assert said.startswith(
        "エラー / error 台帳 URL を解釈できません / the ledger URL cannot be read: not a url at all"
    )


def test_a_ledger_out_of_reach_exits_2_without_its_password(
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = "postgresql+psycopg://migrator:Hunter2-secret@127.0.0.1:1/ledger?connect_timeout=2"
    with pytest.raises(typer.Exit) as stopped:
        open_ledger(url)
    assert stopped.value.exit_code == 2
    said = capsys.readouterr().err
    assert "台帳に接続できません / cannot reach the ledger: " in said
    assert "migrator:***@127.0.0.1:1/ledger" in said and "Hunter2-secret" not in said
