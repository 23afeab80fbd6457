"""What ``extract``, ``transform`` and ``migrate`` say when they are done.

Counts first in Japanese, then in English, on one line or a few; then what a person should look
at: documents held back, files not read to the end, links, deletions, stopped loads, warnings,
accounts SharePoint does not know. Tables are ``render``'s; these are the sentences around them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from notesmig.cli.render import console, errors, size, transform_table

if TYPE_CHECKING:
    from notesmig.extract import ExtractResult
    from notesmig.ledger.links import DatabaseLinks
    from notesmig.pipeline.migrate import MigrationSummary
    from notesmig.transform.stage import TransformOutcome


def print_extracted(result: ExtractResult, out: Path) -> None:
    """The extract's totals, the files it wrote, and the files it could not read to the end."""
    from notesmig.extract import DOCUMENTS_FILE, SUMMARY_FILE  # noqa: PLC0415

    totals = result.totals()
    console.print(
        f"{totals.files} ファイルから {totals.documents} 文書、添付 {totals.attachments} 件"
        f"（{size(totals.attachment_bytes)}）、問題 {totals.errors} 件 / "
        f"{totals.documents} documents from {totals.files} file(s), "
        f"{totals.attachments} attachments ({size(totals.attachment_bytes)}), "
        f"{totals.errors} problem(s) reported"
    )
    console.print(f"  {out / DOCUMENTS_FILE}\n  {out / 'blobs'}\n  {out / SUMMARY_FILE}")
    if result.failed_files:
        errors.print(
            f"[red]{len(result.failed_files)} ファイルは最後まで読めませんでした / "
            f"{len(result.failed_files)} file(s) could not be read to the end[/red]; "
            "障害箇所より前の文書は抽出済み / their documents before the fault were extracted."
        )


def print_transformed(result: TransformOutcome, out: Path) -> None:
    """The transform's table, the first documents held back (and how many more), and the Notes
    names without an account."""
    console.print(transform_table(result.totals))
    for outcome in result.held_back:
        errors.print(
            f"[yellow]保留 / held back[/yellow] {outcome.database} {outcome.unid}: "
            f"{outcome.reason}" + (f" ({outcome.detail})" if outcome.detail else ""),
            highlight=False,
        )
    more = result.held_back_count - len(result.held_back)
    if more > 0:
        errors.print(f"... ほか {more} 件 / and {more} more in {out / 'quarantine.jsonl'}")
    if result.unknown_users:
        console.print(
            f"アカウントのない Notes 名 {len(result.unknown_users)} 件（summary.json 参照） / "
            f"{len(result.unknown_users)} Notes name(s) without an account (see summary.json)"
        )


def print_migrated(result: MigrationSummary) -> None:
    """What the migration did: documents loaded, updated, unchanged, held back, excluded;
    attachments; errors, resource units, throttling and time."""
    load = result.load
    held = result.quarantined + load.items_quarantined
    console.print(
        f"文書 {result.documents}: 新規 {load.items_created}、更新 {load.items_updated}、"
        f"変更なし {load.items_unchanged}、保留 {held}、対象外 {result.excluded} / "
        f"documents {result.documents}: loaded {load.items_created} new, "
        f"{load.items_updated} updated, {load.items_unchanged} unchanged; "
        f"held back {held}; excluded {result.excluded}\n"
        f"添付 {load.files_uploaded} 件アップロード（{size(load.bytes_uploaded)}）、"
        f"変更なし {load.files_unchanged} / attachments {load.files_uploaded} uploaded "
        f"({size(load.bytes_uploaded)}), {load.files_unchanged} unchanged\n"
        f"エラー {result.extraction_errors}、{load.resource_units} RU、スロットリング "
        f"{load.throttled}、{result.seconds:.1f} 秒 / errors {result.extraction_errors}; "
        f"{load.resource_units} resource units; {load.throttled} throttled; "
        f"{result.seconds:.1f} s"
    )


def print_migration_notes(result: MigrationSummary, links: Sequence[DatabaseLinks]) -> None:
    """After the counts: the Notes links of the whole ledger, deletions, documents the
    validation held back, loads it stopped, the loader's warnings and unknown accounts."""
    from notesmig.validate.stage import stop_message  # noqa: PLC0415

    load = result.load
    direct, pending, broken = (sum(getattr(d, k) for d in links) for k in ("direct", "pending",
                                                                             "broken"))  # fmt: skip
    console.print(
        f"Notes リンク（台帳全体）: SharePoint へ {direct}、転送先で待機 {pending}、"
        f"リンク先なし {broken}; 今回書き換えた文書 {load.links_rewritten + load.links_upgraded}、"
        f"画像 {load.pictures_linked} / Notes links (whole ledger): {direct} to SharePoint, "
        f"{pending} waiting on the redirector, {broken} to no export; "
        f"{load.links_rewritten + load.links_upgraded} documents rewritten now, "
        f"{load.pictures_linked} pictures"
    )
    if load.deleted_recycled or load.deleted_kept or load.deleted_reported or load.deletions_held:
        console.print(
            f"Notes で削除: ごみ箱へ {load.deleted_recycled}、印を付けて残す {load.deleted_kept}、"
            f"報告のみ {load.deleted_reported}、上限超過で保留 {load.deletions_held}、"
            f"削除したファイル {load.files_removed} / deleted in Notes: {load.deleted_recycled} "
            f"recycled, {load.deleted_kept} kept and marked, {load.deleted_reported} reported, "
            f"{load.deletions_held} held (over deletions.max_ratio); {load.files_removed} files "
            "removed"
        )
    if result.held_by_validation:
        console.print(
            f"検証で保留 {result.held_by_validation} 件 / held back by validation "
            f"{result.held_by_validation}"
        )
    for stopped in result.stopped:
        console.print(stop_message(stopped), style="bold red", highlight=False)
    for warning in load.warnings:
        console.print(f"注意 / note: {warning}", style="yellow", highlight=False)
    if load.unknown_people:
        console.print(
            f"SharePoint にないアカウント {len(load.unknown_people)} 件 / "
            f"{len(load.unknown_people)} account(s) SharePoint does not know: "
            + ", ".join(sorted(load.unknown_people))
        )
