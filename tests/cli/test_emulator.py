"""``notesmig emulator serve``: its options become the emulated tenant's settings, a setting that
cannot work is a bad argument, and the emulator is imported only when it is served."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
from typer.testing import CliRunner

from notesmig.cli.app import app
from notesmig.emulator.server import EmulatorProcess, free_port

ENV = {"COLUMNS": "200"}


def test_the_defaults_serve_one_site_and_say_where(tmp_path: Path) -> None:
    port = free_port()
    command = [sys.executable, "-m", "notesmig.cli", "emulator", "serve", "--port", str(port),
               "--data", str(tmp_path / "d")]  # fmt: skip
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, env={**os.environ, "COLUMNS": "400"}
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().decode()
        assert line == (
            f"SharePoint エミュレーター / emulator: http://127.0.0.1:{port}/v1.0  テナント / "
            "tenant contoso.sharepoint.com  サイト / sites /sites/notes-migration  データ / data "
            f"{tmp_path / 'd'}\n"
        )
        url = f"http://127.0.0.1:{port}/v1.0/sites/contoso.sharepoint.com:/sites/notes-migration:"
        for _ in range(200):  # the line is printed just before it listens
            try:
                site = httpx.get(url, headers={"Authorization": "Bearer t"})
                break
            except httpx.TransportError:
                time.sleep(0.05)
        assert site.status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_the_options_make_the_tenant(tmp_path: Path) -> None:
    users = tmp_path / "users.csv"
    users.write_text("upn,display_name\nsato@city.example,佐藤 花子\n", encoding="utf-8")
    options = ("--hostname", "city.sharepoint.com", "--site", "a", "--site", "b",
               "--ru-per-minute", "0", "--token", "t0ken", "--users", str(users),
               "--site-member", "sato@city.example", "--max-page-size", "3",
               "--time-zone", "2")  # fmt: skip
    with EmulatorProcess(tmp_path / "d", options=options) as emulator:
        graph = httpx.Client(base_url=emulator.graph_url, headers={"Authorization": "Bearer t0ken"})
        site = graph.get("/sites/city.sharepoint.com:/sites/b:")
        assert site.status_code == 200
        assert httpx.get(f"{emulator.graph_url}/sites/city.sharepoint.com:/sites/b:",
                         headers={"Authorization": "Bearer other"}).status_code == 401  # fmt: skip
        for n in range(4):
            graph.post(f"/sites/{site.json()['id']}/lists",
                       json={"displayName": f"L{n}", "list": {"template": "genericList"}})  # fmt: skip
        first = graph.get(f"/sites/{site.json()['id']}/lists").json()
        assert len(first["value"]) == 3 and "@odata.nextLink" in first
        rest = httpx.Client(base_url=f"{emulator.url}/sites/a/_api/web", headers={
            "Authorization": "Bearer t0ken", "Accept": "application/json;odata=nometadata"})  # fmt: skip
        assert rest.get("/RegionalSettings/TimeZone").json()["Id"] == 2
        assert rest.get("/RegionalSettings/TimeZone/UtcToLocalTime('2024-07-01T12:00:00Z')"
                        ).json() == {"value": "2024-07-01T13:00:00"}  # fmt: skip
        members = {u["LoginName"] for u in rest.get("/siteusers").json()["value"]}
        assert "i:0#.f|membership|sato@city.example" in members


def test_a_settings_file_that_cannot_work_is_a_bad_argument(tmp_path: Path) -> None:
    groups = tmp_path / "groups.csv"
    groups.write_text("x,y\n", encoding="utf-8")
    done = CliRunner().invoke(app, ["emulator", "serve", "--groups", str(groups)], env=ENV)
    assert done.exit_code == 2
    assert "groups.csv:1: the header must name group, member" in done.stderr
    assert done.stdout == ""  # nothing served
    unknown = CliRunner().invoke(app, ["emulator", "serve", "--time-zone", "999"], env=ENV)
    assert unknown.exit_code == 2 and "time zone 999" in unknown.stderr


def test_the_help_is_japanese_first() -> None:
    done = CliRunner().invoke(app, ["emulator", "serve", "--help"], env=ENV)
    assert done.exit_code == 0
    assert "Graph 互換の SharePoint Online テナントを提供します / Serve a Graph-compatible" in (
        done.stdout
    )
    assert "待ち受けポート / Port to listen on." in done.stdout


def test_the_emulator_is_imported_only_when_it_is_served() -> None:
    statement = "import notesmig.cli.emulator, sys, json; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", statement], capture_output=True, text=True,
                          timeout=300, check=True)  # fmt: skip
    modules = json.loads(done.stdout)
    assert "notesmig.cli.emulator" in modules
    assert not [m for m in modules if m.startswith("notesmig.emulator")]
