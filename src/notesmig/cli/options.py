"""What several commands take, and the checks of what it names.

The shared arguments and options (DXL paths, ``--assume-tz``, ``--db-url``, ``--graph-url``,
``--ru-per-minute``), and the checks that stop a command with exit 2 before anything is done:
paths that are missing or hold no DXL, an unknown time zone, an invalid mapping.
"""

from __future__ import annotations

from datetime import tzinfo
from pathlib import Path
from typing import Annotated

import typer

from notesmig.cli.render import both, errors

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


def time_zone(name: str | None) -> tzinfo | None:
    """The zone ``--assume-tz`` names (None when not given); an unknown one is a bad argument."""
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


def dxl_files(paths: list[Path]) -> list[Path]:
    """The DXL files the paths name (folders searched); a missing path, or none found, is a bad
    argument."""
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


def checked_mappings(path: Path) -> dict[str, object]:
    """The mappings in a file or folder, by replica id; an invalid one is its located message
    and exit 2."""
    from notesmig.mapping.loader import MappingError, load_mappings  # noqa: PLC0415
    from notesmig.mapping.users import UserMappingError  # noqa: PLC0415

    try:
        return dict(load_mappings(path))
    except (MappingError, UserMappingError) as exc:
        errors.print("[red]エラー / error[/red] ", end="", highlight=False)
        errors.print(str(exc), highlight=False, markup=False, soft_wrap=True)
        raise typer.Exit(2) from None
