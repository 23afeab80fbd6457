"""The Migration view's app: every route behind the guard it is given, the page in Japanese and
English with the ledger's figures, and only the DAGs' published pages handed out."""

from __future__ import annotations

from pathlib import Path

from fastapi import Depends, Header, HTTPException
from fastapi.testclient import TestClient

from notesmig.reasons import READER_NO_ACCOUNT
from notesmig.ui.app import ViewSettings, create_app
from tests.ui.conftest import filled_ledger


def _guard(authorization: str | None = Header(None)) -> None:
    if authorization != "Bearer staff":
        raise HTTPException(status_code=401, detail="not authenticated")


def client_for(tmp_path: Path) -> TestClient:
    filled_ledger(tmp_path / "ledger.sqlite3", 700).close()
    work = tmp_path / "work"
    (work / "report" / "db").mkdir(parents=True)
    (work / "report" / "index.html").write_text("<h1>移行検証レポート</h1>", encoding="utf-8")
    (work / "inventory").mkdir()
    (work / "inventory" / "index.html").write_text("<h1>棚卸し</h1>", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("not for the web", encoding="utf-8")
    settings = ViewSettings(f"sqlite:///{tmp_path / 'ledger.sqlite3'}", work, 2400)
    return TestClient(create_app(lambda: settings, dependencies=[Depends(_guard)]))


STAFF = {"Authorization": "Bearer staff"}


def test_nothing_without_the_guard(tmp_path: Path) -> None:
    client = client_for(tmp_path)
    for path in ("/", "/api/progress", "/reports/index.html", "/inventory/", "/assets/report.css",
                 "/notes-links/", "/notes-links/58D6B8A63270688E",
                 "/notes-links/58D6B8A63270688E/018F96E39A39B44CAAFB4EEE38D9C8D8"):  # fmt: skip
        assert client.get(path, follow_redirects=False).status_code == 401, path


def test_the_page_shows_the_ledger_in_japanese_then_english(tmp_path: Path) -> None:
    client = client_for(tmp_path)
    page = client.get("/", headers=STAFF)
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    html = page.text
    assert '<html lang="ja">' in html and "Notes 移行の進捗" in html
    assert "火災ごみ減免申請" in html and "照合済み" in html
    # The totals row: 1,400 documents, 600 verified, 200 held back.
    total = html.split('<tfoot><tr data-replica="*">', 1)[1]
    assert '<td class="n" data-figure="documents">1400</td>' in total
    assert '<td class="n" data-figure="verified">600</td>' in total
    assert '<td class="n" data-figure="held">200</td>' in total
    assert 'data-figure="documents-per-minute">120.0<' in html
    assert "上限に対する割合 100%" in html
    assert READER_NO_ACCOUNT.ja in html  # reasons in Japanese
    english = client.get("/?lang=en", headers=STAFF).text
    assert '<html lang="en">' in english and "Notes migration progress" in english
    assert READER_NO_ACCOUNT.en in english and "share of the budget 100%" in english
    assert client.get("/?lang=fr", headers=STAFF).status_code == 422


def test_the_page_narrows_to_one_database(tmp_path: Path) -> None:
    client = client_for(tmp_path)
    html = client.get("/?database=B82634FA404574D2&wave=W1", headers=STAFF).text
    assert 'data-replica="B82634FA404574D2" data-wave="W1"' in html
    assert 'data-replica="4BFEA2B6D741A32A"' not in html
    assert '<option value="B82634FA404574D2" selected>' in html
    figures = client.get("/api/progress?database=B82634FA404574D2", headers=STAFF).json()
    assert figures["totals"]["documents"] == 700
    assert figures["throughput"]["documents_per_minute"] == 60.0


def test_only_published_pages_are_handed_out(tmp_path: Path) -> None:
    client = client_for(tmp_path)
    assert "移行検証レポート" in client.get("/reports/index.html", headers=STAFF).text
    assert "棚卸し" in client.get("/inventory/", headers=STAFF).text
    for path in ("/reports/../../secret.txt", "/reports/%2e%2e/%2e%2e/secret.txt",
                 "/inventory/../report/../../secret.txt", "/reports/missing.html"):  # fmt: skip
        response = client.get(path, headers=STAFF)
        assert response.status_code == 404, path
        assert "not for the web" not in response.text


def test_with_a_cutoff_the_page_forecasts(tmp_path: Path) -> None:
    from datetime import date

    filled_ledger(tmp_path / "ledger.sqlite3", 700).close()
    settings = ViewSettings(
        f"sqlite:///{tmp_path / 'ledger.sqlite3'}", tmp_path, 2400, cutoff=date(2099, 6, 30)
    )
    client = TestClient(create_app(lambda: settings, dependencies=[Depends(_guard)]))
    html = client.get("/?database=B82634FA404574D2", headers=STAFF).text
    assert "切替日までの見込み" in html and "切替日 2099-06-30" in html
    # The forecast covers every database, whatever the table shows.
    forecast = html.split('<section aria-labelledby="forecast">', 1)[1].split("</section>", 1)[0]
    assert forecast.count('data-figure="verdict">間に合う<') == 2
    assert '<strong data-figure="fits">間に合う</strong>' in forecast
    other = tmp_path / "other"
    other.mkdir()
    assert "切替日までの見込み" not in client_for(other).get("/", headers=STAFF).text
