"""The ``notesmig`` commands, each a thin layer over the stage it runs. Each command imports what
it needs when it runs, so the command line starts at once (``notesmig --help`` loads neither
pandas, SQLAlchemy nor the Graph SDK).

What the commands share is beside them: ``options`` (arguments and their checks), ``ledger``
(its URL, opening it), ``endpoints`` (Graph and credentials), ``summaries`` and ``render`` (what
a person reads); the ``map`` and ``emulator`` sub-commands are ``mapping`` and ``emulator``.

Exit codes: 0 when everything was read and done; 1 when a file stopped early or something was
not as it should be (after everything else was still done); 2 for bad arguments, an invalid
mapping or an unusable ledger URL (nothing is done then).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from notesmig.cli.emulator import emulator_app
from notesmig.cli.endpoints import graph_endpoint
from notesmig.cli.ledger import ledger_url, open_ledger
from notesmig.cli.mapping import map_app
from notesmig.cli.options import (
    AssumeTzOption,
    DbUrlOption,
    GraphUrlOption,
    PathsArgument,
    RuPerMinuteOption,
    checked_mappings,
    dxl_files,
    time_zone,
)
from notesmig.cli.render import both, console, error, size

app = typer.Typer(
    help=both(
        "Lotus Notes/Domino アプリケーション（DXL エクスポート）を SharePoint Online へ移行します",
        "Migrate Lotus Notes/Domino applications (DXL exports) into SharePoint Online.",
    ),
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(map_app, name="map")
app.add_typer(emulator_app, name="emulator")


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

    zone = time_zone(assume_tz)
    files = dxl_files(paths)
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
    from notesmig.cli.summaries import print_extracted  # noqa: PLC0415
    from notesmig.extract import extract as run_extract  # noqa: PLC0415

    zone = time_zone(assume_tz)
    files = dxl_files(paths)
    with reading_progress(files, True) as advance:
        result = run_extract(files, out, assume_tz=zone, progress=advance)
    report_file_errors(result.files)
    print_extracted(result, out)
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


# -- transform ----------------------------------------------------------------------------


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
    from notesmig.cli.summaries import print_transformed  # noqa: PLC0415
    from notesmig.extract import DOCUMENTS_FILE  # noqa: PLC0415
    from notesmig.transform.stage import run_transform  # noqa: PLC0415

    mappings = checked_mappings(mapping)
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
    print_transformed(result, out)
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
    from notesmig.cli.render import status_json, status_table  # noqa: PLC0415
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
        sys.stdout.write(status_json(found) + "\n")
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
    from notesmig.cli.summaries import print_migrated, print_migration_notes  # noqa: PLC0415
    from notesmig.links.urls import RedirectorUrlError  # noqa: PLC0415
    from notesmig.pipeline import StageSettings  # noqa: PLC0415
    from notesmig.pipeline import migrate as run_migration  # noqa: PLC0415

    endpoint = graph_endpoint(graph_url)
    checked_mappings(mapping)
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
    print_migrated(result)
    ledger = open_ledger(settings.ledger_url)
    try:
        links = ledger.link_report()
    finally:
        ledger.close()
    print_migration_notes(result, links)
    _exit(1 if result.failed_files or result.stopped else 0)


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
        work=Path("."), mappings=Path("."), ledger_url=url, graph=graph_endpoint(graph_url),
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
