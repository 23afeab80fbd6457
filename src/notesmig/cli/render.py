"""How the command line shows things: consoles, bilingual labels, tables (and status as JSON),
sizes, progress.

Everything a person reads is Japanese first with English beside (``件数 / documents``). Tables
in logs and files (``make demo``, Airflow task logs) get 200 columns unless ``COLUMNS`` or a
terminal says otherwise.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from notesmig.dxl.scan import FileReport
    from notesmig.ledger.store import DatabaseStatus
    from notesmig.records import DatabaseTotals, ReconciledDatabase
    from notesmig.ui.forecast import Forecast

# A progress bar is only worth drawing when reading takes noticeable time.
PROGRESS_THRESHOLD = 32 << 20
_REDRAW_SECONDS = 0.1


def _width(stream: TextIO) -> int | None:
    return None if stream.isatty() or "COLUMNS" in os.environ else 200


console = Console(width=_width(sys.stdout))
errors = Console(stderr=True, width=_width(sys.stderr))


def both(ja: str, en: str) -> str:
    """A label or message in Japanese with English beside."""
    return f"{ja} / {en}"


def error(ja: str, en: str, detail: str = "") -> None:
    """An error line; never wrapped, so a path and its line number stay together."""
    message = both(ja, en) + (f": {detail}" if detail else "")
    errors.print("[red]エラー / error[/red] ", end="", highlight=False)
    errors.print(message, highlight=False, markup=False, soft_wrap=True)


def warning(message: str) -> None:
    errors.print("[yellow]警告 / warning[/yellow] ", end="", highlight=False)
    errors.print(message, highlight=False, markup=False, soft_wrap=True)


def size(count: int) -> str:
    value = float(count)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{count} B"


def table(title: str, columns: Sequence[str | tuple[str, str]], **options: object) -> Table:
    """A table whose columns are labelled Japanese first (``(ja, en)`` pairs)."""
    made = Table(title=title, **options)  # type: ignore[arg-type]
    for column in columns:
        label = both(*column) if isinstance(column, tuple) else column
        made.add_column(label, overflow="fold")
    return made


@contextmanager
def reading_progress(files: list[Path], enabled: bool) -> Iterator[Callable[[int], None] | None]:
    total = sum(p.stat().st_size for p in files)
    if not enabled or total < PROGRESS_THRESHOLD or not errors.is_terminal:
        yield None
        return
    from rich.progress import (  # noqa: PLC0415 (only when a bar is drawn)
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    # Redrawn from the reading loop, not by rich's refresh thread: a process with a second
    # thread may not fork, and a large file is read by a forked child (dxl.source_process).
    with Progress(
        TextColumn("[bold]DXL 読み込み / reading DXL"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=errors,
        transient=True,
        auto_refresh=False,
    ) as bar:
        task = bar.add_task("read", total=total)
        drawn = [0.0]

        def advance(read: int) -> None:
            bar.advance(task, read)
            now = time.monotonic()
            if now - drawn[0] >= _REDRAW_SECONDS:
                drawn[0] = now
                bar.refresh()

        yield advance


@contextmanager
def counting_progress(label: str) -> Iterator[Callable[[int], None]]:
    if not errors.is_terminal:
        yield lambda _done: None
        return
    from rich.progress import BarColumn, Progress, TextColumn  # noqa: PLC0415

    with Progress(
        TextColumn(f"[bold]{label}"),
        BarColumn(),
        TextColumn("{task.completed} 件 / done"),
        console=errors,
        transient=True,
    ) as bar:
        task = bar.add_task("load", total=None)
        yield lambda done: bar.advance(task, done)


def report_file_errors(reports: list[FileReport]) -> None:
    for report in reports:
        for problem in report.errors:
            where = str(report.file)
            if problem.line is not None:
                where += f":{problem.line}" + (f":{problem.column}" if problem.column else "")
            document = f" (文書 / document {problem.document})" if problem.document else ""
            level = (
                "[red]エラー / error[/red]" if problem.fatal else "[yellow]警告 / warning[/yellow]"
            )
            errors.print(f"{level} ", end="", highlight=False)
            errors.print(f"{where}{document}: {problem.message}", highlight=False, markup=False,
                         soft_wrap=True)  # fmt: skip


def inventory_table(reports: list[FileReport]) -> Table:
    made = table(
        both("DXL 棚卸し", "DXL inventory"),
        [("ファイル", "file"), ("データベース", "database"), ("レプリカ ID", "replica id"),
         ("文書数", "documents"), ("フォーム", "forms"), ("応答文書", "responses"),
         ("アイテム型", "item types"), ("添付ファイル", "attachments"),
         ("リッチテキスト", "rich text"), ("エラー", "errors")],
        show_lines=True,
    )  # fmt: skip
    for r in reports:
        forms = "\n".join(f"{name}: {count}" for name, count in sorted(r.forms.items()))
        status = f"[red]{len(r.errors)}[/red]" if r.errors else "0"
        if r.failed:
            status += " [red](中断 / stopped)[/red]"
        made.add_row(
            r.file.name,
            r.title or "",
            r.replica_id or "",
            str(r.documents),
            forms,
            str(r.responses),
            ", ".join(sorted(r.item_types)),
            f"{len(r.attachments)} ({size(r.attachment_bytes)})",
            str(r.richtext_items),
            status,
        )
    return made


def transform_table(totals: dict[str, DatabaseTotals]) -> Table:
    made = table(
        both("変換", "transform"),
        [("データベース", "database"), ("抽出", "extracted"), ("変換", "transformed"),
         ("保留", "held back"), ("対象外", "excluded"), ("ファイル", "files"),
         ("件数一致", "balanced")],
    )  # fmt: skip
    for database, t in sorted(totals.items()):
        made.add_row(
            database,
            str(t.extracted),
            str(t.transformed),
            str(t.quarantined),
            str(t.excluded),
            str(t.files),
            "はい / yes" if t.balanced else "[red]いいえ / NO[/red]",
        )
    return made


def status_table(title: str, found: list[DatabaseStatus], states: list[str]) -> Table:
    labels = {
        "extracted": ("抽出済み", "extracted"),
        "transformed": ("変換済み", "transformed"),
        "loaded": ("移行済み", "loaded"),
        "verified": ("検証済み", "verified"),
        "quarantined": ("保留", "held back"),
        "excluded": ("対象外", "excluded"),
    }
    made = Table(title=title)
    made.add_column(both("データベース", "database"), no_wrap=True)
    made.add_column(both("タイトル", "title"), min_width=6)
    for label in (("文書数", "documents"), *(labels.get(s, (s, s)) for s in states),
                  ("うち閲覧制限", "restricted loaded"), ("固有権限", "unique scopes"),
                  ("エラー", "errors"), ("更新待ち", "updates pending"),
                  ("アカウント不明", "unknown accounts")):  # fmt: skip
        made.add_column(both(*label), justify="right")
    for s in found:
        made.add_row(
            s.replica_id,
            s.title or "",
            str(s.total),
            *(str(s.states.get(state, 0)) for state in states),
            str(s.restricted_loaded),
            str(s.unique_scopes),
            str(s.errors),
            str(s.update_pending),
            str(s.unknown_people),
        )
    return made


def status_json(found: Sequence[DatabaseStatus]) -> str:
    """``status --json``: per database its counts, states and reasons held back."""
    payload = [
        {
            "replica_id": s.replica_id,
            "title": s.title,
            "documents": s.total,
            "states": s.states,
            "quarantined": s.quarantined,
            "held_back": s.reasons,
            "errors": s.errors,
            "update_pending": s.update_pending,
            "unknown_people": s.unknown_people,
            "restricted_loaded": s.restricted_loaded,
            "unique_scopes": s.unique_scopes,
        }
        for s in found
    ]
    return json.dumps(payload, ensure_ascii=False, indent=2)


def verdict_table(results: Sequence[ReconciledDatabase]) -> Table:
    """The reconciliation per database: verdicts by kind, and repairs for the next load."""
    from notesmig.reasons import VERDICTS  # noqa: PLC0415

    kinds = [k for k in VERDICTS if any(k in r.verdicts for r in results)]
    made = Table(title=both("照合結果", "reconciliation"))
    made.add_column(both("データベース", "database"), no_wrap=True)
    made.add_column(both("タイトル", "title"), min_width=6)
    for kind in kinds:
        made.add_column(both(*VERDICTS[kind]), justify="right")
    made.add_column(both("次回の移行で修復", "repaired by the next load"), justify="right")
    for result in results:
        made.add_row(
            result.replica_id,
            result.title or "",
            *(str(result.verdicts.get(kind, 0)) for kind in kinds),
            str(result.repairs),
        )
    return made


def forecast_table(found: Forecast) -> Table:
    """The readiness forecast: per database what is left, when it finishes, whether it fits."""
    verdicts = {True: both("間に合う", "fits"), False: both("間に合わない", "does NOT fit"),
                None: both("見込みなし（実績なし）", "no estimate (nothing measured)")}  # fmt: skip
    made = Table(
        title=both(
            f"切替日 {found.cutoff.isoformat()} まで {found.days_left} 日",
            f"{found.days_left} days to the cutoff {found.cutoff.isoformat()}",
        ),
        caption=both(
            f"実績 {found.documents_per_minute:.1f} 文書/分、{found.megabytes_per_minute:.1f} MB/分、"
            f"文書あたり {found.units_per_document:.1f} 単位、上限 {found.budget_per_minute:,}/分",
            f"measured {found.documents_per_minute:.1f} documents/min, "
            f"{found.megabytes_per_minute:.1f} MB/min, {found.units_per_document:.1f} units a "
            f"document, budget {found.budget_per_minute:,}/min",
        ),
    )
    for label in (("データベース", "database"), ("タイトル", "title"), ("ウェーブ", "wave")):
        made.add_column(both(*label))
    for label in (("残り文書", "documents left"), ("残りファイル", "files left"),
                  ("残り MB", "MB left"), ("所要（分）", "minutes"), ("完了予定", "finishes")):  # fmt: skip
        made.add_column(both(*label), justify="right")
    made.add_column(both("判定", "verdict"))
    for entry in found.databases:
        made.add_row(
            entry.replica_id,
            entry.title or "",
            entry.wave or "",
            str(entry.documents_left),
            str(entry.files_left),
            f"{entry.bytes_left / 1_048_576:.1f}",
            "" if entry.minutes is None else f"{entry.minutes:.0f}",
            entry.finishes.isoformat() if entry.finishes else "",
            verdicts[entry.fits],
        )
    return made
