"""The ``notesmig`` command line: inspect and extract DXL exports, generate the sample corpus.

Exit codes: 0 when every file was read to its end; 1 when any file stopped early (malformed,
unsafe, wrong encoding), after every other file was still processed; 2 for bad arguments.
"""

from __future__ import annotations

import csv
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import tzinfo
from pathlib import Path
from typing import Annotated, TextIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from notesmig.dxl.blobs import BlobStore
from notesmig.dxl.scan import FileReport, discover, scan_file
from notesmig.emulator.config import EmulatorConfig, EmulatorConfigError
from notesmig.emulator.server import serve
from notesmig.extract import DOCUMENTS_FILE, SUMMARY_FILE
from notesmig.extract import extract as run_extract
from notesmig.ledger import DEFAULT_URL, Ledger, State
from notesmig.mapping.loader import MappingError, load_mappings
from notesmig.mapping.suggest import DEFAULT_SITE, suggest
from notesmig.mapping.users import UserMappingError
from notesmig.pipeline import DEFAULT_GRAPH_URL
from notesmig.pipeline import migrate as run_migration
from notesmig.sample.corpus import generate
from notesmig.sharepoint.credentials import GRAPH_URL, CredentialsError, GraphCredentials
from notesmig.spfacts.costs import DEFAULT_RU_PER_MINUTE
from notesmig.transform.stage import run_transform

app = typer.Typer(
    help="Migrate Lotus Notes/Domino applications (DXL exports) into SharePoint Online.",
    no_args_is_help=True,
    add_completion=False,
)


def _width(stream: TextIO) -> int | None:
    """Room for tables in logs and files (make demo, Airflow), unless COLUMNS or a terminal says."""
    return None if stream.isatty() or "COLUMNS" in os.environ else 200


console = Console(width=_width(sys.stdout))
errors = Console(stderr=True, width=_width(sys.stderr))

# A progress bar is only worth drawing when reading takes noticeable time.
_PROGRESS_THRESHOLD = 32 << 20

PathsArgument = Annotated[
    list[Path], typer.Argument(help="DXL files (.dxl/.xml) or folders of them.", show_default=False)
]
AssumeTzOption = Annotated[
    str | None,
    typer.Option(
        "--assume-tz",
        help="IANA zone for date-times exported without a UTC offset (e.g. Asia/Tokyo). "
        "Without it such values are reported as errors rather than guessed.",
    ),
]


def _zone(name: str | None) -> tzinfo | None:
    if name is None:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise typer.BadParameter(f"unknown time zone {name!r}", param_hint="--assume-tz") from exc


def _files(paths: list[Path]) -> list[Path]:
    missing = [p for p in paths if not p.exists()]
    if missing:
        raise typer.BadParameter(
            "not found: " + ", ".join(str(p) for p in missing), param_hint="PATH"
        )
    found = discover(paths)
    if not found:
        raise typer.BadParameter("no .dxl or .xml files in the paths given", param_hint="PATH")
    return found


@contextmanager
def _progress(files: list[Path], enabled: bool) -> Iterator[Callable[[int], None] | None]:
    total = sum(p.stat().st_size for p in files)
    if not enabled or total < _PROGRESS_THRESHOLD or not errors.is_terminal:
        yield None
        return
    with Progress(
        TextColumn("[bold]reading DXL"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=errors,
        transient=True,
    ) as bar:
        task = bar.add_task("read", total=total)
        yield lambda advance: bar.advance(task, advance)


def _report_errors(reports: list[FileReport]) -> None:
    for report in reports:
        for error in report.errors:
            where = str(report.file)
            if error.line is not None:
                where += f":{error.line}" + (f":{error.column}" if error.column else "")
            document = f" (document {error.document})" if error.document else ""
            level = "[red]error[/red]" if error.fatal else "[yellow]warning[/yellow]"
            errors.print(f"{level} {where}{document}: {error.message}", highlight=False)


@app.command()
def inspect(
    paths: PathsArgument,
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per file instead of a table.")
    ] = False,
    assume_tz: AssumeTzOption = None,
) -> None:
    """Summarise DXL exports: documents per form, responses, item types, attachments, errors."""
    zone = _zone(assume_tz)
    files = _files(paths)
    store = BlobStore(None)
    reports = []
    with _progress(files, not as_json) as advance:
        for path in files:
            report, documents = scan_file(path, store, assume_tz=zone, progress=advance)
            for _ in documents:
                pass
            reports.append(report)
            if as_json:
                sys.stdout.write(json.dumps(report.as_json(), ensure_ascii=False) + "\n")
    if not as_json:
        console.print(_inventory_table(reports))
    _report_errors(reports)
    raise typer.Exit(1 if any(r.failed for r in reports) else 0)


def _inventory_table(reports: list[FileReport]) -> Table:
    table = Table(title="DXL inventory", show_lines=True)
    for column in (
        "file",
        "database",
        "replica id",
        "documents",
        "forms",
        "responses",
        "item types",
        "attachments",
        "rich text",
        "errors",
    ):
        table.add_column(column, overflow="fold")
    for r in reports:
        forms = "\n".join(f"{name}: {count}" for name, count in sorted(r.forms.items()))
        types = ", ".join(sorted(r.item_types))
        attachments = f"{len(r.attachments)} ({_size(r.attachment_bytes)})"
        status = f"[red]{len(r.errors)}[/red]" if r.errors else "0"
        if r.failed:
            status += " [red](stopped)[/red]"
        table.add_row(
            r.file.name,
            r.title or "",
            r.replica_id or "",
            str(r.documents),
            forms,
            str(r.responses),
            types,
            attachments,
            str(r.richtext_items),
            status,
        )
    return table


def _size(count: int) -> str:
    value = float(count)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{count} B"


@app.command()
def extract(
    paths: PathsArgument,
    out: Annotated[Path, typer.Option("--out", help="Output folder.")],
    assume_tz: AssumeTzOption = None,
) -> None:
    """Extract documents to OUT/documents.jsonl, attachments to OUT/blobs/, and OUT/summary.json."""
    zone = _zone(assume_tz)
    files = _files(paths)
    with _progress(files, True) as advance:
        result = run_extract(files, out, assume_tz=zone, progress=advance)
    totals = result.totals()
    _report_errors(result.files)
    console.print(
        f"{totals['documents']} documents from {totals['files']} file(s), "
        f"{totals['attachments']} attachments ({_size(totals['attachment_bytes'])}), "
        f"{totals['errors']} problem(s) reported"
    )
    console.print(f"  {out / DOCUMENTS_FILE}\n  {out / 'blobs'}\n  {out / SUMMARY_FILE}")
    if result.failed_files:
        errors.print(
            f"[red]{len(result.failed_files)} file(s) could not be read to the end[/red]; "
            "their documents before the fault were extracted."
        )
    raise typer.Exit(1 if result.failed_files else 0)


@app.command()
def sample(
    out: Annotated[Path, typer.Option("--out", help="Folder for the sample .dxl files.")],
    scale: Annotated[int, typer.Option(min=1, help="Multiplies every document count.")] = 1,
    seed: Annotated[int, typer.Option(help="Same seed, same bytes.")] = 2025,
) -> None:
    """Generate the bundled sample corpus: four Notes applications of a Japanese city."""
    for written in generate(out, scale=scale, seed=seed):
        console.print(
            f"{written.path}  {written.title}  {written.documents} documents  "
            f"{_size(written.path.stat().st_size)}"
        )
    console.print(f"{out / 'users.csv'}  user mapping (Notes names to UPNs)")


map_app = typer.Typer(help="Mappings from Notes forms and items to SharePoint lists and columns.")
app.add_typer(map_app, name="map")

DbUrlOption = Annotated[
    str,
    typer.Option(
        "--db-url", help="Ledger database (SQLAlchemy URL); PostgreSQL for several workers."
    ),
]


@map_app.command("suggest")
def map_suggest(
    paths: PathsArgument,
    out: Annotated[Path, typer.Option("--out", help="Mapping file (one database) or folder.")],
    site: Annotated[str, typer.Option(help="Target site, host:/sites/name.")] = DEFAULT_SITE,
) -> None:
    """Draft a mapping per Notes database from its form designs and documents."""
    files = _files(paths)
    several = len(files) > 1 or out.is_dir() or not out.suffix
    if several:
        out.mkdir(parents=True, exist_ok=True)
    failed = False
    for path in files:
        try:
            drafted = suggest(path, site=site)
        except ValueError as exc:
            errors.print(f"[red]error[/red] {exc}", highlight=False)
            failed = True
            continue
        target = out / f"{path.stem}.yaml" if several else out
        target.write_text(drafted.yaml, encoding="utf-8")
        console.print(
            f"{target}  {drafted.title or ''}  {drafted.replica_id}  {drafted.documents} documents"
        )
    raise typer.Exit(1 if failed else 0)


@app.command()
def transform(
    extract_dir: Annotated[Path, typer.Argument(help="Folder written by `notesmig extract`.")],
    mapping: Annotated[Path, typer.Option("--mapping", help="Mapping file or folder of them.")],
    out: Annotated[Path, typer.Option("--out", help="Output folder.")],
    db_url: DbUrlOption = DEFAULT_URL,
) -> None:
    """Apply mappings: list rows, files, permission plans, quarantine; all in the ledger."""
    try:
        mappings = load_mappings(mapping)
    except (MappingError, UserMappingError) as exc:
        errors.print(f"[red]error[/red] {exc}", highlight=False)
        raise typer.Exit(2) from exc
    if not (extract_dir / DOCUMENTS_FILE).is_file():
        raise typer.BadParameter(
            f"{extract_dir} holds no {DOCUMENTS_FILE}", param_hint="EXTRACT_DIR"
        )
    ledger = Ledger(db_url)
    ledger.upgrade()
    try:
        result = run_transform(extract_dir, mappings, out, ledger)
    finally:
        ledger.close()
    table = Table(title="transform")
    for column in (
        "database",
        "extracted",
        "transformed",
        "quarantined",
        "excluded",
        "files",
        "balanced",
    ):
        table.add_column(column)
    for database, totals in sorted(result.totals.items()):
        table.add_row(
            database,
            str(totals.extracted),
            str(totals.transformed),
            str(totals.quarantined),
            str(totals.excluded),
            str(totals.files),
            "yes" if totals.balanced else "[red]NO[/red]",
        )
    console.print(table)
    for outcome in result.quarantined[:20]:
        errors.print(
            f"[yellow]held back[/yellow] {outcome.database} {outcome.unid}: {outcome.reason}"
            + (f" ({outcome.detail})" if outcome.detail else ""),
            highlight=False,
        )
    if len(result.quarantined) > 20:
        errors.print(f"... and {len(result.quarantined) - 20} more in {out / 'quarantine.jsonl'}")
    if result.unknown_users:
        console.print(
            f"{len(result.unknown_users)} Notes name(s) without an account (see summary.json)"
        )
    raise typer.Exit(0 if all(t.balanced for t in result.totals.values()) else 1)


@app.command()
def status(
    db_url: DbUrlOption = DEFAULT_URL,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of a table.")] = False,
) -> None:
    """Per Notes database: documents per state, held back, errors, pending updates."""
    ledger = Ledger(db_url)
    ledger.upgrade()
    try:
        found = ledger.status()
    finally:
        ledger.close()
    if as_json:
        sys.stdout.write(
            json.dumps(
                [
                    {
                        "replica_id": s.replica_id,
                        "title": s.title,
                        "documents": s.total,
                        "states": s.states,
                        "quarantined": s.quarantined,
                        "errors": s.errors,
                        "update_pending": s.update_pending,
                    }
                    for s in found
                ],
                ensure_ascii=False,
                indent=2,
            )
            + "\n"
        )
        return
    states = [str(state) for state in State if any(str(state) in s.states for s in found)]
    table = Table(title=f"ledger {db_url}")
    table.add_column("database", no_wrap=True)
    table.add_column("title", min_width=6)
    for column in ("documents", *states, "errors", "updates pending"):
        table.add_column(column, justify="right")
    for s in found:
        table.add_row(
            s.replica_id,
            s.title or "",
            str(s.total),
            *(str(s.states.get(state, 0)) for state in states),
            str(s.errors),
            str(s.update_pending),
        )
    console.print(table)


@app.command()
def migrate(
    paths: PathsArgument,
    mapping: Annotated[Path, typer.Option("--mapping", help="Mapping file or folder of them.")],
    graph_url: Annotated[
        str, typer.Option("--graph-url", help="Microsoft Graph endpoint.")
    ] = DEFAULT_GRAPH_URL,
    site: Annotated[
        str | None, typer.Option(help="Target site host:/sites/NAME (default: each mapping's).")
    ] = None,
    db_url: DbUrlOption = DEFAULT_URL,
    work: Annotated[Path, typer.Option(help="Folder for the extract and transform output.")] = Path(
        "build/migrate"
    ),
    ru_per_minute: Annotated[
        int, typer.Option(help="Resource units per minute to stay under (0: no limit).")
    ] = DEFAULT_RU_PER_MINUTE,
) -> None:
    """The whole pipeline outside Airflow: extract, transform and load into SharePoint."""
    token = os.environ.get("NOTESMIG_GRAPH_TOKEN", "emulator")
    try:
        credentials = GraphCredentials.from_env()
    except CredentialsError as exc:
        raise typer.BadParameter(str(exc), param_hint="NOTESMIG_* environment") from exc
    if credentials is not None and graph_url == DEFAULT_GRAPH_URL:
        graph_url = GRAPH_URL  # real credentials go to the real service, never to a local port
    with Progress(
        TextColumn("[bold]loading into SharePoint"),
        BarColumn(),
        TextColumn("{task.completed} done"),
        console=errors,
        transient=True,
        disable=not errors.is_terminal,
    ) as bar:
        task = bar.add_task("load", total=None)
        try:
            result = run_migration(
                paths,
                mapping,
                work,
                graph_url=graph_url,
                site=site,
                db_url=db_url,
                token=token,
                ru_per_minute=ru_per_minute,
                credentials=credentials,
                progress=lambda done: bar.advance(task, done),
            )
        except (MappingError, UserMappingError) as exc:
            errors.print(f"[red]error[/red] {exc}", highlight=False)
            raise typer.Exit(2) from exc
    totals = result.extracted.totals()
    moved = result.transformed
    loaded = result.loaded
    quarantined = len(moved.quarantined) + loaded.items_quarantined
    console.print(
        f"documents {totals['documents']}: loaded {loaded.items_created} new, "
        f"{loaded.items_updated} updated, {loaded.items_unchanged} unchanged; "
        f"held back {quarantined}; excluded {len(moved.excluded)}\n"
        f"attachments {loaded.files_uploaded} uploaded ({_size(loaded.bytes_uploaded)}), "
        f"{loaded.files_unchanged} unchanged\n"
        f"errors {totals['errors']}; {result.resource_units} resource units; "
        f"{result.graph.throttled} throttled; {result.seconds:.1f} s"
    )
    raise typer.Exit(1 if result.extracted.failed_files else 0)


emulator_app = typer.Typer(help="The local SharePoint Online (Microsoft Graph) emulator.")
app.add_typer(emulator_app, name="emulator")


@emulator_app.command("serve")
def emulator_serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8765,
    data: Annotated[Path, typer.Option(help="State folder (kept across restarts).")] = Path(
        "build/emulator"
    ),
    ru_per_minute: Annotated[
        int, typer.Option(help="Resource-unit budget per minute; 0 turns throttling off.")
    ] = DEFAULT_RU_PER_MINUTE,
    time_scale: Annotated[
        float, typer.Option(help="Compress time: at 60 a budget minute lasts one second.")
    ] = 1.0,
    fault_rate: Annotated[
        float, typer.Option(help="Share of requests failing with 503/500/504, resets or delays.")
    ] = 0.0,
    lost_response_rate: Annotated[
        float, typer.Option(help="Share of committed writes whose response is lost.")
    ] = 0.0,
    seed: Annotated[int, typer.Option(help="Seed for the injected faults.")] = 0,
    token: Annotated[
        str | None, typer.Option(help="Require this bearer token (default: accept any).")
    ] = None,
    upload_session_seconds: Annotated[
        int, typer.Option(help="Lifetime of an upload session.")
    ] = 3_600,
    users: Annotated[
        Path | None,
        typer.Option(
            help="CSV of site users (columns upn[,display_name]): person columns' lookups."
        ),
    ] = None,
    hostname: Annotated[str, typer.Option(help="Tenant host name.")] = "contoso.sharepoint.com",
    site: Annotated[list[str] | None, typer.Option(help="Site under /sites/ (repeatable).")] = None,
) -> None:
    """Serve a Graph-compatible SharePoint Online tenant on HOST:PORT."""
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
            users=_site_users(users) if users is not None else (),
        )
    except EmulatorConfigError as exc:
        raise typer.BadParameter(str(exc)) from exc
    console.print(
        f"SharePoint emulator: http://{host}:{port}/v1.0  tenant {config.hostname}  "
        f"sites {', '.join('/sites/' + s for s in config.sites)}  data {data}"
    )
    serve(config, host=host, port=port)


def _site_users(path: Path) -> tuple[tuple[str, str], ...]:
    with path.open(encoding="utf-8-sig", newline="") as source:
        reader = csv.DictReader(source)
        if "upn" not in (reader.fieldnames or ()):
            raise typer.BadParameter(f"{path}:1: the header must name upn", param_hint="--users")
        found: dict[str, str] = {}
        for row in reader:
            upn = (row.get("upn") or "").strip()
            if upn:
                found.setdefault(upn, (row.get("display_name") or "").strip() or upn)
    return tuple(found.items())


def main() -> None:
    app()


if __name__ == "__main__":
    main()
