"""What extract, transform and migrate say when they are done, as a person reads it: Japanese
first, English beside, and only the notes that apply."""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from rich.console import Console

from notesmig.cli import summaries
from notesmig.dxl.scan import AttachmentSummary, FileError, FileReport
from notesmig.extract import ExtractResult
from notesmig.ledger.links import DatabaseLinks
from notesmig.pipeline.migrate import MigrationSummary
from notesmig.records import (
    DatabaseTotals,
    ExtractedDatabase,
    LoadCounts,
    LoadedDatabase,
    Outcome,
    SourceFile,
    TransformedDatabase,
    ValidatedDatabase,
)
from notesmig.transform.documents import TransformTally
from notesmig.transform.stage import TransformOutcome

REPLICA = "C12575C3002B6B52"


@dataclass
class Screen:
    out: io.StringIO
    err: io.StringIO


@pytest.fixture
def screen(monkeypatch: pytest.MonkeyPatch) -> Screen:
    """stdout and stderr as a wide, colourless log shows them."""
    seen = Screen(io.StringIO(), io.StringIO())
    monkeypatch.setattr(summaries, "console", Console(file=seen.out, width=1000))
    monkeypatch.setattr(summaries, "errors", Console(file=seen.err, width=1000))
    return seen


def test_an_extract_says_its_totals_and_where_it_wrote(screen: Screen, tmp_path: Path) -> None:
    picture = AttachmentSummary("a.png", 2048, "0" * 64, "D1", "file", None)
    result = ExtractResult(tmp_path, [FileReport(tmp_path / "a.dxl", documents=3,
                                                 attachments=[picture])])  # fmt: skip
    summaries.print_extracted(result, tmp_path / "out")
    assert screen.out.getvalue() == (
        "1 ファイルから 3 文書、添付 1 件（2.0 KB）、問題 0 件 / 3 documents from 1 file(s), "
        "1 attachments (2.0 KB), 0 problem(s) reported\n"
        f"  {tmp_path / 'out' / 'documents.jsonl'}\n  {tmp_path / 'out' / 'blobs'}\n"
        f"  {tmp_path / 'out' / 'summary.json'}\n"
    )
    assert screen.err.getvalue() == ""


def test_an_extract_names_the_files_not_read_to_the_end(screen: Screen, tmp_path: Path) -> None:
    broken = FileReport(tmp_path / "b.dxl", documents=1,
                        errors=[FileError("malformed XML", line=3, fatal=True)])  # fmt: skip
    summaries.print_extracted(ExtractResult(tmp_path, [broken]), tmp_path)
    assert "問題 1 件 / 1 documents from 1 file(s)" in screen.out.getvalue()
    assert screen.err.getvalue() == (
        "1 ファイルは最後まで読めませんでした / 1 file(s) could not be read to the end; "
        "障害箇所より前の文書は抽出済み / their documents before the fault were extracted.\n"
    )


def test_a_transform_shows_its_table_the_first_held_back_and_how_many_more(
    screen: Screen, tmp_path: Path
) -> None:
    tally = TransformTally(unknown_users=Counter({"CN=Sato/O=City": 2, "CN=Ito/O=City": 1}))
    tally.counts[REPLICA].extracted = 5
    tally.counts[REPLICA].transformed = 2
    tally.counts[REPLICA].quarantined = 3
    held = [Outcome(database=REPLICA, unid="A" * 32, form="F", reason="restricted"),
            Outcome(database=REPLICA, unid="B" * 32, form="F", reason="bad-value",
                    detail="Amount: 'x'")]  # fmt: skip
    result = TransformOutcome(tmp_path, tally, held_back=held, held_back_count=3)
    summaries.print_transformed(result, tmp_path / "out")
    out = screen.out.getvalue()
    assert "変換 / transform" in out and "件数一致 / balanced" in out and "はい / yes" in out
    assert out.endswith(
        "アカウントのない Notes 名 2 件（summary.json 参照） / "
        "2 Notes name(s) without an account (see summary.json)\n"
    )
    assert screen.err.getvalue().splitlines() == [
        f"保留 / held back {REPLICA} {'A' * 32}: restricted",
        f"保留 / held back {REPLICA} {'B' * 32}: bad-value (Amount: 'x')",
        f"... ほか 1 件 / and 1 more in {tmp_path / 'out' / 'quarantine.jsonl'}",
    ]


def migration(counts: LoadCounts, *, stopped: bool = False) -> MigrationSummary:
    extracted = ExtractedDatabase(
        replica_id=REPLICA, title="掲示板", extract_dir="e", documents=10, attachments=0,
        attachment_bytes=0, errors=1,
        files=[SourceFile(path="a.dxl", sha256=None, bytes=1, documents=10)],
    )  # fmt: skip
    totals = DatabaseTotals(extracted=10, transformed=7, quarantined=2, excluded=1)
    transformed = TransformedDatabase(replica_id=REPLICA, title="掲示板", extract_dir="e",
                                      transform_dir="t", totals=totals)  # fmt: skip
    validated = ValidatedDatabase(
        replica_id=REPLICA, title="掲示板", extract_dir="e", transform_dir="t",
        validated_dir="v", rows=7, failed_rows=1, expectations=4, failed_expectations=1,
        max_failure_ratio=0.1, stopped=stopped, stop_reason="too many failures" if stopped else "",
    )  # fmt: skip
    loaded = LoadedDatabase(replica_id=REPLICA, title="掲示板", transform_dir="t", counts=counts)
    return MigrationSummary(extracted=[extracted], transformed=[transformed],
                            validated=[validated], loaded=[loaded], seconds=12.34)  # fmt: skip


def test_a_migration_says_what_it_loaded(screen: Screen) -> None:
    counts = LoadCounts(items_created=4, items_updated=1, items_unchanged=1, items_quarantined=1,
                        files_uploaded=2, files_unchanged=3, bytes_uploaded=3 << 20,
                        resource_units=57, throttled=2)  # fmt: skip
    summaries.print_migrated(migration(counts))
    assert screen.out.getvalue().splitlines() == [
        "文書 10: 新規 4、更新 1、変更なし 1、保留 3、対象外 1 / documents 10: loaded 4 new, "
        "1 updated, 1 unchanged; held back 3; excluded 1",
        "添付 2 件アップロード（3.0 MB）、変更なし 3 / attachments 2 uploaded (3.0 MB), 3 unchanged",
        "エラー 1、57 RU、スロットリング 2、12.3 秒 / errors 1; 57 resource units; 2 throttled; 12.3 s",
    ]


def test_after_a_migration_the_links_of_the_whole_ledger_and_only_the_notes_that_apply(
    screen: Screen,
) -> None:
    links = [DatabaseLinks(REPLICA, "掲示板", found=6, direct=3, pending=2, broken=1, waiting=[]),
             DatabaseLinks("A" * 16, None, found=1, direct=1, pending=0, broken=0, waiting=[])]  # fmt: skip
    quiet = migration(LoadCounts(links_rewritten=2, links_upgraded=1, pictures_linked=4))
    quiet.validated[0] = quiet.validated[0].model_copy(update={"failed_rows": 0})
    summaries.print_migration_notes(quiet, links)
    assert screen.out.getvalue() == (
        "Notes リンク（台帳全体）: SharePoint へ 4、転送先で待機 2、リンク先なし 1; "
        "今回書き換えた文書 3、画像 4 / Notes links (whole ledger): 4 to SharePoint, 2 waiting on "
        "the redirector, 1 to no export; 3 documents rewritten now, 4 pictures\n"
    )


def test_after_a_migration_deletions_holds_stops_warnings_and_unknown_accounts(
    screen: Screen,
) -> None:
    counts = LoadCounts(deleted_recycled=2, deleted_kept=1, files_removed=3,
                        warnings=["list 掲示板 is near 50,000 unique scopes"],
                        unknown_people={"sato@city.example": 2, "ito@city.example": 1})  # fmt: skip
    summaries.print_migration_notes(migration(counts, stopped=True), [])
    lines = screen.out.getvalue().splitlines()
    assert lines[0].startswith(
        "Notes リンク（台帳全体）: SharePoint へ 0、転送先で待機 0、リンク先なし 0"
    )
    assert lines[1:3] == [
        "Notes で削除: ごみ箱へ 2、印を付けて残す 1、報告のみ 0、上限超過で保留 0、削除したファイル 3 / "
        "deleted in Notes: 2 recycled, 1 kept and marked, 0 reported, 0 held (over "
        "deletions.max_ratio); 3 files removed",
        "検証で保留 1 件 / held back by validation 1",
    ]
    assert lines[3] == (
        f"検証によりデータベースの移行を停止：{REPLICA}: too many failures / "
        f"validation stopped the load of the database: {REPLICA}: too many failures"
    )
    assert lines[4:] == [
        "注意 / note: list 掲示板 is near 50,000 unique scopes",
        "SharePoint にないアカウント 2 件 / 2 account(s) SharePoint does not know: "
        "ito@city.example, sato@city.example",
    ]
