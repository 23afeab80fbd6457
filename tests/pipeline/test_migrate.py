"""The whole migration through the real msgraph-sdk into the emulator: complete, exactly once,
whatever happens on the way."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from notesmig.ledger import Ledger
from notesmig.mapping.suggest import suggest
from notesmig.records import Outcome, read_records
from notesmig.sample.corpus import SampleFile
from tests.migration import (
    assert_exactly_once,
    emulator_for,
    mappings_for,
    migrate,
    read_back,
)


def test_migration_is_complete_and_a_second_run_writes_nothing(
    sample_corpus: list[SampleFile], tmp_path: Path
) -> None:
    mappings = mappings_for(sample_corpus, tmp_path / "mappings")
    ledger_url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    with emulator_for(tmp_path, sample_corpus, "--ru-per-minute", "0") as emulator:
        first = migrate([sample_corpus[0].path.parent], mappings, tmp_path / "work", graph_url=emulator.graph_url,
                        db_url=ledger_url, ru_per_minute=0)  # fmt: skip
        # Every trip request but the 3 whose readers have no account, every fee reduction:
        # the restricted ones inside audience folders with their readers' permissions.
        assert first.rows == 17 + 40 + 12 + 10
        assert first.load.items_created == 17 + 40 + 12 + 10 and first.load.items_quarantined == 0
        assert first.load.files_uploaded == 16 + 35 and first.load.unknown_people == {}
        # The loader paced itself on exactly what the emulator charged: no unit unaccounted.
        charged = emulator.charged()
        assert charged["throttled"] == 0
        assert charged["used"] == first.load.resource_units > 0
        assert_exactly_once(emulator.graph_url, tmp_path / "work")
        items, _ = read_back(emulator.graph_url)
        trip = next(f for f in items["出張申請"] if f.get("ApproversLookupId"))
        assert all(i.isdigit() for i in trip["ApproversLookupId"])
        assert trip["ApproversNotes"].count("/Maebashi") == 2
        second = migrate([sample_corpus[0].path.parent], mappings, tmp_path / "work", graph_url=emulator.graph_url,
                         db_url=ledger_url, ru_per_minute=0)  # fmt: skip
        assert second.load.writes == 0
        assert (second.load.items_unchanged, second.load.files_unchanged) == (79, 51)
    states = Ledger(ledger_url).status()
    assert {s.title: s.states.get("loaded", 0) for s in states} == {
        "掲示板": 40, "文書ライブラリ": 12, "出張申請": 17, "火災ごみ減免申請": 10}  # fmt: skip


def test_faults_and_lost_responses_still_load_everything_once(
    sample_corpus: list[SampleFile], tmp_path: Path
) -> None:
    mappings = mappings_for(sample_corpus, tmp_path / "mappings")
    with emulator_for(tmp_path, sample_corpus, "--ru-per-minute", "0", "--fault-rate", "0.05",
                      "--lost-response-rate", "0.05", "--seed", "11") as emulator:  # fmt: skip
        result = migrate([sample_corpus[0].path.parent], mappings, tmp_path / "work", graph_url=emulator.graph_url,
                         db_url=f"sqlite:///{tmp_path / 'ledger.sqlite3'}", ru_per_minute=0)  # fmt: skip
        assert result.load.retried > 0  # the faults were met
        assert_exactly_once(emulator.graph_url, tmp_path / "work")


def test_killed_at_any_point_then_resumed(sample_corpus: list[SampleFile], tmp_path: Path) -> None:
    mappings = mappings_for(sample_corpus, tmp_path / "mappings")
    ledger_url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    # A tight budget stretches the load over seconds, so each kill lands in the middle of it;
    # lost responses make the hardest case (committed, unanswered) happen too.
    with emulator_for(tmp_path, sample_corpus, "--ru-per-minute", "0", "--lost-response-rate", "0.05",
                      "--seed", "5") as emulator:  # fmt: skip
        command = [str(Path(sys.executable).with_name("notesmig")), "migrate", str(sample_corpus[0].path.parent),
                   "--mapping", str(mappings), "--graph-url", emulator.graph_url, "--db-url", ledger_url,
                   "--work", str(tmp_path / "work"), "--ru-per-minute", "3000"]  # fmt: skip
        for delay in (1.0, 2.0, 3.5):
            process = subprocess.Popen(
                command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            time.sleep(delay)
            process.send_signal(signal.SIGKILL)
            process.wait()
        finished = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
        assert finished.returncode == 0, finished.stderr
        assert_exactly_once(emulator.graph_url, tmp_path / "work")
        assert "unchanged" in finished.stdout


def test_real_exports_migrate_as_drafted(
    dxl_real: Path, tmp_path: Path, sample_corpus: list[SampleFile]
) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    names = ["plomino-test1.xml", "plomino-test_100docs.xml", "plomino-test_binaries.xml",
             "plomino-test_datetime_type.xml", "plomino-test_number_type.xml", "jnx-styledtext.xml"]  # fmt: skip
    mappings = tmp_path / "mappings"
    mappings.mkdir()
    for name in names:
        (drop / name).symlink_to(dxl_real / name)
        (mappings / f"{Path(name).stem}.yaml").write_text(
            suggest(dxl_real / name).yaml, encoding="utf-8"
        )
    with emulator_for(tmp_path, sample_corpus, "--ru-per-minute", "0") as emulator:
        result = migrate([drop], mappings, tmp_path / "work", graph_url=emulator.graph_url,
                         db_url=f"sqlite:///{tmp_path / 'ledger.sqlite3'}", ru_per_minute=0)  # fmt: skip
        assert result.load.items_quarantined == 0
        restricted = {q.unid for r in result.results
                      for q in read_records(r.out_dir / "quarantine.jsonl", Outcome)}  # fmt: skip
        assert len(restricted) == 11  # the Readers documents: 10 test_names and the raw note
        assert result.load.items_created == 2 + 100 + 5 + 1 + 1 + 1 - 11
        assert_exactly_once(emulator.graph_url, tmp_path / "work")
        _, files = read_back(emulator.graph_url)
        names_loaded = {f["name"] for entries in files.values() for f in entries}
        assert {
            "overlord59-tux-samourai-1773.png",
            "Sample Pictures.lnk",
            "STG47734",
        } <= names_loaded


def test_a_changed_notes_document_is_patched_not_duplicated(
    sample_corpus: list[SampleFile], tmp_path: Path
) -> None:

    drop = tmp_path / "drop"
    shutil.copytree(sample_corpus[0].path.parent, drop)
    mappings = mappings_for(sample_corpus, tmp_path / "mappings")
    ledger_url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    with emulator_for(tmp_path, sample_corpus, "--ru-per-minute", "0") as emulator:
        first = migrate([drop], mappings, tmp_path / "work", graph_url=emulator.graph_url, db_url=ledger_url,
                        ru_per_minute=0)  # fmt: skip
        board = drop / "keijiban.dxl"
        old, new = (
            "庁内ネットワーク計画停止のお知らせ",
            "庁内ネットワーク計画停止のお知らせ（日程変更）",
        )
        text = board.read_text(encoding="utf-8")
        assert text.count(f"<text>{old}</text>") == 1  # the main topic's Subject item
        board.write_text(
            text.replace(f"<text>{old}</text>", f"<text>{new}</text>"), encoding="utf-8"
        )
        second = migrate([drop], mappings, tmp_path / "work", graph_url=emulator.graph_url, db_url=ledger_url,
                         ru_per_minute=0)  # fmt: skip
        assert (second.load.items_updated, second.load.items_created) == (1, 0)
        assert second.load.items_unchanged == first.load.items_created - 1
        items, _ = read_back(emulator.graph_url)
        titles = [f.get("Subject") or f.get("Title") for f in items["掲示板"]]
        assert new in titles and old not in titles
        assert len(items["掲示板"]) == 40
    [board_status] = [s for s in Ledger(ledger_url).status() if s.title == "掲示板"]
    assert board_status.states == {"loaded": 40} and board_status.update_pending == 0
