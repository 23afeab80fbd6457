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
        # Found as this person finds them (an app frozen by the emulator still lets people read).
        self.site = self.http.get(SITE).json()["id"]
        self.lists = {e["displayName"]: e for e in
                      self.http.get(f"/sites/{self.site}/lists").json()["value"]}  # fmt: skip

    def _items(self, title: str, expand: str = "fields") -> list[dict[str, Any]]:
        if title not in self.lists:
            return []  # a list this person may not read is not there for them
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


def test_a_restricted_row_whose_plan_is_lost_is_held_back_never_loaded_openly(
    sample_corpus: list[SampleFile], tmp_path: Path
) -> None:
    from notesmig.ledger import Ledger
    from notesmig.pipeline.discover import discover_databases
    from notesmig.pipeline.settings import StageSettings
    from notesmig.pipeline.stages import extract_database, load_database, transform_database
    from notesmig.sharepoint.client import GraphEndpoint

    mapping(tmp_path / "mappings", sample_corpus[0].path.parent, "restrict")
    export(tmp_path / "drop", readers=[READER])
    ledger_url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    with emulator_for(tmp_path, sample_corpus, "--ru-per-minute", "0") as emulator:
        settings = StageSettings(work=tmp_path / "work", mappings=tmp_path / "mappings",
                                 ledger_url=ledger_url, graph=GraphEndpoint(emulator.graph_url),
                                 ru_per_minute=0)  # fmt: skip
        [source] = discover_databases([tmp_path / "drop"])
        transformed, _ = transform_database(extract_database(source, settings), settings)
        # permissions.jsonl lost (a disk, a copy, a hand out of step): the rows still say
        # restricted, and without their plan nothing of them goes anywhere.
        (Path(transformed.transform_dir) / "permissions.jsonl").unlink()
        load_database(transformed, settings)
        app = Person(emulator.graph_url, None)
        assert app.documents() == {OPEN} and app.files() == {}
    [held] = [q for q in Ledger(ledger_url).quarantined(REPLICA) if q["stage"] == "load"]
    assert held["unid"] == SECRET and "no plan for it" in held["detail"]


def test_the_acl_applied_later_keeps_restricted_documents_to_their_readers(
    sample_corpus: list[SampleFile], tmp_path: Path
) -> None:
    import subprocess
    import sys
    import time

    from notesmig.emulator.server import EmulatorProcess
    from notesmig.sample.dxlbuild import E

    acl = E.acl(E.aclentry(name="-Default-", default="true", level="noaccess"),
                E.aclentry(name="Maebashi_全職員", type="persongroup", level="reader"))  # fmt: skip
    secret = document("Memo", SECRET, text_item("Subject", "人事の相談"),
                      text_item("DocReaders", [READER], readers=True))  # fmt: skip
    opened = document("Memo", OPEN, text_item("Subject", "お知らせ"))
    folder = mapping(tmp_path / "mappings", sample_corpus[0].path.parent, "restrict")
    database(tmp_path / "drop" / "memo.dxl", "メモ", acl, secret, opened, replica=REPLICA)
    text = (folder / "memo.yaml").read_text(encoding="utf-8")
    first = emulator_for(tmp_path, sample_corpus, "--ru-per-minute", "0")
    with first:
        (folder / "memo.yaml").write_text(text + "acl: {apply: false}\n", encoding="utf-8")
        run(tmp_path, first.graph_url)
    (folder / "memo.yaml").write_text(text + "acl: {apply: true}\n", encoding="utf-8")
    # The ACL carried now: stopped right after the list's first grant (all staff read it), the
    # restricted document is still its readers' alone (breaking the list's inheritance kept
    # its audience folder's own permissions), and so after the whole run.
    frozen = EmulatorProcess(first.data_dir, port=first.port,
                             options=(*first.options, "--freeze-after", "addroleassignment"))  # fmt: skip
    with frozen:
        command = [str(Path(sys.executable).with_name("notesmig")), "migrate",
                   str(tmp_path / "drop"), "--mapping", str(folder), "--graph-url",
                   frozen.graph_url, "--db-url", f"sqlite:///{tmp_path / 'ledger.sqlite3'}",
                   "--work", str(tmp_path / "work"), "--ru-per-minute", "0"]  # fmt: skip
        loading = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while not frozen.charged().get("frozen"):
            assert loading.poll() is None, "the load ended before granting anything"
            time.sleep(0.05)
        loading.kill()
        loading.wait()
        assert Person(frozen.graph_url, OUTSIDER_UPN).documents() == {OPEN}
        frozen.kill()
    with EmulatorProcess(first.data_dir, port=first.port, options=first.options) as again:
        run(tmp_path, again.graph_url)
        assert Person(again.graph_url, OUTSIDER_UPN).documents() == {OPEN}
        assert Person(again.graph_url, READER_UPN).documents() == {SECRET, OPEN}


def test_a_document_that_cannot_be_restricted_where_it_stands_is_removed(
    sample_corpus: list[SampleFile], tmp_path: Path
) -> None:
    from notesmig.emulator.server import EmulatorProcess

    mapping(tmp_path / "mappings", sample_corpus[0].path.parent, "restrict")
    emulator = emulator_for(tmp_path, sample_corpus, "--ru-per-minute", "0")
    with emulator:
        export(tmp_path / "drop", readers=None)
        run(tmp_path, emulator.graph_url)
        assert SECRET in Person(emulator.graph_url, OUTSIDER_UPN).documents()
    # The same tenant, now refusing the app permission changes; the document gains readers.
    with EmulatorProcess(emulator.data_dir, port=emulator.port,
                         options=(*emulator.options, "--no-manage-permissions")) as refusing:  # fmt: skip
        export(tmp_path / "drop", readers=[READER])
        run(tmp_path, refusing.graph_url)
        app = Person(refusing.graph_url, None)
        # Neither restricted (refused) nor left open: removed, item and file.
        assert app.documents() == {OPEN} and app.files() == {}
