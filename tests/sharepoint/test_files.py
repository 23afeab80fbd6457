"""Files into document libraries: upload sessions, resumes, verification, Notes dates."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from notesmig.ledger import Ledger
from notesmig.sample.corpus import SampleFile
from notesmig.spfacts.quickxor import quickxorhash
from tests.migration import (
    SITE,
    assert_exactly_once,
    emulator_for,
    expected,
    mappings_for,
    migrate,
    read_back,
)


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
        assert result.load.files_uploaded == 16 + 35
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


def test_a_fragment_that_keeps_failing_stops_the_load_and_the_session_resumes(
    sample_corpus: list[SampleFile], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import notesmig.sharepoint.files
    from notesmig.sharepoint.graph import GraphTransientError

    monkeypatch.setattr(notesmig.sharepoint.files, "SIMPLE_UPLOAD_LIMIT", 0)
    monkeypatch.setattr(notesmig.sharepoint.files, "FRAGMENT", 327_680)
    mappings = mappings_for(sample_corpus, tmp_path / "mappings")
    ledger_url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    drop = sample_corpus[0].path.parent
    # Before: when a fragment's retries ran out, the loop went on to the next fragment.
    with emulator_for(tmp_path, sample_corpus, "--ru-per-minute", "0", "--fail-fragments", "1000"
                      ) as emulator, pytest.raises(GraphTransientError, match="still failing"):  # fmt: skip
        migrate(
            [drop], mappings, tmp_path / "work", graph_url=emulator.graph_url, db_url=ledger_url
        )
    ledger = Ledger(ledger_url)
    kept = [a for s in ledger.status() for a in ledger.attachment_view(s.replica_id).values()
            if a.upload_url]  # fmt: skip
    # Every session that was under way when the load stopped is kept, none taken as loaded
    # (uploads go UPLOADS_IN_PARALLEL at once: the failing one and those beside it).
    assert 1 <= len(kept) <= notesmig.sharepoint.files.UPLOADS_IN_PARALLEL
    assert {a.state for a in kept} == {"transformed"}
    with emulator_for(tmp_path, sample_corpus, "--ru-per-minute", "0") as emulator:
        result = migrate([drop], mappings, tmp_path / "work", graph_url=emulator.graph_url,
                         db_url=ledger_url)  # fmt: skip
        assert result.load.files_uploaded == 16 + 35
        assert_exactly_once(emulator.graph_url, tmp_path / "work")


@pytest.mark.anyio
async def test_a_session_with_every_byte_in_is_committed_on_resume(tmp_path: Path) -> None:
    from notesmig.emulator.server import EmulatorProcess
    from notesmig.sharepoint.budget import ResourceBudget
    from notesmig.sharepoint.client import graph_client
    from notesmig.sharepoint.files import FileContent, FileUploader
    from notesmig.sharepoint.graph import Graph

    data = b"x" * 700_000
    with EmulatorProcess(tmp_path / "emulator", options=("--ru-per-minute", "0")) as emulator:
        http = httpx.Client(base_url=emulator.graph_url, headers={"Authorization": "Bearer t"})
        drive = http.get(f"{SITE}/drive").json()["id"]
        session = http.post(f"/drives/{drive}/root:/deferred.bin:/createUploadSession",
                            json={"item": {"fileSize": len(data)}, "deferCommit": True}).json()  # fmt: skip
        url = session["uploadUrl"]
        for start in (0, 655_360):
            end = min(start + 655_360, len(data)) - 1
            sent = httpx.put(url, content=data[start : end + 1],
                             headers={"Content-Range": f"bytes {start}-{end}/{len(data)}"})  # fmt: skip
            assert sent.status_code == 202
        assert httpx.get(url).json()["nextExpectedRanges"] == []  # all in, not committed
        _client, adapter = graph_client(emulator.graph_url)
        content = FileContent.of_bytes(data)
        uploader = FileUploader(Graph(adapter, ResourceBudget(0)), None, None, lambda _f: content)  # type: ignore[arg-type]
        async with httpx.AsyncClient() as raw:
            # Before: an empty nextExpectedRanges raised IndexError.
            item = await uploader._resume(raw, url)
        assert isinstance(item, dict) and item["size"] == len(data)
        assert item["file"]["hashes"]["quickXorHash"] == quickxorhash(data)


def test_a_blob_is_read_a_fragment_at_a_time_and_hashed_as_sharepoint_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import notesmig.sharepoint.files
    from notesmig.sharepoint.files import FileContent

    monkeypatch.setattr(notesmig.sharepoint.files, "READ_CHUNK", 4_099)  # chunks off the 160s
    data = bytes(range(256)) * 97 + b"tail"
    blob = tmp_path / "blob"
    blob.write_bytes(data)
    on_disk = FileContent.of_file(blob)
    assert on_disk.size == len(data) and on_disk.data is None  # nothing read yet
    assert on_disk.read(1_000, 327) == data[1_000:1_327]
    assert on_disk.read(len(data) - 4) == b"tail"
    assert on_disk.quickxor() == quickxorhash(data)
    assert FileContent.of_bytes(data).quickxor() == quickxorhash(data)


@pytest.mark.anyio
async def test_an_audience_folder_is_made_once_per_library_and_a_refusal_holds_the_document() -> (
    None
):
    from notesmig.errors import TerminalError
    from notesmig.records import FileRow
    from notesmig.sharepoint.files import FileUploader
    from notesmig.sharepoint.provision import Target

    made: list[tuple[str, str]] = []

    async def audience_folder(target: Target, audience: str) -> None:
        made.append((target.title, audience))
        if target.title == "refusing":
            raise TerminalError("breakroleinheritance refused")

    uploader = FileUploader(None, None, None, lambda _f: None, audience_folder=audience_folder)  # type: ignore[arg-type]
    libraries = [Target(title, title, f"https://x/{title}", "site", "/sites/x")
                 for title in ("文書", "添付", "refusing")]  # fmt: skip

    def file(unid: str) -> FileRow:
        return FileRow(database="C1257C3002B6B52A", unid=unid, library="l", folder="aud-1",
                       name="a.pdf", original_name="a.pdf", size=1, sha256=None, blob=None,
                       kind="attachment", audience="aud-1")  # fmt: skip

    first, second = file("A" * 32), file("B" * 32)
    for library in libraries:
        assert await uploader._audience_ready(library, first) is (library.title != "refusing")
        assert await uploader._audience_ready(library, second) is (library.title != "refusing")
    # Before: keyed by audience alone, the second library's folder was never made, and its
    # files went into a folder Graph created with the library's own (wider) permissions.
    assert made == [("文書", "aud-1"), ("添付", "aud-1"), ("refusing", "aud-1")]
    assert uploader.refused == {"A" * 32: "breakroleinheritance refused",
                                "B" * 32: "breakroleinheritance refused"}  # fmt: skip
