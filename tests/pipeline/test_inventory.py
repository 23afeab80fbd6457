"""The discovery's inventory of the sample: every database with its figures, a complexity class
with the reasons, a draft mapping where none exists, and the page."""

from __future__ import annotations

from pathlib import Path

from notesmig.pipeline.inventory import read_inventory, take_inventory, write_inventory
from notesmig.sample.corpus import SampleFile
from notesmig.sample.dxlbuild import stable_hex, text_item
from tests.dxlfiles import database, document


def test_the_sample_inventory(sample_corpus: list[SampleFile], tmp_path: Path) -> None:
    drop = sample_corpus[0].path.parent
    mappings = tmp_path / "mappings"
    mappings.mkdir()
    (mappings / "keijiban.yaml").write_text(_suggested(sample_corpus, "keijiban"), "utf-8")
    found = take_inventory(drop, mappings, mappings / "drafts")
    by_title = {d.title: d for d in found.databases}
    assert sorted(by_title) == ["出張申請", "掲示板", "文書ライブラリ", "火災ごみ減免申請"]
    board, library = by_title["掲示板"], by_title["文書ライブラリ"]
    trips, fees = by_title["出張申請"], by_title["火災ごみ減免申請"]
    assert (board.documents, board.responses, board.forms) == (
        40, 28, {"MainTopic": 12, "Response": 18, "ResponseToResponse": 10})  # fmt: skip
    assert board.complexity == "simple-list"
    assert (library.attachments, library.complexity) == (16, "document-library")
    assert (trips.documents, trips.readers_documents, trips.authors_documents) == (20, 11, 20)
    assert trips.complexity == "workflow-with-security"
    assert sorted(trips.roles) == ["[Admin]", "[Approver]"]
    assert any("11 with Readers" in r for r in trips.reasons)
    assert (fees.documents, fees.readers_documents, fees.attachments) == (10, 10, 35)
    assert fees.complexity == "workflow-with-security"
    # The board has its mapping; the others get drafts to review, none overwritten.
    assert board.mapping is not None and board.draft is None
    drafts = sorted(p.name for p in (mappings / "drafts").iterdir())
    assert drafts == ["bunsho.yaml", "genmen.yaml", "shutcho.yaml"]
    assert trips.draft is not None and "readers: hold" in Path(trips.draft).read_text("utf-8")

    path = write_inventory(found, tmp_path / "inventory")
    again = read_inventory(tmp_path / "inventory")
    assert path.name == "inventory.json" and again == found
    page = (tmp_path / "inventory" / "index.html").read_text(encoding="utf-8")
    assert '<html lang="ja">' in page and "セキュリティ付きワークフロー" in page
    english = (tmp_path / "inventory" / "en" / "index.html").read_text(encoding="utf-8")
    assert "workflow with security" in english
    assert read_inventory(tmp_path / "none") is None


def _suggested(sample_corpus: list[SampleFile], stem: str) -> str:
    from notesmig.mapping.suggest import suggest

    return suggest(next(s.path for s in sample_corpus if s.path.stem == stem)).yaml


def test_the_same_file_name_in_two_folders_gets_a_draft_each(tmp_path: Path) -> None:
    # Before: both databases' drafts were drafts/export.yaml, the second over the first, and a
    # database's draft held only its first export's forms.
    drop = tmp_path / "drop"
    desk = database(
        drop / "kyoku-a" / "export.dxl",
        "受付簿",
        document("Request", stable_hex("r"), text_item("Subject", "受付")),
    )
    ledger = database(
        drop / "kyoku-b" / "export.dxl",
        "台帳",
        document("Entry", stable_hex("e"), text_item("Subject", "台帳")),
    )
    split = stable_hex("split", length=16).upper()
    database(
        drop / "kyoku-c" / "part1.dxl",
        "分割",
        document("Memo", stable_hex("m"), text_item("Subject", "前半")),
        replica=split,
    )
    database(
        drop / "kyoku-c" / "part2.dxl",
        "分割",
        document("Reply", stable_hex("p"), text_item("Body", "後半")),
        replica=split,
    )
    # One export of a database that stops early (the other reads whole): no draft of half of it.
    cut = stable_hex("cut", length=16).upper()
    database(
        drop / "kyoku-d" / "good.dxl", "途中まで", document("Memo", stable_hex("g")), replica=cut
    )
    broken = drop / "kyoku-d" / "broken.dxl"
    database(broken, "途中まで", replica=cut)
    broken.write_text(broken.read_text("utf-8").replace("</database>", "<document>"), "utf-8")
    mappings = tmp_path / "mappings"
    found = take_inventory(drop, mappings, mappings / "drafts")
    by_key = {d.key: d for d in found.databases}
    assert sorted(by_key) == sorted([desk, ledger, split, cut])
    drafts = sorted(p.name for p in (mappings / "drafts").iterdir())
    assert drafts == sorted([f"export-{desk}.yaml", f"export-{ledger}.yaml", "part1.yaml"])
    for key in (desk, ledger, split):
        text = Path(str(by_key[key].draft)).read_text("utf-8")
        assert f'replica_id: "{key}"' in text
    both = Path(str(by_key[split].draft)).read_text("utf-8")
    assert '"Memo":' in both and '"Reply":' in both
    assert 'source: "part1.dxl, part2.dxl"' in both
    assert by_key[cut].draft is None and by_key[cut].errors
    assert by_key[cut].complexity == "needs-design-work"
