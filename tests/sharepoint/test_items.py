"""List items through the real msgraph-sdk and SharePoint REST: one item per document, whatever
SharePoint answers, hyperlinks that Graph cannot write, people SharePoint must first ensure."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import httpx

from notesmig.ledger import Ledger
from notesmig.sample.corpus import SampleFile
from notesmig.sample.dxlbuild import stable_hex, text_item
from tests.dxlfiles import database, document
from tests.migration import (
    SITE,
    assert_exactly_once,
    emulator_for,
    mappings_for,
    migrate,
    read_back,
)

LINKS_MAPPING = """version: 1
database: {{replica_id: "{replica}", title: "リンク集"}}
target: {{site: "contoso.sharepoint.com:/sites/notes-migration"}}
users: {{file: users.csv, unknown: text}}
readers: hold
forms:
  Link:
    list: "リンク集"
    items:
      Subject: {{column: Title, type: text}}
      Homepage: {{column: Homepage, type: hyperlink}}
      Owner: {{column: ResponsiblePersonForTheLinkPage, type: person}}
"""


def test_a_lost_ledger_adopts_every_item_whatever_sharepoint_answers(
    sample_corpus: list[SampleFile], tmp_path: Path
) -> None:
    mappings = mappings_for(sample_corpus, tmp_path / "mappings")
    drop = sample_corpus[0].path.parent
    with emulator_for(tmp_path, sample_corpus, "--ru-per-minute", "0") as emulator:
        first = migrate([drop], mappings, tmp_path / "work", graph_url=emulator.graph_url,
                        db_url=f"sqlite:///{tmp_path / 'first.sqlite3'}")  # fmt: skip
        # SharePoint refuses a duplicate NotesUNID in words and statuses of its choosing.
        http = httpx.Client(base_url=emulator.graph_url, headers={"Authorization": "Bearer t"})
        site = http.get(SITE).json()["id"]
        board = next(e for e in http.get(f"/sites/{site}/lists").json()["value"]
                     if e["displayName"] == "掲示板")  # fmt: skip
        items, _ = read_back(emulator.graph_url)
        statuses = Counter(
            http.post(f"/sites/{site}/lists/{board['id']}/items",
                      json={"fields": {"NotesUNID": f["NotesUNID"]}}).status_code
            for f in items["掲示板"]
        )  # fmt: skip
        assert set(statuses) == {400, 409, 500}
        # A run with a fresh ledger (the first one lost) creates nothing and holds nothing back.
        again = migrate([drop], mappings, tmp_path / "work2", graph_url=emulator.graph_url,
                        db_url=f"sqlite:///{tmp_path / 'second.sqlite3'}")  # fmt: skip
        assert again.load.items_created == 0
        assert again.load.duplicates_resolved == first.load.items_created
        assert again.load.items_quarantined == first.load.items_quarantined  # the restricted
        assert_exactly_once(emulator.graph_url, tmp_path / "work2")


def test_hyperlinks_long_columns_and_people_sharepoint_must_ensure(
    sample_corpus: list[SampleFile], tmp_path: Path
) -> None:
    drop = tmp_path / "drop"
    owner = "CN=斎藤 一郎/OU=情報政策課/O=Maebashi"
    replica = database(
        drop / "links.dxl",
        "リンク集",
        *(
            document("Link", stable_hex("link", n),
                     text_item("Subject", f"リンク {n}"),
                     text_item("Homepage", f"https://www.city.example.jp/page/{n}?a=1, b=2"),
                     text_item("Owner", "CN=幽霊 職員/O=Maebashi" if n == 2 else owner, names=True))
            for n in range(3)
        ),
    )  # fmt: skip
    mappings = tmp_path / "mappings"
    mappings.mkdir()
    users = sample_corpus[0].path.parent / "users.csv"
    # The ghost is mapped to an account the tenant does not have.
    (mappings / "users.csv").write_text(
        users.read_text(encoding="utf-8")
        + "CN=幽霊 職員/O=Maebashi,ghost@contoso.onmicrosoft.com\n",
        encoding="utf-8",
    )
    (mappings / "links.yaml").write_text(LINKS_MAPPING.format(replica=replica), encoding="utf-8")
    ledger_url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    with emulator_for(tmp_path, sample_corpus, "--ru-per-minute", "0") as emulator:
        result = migrate([drop], mappings, tmp_path / "work", graph_url=emulator.graph_url,
                         db_url=ledger_url)  # fmt: skip
        items, _ = read_back(emulator.graph_url)
        http = httpx.Client(base_url=emulator.graph_url, headers={"Authorization": "Bearer t"})
        site = http.get(SITE).json()["id"]
        people = http.get(f"/sites/{site}/lists/User Information List/items",
                          params={"$expand": "fields"}).json()["value"]  # fmt: skip
    assert result.load.items_created == 3 and result.load.items_quarantined == 0
    by_title = {f["Title"]: f for f in items["リンク集"]}
    # Graph cannot write hyperlinks: they went through ValidateUpdateListItem, comma and all.
    assert by_title["リンク 1"]["Homepage"] == {
        "Url": "https://www.city.example.jp/page/1?a=1, b=2",
        "Description": "https://www.city.example.jp/page/1?a=1, b=2",
    }
    # The companion of a long column name is cut to 32 characters by SharePoint; its value
    # was written under that name, not skipped.
    assert (
        by_title["リンク 0"]["ResponsiblePersonForTheLinkPageN"] == "斎藤 一郎/情報政策課/Maebashi"
    )
    assert by_title["リンク 0"]["ResponsiblePersonForTheLinkPageLookupId"]
    assert "ResponsiblePersonForTheLinkPageLookupId" not in by_title["リンク 2"]
    # Not in the site's user list until the loader ensured them.
    assert "user00@contoso.onmicrosoft.com" in {p["fields"]["EMail"] for p in people}
    assert result.load.unknown_people == {"ghost@contoso.onmicrosoft.com": 1}
    [status] = Ledger(ledger_url).status()
    assert status.unknown_people == 1


def test_two_databases_with_one_unid_in_one_list_never_overwrite(
    sample_corpus: list[SampleFile], tmp_path: Path
) -> None:
    shared = stable_hex("shared-unid")
    drop = tmp_path / "drop"
    replicas = [
        database(drop / f"{name}.dxl", name,
                 document("Memo", shared, text_item("Subject", f"{name} の文書")),
                 document("Memo", stable_hex(name), text_item("Subject", f"{name} だけ")))
        for name in ("本庁", "支所")
    ]  # fmt: skip
    mappings = tmp_path / "mappings"
    mappings.mkdir()
    for name, replica in zip(("honcho", "shisho"), replicas, strict=True):
        (mappings / f"{name}.yaml").write_text(
            f'version: 1\ndatabase: {{replica_id: "{replica}"}}\n'
            'target: {site: "contoso.sharepoint.com:/sites/notes-migration"}\n'
            'forms: {Memo: {list: "共通", items: {Subject: {column: Title, type: text}}}}\n',
            encoding="utf-8",
        )
    ledger_url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    with emulator_for(tmp_path, sample_corpus, "--ru-per-minute", "0") as emulator:
        migrate(
            [drop], mappings, tmp_path / "work", graph_url=emulator.graph_url, db_url=ledger_url
        )
        items, _ = read_back(emulator.graph_url)
    by_unid = {f["NotesUNID"]: f for f in items["共通"]}
    assert len(items["共通"]) == 3
    first, second = sorted(replicas)
    # The UNID stays with the database that loaded it first; the other is held back, named.
    assert by_unid[shared]["NotesDatabase"] in replicas
    loser = second if by_unid[shared]["NotesDatabase"] == first else first
    held = [q for q in Ledger(ledger_url).quarantined(loser)]
    assert [q["unid"] for q in held] == [shared]
    assert held[0]["reason"] == "conflict: the same UNID is in this list from another database"


def test_authorship_dates_are_right_across_daylight_saving(
    sample_corpus: list[SampleFile], tmp_path: Path
) -> None:
    from datetime import UTC, datetime

    from notesmig.sample.dxlbuild import E, noteinfo

    # A London site: ValidateUpdateListItem takes local time, an hour off in summer.
    moments = {
        "winter": datetime(2024, 1, 10, 12, 0, 5, tzinfo=UTC),
        "before": datetime(2024, 3, 31, 0, 59, 59, tzinfo=UTC),  # the last second of GMT
        "after": datetime(2024, 3, 31, 1, 0, 0, tzinfo=UTC),  # the first of BST
        "summer": datetime(2024, 7, 10, 12, 0, 5, tzinfo=UTC),
    }
    notes = [E.document(noteinfo(n + 8, stable_hex("dst", key), moment, moment),
                        E.updatedby(E.name("CN=斎藤 一郎/OU=情報政策課/O=Maebashi")),
                        text_item("Subject", key), form="Memo")
             for n, (key, moment) in enumerate(moments.items())]  # fmt: skip
    replica = database(tmp_path / "drop" / "memo.dxl", "メモ", *notes)
    mappings = tmp_path / "mappings"
    mappings.mkdir()
    (mappings / "users.csv").write_bytes((sample_corpus[0].path.parent / "users.csv").read_bytes())
    (mappings / "memo.yaml").write_text(
        f'version: 1\ndatabase: {{replica_id: "{replica}"}}\n'
        'target: {site: "contoso.sharepoint.com:/sites/notes-migration"}\n'
        "users: {file: users.csv}\n"
        'forms: {Memo: {list: "メモ", items: {Subject: {column: Title, type: text}}}}\n',
        encoding="utf-8",
    )
    with emulator_for(
        tmp_path, sample_corpus, "--ru-per-minute", "0", "--time-zone", "2"
    ) as emulator:
        migrate([tmp_path / "drop"], mappings, tmp_path / "work", graph_url=emulator.graph_url,
                db_url=f"sqlite:///{tmp_path / 'ledger.sqlite3'}")  # fmt: skip
        graph = httpx.Client(base_url=emulator.graph_url, headers={"Authorization": "Bearer t"})
        site = graph.get(SITE).json()["id"]
        memo = next(e for e in graph.get(f"/sites/{site}/lists").json()["value"]
                    if e["displayName"] == "メモ")  # fmt: skip
        items = graph.get(f"/sites/{site}/lists/{memo['id']}/items",
                          params={"$expand": "fields"}).json()["value"]  # fmt: skip
    created = {i["fields"]["Title"]: i["createdDateTime"] for i in items}
    assert created == {k: m.strftime("%Y-%m-%dT%H:%M:%SZ") for k, m in moments.items()}
