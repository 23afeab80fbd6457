"""The ``notesmig map`` commands: mappings from Notes forms and items to SharePoint lists and
columns (``map suggest`` drafts one per Notes database)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from notesmig.cli.options import PathsArgument, dxl_files
from notesmig.cli.render import both, console, error

map_app = typer.Typer(
    help=both(
        "Notes のフォームとアイテムから SharePoint のリストと列への対応付け",
        "Mappings from Notes forms and items to SharePoint lists and columns.",
    ),
)


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

    files = dxl_files(paths)
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
    raise typer.Exit(1 if failed else 0)
