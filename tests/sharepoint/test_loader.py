"""Loading through the real msgraph-sdk into the emulator: complete, exactly once, verifiable."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from notesmig.emulator.server import EmulatorProcess
from notesmig.ledger import Ledger
from notesmig.mapping.suggest import suggest
from notesmig.pipeline import MigrationSummary, StageSettings
from notesmig.pipeline import migrate as run_pipeline
from notesmig.sample.corpus import SampleFile
from notesmig.sharepoint.client import GraphEndpoint
from notesmig.spfacts.quickxor import quickxorhash

SITE = "/sites/contoso.sharepoint.com:/sites/notes-migration:"


def migrate(paths: list[Path], mappings: Path, work: Path, *, graph_url: str, db_url: str,
            ru_per_minute: int = 0) -> MigrationSummary:  # fmt: skip
    settings = StageSettings(work=work, mappings=mappings, ledger_url=db_url,
                             graph=GraphEndpoint(graph_url), ru_per_minute=ru_per_minute)  # fmt: skip
    return run_pipeline(paths, settings)


def transformed_files(work: Path, name: str) -> list[Path]:
    return sorted(work.glob(f"*/transformed/{name}"))


def mappings_for(sample_corpus: list[SampleFile], folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    users = sample_corpus[0].path.parent / "users.csv"
    (folder / "users.csv").write_bytes(users.read_bytes())
    for sample in sample_corpus:
        text = suggest(sample.path).yaml.replace("  # file: users.csv", "  file: users.csv  #")
        if sample.path.stem == "shutcho":
            text = text.replace("readers: hold", "readers: restrict")
        (folder / f"{sample.path.stem}.yaml").write_text(text, encoding="utf-8")
    return folder


def emulator_for(tmp_path: Path, sample_corpus: list[SampleFile], *options: str) -> EmulatorProcess:
    users = str(sample_corpus[0].path.parent / "users.csv")
    return EmulatorProcess(tmp_path / "emulator", options=("--users", users, *options)).start()


class Reader:
    """GETs that ride out the emulator's injected faults, as any client must."""

    def __init__(self, graph_url: str) -> None:
        self.http = httpx.Client(
            base_url=graph_url, headers={"Authorization": "Bearer check"}, timeout=60
        )

    def get(self, path: str, params: dict[str, str] | None = None) -> Answer:
        for _ in range(60):
            try:
                response = self.http.get(path, params=params)
            except httpx.TransportError:
                continue
            if response.status_code < 500 and response.status_code != 429:
                return Answer(response.json())
            time.sleep(0.05)
        raise AssertionError(f"GET {path} kept failing")


class Answer:
    def __init__(self, body: dict) -> None:  # type: ignore[type-arg]
        self.body = body

    def json(self) -> dict:  # type: ignore[type-arg]
        return self.body


def read_back(graph_url: str) -> tuple[dict[str, list[dict]], dict[str, list[dict]]]:  # type: ignore[type-arg]
    """Every list's items (fields) and every library's files, read through Graph."""
    client = Reader(graph_url)
    site = client.get(SITE).json()["id"]
    items: dict[str, list[dict]] = {}  # type: ignore[type-arg]
    files: dict[str, list[dict]] = {}  # type: ignore[type-arg]
    for entry in client.get(f"/sites/{site}/lists").json()["value"]:
        if entry["list"]["hidden"] or entry["displayName"] == "Documents":
            continue
        if entry["list"]["template"] == "genericList":
            page = client.get(
                f"/sites/{site}/lists/{entry['id']}/items",
                params={"$expand": "fields", "$top": "5000"},
            ).json()
            items[entry["displayName"]] = [i["fields"] for i in page["value"]]
        else:
            drive = client.get(f"/sites/{site}/lists/{entry['id']}/drive").json()["id"]
            found = []
            for folder in client.get(f"/drives/{drive}/root/children").json()["value"]:
                for child in client.get(
                    f"/drives/{drive}/items/{folder['id']}/children", params={"$expand": "listItem"}
                ).json()["value"]:
                    full = client.get(
                        f"/drives/{drive}/items/{child['id']}", params={"$expand": "listItem"}
                    ).json()
                    found.append(full)
            files[entry["displayName"]] = found
    return items, files


def expected(work: Path) -> tuple[dict[str, dict], list[dict], set[str]]:  # type: ignore[type-arg]
    rows = {}
    for path in transformed_files(work, "items/*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            rows[row["unid"]] = row
    files = [
        json.loads(line)
        for path in transformed_files(work, "files.jsonl")
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
    held = {
        json.loads(line)["unid"]
        for name in ("quarantine.jsonl", "permissions.jsonl")
        for path in transformed_files(work, name)
        for line in path.read_text(encoding="utf-8").splitlines()
    }
    return {u: r for u, r in rows.items() if u not in held}, files, held


def assert_exactly_once(graph_url: str, work: Path) -> None:
    rows, files, held = expected(work)
    items, libraries = read_back(graph_url)
    loaded = Counter(fields["NotesUNID"] for entries in items.values() for fields in entries)
    assert set(loaded) == set(rows) and set(loaded.values()) == {1}  # one item per document
    assert not set(loaded) & held  # restricted documents held back, not loaded openly
    for title, entries in items.items():
        for fields in entries:
            row = rows[fields["NotesUNID"]]
            assert row["list"] == title
            assert fields["SourceSha256"] == row["fields"]["SourceSha256"]
            parent = fields.get("NotesParentUNID")
            assert parent is None or parent in loaded  # every response has its parent
    stored = Counter(
        (f["listItem"]["fields"]["NotesUNID"], f["name"])
        for entries in libraries.values()
        for f in entries
    )
    wanted = [f for f in files if f["unid"] in loaded]
    assert set(stored) == {(f["unid"], f["name"]) for f in wanted} and set(stored.values()) == {1}
    by_key = {
        (f["listItem"]["fields"]["NotesUNID"], f["name"]): f
        for entries in libraries.values()
        for f in entries
    }
    for file in wanted:
        blobs = work / file["database"] / "extract" / "blobs"
        data = (blobs / file["blob"]).read_bytes() if file["blob"] else file["content"].encode()
        remote = by_key[(file["unid"], file["name"])]
        assert remote["size"] == len(data) and remote["file"]["hashes"][
            "quickXorHash"
        ] == quickxorhash(data)
        assert remote["listItem"]["fields"]["NotesOriginalName"] == file["original_name"]


def test_migration_is_complete_and_a_second_run_writes_nothing(
    sample_corpus: list[SampleFile], tmp_path: Path
) -> None:
    mappings = mappings_for(sample_corpus, tmp_path / "mappings")
    ledger_url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    with emulator_for(tmp_path, sample_corpus, "--ru-per-minute", "0") as emulator:
        first = migrate([sample_corpus[0].path.parent], mappings, tmp_path / "work", graph_url=emulator.graph_url,
                        db_url=ledger_url, ru_per_minute=0)  # fmt: skip
        assert first.rows == 17 + 40 + 12
        # The 8 restricted trip requests with every reader resolved are planned, and held
        # back at the load until their permissions can be applied: never loaded openly.
        assert first.load.items_created == 9 + 40 + 12 and first.load.items_quarantined == 8
        assert first.load.files_uploaded == 16 and first.load.unknown_people == {}
        assert_exactly_once(emulator.graph_url, tmp_path / "work")
        items, _ = read_back(emulator.graph_url)
        trip = next(f for f in items["出張申請"] if f.get("ApproversLookupId"))
        assert all(i.isdigit() for i in trip["ApproversLookupId"])
        assert trip["ApproversNotes"].count("/Maebashi") == 2
        second = migrate([sample_corpus[0].path.parent], mappings, tmp_path / "work", graph_url=emulator.graph_url,
                         db_url=ledger_url, ru_per_minute=0)  # fmt: skip
        assert second.load.writes == 0
        assert (second.load.items_unchanged, second.load.files_unchanged) == (61, 16)
    states = Ledger(ledger_url).status()
    assert {s.title: s.states.get("loaded", 0) for s in states} == {
        "掲示板": 40, "文書ライブラリ": 12, "出張申請": 9, "火災ごみ減免申請": 0}  # fmt: skip


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
        restricted = {q.unid for r in result.results for q in r.quarantined}
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


def test_upload_sessions_with_lost_answers_and_notes_dates(
    sample_corpus: list[SampleFile], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import notesmig.sharepoint.files

    monkeypatch.setattr(notesmig.sharepoint.files, "SIMPLE_UPLOAD_LIMIT", 0)  # all by session
    monkeypatch.setattr(notesmig.sharepoint.files, "FRAGMENT", 327_680)
    mappings = mappings_for(sample_corpus, tmp_path / "mappings")
    with emulator_for(tmp_path, sample_corpus, "--ru-per-minute", "0", "--lost-response-rate", "0.1",
                      "--seed", "8") as emulator:  # fmt: skip
        result = migrate([sample_corpus[0].path.parent], mappings, tmp_path / "work", graph_url=emulator.graph_url,
                         db_url=f"sqlite:///{tmp_path / 'ledger.sqlite3'}", ru_per_minute=0)  # fmt: skip
        assert result.load.files_uploaded == 16
        assert_exactly_once(emulator.graph_url, tmp_path / "work")
        _, files = read_back(emulator.graph_url)
    _, wanted, _ = expected(tmp_path / "work")
    created = {(f["unid"], f["name"]): f["created"] for f in wanted}
    for entries in files.values():
        for remote in entries:
            key = (remote["listItem"]["fields"]["NotesUNID"], remote["name"])
            assert (
                remote["fileSystemInfo"]["createdDateTime"] == created[key]
            )  # the Notes date, kept


def test_an_existing_column_of_another_type_is_a_clear_error(
    sample_corpus: list[SampleFile], tmp_path: Path
) -> None:
    from notesmig.errors import TerminalError
    from notesmig.sharepoint.provision import ProvisioningError

    mappings = mappings_for(sample_corpus, tmp_path / "mappings")
    with emulator_for(tmp_path, sample_corpus, "--ru-per-minute", "0") as emulator:
        client = httpx.Client(base_url=emulator.graph_url, headers={"Authorization": "Bearer t"})
        site = client.get(SITE).json()["id"]
        # The customer already has a 出張申請 list whose Amount column holds text.
        made = client.post(f"/sites/{site}/lists", json={
            "displayName": "出張申請", "list": {"template": "genericList"},
            "columns": [{"name": "Amount", "text": {}}]})  # fmt: skip
        assert made.status_code == 201
        with pytest.raises(ProvisioningError) as caught:
            migrate([sample_corpus[0].path.parent], mappings, tmp_path / "work", graph_url=emulator.graph_url,
                    db_url=f"sqlite:///{tmp_path / 'ledger.sqlite3'}", ru_per_minute=0)  # fmt: skip
        assert isinstance(caught.value, TerminalError)
        assert (
            "column 'Amount' of '出張申請' is text in SharePoint; the mapping needs number"
            in str(caught.value)
        )
        columns = client.get(f"/sites/{site}/lists/{made.json()['id']}/columns").json()["value"]
        assert (
            next(c for c in columns if c["name"] == "Amount")["text"] is not None
        )  # left as it was


def test_a_changed_notes_document_is_patched_not_duplicated(
    sample_corpus: list[SampleFile], tmp_path: Path
) -> None:
    import shutil

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
