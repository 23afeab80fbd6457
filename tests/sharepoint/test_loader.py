"""The load stage when a document's access changes between runs: whatever Notes now keeps from
someone is shut where it stands (item and files) before anything else is written, and a
document whose readers changed moves to them even when its content did not."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from notesmig.sample.corpus import SampleFile
from notesmig.sample.dxlbuild import file_item, stable_hex, text_item
from tests.dxlfiles import CREATED, MODIFIED, database, document
from tests.migration import SITE, emulator_for, migrate

READER = "CN=斎藤 一郎/OU=情報政策課/O=Maebashi"
READER_UPN = "user00@contoso.onmicrosoft.com"
OTHER = "CN=林 陽子/OU=総務課/O=Maebashi"
OTHER_UPN = "user01@contoso.onmicrosoft.com"
OUTSIDER_UPN = "user03@contoso.onmicrosoft.com"
SECRET = stable_hex("withdrawal", "secret")
OPEN = stable_hex("withdrawal", "open")
REPLICA = stable_hex("withdrawal-db", length=16)


class Person:
    """What one signed-in person reads of the memo list and its library, by Graph."""

    def __init__(self, graph_url: str, upn: str | None) -> None:
        token = f"user:{upn}" if upn else "app"  # None: the app itself, which reads everything
        self.http = httpx.Client(
            base_url=graph_url, headers={"Authorization": f"Bearer {token}"}, timeout=30
        )
        app = httpx.Client(base_url=graph_url, headers={"Authorization": "Bearer app"})
        self.site = app.get(SITE).json()["id"]
        self.lists = {
            e["displayName"]: e for e in app.get(f"/sites/{self.site}/lists").json()["value"]
        }

    def _items(self, title: str, expand: str = "fields") -> list[dict[str, Any]]:
        found = self.http.get(
            f"/sites/{self.site}/lists/{self.lists[title]['id']}/items",
            params={"$expand": expand, "$top": "5000"},
        )
        return [] if found.status_code == 404 else found.json()["value"]

    def documents(self) -> set[str]:
        return {i["fields"].get("NotesUNID") for i in self._items("メモ")} - {None}

    def files(self) -> dict[str, bytes]:
        """The memo files this person can open: UNID/name -> content."""
        found: dict[str, bytes] = {}
        for item in self._items("メモ ファイル", "fields,driveItem"):
            drive_item = item.get("driveItem") or {}
            if "file" not in drive_item:
                continue  # a folder
            drive = drive_item["parentReference"]["driveId"]
            content = self.http.get(f"/drives/{drive}/items/{drive_item['id']}/content")
            if content.status_code == 200:
                found[f"{item['fields'].get('NotesUNID')}/{drive_item['name']}"] = content.content
        return found


def export(drop: Path, readers: list[str] | None) -> None:
    secret_items = [text_item("Subject", "人事の相談"),
                    file_item("相談メモ.txt", "個人的な事情".encode(), CREATED, MODIFIED)]  # fmt: skip
    if readers is not None:
        secret_items.append(text_item("DocReaders", readers, readers=True))
    database(drop / "memo.dxl", "メモ", document("Memo", SECRET, *secret_items),
             document("Memo", OPEN, text_item("Subject", "お知らせ")), replica=REPLICA)  # fmt: skip


def mapping(folder: Path, sample: Path, readers: str, withdraw: str = "restrict") -> Path:
    folder.mkdir(exist_ok=True)
    for name in ("users.csv", "groups.csv"):
        (folder / name).write_bytes((sample / name).read_bytes())
    (folder / "memo.yaml").write_text(
        f'version: 1\ndatabase: {{replica_id: "{REPLICA}"}}\n'
        'target: {site: "contoso.sharepoint.com:/sites/notes-migration"}\n'
        f"users: {{file: users.csv, groups: groups.csv}}\nreaders: {readers}\n"
        f"withdraw: {withdraw}\n"
        'forms: {Memo: {list: "メモ", library: "メモ ファイル",\n'
        "               items: {Subject: {column: Title, type: text}}}}\n",
        encoding="utf-8",
    )
    return folder


def run(tmp_path: Path, graph_url: str) -> None:
    migrate([tmp_path / "drop"], tmp_path / "mappings", tmp_path / "work", graph_url=graph_url,
            db_url=f"sqlite:///{tmp_path / 'ledger.sqlite3'}")  # fmt: skip


def test_a_document_that_gains_readers_is_shut_with_its_files_and_moves_to_them(
    sample_corpus: list[SampleFile], tmp_path: Path
) -> None:
    sample = sample_corpus[0].path.parent
    mapping(tmp_path / "mappings", sample, "restrict")
    with emulator_for(tmp_path, sample_corpus, "--ru-per-minute", "0") as emulator:
        export(tmp_path / "drop", readers=None)
        run(tmp_path, emulator.graph_url)
        outsider = Person(emulator.graph_url, OUTSIDER_UPN)
        # Open in Notes, open in SharePoint: everyone on the site reads it and its file.
        assert outsider.documents() == {SECRET, OPEN}
        assert f"{SECRET}/相談メモ.txt" in outsider.files()
        export(tmp_path / "drop", readers=[READER])
        run(tmp_path, emulator.graph_url)
        outsider = Person(emulator.graph_url, OUTSIDER_UPN)
        reader = Person(emulator.graph_url, READER_UPN)
        assert outsider.documents() == {OPEN}
        assert outsider.files() == {}  # the old open copy of its file is gone too
        assert reader.documents() == {SECRET, OPEN}
        assert reader.files() == {f"{SECRET}/相談メモ.txt": "個人的な事情".encode()}
        app = Person(emulator.graph_url, None)
        assert len(app.files()) == 1  # one copy of the file, inside its audience's folder


def test_readers_changed_without_a_content_change_move_the_document(
    sample_corpus: list[SampleFile], tmp_path: Path
) -> None:
    sample = sample_corpus[0].path.parent
    mapping(tmp_path / "mappings", sample, "restrict")
    with emulator_for(tmp_path, sample_corpus, "--ru-per-minute", "0") as emulator:
        export(tmp_path / "drop", readers=[READER])
        run(tmp_path, emulator.graph_url)
        assert SECRET in Person(emulator.graph_url, READER_UPN).documents()
        assert SECRET not in Person(emulator.graph_url, OTHER_UPN).documents()
        export(tmp_path / "drop", readers=[OTHER])  # same subject, same file: only who reads
        run(tmp_path, emulator.graph_url)
        former, reader = (Person(emulator.graph_url, READER_UPN),
                          Person(emulator.graph_url, OTHER_UPN))  # fmt: skip
        assert SECRET not in former.documents() and former.files() == {}
        assert SECRET in reader.documents()
        assert list(reader.files()) == [f"{SECRET}/相談メモ.txt"]


@pytest.mark.parametrize("withdraw", ["restrict", "remove"])
def test_a_mapping_turned_to_hold_withdraws_the_document_and_its_files(
    sample_corpus: list[SampleFile], tmp_path: Path, withdraw: str
) -> None:
    sample = sample_corpus[0].path.parent
    mapping(tmp_path / "mappings", sample, "restrict", withdraw)
    with emulator_for(tmp_path, sample_corpus, "--ru-per-minute", "0") as emulator:
        export(tmp_path / "drop", readers=[READER])
        run(tmp_path, emulator.graph_url)
        reader = Person(emulator.graph_url, READER_UPN)
        assert SECRET in reader.documents() and len(reader.files()) == 1
        mapping(tmp_path / "mappings", sample, "hold", withdraw)
        run(tmp_path, emulator.graph_url)
        reader = Person(emulator.graph_url, READER_UPN)
        assert reader.documents() == {OPEN} and reader.files() == {}
        app = Person(emulator.graph_url, None)
        # Restricted to nobody but the app, or removed, as the mapping says.
        assert (SECRET in app.documents()) == (withdraw == "restrict")
        assert len(app.files()) == (1 if withdraw == "restrict" else 0)
        run(tmp_path, emulator.graph_url)  # a re-run changes nothing
        assert Person(emulator.graph_url, READER_UPN).documents() == {OPEN}
