"""The ``notesmig emulator`` commands: the local SharePoint Online (Microsoft Graph) emulator.

The emulator is a product of its own (``notesmig.emulator``); it is imported only when
``emulator serve`` runs, so no other command (nor Airflow, importing the command line) loads it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from notesmig.cli.render import both, console

emulator_app = typer.Typer(
    help=both(
        "ローカルの SharePoint Online（Microsoft Graph）エミュレーター",
        "The local SharePoint Online (Microsoft Graph) emulator.",
    ),
)


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
    time_zone: Annotated[
        int,
        typer.Option(
            help=both(
                "サイトのタイム ゾーン（SharePoint の ID: 20 東京、2 ロンドン、10 ニューヨーク）",
                "The sites' time zone (SharePoint's ids: 20 Tokyo, 2 London, 10 New York).",
            )
        ),
    ] = 20,
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
            time_zone=time_zone,
        )
    except TerminalError as exc:
        raise typer.BadParameter(str(exc)) from exc
    console.print(
        f"SharePoint エミュレーター / emulator: http://{host}:{port}/v1.0  テナント / tenant "
        f"{config.hostname}  サイト / sites {', '.join('/sites/' + s for s in config.sites)}  "
        f"データ / data {data}"
    )
    serve(config, host=host, port=port)
