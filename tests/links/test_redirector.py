"""The redirector on a real ledger: 302 to a document in SharePoint, otherwise a page in Japanese
(English with ``?lang=en``) saying why it is not there, never what a restricted document holds."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import update

from notesmig.ledger.models import Quarantine
from notesmig.links.redirector import create_app
from tests.ui.conftest import filled_ledger

FIRE = "4BFEA2B6D741A32A"


def unid(i: int) -> str:
    return f"{FIRE}{i:016X}"


def client_for(tmp_path: Path) -> TestClient:
    ledger = filled_ledger(tmp_path / "ledger.sqlite3", 30)
    with ledger.session() as session:
        session.execute(update(Quarantine).values(detail="山田 太郎/情報政策課/Maebashi"))
    ledger.close()
    url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    return TestClient(create_app(lambda: url))


def test_a_document_in_sharepoint_is_a_302_to_its_item(tmp_path: Path) -> None:
    client = client_for(tmp_path)
    for path in (
        f"/notes-links/{FIRE}/{unid(0)}",
        f"/notes-links/{FIRE.lower()}/{unid(3).lower()}",
    ):
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == 302
        assert answer.headers["location"].startswith(
            f"https://contoso.sharepoint.com/sites/m/Lists/{FIRE}/DispForm.aspx?ID="
        )
    database = client.get(f"/notes-links/{FIRE}", follow_redirects=False)
    assert (database.status_code, database.headers["location"]) == (
        302, f"https://contoso.sharepoint.com/sites/m/Lists/{FIRE}",
    )  # fmt: skip


def test_every_other_document_gets_the_reason_it_is_not_there(tmp_path: Path) -> None:
    client = client_for(tmp_path)
    expected = {
        5: (200, "まだ SharePoint に移行されていません", "not in SharePoint yet"),
        6: (200, "移行の対象外です", "not migrated (excluded"),
        11: (200, "移行を保留しています", "held back from the migration"),
        4: (200, "アクセス制限を正確に移行できない", "access restrictions could not be carried"),
    }
    for i, (status, japanese, english) in expected.items():
        page = client.get(f"/notes-links/{FIRE}/{unid(i)}")
        assert page.status_code == status
        assert japanese in page.text and "火災ごみ減免申請" in page.text and unid(i) in page.text
        assert english in client.get(f"/notes-links/{FIRE}/{unid(i)}?lang=en").text
    assert "値が列に合わない" in client.get(f"/notes-links/{FIRE}/{unid(11)}").text
    # A document held back for its readers says so, and nothing of who its readers are.
    restricted = client.get(f"/notes-links/{FIRE}/{unid(4)}").text
    assert "山田" not in restricted and "Maebashi" not in restricted


def test_what_is_in_no_export_or_no_id_is_a_404_page(tmp_path: Path) -> None:
    client = client_for(tmp_path)
    missing = client.get(f"/notes-links/{FIRE}/{'A' * 32}")
    assert missing.status_code == 404 and "どの Notes エクスポートにもありません" in missing.text
    other = client.get(f"/notes-links/{'F' * 16}")
    assert other.status_code == 404 and "移行の対象にありません" in other.text
    for path in ("/notes-links/", "/notes-links/x", "/notes-links/<script>/1",
                 f"/notes-links/{FIRE}/{'Z' * 32}"):  # fmt: skip
        page = client.get(path)
        assert page.status_code == 404 and "Notes の文書を指していません" in page.text, path
        assert "<script>" not in page.text


def test_serve_links_answers_outside_airflow(tmp_path: Path) -> None:
    filled_ledger(tmp_path / "ledger.sqlite3", 30).close()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [str(Path(sys.executable).with_name("notesmig")), "serve-links", "--port", str(port),
               "--db-url", f"sqlite:///{tmp_path / 'ledger.sqlite3'}"]  # fmt: skip
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT) as server:
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    answer = httpx.get(f"http://127.0.0.1:{port}/notes-links/{FIRE}/{unid(0)}")
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline and server.poll() is None
                    time.sleep(0.2)
            assert answer.status_code == 302 and "DispForm.aspx?ID=0" in answer.headers["location"]
            waiting = httpx.get(f"http://127.0.0.1:{port}/notes-links/{FIRE}/{unid(5)}")
            assert (
                waiting.status_code == 200
                and "まだ SharePoint に移行されていません" in waiting.text
            )
        finally:
            server.terminate()
            server.wait(timeout=10)


def test_serve_links_refuses_a_ledger_it_cannot_open(tmp_path: Path) -> None:
    command = [str(Path(sys.executable).with_name("notesmig")), "serve-links", "--db-url",
               "nosuchdb://x"]  # fmt: skip
    finished = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert finished.returncode == 2 and "台帳" in finished.stderr + finished.stdout
