"""The notesmig commands (``notesmig.cli.app``), run through the console script as a user runs
them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

NOTESMIG = str(Path(sys.executable).with_name("notesmig"))


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [NOTESMIG, *map(str, args)], capture_output=True, text=True, timeout=300, check=False,
        env={"COLUMNS": "200", "PATH": str(Path(sys.executable).parent)},
    )  # fmt: skip


def commands_in(help_text: str) -> list[str]:
    """The commands a --help panel lists, in its order."""
    return [line.split()[1] for line in help_text.splitlines()
            if line.startswith("│ ") and line[2] not in " -"]  # fmt: skip


def test_the_console_script_lists_every_command_then_the_sub_commands() -> None:
    # pyproject.toml's [project.scripts] entry (notesmig.cli:main), and python -m notesmig.cli.
    script = run("--help")
    assert script.returncode == 0, script.stderr
    assert commands_in(script.stdout) == ["inspect", "extract", "sample", "transform", "status", "migrate",
                        "reconcile", "forecast", "serve-links", "report", "map", "emulator"]  # fmt: skip
    assert "Lotus Notes/Domino アプリケーション" in script.stdout
    module = subprocess.run(
        [sys.executable, "-m", "notesmig.cli", "--help"], capture_output=True, text=True,
        timeout=300, check=False, env={"COLUMNS": "200", "PATH": str(Path(sys.executable).parent)},
    )  # fmt: skip
    assert module.returncode == 0, module.stderr
    assert commands_in(module.stdout) == commands_in(script.stdout)
    assert "Usage: python -m notesmig.cli [OPTIONS] COMMAND" in module.stdout


def test_an_invalid_mapping_stops_transform_before_the_extract_is_looked_at(
    tmp_path: Path,
) -> None:
    mapping = tmp_path / "m.yaml"
    mapping.write_text("database: 123\nlists: [\n", encoding="utf-8")
    refused = run("transform", tmp_path, "--mapping", mapping, "--out", tmp_path / "out")
    assert refused.returncode == 2
    assert "マッピングが正しくありません / invalid mapping" in refused.stderr
    assert "m.yaml:3" in refused.stderr and "not valid YAML" in refused.stderr
    assert "documents.jsonl" not in refused.stderr and not (tmp_path / "out").exists()


def test_inspect_json_reports_every_file_and_fails_on_the_broken_one(dxl_real: Path) -> None:
    done = run("inspect", "--json", dxl_real / "plomino-test_binaries.xml",
               dxl_real / "plomino-dxlDatabaseBadXML.xml", dxl_real / "plomino-test1.xml")  # fmt: skip
    assert done.returncode == 1
    reports = [json.loads(line) for line in done.stdout.splitlines()]
    assert [Path(r["file"]).name for r in reports] == [
        "plomino-test_binaries.xml", "plomino-dxlDatabaseBadXML.xml", "plomino-test1.xml"
    ]  # fmt: skip
    binaries, bad, test1 = reports
    assert binaries["documents"] == 5 and binaries["forms"] == {"binaryForm": 5}
    by_name = {a["name"]: a for a in binaries["attachments"]}
    assert by_name["overlord59-tux-samourai-1773.png"]["size"] == 47127
    assert test1["documents"] == 2 and test1["replica_id"] == "C12575C3002B6B52"
    assert bad["errors"][0]["line"] == 15 and bad["errors"][0]["fatal"] is True
    assert "plomino-dxlDatabaseBadXML.xml:15:16" in done.stderr


def test_sample_inspect_and_extract(tmp_path: Path) -> None:
    made = run("sample", "--out", tmp_path / "sample", "--seed", "11")
    assert made.returncode == 0, made.stderr
    assert len(list((tmp_path / "sample").glob("*.dxl"))) == 4
    table = run("inspect", tmp_path / "sample")
    assert table.returncode == 0, table.stderr
    for expected in ("掲示板", "文書ライブラリ", "出張申請", "火災ごみ減免申請", "TripRequest: 20"):
        assert expected in table.stdout
    extracted = run("extract", tmp_path / "sample", "--out", tmp_path / "out")
    assert extracted.returncode == 0, extracted.stderr
    lines = (tmp_path / "out" / "documents.jsonl").read_text(encoding="utf-8").splitlines()
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert len(lines) == summary["totals"]["documents"]
    assert f"{len(lines)} documents from 4 file(s)" in extracted.stdout


def test_bad_arguments_exit_2_with_a_message(tmp_path: Path) -> None:
    missing = run("inspect", tmp_path / "nope.dxl")
    assert missing.returncode == 2 and "not found" in missing.stderr
    zone = run("inspect", "--assume-tz", "Mars/Olympus", tmp_path)
    assert zone.returncode == 2 and "unknown time zone" in zone.stderr


def test_map_transform_and_status(tmp_path: Path) -> None:
    assert run("sample", "--out", tmp_path / "sample").returncode == 0
    assert run("extract", tmp_path / "sample", "--out", tmp_path / "extract").returncode == 0
    drafted = run("map", "suggest", tmp_path / "sample", "--out", tmp_path / "mappings")
    assert drafted.returncode == 0, drafted.stderr
    assert sorted(p.name for p in (tmp_path / "mappings").iterdir()) == [
        "bunsho.yaml", "genmen.yaml", "keijiban.yaml", "shutcho.yaml"]  # fmt: skip
    ledger = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    done = run("transform", tmp_path / "extract", "--mapping", tmp_path / "mappings",
               "--out", tmp_path / "out", "--db-url", ledger)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "held back" in done.stderr and "restricted (Readers field)" in done.stderr
    status = json.loads(run("status", "--db-url", ledger, "--json").stdout)
    by_title = {s["title"]: s for s in status}
    assert by_title["掲示板"]["states"] == {"transformed": 40}
    assert by_title["火災ごみ減免申請"]["quarantined"] == 10
    assert sum(s["documents"] for s in status) == 82
    # Transformed, not loaded: the report says so, and it adds up.
    reported = run("report", "--db-url", ledger, "--out", tmp_path / "report")
    assert reported.returncode == 0, reported.stderr
    evidence = json.loads((tmp_path / "report" / "evidence.json").read_text(encoding="utf-8"))
    # readers: hold (the drafts): the 11 restricted trip requests and all 10 fee reductions wait.
    assert sum(d["outcomes"]["not-loaded"] for d in evidence["databases"]) == 40 + 12 + 9
    assert all(d["balanced"] for d in evidence["databases"])
    assert (tmp_path / "report" / "en" / "index.html").is_file()
    never = run("reconcile", "--db-url", ledger, "--database", "1E9675FC9921B17D")
    assert never.returncode == 2 and "台帳に移行の記録がありません" in never.stderr
    broken = tmp_path / "mappings" / "shutcho.yaml"
    broken.write_text(
        broken.read_text(encoding="utf-8").replace("type: number", "type: money"), encoding="utf-8"
    )
    refused = run("transform", tmp_path / "extract", "--mapping", tmp_path / "mappings",
                  "--out", tmp_path / "out2", "--db-url", ledger)  # fmt: skip
    assert refused.returncode == 2
    assert "shutcho.yaml:" in refused.stderr and "must be one of: text, " in refused.stderr
    assert "money" not in refused.stderr  # the file's value is never repeated
    assert not (tmp_path / "out2").exists()  # nothing ran


def run_in(folder: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [NOTESMIG, *map(str, args)], capture_output=True, text=True, timeout=300, check=False,
        cwd=folder, env={"COLUMNS": "200", "PATH": str(Path(sys.executable).parent)},
    )  # fmt: skip


def test_the_default_ledger_is_one_file_named_by_its_full_path(tmp_path: Path) -> None:
    done = run_in(tmp_path, "status")
    assert done.returncode == 0, done.stderr
    assert f"sqlite:///{tmp_path.resolve() / 'notesmig-ledger.sqlite3'}" in done.stdout
    assert (tmp_path / "notesmig-ledger.sqlite3").is_file()


def test_a_password_in_the_ledger_url_is_never_shown(tmp_path: Path) -> None:
    # An unreachable PostgreSQL with a password: a clear message, exit 2, no traceback, no secret.
    url = "postgresql+psycopg://migrator:Hunter2-secret@127.0.0.1:1/ledger?connect_timeout=2"
    done = run("status", "--db-url", url)
    assert done.returncode == 2
    assert "台帳に接続できません / cannot reach the ledger" in done.stderr
    assert "Hunter2-secret" not in done.stdout + done.stderr and "***" in done.stderr
    assert "Traceback" not in done.stderr
    garbled = run("status", "--db-url", "not a url at all")
    assert garbled.returncode == 2 and "cannot be read" in garbled.stderr
    assert "Traceback" not in garbled.stderr


def test_a_ledger_of_another_shape_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "ledger.sqlite3"
    assert run("status", "--db-url", f"sqlite:///{path}").returncode == 0
    with sqlite3.connect(path) as connection:  # a column this notesmig needs, gone
        connection.execute("ALTER TABLE databases DROP COLUMN merged")
    done = run("report", "--db-url", f"sqlite:///{path}", "--out", tmp_path / "report")
    assert done.returncode == 2
    assert "台帳を読み書きできません" in done.stderr and "Traceback" not in done.stderr
    assert "merged" in done.stderr


def test_status_masks_the_password_of_a_working_ledger() -> None:
    import uuid

    import pytest

    from tests.ledger.conftest import PG_DSN, _postgres_available

    problem = _postgres_available()
    if problem is not None:
        pytest.skip(f"PostgreSQL at 127.0.0.1:5432 is not reachable: {problem}")
    import psycopg

    schema = f"nm_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_DSN, autocommit=True) as connection:
        connection.execute(f"CREATE SCHEMA {schema}")
    try:
        # Trust authentication ignores the password; it is still never shown.
        url = ("postgresql+psycopg://postgres:Hunter2-secret@127.0.0.1:5432/test"
               f"?options=-csearch_path%3D{schema}")  # fmt: skip
        done = run("status", "--db-url", url)
        assert done.returncode == 0, done.stderr
        assert "Hunter2-secret" not in done.stdout and "postgres:***@127.0.0.1" in done.stdout
    finally:
        with psycopg.connect(PG_DSN, autocommit=True) as connection:
            connection.execute(f"DROP SCHEMA {schema} CASCADE")
