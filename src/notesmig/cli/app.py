"""The ``notesmig`` commands. Each command imports what it needs when it runs, so the command
line starts at once (``notesmig --help`` loads neither pandas, SQLAlchemy nor the Graph SDK).

Exit codes: 0 when everything was read and done; 1 when a file stopped early or something was
not as it should be (after everything else was still done); 2 for bad arguments, an invalid
mapping or an unusable ledger URL (nothing is done then).
"""

from __future__ import annotations

import json
import sys
from datetime import tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from notesmig.cli.render import both, console, error, errors, size

if TYPE_CHECKING:
    from notesmig.ledger import Ledger
    from notesmig.sharepoint.client import GraphEndpoint

app = typer.Typer(
    help=both(
        "Lotus Notes/Domino アプリケーション（DXL エクスポート）を SharePoint Online へ移行します",
        "Migrate Lotus Notes/Domino applications (DXL exports) into SharePoint Online.",
    ),
    no_args_is_help=True,
    add_completion=False,
)
map_app = typer.Typer(
    help=both(
        "Notes のフォームとアイテムから SharePoint のリストと列への対応付け",
        "Mappings from Notes forms and items to SharePoint lists and columns.",
    ),
)
app.add_typer(map_app, name="map")
emulator_app = typer.Typer(
    help=both(
        "ローカルの SharePoint Online（Microsoft Graph）エミュレーター",
        "The local SharePoint Online (Microsoft Graph) emulator.",
    ),
)
app.add_typer(emulator_app, name="emulator")

PathsArgument = Annotated[
    list[Path],
    typer.Argument(
        help=both("DXL ファイル（.dxl/.xml）またはそのフォルダー", "DXL files or folders of them."),
        show_default=False,
    ),
]
AssumeTzOption = Annotated[
    str | None,
    typer.Option(
        "--assume-tz",
        help=both(
            "UTC オフセットのない日時に使うタイムゾーン（例 Asia/Tokyo）。指定しなければエラーとして報告",
            "IANA zone for date-times exported without a UTC offset (else reported as errors).",
        ),
    ),
]
DbUrlOption = Annotated[
    str | None,
    typer.Option(
        "--db-url",
        help=both(
            "台帳データベース（SQLAlchemy URL）。既定は作業フォルダーの notesmig-ledger.sqlite3",
            "Ledger database (SQLAlchemy URL); default notesmig-ledger.sqlite3 here.",
        ),
        show_default=False,
    ),
]
LEDGER_FILE = "notesmig-ledger.sqlite3"


GraphUrlOption = Annotated[
    str | None,
    typer.Option(
        "--graph-url",
        help=both(
            "Microsoft Graph の URL（既定: エミュレーター、資格情報があればテナント）",
            "Graph endpoint (default: the emulator, or the tenant with credentials).",
        ),
    ),
]


RuPerMinuteOption = Annotated[
    int,
    typer.Option(
        help=both(
            "1 分あたりのリソースユニット上限（0: 無制限）",
            "Resource units per minute to stay under (0: no limit).",
        )
    ),
]


def run() -> None:
    """The console script: every notesmig error is a message and an exit code, never a
    traceback."""
    from notesmig.errors import NotesmigError  # noqa: PLC0415

    try:
        app()
    except NotesmigError as exc:
        error("処理できません", "cannot go on", str(exc))
        sys.exit(2)
    except Exception as exc:
        # A ledger whose tables are not what this notesmig knows (another version's, a half
        # migrated one): said plainly, in the database's own words. (Matched by module, so
        # that starting the command line does not import SQLAlchemy.)
        if not type(exc).__module__.startswith("sqlalchemy."):
            raise
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        error("台帳を読み書きできません", "the ledger cannot be used", reason)
        sys.exit(2)


def _exit(code: int) -> NoReturn:
    raise typer.Exit(code)


def _zone(name: str | None) -> tzinfo | None:
    if name is None:
        return None
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError  # noqa: PLC0415

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise typer.BadParameter(
            both(f"タイムゾーン {name!r} は不明です", f"unknown time zone {name!r}"),
            param_hint="--assume-tz",
        ) from exc


def _files(paths: list[Path]) -> list[Path]:
    from notesmig.dxl.scan import discover  # noqa: PLC0415

    missing = [p for p in paths if not p.exists()]
    if missing:
        shown = ", ".join(str(p) for p in missing)
        raise typer.BadParameter(
            both(f"見つかりません: {shown}", f"not found: {shown}"), param_hint="PATH"
        )
    found = discover(paths)
    if not found:
        raise typer.BadParameter(
            both("指定されたパスに .dxl/.xml ファイルがありません", "no .dxl or .xml files"),
            param_hint="PATH",
        )
    return found


def ledger_url(given: str | None) -> str:
    """The ledger URL: the one given, or the SQLite file in the working directory (resolved
    once, so every stage and message names the same file)."""
    if given:
        return given
    return f"sqlite:///{(Path.cwd() / LEDGER_FILE).resolve()}"


def open_ledger(given: str | None) -> Ledger:
    """The ledger, migrated to the current schema; an unusable URL exits 2 with why."""
    from sqlalchemy.exc import ArgumentError, OperationalError  # noqa: PLC0415

    from notesmig.ledger import Ledger  # noqa: PLC0415
    from notesmig.pipeline.settings import mask_url  # noqa: PLC0415

    url = ledger_url(given)
    try:
        ledger = Ledger(url)
        ledger.upgrade()
    except (ArgumentError, ValueError) as exc:
        error(
            "台帳 URL を解釈できません", "the ledger URL cannot be read", f"{mask_url(url)}: {exc}"
        )
        _exit(2)
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        error("台帳に接続できません", "cannot reach the ledger", f"{mask_url(url)}: {reason}")
        _exit(2)
    return ledger


# -- reading DXL --------------------------------------------------------------------------


@app.command()
def inspect(
    paths: PathsArgument,
    as_json: Annotated[
        bool, typer.Option("--json", help=both("表ではなくファイルごとの JSON", "JSON per file."))
    ] = False,
    assume_tz: AssumeTzOption = None,
) -> None:
    """DXL エクスポートを要約します / Summarise DXL exports: documents per form, responses,
    item types, attachments, errors."""
    from notesmig.cli.render import inventory_table, reading_progress, report_file_errors  # noqa: PLC0415
    from notesmig.dxl.blobs import BlobStore  # noqa: PLC0415
    from notesmig.dxl.scan import scan_file  # noqa: PLC0415
    from notesmig.extract import export_report  # noqa: PLC0415

    zone = _zone(assume_tz)
    files = _files(paths)
    store = BlobStore(None)
    reports = []
    with reading_progress(files, not as_json) as advance:
        for path in files:
            report, documents = scan_file(path, store, assume_tz=zone, progress=advance)
            for _ in documents:
                pass
            reports.append(report)
            if as_json:
                line = export_report(report).model_dump(mode="json")
                sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
    if not as_json:
        console.print(inventory_table(reports))
    report_file_errors(reports)
    _exit(1 if any(r.failed for r in reports) else 0)


@app.command()
def extract(
    paths: PathsArgument,
    out: Annotated[Path, typer.Option("--out", help=both("出力フォルダー", "Output folder."))],
    assume_tz: AssumeTzOption = None,
) -> None:
    """文書・添付ファイル・要約を抽出します / Extract documents to OUT/documents.jsonl,
    attachments to OUT/blobs/, and OUT/summary.json."""
    from notesmig.cli.render import reading_progress, report_file_errors  # noqa: PLC0415
    from notesmig.extract import DOCUMENTS_FILE, SUMMARY_FILE  # noqa: PLC0415
    from notesmig.extract import extract as run_extract  # noqa: PLC0415

    zone = _zone(assume_tz)
    files = _files(paths)
    with reading_progress(files, True) as advance:
        result = run_extract(files, out, assume_tz=zone, progress=advance)
    totals = result.totals()
    report_file_errors(result.files)
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
    _exit(1 if result.failed_files else 0)


@app.command()
def sample(
    out: Annotated[
        Path, typer.Option("--out", help=both("サンプル .dxl の出力先", "Folder for the sample."))
    ],
    scale: Annotated[
        int, typer.Option(min=1, help=both("文書数の倍率", "Multiplies every document count."))
    ] = 1,
    seed: Annotated[
        int, typer.Option(help=both("同じシードなら同じ内容", "Same seed, same bytes."))
    ] = 2025,
) -> None:
    """同梱のサンプル（市役所の Notes アプリ 4 つ）を作ります / Generate the bundled sample
    corpus: four Notes applications of a Japanese city."""
    from notesmig.sample.corpus import generate  # noqa: PLC0415

    for written in generate(out, scale=scale, seed=seed):
        console.print(
            f"{written.path}  {written.title}  {written.documents} 文書 / documents  "
            f"{size(written.path.stat().st_size)}"
        )
    console.print(f"{out / 'users.csv'}  ユーザー対応表 / user mapping (Notes names to UPNs)")
    console.print(
        f"{out / 'groups.csv'}  グループ対応表 / group mapping (Notes groups to Entra ID)"
    )


# -- mapping and transform ----------------------------------------------------------------


@map_app.command("suggest")
def map_suggest(
    paths: PathsArgument,
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            help=both(
                "マッピングファイル（1 DB）またはフォルダー",
                "Mapping file (one database) or folder.",
            ),
        ),
    ],
    site: Annotated[
        str, typer.Option(help=both("移行先サイト host:/sites/name", "Target site."))
    ] = "contoso.sharepoint.com:/sites/notes-migration",
) -> None:
    """フォーム設計と文書からマッピングの下書きを作ります / Draft a mapping per Notes database
    from its form designs and documents."""
    from notesmig.mapping.suggest import SuggestError, suggest_databases  # noqa: PLC0415

    files = _files(paths)
    several = len(files) > 1 or out.is_dir() or not out.suffix
    if several:
        out.mkdir(parents=True, exist_ok=True)
    failed = False
    for drafted in suggest_databases(files, site=site):
        if isinstance(drafted, SuggestError):
            error("下書きできません", "cannot draft a mapping", str(drafted))
            failed = True
            continue
        target = out / drafted.file_name if several else out
        target.write_text(drafted.yaml, encoding="utf-8")
        console.print(
            f"{target}  {drafted.title or ''}  {drafted.replica_id}  "
            f"{drafted.documents} 文書 / documents"
        )
    _exit(1 if failed else 0)


def _mappings(path: Path) -> dict[str, object]:
    from notesmig.mapping.loader import MappingError, load_mappings  # noqa: PLC0415
    from notesmig.mapping.users import UserMappingError  # noqa: PLC0415

    try:
        return dict(load_mappings(path))
    except (MappingError, UserMappingError) as exc:
        errors.print("[red]エラー / error[/red] ", end="", highlight=False)
        errors.print(str(exc), highlight=False, markup=False, soft_wrap=True)
        _exit(2)


@app.command()
def transform(
    extract_dir: Annotated[
        Path, typer.Argument(help=both("notesmig extract の出力", "Folder written by extract."))
    ],
    mapping: Annotated[
        Path, typer.Option("--mapping", help=both("マッピングファイルかフォルダー", "Mapping(s)."))
    ],
    out: Annotated[Path, typer.Option("--out", help=both("出力フォルダー", "Output folder."))],
    db_url: DbUrlOption = None,
) -> None:
    """マッピングを適用します（行・ファイル・権限計画・保留、すべて台帳へ） / Apply mappings:
    list rows, files, permission plans, quarantine; all in the ledger."""
    from notesmig.cli.render import transform_table  # noqa: PLC0415
    from notesmig.extract import DOCUMENTS_FILE  # noqa: PLC0415
    from notesmig.transform.stage import run_transform  # noqa: PLC0415

    mappings = _mappings(mapping)
    if not (extract_dir / DOCUMENTS_FILE).is_file():
        raise typer.BadParameter(
            both(
                f"{extract_dir} に {DOCUMENTS_FILE} がありません",
                f"{extract_dir} holds no {DOCUMENTS_FILE}",
            ),
            param_hint="EXTRACT_DIR",
        )
    ledger = open_ledger(db_url)
    try:
        result = run_transform(extract_dir, mappings, out, ledger)  # type: ignore[arg-type]
    finally:
        ledger.close()
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
    _exit(0 if all(t.balanced for t in result.totals.values()) else 1)


# -- ledger -------------------------------------------------------------------------------


@app.command()
def status(
    db_url: DbUrlOption = None,
    as_json: Annotated[
        bool, typer.Option("--json", help=both("JSON で出力", "JSON output."))
    ] = False,
) -> None:
    """台帳の状況（データベースごと） / Per Notes database: documents per state, held back,
    errors, pending updates."""
    from notesmig.cli.render import status_table  # noqa: PLC0415
    from notesmig.ledger import State  # noqa: PLC0415
    from notesmig.pipeline.settings import mask_url  # noqa: PLC0415
    from notesmig.reasons import bilingual  # noqa: PLC0415

    url = ledger_url(db_url)
    ledger = open_ledger(url)
    try:
        found = ledger.status()
    finally:
        ledger.close()
    if as_json:
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
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
        return
    states = [str(state) for state in State if any(str(state) in s.states for s in found)]
    console.print(status_table(f"台帳 / ledger {mask_url(url)}", found, states))
    for s in found:
        for reason, number in s.reasons.items():
            console.print(
                f"  {s.replica_id} 保留 / held back {number}: {bilingual(reason)}", highlight=False
            )


# -- loading ------------------------------------------------------------------------------


@app.command()
def migrate(
    paths: PathsArgument,
    mapping: Annotated[
        Path, typer.Option("--mapping", help=both("マッピングファイルかフォルダー", "Mapping(s)."))
    ],
    graph_url: GraphUrlOption = None,
    site: Annotated[
        str | None,
        typer.Option(
            help=both(
                "移行先サイト host:/sites/NAME（既定: マッピングのもの）",
                "Target site (default: each mapping's).",
            )
        ),
    ] = None,
    db_url: DbUrlOption = None,
    work: Annotated[
        Path, typer.Option(help=both("抽出・変換の作業フォルダー", "Folder for stage output."))
    ] = Path("build/migrate"),
    ru_per_minute: RuPerMinuteOption = 2_400,
    links_url: Annotated[
        str,
        typer.Option(
            help=both(
                "未移行の文書へのリンクの転送先（notesmig serve-links）",
                "The redirector for links to documents not in SharePoint (serve-links).",
            )
        ),
    ] = "http://127.0.0.1:8790/notes-links",
) -> None:
    """抽出・変換・SharePoint への移行を一度に実行します / The whole pipeline outside Airflow:
    extract, transform and load into SharePoint."""
    from notesmig.cli.render import counting_progress  # noqa: PLC0415
    from notesmig.links.urls import RedirectorUrlError  # noqa: PLC0415
    from notesmig.pipeline import StageSettings  # noqa: PLC0415
    from notesmig.pipeline import migrate as run_migration  # noqa: PLC0415
    from notesmig.validate.stage import stop_message  # noqa: PLC0415

    endpoint = _graph_endpoint(graph_url)
    _mappings(mapping)
    try:
        settings = StageSettings(
            work=work,
            mappings=mapping,
            ledger_url=ledger_url(db_url),
            graph=endpoint,
            site=site,
            ru_per_minute=ru_per_minute,
            redirector=links_url,
        )
    except RedirectorUrlError as exc:
        raise typer.BadParameter(str(exc), param_hint="--links-url") from exc
    open_ledger(settings.ledger_url).close()
    with counting_progress("SharePoint へ移行中 / loading into SharePoint") as advance:
        result = run_migration(paths, settings, progress=advance)
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
    ledger = open_ledger(settings.ledger_url)
    try:
        links = ledger.link_report()
    finally:
        ledger.close()
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
    _exit(1 if result.failed_files or result.stopped else 0)


def _graph_endpoint(graph_url: str | None) -> GraphEndpoint:
    """The Graph endpoint: the given URL, or the tenant the NOTESMIG_* credentials name, or the
    local emulator."""
    import os  # noqa: PLC0415

    from notesmig.sharepoint.client import DEFAULT_EMULATOR_URL, GraphEndpoint  # noqa: PLC0415
    from notesmig.sharepoint.credentials import CredentialsError, GraphCredentials  # noqa: PLC0415

    try:
        credentials = GraphCredentials.from_env()
        url = graph_url or (credentials.graph_url if credentials else DEFAULT_EMULATOR_URL)
        return GraphEndpoint(url, credentials, os.environ.get("NOTESMIG_GRAPH_TOKEN", "emulator"))
    except CredentialsError as exc:
        raise typer.BadParameter(str(exc), param_hint="--graph-url / NOTESMIG_*") from exc


@app.command()
def reconcile(
    db_url: DbUrlOption = None,
    graph_url: GraphUrlOption = None,
    site: Annotated[
        str | None,
        typer.Option(
            help=both(
                "照合するサイト host:/sites/NAME（既定: 移行したサイト）",
                "Site to read (default: the one each database was loaded into).",
            )
        ),
    ] = None,
    database: Annotated[
        list[str] | None,
        typer.Option(
            "--database",
            help=both(
                "照合するデータベースのレプリカ ID（複数可、既定: すべて）",
                "Replica id of a database to reconcile (repeatable; default: all).",
            ),
        ),
    ] = None,
    ru_per_minute: RuPerMinuteOption = 2_400,
) -> None:
    """SharePoint を読み戻して台帳と照合します / Read SharePoint back and compare it with the
    ledger: a verdict per document (exit 1 if any is not verified)."""
    from notesmig.cli.render import verdict_table  # noqa: PLC0415
    from notesmig.pipeline import StageSettings  # noqa: PLC0415
    from notesmig.pipeline.stages import reconcile_replica  # noqa: PLC0415

    url = ledger_url(db_url)
    ledger = open_ledger(url)
    try:
        known = ledger.replicas()
        loaded = [r for r in known if ledger.target_of(r) is not None]
    finally:
        ledger.close()
    wanted = [d.upper() for d in database] if database else loaded
    unknown = [d for d in wanted if d not in loaded]
    if unknown:
        raise typer.BadParameter(
            both(
                f"台帳に移行の記録がありません: {', '.join(unknown)}",
                f"the ledger has no load of {', '.join(unknown)}",
            ),
            param_hint="--database",
        )
    settings = StageSettings(
        work=Path("."), mappings=Path("."), ledger_url=url, graph=_graph_endpoint(graph_url),
        site=site, ru_per_minute=ru_per_minute,
    )  # fmt: skip
    results = [reconcile_replica(replica, settings) for replica in wanted]
    console.print(verdict_table(results))
    _exit(1 if any(r.failed for r in results) else 0)


@app.command()
def forecast(
    cutoff: Annotated[
        str,
        typer.Option(
            help=both(
                "切替日（例 R7.6、令和7年6月30日、2025-06-30）",
                "The cutoff (e.g. R7.6, 令和7年6月30日, 2025-06-30).",
            )
        ),
    ],
    db_url: DbUrlOption = None,
    ru_per_minute: Annotated[
        int,
        typer.Option(min=0, help=both("テナントのリソース単位/分", "Tenant budget per minute.")),
    ] = 2400,
    hours_per_day: Annotated[
        float,
        typer.Option(min=0.1, max=24, help=both("1 日に移行する時間", "Hours of loading a day.")),
    ] = 24.0,
    today: Annotated[
        str | None, typer.Option(help=both("起点の日（既定は今日）", "Start day (default today)."))
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help=both("JSON で出力", "JSON output."))
    ] = False,
) -> None:
    """切替日までに終わるか / Will the rest fit before the cutoff: what is left per database at
    the pace of earlier loads, against the budget (exit 1 when it does not fit)."""
    from datetime import date  # noqa: PLC0415

    from notesmig.cli.render import forecast_table  # noqa: PLC0415
    from notesmig.cutoff import CutoffError, parse_cutoff  # noqa: PLC0415
    from notesmig.ui.forecast import forecast as make_forecast  # noqa: PLC0415
    from notesmig.ui.progress import migration_progress  # noqa: PLC0415

    try:
        day = parse_cutoff(cutoff)
        start = parse_cutoff(today) if today else date.today()
    except CutoffError as exc:
        error("日付を読めません", "not a date", str(exc))
        _exit(2)
    ledger = open_ledger(db_url)
    try:
        progress = migration_progress(ledger)
    finally:
        ledger.close()
    found = make_forecast(progress, cutoff=day, today=start, budget_per_minute=ru_per_minute,
                          hours_per_day=hours_per_day)  # fmt: skip
    if as_json:
        sys.stdout.write(found.model_dump_json(indent=2) + "\n")
    else:
        console.print(forecast_table(found))
    if found.fits is False:
        _exit(1)


@app.command("serve-links")
def serve_links(
    db_url: DbUrlOption = None,
    host: Annotated[str, typer.Option(help=both("待ち受けるアドレス", "Address to listen on."))] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(min=1, max=65535, help=both("ポート", "Port."))] = 8790,
) -> None:
    """Notes リンクの転送先を提供します / Serve the redirector: /notes-links/{replica}/{unid}
    answers 302 to the document in SharePoint, or a page saying why it is not there."""
    import uvicorn  # noqa: PLC0415

    from notesmig.links.redirector import create_app  # noqa: PLC0415
    from notesmig.pipeline.settings import mask_url  # noqa: PLC0415

    url = ledger_url(db_url)
    open_ledger(url).close()  # an unusable URL exits 2 now, not at the first click
    console.print(
        f"Notes リンクの転送 / redirector: http://{host}:{port}/notes-links  "
        f"台帳 / ledger {mask_url(url)}"
    )
    uvicorn.run(create_app(lambda: url), host=host, port=port, log_level="warning")


@app.command()
def report(
    out: Annotated[
        Path, typer.Option("--out", help=both("レポートの出力フォルダー", "Folder to write into."))
    ],
    db_url: DbUrlOption = None,
    database: Annotated[
        list[str] | None,
        typer.Option(
            "--database",
            help=both(
                "対象のレプリカ ID（複数可、既定: すべて）",
                "Replica id to report on (repeatable; default: all).",
            ),
        ),
    ] = None,
) -> None:
    """監査用の検証レポートを作成します / Write the auditors' report (index.html in Japanese,
    en/ in English, exceptions.csv, evidence.json) from the ledger."""
    from notesmig.report.render import write_report  # noqa: PLC0415

    ledger = open_ledger(ledger_url(db_url))
    try:
        known = set(ledger.replicas())
        wanted = [d.upper() for d in database] if database else None
        missing = sorted(set(wanted or ()) - known)
        if missing:
            raise typer.BadParameter(
                both(
                    f"台帳にありません: {', '.join(missing)}",
                    f"not in the ledger: {', '.join(missing)}",
                ),
                param_hint="--database",
            )
        written = write_report(ledger, out, wanted)
    finally:
        ledger.close()
    console.print(
        f"レポート / report: {written.index}  ページ / pages {written.pages}  "
        f"検証済みでない文書 / not verified {written.exceptions}"
    )
    if not written.balanced:
        error("件数が合わないデータベースがあります", "some database's totals do not add up")
        _exit(1)


# -- the emulator -------------------------------------------------------------------------


@emulator_app.command("serve")
def emulator_serve(
    host: Annotated[
        str, typer.Option(help=both("待ち受けアドレス", "Address to listen on."))
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help=both("待ち受けポート", "Port to listen on."))] = 8765,
    data: Annotated[
        Path, typer.Option(help=both("状態フォルダー（再起動後も保持）", "State folder (kept)."))
    ] = Path("build/emulator"),
    ru_per_minute: Annotated[
        int,
        typer.Option(
            help=both(
                "1 分あたりの RU 予算（0 でスロットリングなし）",
                "Resource-unit budget per minute; 0 turns throttling off.",
            )
        ),
    ] = 2_400,
    time_scale: Annotated[
        float,
        typer.Option(
            help=both(
                "時間の圧縮（60 なら 1 分が 1 秒）",
                "Compress time: at 60 a budget minute lasts one second.",
            )
        ),
    ] = 1.0,
    fault_rate: Annotated[
        float,
        typer.Option(
            help=both(
                "503/500/504・切断・遅延で失敗する割合",
                "Share of requests failing with 503/500/504, resets or delays.",
            )
        ),
    ] = 0.0,
    lost_response_rate: Annotated[
        float,
        typer.Option(
            help=both(
                "確定した書き込みの応答が失われる割合",
                "Share of committed writes whose response is lost.",
            )
        ),
    ] = 0.0,
    seed: Annotated[int, typer.Option(help=both("障害注入のシード", "Seed for the faults."))] = 0,
    token: Annotated[
        str | None,
        typer.Option(
            help=both("このベアラートークンだけを受け付ける", "Require this bearer token.")
        ),
    ] = None,
    upload_session_seconds: Annotated[
        int, typer.Option(help=both("アップロードセッションの有効期間", "Upload session lifetime."))
    ] = 3_600,
    users: Annotated[
        Path | None,
        typer.Option(
            help=both(
                "テナントのユーザー CSV（upn[,display_name]）",
                "CSV of the tenant's accounts (columns upn[,display_name]).",
            )
        ),
    ] = None,
    groups: Annotated[
        Path | None,
        typer.Option(
            help=both(
                "Entra ID グループ CSV（group,member）",
                "CSV of Entra ID groups and members (columns group,member).",
            )
        ),
    ] = None,
    site_member: Annotated[
        list[str] | None,
        typer.Option(
            help=both(
                "最初からサイトのユーザー一覧にいるアカウント（複数可）",
                "Account already in the site's user list (repeatable).",
            )
        ),
    ] = None,
    page_size: Annotated[
        int,
        typer.Option(help=both("リスト・列の 1 ページの件数", "Page size of lists and columns.")),
    ] = 200,
    max_page_size: Annotated[
        int | None,
        typer.Option(
            min=1,
            help=both(
                "どのページもこの件数まで（$top より優先、既定は上限なし）",
                "No page of lists, columns, items, delta or children holds more, whatever "
                "$top asks (default: no cap).",
            ),
        ),
    ] = None,
    manage_permissions: Annotated[
        bool,
        typer.Option(
            "--manage-permissions/--no-manage-permissions",
            help=both(
                "アプリが権限を管理できる（できなければ 403）",
                "The app may manage permissions (else 403).",
            ),
        ),
    ] = True,
    break_inheritance_max_items: Annotated[
        int,
        typer.Option(
            help=both(
                "継承を切れるリスト・フォルダーの最大アイテム数（SharePoint は 100,000）",
                "Most items a list or folder may hold to break inheritance (SharePoint: 100,000).",
            )
        ),
    ] = 100_000,
    rewrite_office_files: Annotated[
        bool,
        typer.Option(
            help=both(
                "Office ファイルをアップロード時に書き換える（SharePoint のプロパティ昇格）",
                "Rewrite Office files on upload (SharePoint's property promotion).",
            )
        ),
    ] = False,
    freeze_after: Annotated[
        str | None,
        typer.Option(
            help=both(
                "パスにこれを含むアプリの最初の書き込みの後、アプリの要求をすべて止める（試験用）",
                "After the app's first write whose path has this, hold every app request "
                "(tests: the moment to kill a client).",
            )
        ),
    ] = None,
    fail_fragments: Annotated[
        int,
        typer.Option(
            help=both(
                "最初の N 個のアップロード断片に 503 を返す（試験用）",
                "Answer the first N upload fragments with 503 (for tests).",
            )
        ),
    ] = 0,
    lose_answer_to: Annotated[
        list[str] | None,
        typer.Option(
            help=both(
                "パスにこれを含む最初の書き込みの応答を失わせる（試験用、複数可）",
                "Lose the answer to the first write whose path has this (tests; repeatable).",
            )
        ),
    ] = None,
    hostname: Annotated[
        str, typer.Option(help=both("テナントのホスト名", "Tenant host."))
    ] = "contoso.sharepoint.com",
    site: Annotated[
        list[str] | None,
        typer.Option(help=both("/sites/ 以下のサイト（複数可）", "Site (repeatable).")),
    ] = None,
) -> None:
    """Graph 互換の SharePoint Online テナントを提供します / Serve a Graph-compatible
    SharePoint Online tenant on HOST:PORT."""
    from notesmig.emulator.config import EmulatorConfig, read_groups, read_users  # noqa: PLC0415
    from notesmig.emulator.server import serve  # noqa: PLC0415
    from notesmig.errors import TerminalError  # noqa: PLC0415

    try:
        config = EmulatorConfig(
            data_dir=data,
            hostname=hostname,
            sites=tuple(site or ("notes-migration",)),
            ru_per_minute=ru_per_minute,
            time_scale=time_scale,
            fault_rate=fault_rate,
            lost_response_rate=lost_response_rate,
            seed=seed,
            token=token,
            upload_session_seconds=upload_session_seconds,
            users=read_users(users) if users is not None else (),
            groups=read_groups(groups) if groups is not None else (),
            site_members=tuple(site_member or ()),
            page_size=page_size,
            max_page_size=max_page_size,
            fail_fragments=fail_fragments,
            lose_answer_to=tuple(lose_answer_to or ()),
            freeze_after=freeze_after,
            manage_permissions=manage_permissions,
            break_inheritance_max_items=break_inheritance_max_items,
            rewrite_office_files=rewrite_office_files,
        )
    except TerminalError as exc:
        raise typer.BadParameter(str(exc)) from exc
    console.print(
        f"SharePoint エミュレーター / emulator: http://{host}:{port}/v1.0  テナント / tenant "
        f"{config.hostname}  サイト / sites {', '.join('/sites/' + s for s in config.sites)}  "
        f"データ / data {data}"
    )
    serve(config, host=host, port=port)
