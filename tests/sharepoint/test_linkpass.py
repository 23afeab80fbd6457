"""Notes links, inline pictures and response threads after the move, end to end against the
emulator with the real SDK: a wave that loads a board before the library it links to leaves
those links on the redirector (which explains), the library's wave upgrades them to direct
links, every link then opens an item that exists, every picture is its uploaded file, every
response's lookup is its parent, and a further run writes nothing."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx
from fastapi.testclient import TestClient

from notesmig.ledger import Ledger
from notesmig.links.redirector import create_app
from notesmig.links.urls import DEFAULT_REDIRECTOR
from notesmig.pipeline import StageSettings
from notesmig.pipeline.stages import reconcile_replica
from notesmig.sample.corpus import SampleFile
from notesmig.sharepoint.client import GraphEndpoint
from tests.migration import SITE, emulator_for, mappings_for, migrate, pages

BOARD = "1E9675FC9921B17D"  # 掲示板: links to itself and to 文書ライブラリ
LIBRARY = "58D6B8A63270688E"  # 文書ライブラリ
HREF = re.compile(r'<a\s[^>]*data-notes-link="[^"]*"[^>]*>')
URL = re.compile(r'\shref="([^"]*)"')
SRC = re.compile(r'<img\b[^>]*?\ssrc="([^"]*)"')


class _Client:
    def __init__(self, client: httpx.Client) -> None:
        self.client = client

    def get(self, path: str, params: dict[str, str] | None = None) -> httpx.Response:
        return self.client.get(path, params=params)


def rich_text(graph: httpx.Client) -> dict[str, list[tuple[str, str]]]:
    """Every list's items' string values that hold HTML: list -> [(item id, value)]."""
    site = graph.get(SITE).json()["id"]
    found: dict[str, list[tuple[str, str]]] = {}
    for entry in pages(_Client(graph), f"/sites/{site}/lists"):
        if entry["list"]["template"] != "genericList" or entry["list"]["hidden"]:
            continue
        items = pages(_Client(graph), f"/sites/{site}/lists/{entry['id']}/items",
                      {"$expand": "fields", "$top": "500"})  # fmt: skip
        found[entry["displayName"]] = [
            (item["id"], value)
            for item in items
            for value in item["fields"].values()
            if isinstance(value, str) and "<" in value
        ]
    return found


def links_in(values: list[tuple[str, str]]) -> list[str]:
    return [URL.search(tag).group(1) for _id, v in values for tag in HREF.findall(v)]  # type: ignore[union-attr]


def opens(graph: httpx.Client, url: str) -> bool:
    """Whether a DispForm URL names an item that exists in its list."""
    parts = urlsplit(url)
    list_path, _, query = unquote(parts.path).rpartition("/DispForm.aspx")[0], "", parts.query
    site = graph.get(SITE).json()["id"]
    for entry in pages(_Client(graph), f"/sites/{site}/lists"):
        if unquote(urlsplit(entry["webUrl"]).path) == list_path:
            item = query.removeprefix("ID=")
            return graph.get(f"/sites/{site}/lists/{entry['id']}/items/{item}").status_code == 200
    return False


def test_links_wait_on_the_redirector_then_open_their_items(
    sample_corpus: list[SampleFile], tmp_path: Path
) -> None:
    mappings = mappings_for(sample_corpus, tmp_path / "mappings")
    ledger_url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    board_file = next(s.path for s in sample_corpus if s.title == "掲示板")
    redirector = TestClient(create_app(lambda: ledger_url))
    with emulator_for(tmp_path, sample_corpus, "--ru-per-minute", "0") as emulator:
        graph = httpx.Client(base_url=emulator.graph_url, headers={"Authorization": "Bearer app"})
        # Wave 1: the board alone. Its links into the library (not yet exported) wait on the
        # redirector, which says the target is in no export; its links to itself are direct.
        first = migrate([board_file], mappings, tmp_path / "work", graph_url=emulator.graph_url,
                        db_url=ledger_url)  # fmt: skip
        board_links = links_in(rich_text(graph)["掲示板"])
        waiting = [u for u in board_links if u.startswith(DEFAULT_REDIRECTOR)]
        assert len(board_links) == 31 and len(waiting) == 3
        assert all(u.startswith(f"{DEFAULT_REDIRECTOR}/{LIBRARY}/") for u in waiting)
        assert (first.load.links_direct, first.load.links_broken) == (28, 3)
        for url in waiting:
            page = redirector.get(url.removeprefix("http://127.0.0.1:8790"))
            assert page.status_code == 404 and "どの Notes エクスポートにもありません" in page.text
        assert all(opens(graph, u) for u in board_links if u not in waiting)

        # Wave 2: everything. The library's link pass upgrades the board's waiting links.
        second = migrate([sample_corpus[0].path.parent], mappings, tmp_path / "work",
                         graph_url=emulator.graph_url, db_url=ledger_url)  # fmt: skip
        everything = rich_text(graph)
        every_link = [u for values in everything.values() for u in links_in(values)]
        assert len(every_link) == 59  # every doclink of the sample's loaded documents
        assert all(opens(graph, u) for u in every_link)
        for url in waiting:  # the old redirector addresses now forward to the same items
            answer = redirector.get(
                url.removeprefix("http://127.0.0.1:8790"), follow_redirects=False
            )
            assert answer.status_code == 302 and opens(graph, answer.headers["location"])
        values = [v for found in everything.values() for _id, v in found]
        assert not any("notes:///" in v or 'src="blobs/' in v for v in values)
        pictures = [src for v in values for src in SRC.findall(v)]
        assert len(pictures) == second.load.pictures_linked == 10
        ledger = Ledger(ledger_url)
        report = {d.replica_id: d for d in ledger.link_report()}
        ledger.close()
        assert sum(d.direct for d in report.values()) == 59
        assert all(d.pending == d.broken == 0 and d.waiting == [] for d in report.values())
        assert second.load.links_upgraded == 3  # the board's documents linking to the library
        for src in pictures:
            path = unquote(urlsplit(src).path)
            library, rest = path.removeprefix("/sites/notes-migration/").split("/", 1)
            site = graph.get(SITE).json()["id"]
            drive = next(
                graph.get(f"/sites/{site}/lists/{e['id']}/drive").json()["id"]
                for e in pages(_Client(graph), f"/sites/{site}/lists")
                if unquote(urlsplit(e["webUrl"]).path).endswith("/" + library)
            )
            item = graph.get(f"/drives/{drive}/root:/{rest}:")
            assert item.status_code == 200 and item.json()["webUrl"] == src
            assert item.json()["file"]["mimeType"] == "image/png"

        # Threads: every response's NotesParent lookup is its parent's item, its root and depth
        # are the thread's, and NotesParentLink leads (through the redirector) to the parent.
        site = graph.get(SITE).json()["id"]
        board = next(e for e in pages(_Client(graph), f"/sites/{site}/lists")
                     if e["displayName"] == "掲示板")  # fmt: skip
        items = pages(_Client(graph), f"/sites/{site}/lists/{board['id']}/items",
                      {"$expand": "fields", "$top": "500"})  # fmt: skip
        by_id = {i["id"]: i["fields"] for i in items}
        by_unid = {f["NotesUNID"]: (item_id, f) for item_id, f in by_id.items()}
        responses = [f for f in by_id.values() if f.get("NotesParentUNID")]
        assert len(responses) == 28
        for fields in responses:
            parent = by_id[str(fields["NotesParentLookupId"])]
            assert parent["NotesUNID"] == fields["NotesParentUNID"]
            assert fields["NotesThreadDepth"] == parent["NotesThreadDepth"] + 1
            assert fields["NotesThreadRoot"] == parent["NotesThreadRoot"]
            link = fields["NotesParentLink"]["Url"].removeprefix("http://127.0.0.1:8790")
            answer = redirector.get(link, follow_redirects=False)
            assert answer.headers["location"].endswith(
                f"DispForm.aspx?ID={by_unid[parent['NotesUNID']][0]}"
            )
        roots = {f["NotesUNID"] for f in by_id.values() if not f.get("NotesParentUNID")}
        assert all(by_unid[f["NotesThreadRoot"]][1]["NotesThreadDepth"] == 0 for f in responses)
        assert {f["NotesThreadRoot"] for f in responses} <= roots

        # A third run finds every link where it should be: nothing is written.
        third = migrate([sample_corpus[0].path.parent], mappings, tmp_path / "work",
                        graph_url=emulator.graph_url, db_url=ledger_url)  # fmt: skip
        assert third.load.links_rewritten == 0 and third.load.links_direct == 59
        settings = StageSettings(work=tmp_path / "work", mappings=mappings, ledger_url=ledger_url,
                                 graph=GraphEndpoint(emulator.graph_url), ru_per_minute=0)  # fmt: skip
        for replica in (BOARD, LIBRARY):  # what the pass wrote is what the reconciler expects
            assert set(reconcile_replica(replica, settings).verdicts) == {"verified"}
