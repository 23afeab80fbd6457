"""The auditors' report after a real migration into the emulator (which rewrites Office files as
SharePoint does), read in headless Chromium: nothing leaves the machine, Japanese renders in
Noto CJK, and every number on the page is the ledger's."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from sqlalchemy import delete, select

from notesmig.ledger import Ledger
from notesmig.ledger.models import (
    Attachment,
    Database,
    Document,
    Event,
    Link,
    Quarantine,
    VerdictRow,
)
from notesmig.pipeline import StageSettings, discover_databases
from notesmig.pipeline.stages import extract_database, reconcile_replica, transform_database
from notesmig.report.render import write_report
from notesmig.sample.corpus import SampleFile
from notesmig.sharepoint.client import GraphEndpoint
from tests.browser import ARTIFACTS, browser_page
from tests.migration import emulator_for, mappings_for, migrate

TRIPS = "B82634FA404574D2"
LIBRARY = "58D6B8A63270688E"
BOARD = "1E9675FC9921B17D"
#: A4 in PostScript points (210 x 297 mm).
A4 = (595.28, 841.89)
OUTCOME_ROWS = {"検証済み": "verified", "移行済み・未照合": "loaded", "未移行": "not-loaded",
                "不一致": "mismatched", "保留": "quarantined", "対象外": "excluded"}  # fmt: skip


def test_the_report_is_the_ledger_in_the_browser_and_asks_no_other_host(
    sample_corpus: list[SampleFile], tmp_path: Path
) -> None:
    mappings = mappings_for(sample_corpus, tmp_path / "mappings")
    ledger_url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    drop = sample_corpus[0].path.parent
    with emulator_for(tmp_path, sample_corpus, "--ru-per-minute", "0",
                      "--rewrite-office-files") as emulator:  # fmt: skip
        summary = migrate([drop], mappings, tmp_path / "work", graph_url=emulator.graph_url,
                          db_url=ledger_url)  # fmt: skip
        settings = StageSettings(work=tmp_path / "work", mappings=mappings, ledger_url=ledger_url,
                                 graph=GraphEndpoint(emulator.graph_url), ru_per_minute=0)  # fmt: skip
        reconciled = {
            v.replica_id: reconcile_replica(v.replica_id, settings) for v in summary.validated
        }
    # SharePoint's property promotion is its own category, never a silent pass or a failure.
    assert summary.load.files_rewritten > 0
    assert reconciled[LIBRARY].verdicts.get("file-rewritten", 0) > 0
    assert all(r.failed == 0 for r in reconciled.values())

    out = tmp_path / "report"
    ledger = Ledger(ledger_url)
    written = write_report(ledger, out)
    status = {s.replica_id: s for s in ledger.status()}
    assert written.balanced and written.pages == 2 * (1 + len(status))

    # exceptions.csv: UTF-8 with a byte-order mark, one row per document not verified.
    raw = (out / "exceptions.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw[3:].decode("utf-8"))))
    assert list(rows[0]) == ["database", "unid", "form", "verdict", "reason", "detail"]
    held = [r for r in rows if r["verdict"] == "quarantined"]
    assert len(held) == sum(s.quarantined for s in status.values()) == 3
    assert all(r["database"] == TRIPS and r["reason"].startswith("閲覧制限あり") for r in held)
    rewritten = [r for r in rows if r["verdict"] == "file-rewritten"]
    assert rewritten and all("quickXorHash" in r["detail"] for r in rewritten)

    # evidence.json: the sources' and the files' hashes, versions, counts.
    evidence = json.loads((out / "evidence.json").read_text(encoding="utf-8"))
    sources = {Path(s["path"]).name: s["sha256"] for s in evidence["sources"]}
    assert sources == {
        f.path.name: hashlib.sha256(f.path.read_bytes()).hexdigest() for f in sample_corpus
    }
    assert evidence["files"] == {
        "exceptions.csv": hashlib.sha256(raw).hexdigest(),
        "ledger-export.json": hashlib.sha256((out / "ledger-export.json").read_bytes()).hexdigest(),
    }
    versions = evidence["versions"]
    assert versions["apache-airflow"] == metadata.version("apache-airflow")
    assert versions["great-expectations"] == metadata.version("great-expectations")
    assert versions["notesmig"] == metadata.version("notesmig")
    counted = {d["replica_id"]: d for d in evidence["databases"]}
    assert set(counted) == set(status)
    for replica, database in counted.items():
        assert database["documents"] == status[replica].total
        assert database["outcomes"]["verified"] == status[replica].states.get("verified", 0)
        assert database["outcomes"]["quarantined"] == status[replica].quarantined
        assert database["source_documents"] == database["documents"] and database["balanced"]
    # Made again from the same ledger, the report's data are the same bytes.
    again = write_report(ledger, tmp_path / "again")
    assert again.exceptions == written.exceptions
    for name in ("exceptions.csv", "ledger-export.json"):
        assert (tmp_path / "again" / name).read_bytes() == (out / name).read_bytes()
    ledger.close()

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    requests: list[str] = []
    with browser_page(requests) as page:
        page.goto((out / "index.html").as_uri())
        assert page.get_by_role("heading", level=1).inner_text() == "移行検証レポート"
        # The fonts Chromium actually drew the heading with, not whether one could be loaded.
        cdp = page.context.new_cdp_session(page)
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument")["root"]["nodeId"]
        heading = cdp.send("DOM.querySelector", {"nodeId": root, "selector": "h1"})["nodeId"]
        drawn = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": heading})["fonts"]
        cjk = [f for f in drawn if f["familyName"].startswith("Noto Sans CJK")]
        assert sum(f["glyphCount"] for f in cjk) == len("移行検証レポート"), drawn
        overall = page.get_by_role("table", name="文書の結果")
        for label, outcome in OUTCOME_ROWS.items():
            cell = overall.get_by_role("row", name=re.compile(f"^{label} ")).get_by_role("cell")
            expected = sum(
                s.states.get(outcome, 0) if outcome in ("verified", "loaded", "quarantined",
                                                        "excluded") else 0
                for s in status.values()
            )  # fmt: skip
            assert int(cell.inner_text()) == expected, label
        page.screenshot(path=str(ARTIFACTS / "report-index-ja.png"), full_page=True)

        page.get_by_role("link", name="出張申請").click()
        page.wait_for_load_state()
        trips = page.get_by_role("table", name="文書の結果")
        cells = {
            label: int(trips.get_by_role("row", name=re.compile(f"^{label} ")).get_by_role(
                "cell").inner_text())
            for label in OUTCOME_ROWS
        }  # fmt: skip
        assert cells["検証済み"] == status[TRIPS].states["verified"] == 17
        assert cells["保留"] == status[TRIPS].quarantined == 3
        balance = page.get_by_role("status").inner_text()
        assert "— 一致" in balance and "数が合いません" not in balance
        restricted = page.get_by_role("table", name="閲覧制限のある文書").get_by_role("row")
        assert restricted.count() == 1 + status[TRIPS].restricted_loaded
        # Its 17 doclinks (to the document library) all open their items in SharePoint.
        links = {k: page.locator(f'[data-count="{k}"]').inner_text()
                 for k in ("links", "links-direct", "links-pending", "links-broken")}  # fmt: skip
        assert links == {"links": "17", "links-direct": "17", "links-pending": "0",
                         "links-broken": "0"}  # fmt: skip
        page.screenshot(path=str(ARTIFACTS / "report-trips-ja.png"), full_page=True)
        # The page size is the print CSS's (@page size: A4), not one the test imposes.
        pdf = page.pdf(path=str(ARTIFACTS / "report-trips-ja.pdf"), prefer_css_page_size=True)
        boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
        assert boxes and all(
            abs(float(w) - A4[0]) < 2 and abs(float(h) - A4[1]) < 2 for w, h in boxes
        ), boxes

        page.get_by_role("link", name="English").click()
        page.wait_for_load_state()
        assert page.get_by_role("heading", level=1).inner_text().startswith("出張申請")
        assert page.get_by_role("table", name="Outcome of every document").is_visible()
        page.screenshot(path=str(ARTIFACTS / "report-trips-en.png"), full_page=True)

        page.get_by_role("link", name="Open the GX Data Docs").click()
        page.wait_for_load_state()
        assert "Expectation" in page.content() or "expectation" in page.content()
        page.screenshot(path=str(ARTIFACTS / "report-data-docs.png"))
    # Every page, stylesheet, script and image came from the report's own folder.
    assert requests and all(url.startswith(out.as_uri()) for url in requests), [
        u for u in requests if not u.startswith(out.as_uri())
    ]


def _transformed(sample_corpus: list[SampleFile], tmp_path: Path) -> str:
    """A ledger of the sample extracted and transformed (nothing loaded): its URL."""
    settings = StageSettings(
        work=tmp_path / "work", mappings=mappings_for(sample_corpus, tmp_path / "mappings"),
        ledger_url=f"sqlite:///{tmp_path / 'ledger.sqlite3'}",
        # Nothing listens there: nothing here may reach SharePoint.
        graph=GraphEndpoint("http://127.0.0.1:9/v1.0"), data_docs=False,
    )  # fmt: skip
    for source in discover_databases([sample_corpus[0].path.parent]):
        transform_database(extract_database(source, settings), settings)
    return settings.ledger_url


def _forget(ledger: Ledger, replica: str) -> str:
    """Delete one document's row (and what hangs on it) as a broken restore would: its UNID."""
    with ledger.session() as session:
        document = session.scalars(
            select(Document).join(Database).where(Database.replica_id == replica)
        ).first()
        assert document is not None
        for table in (Attachment, Link, Quarantine, Event, VerdictRow):
            session.execute(delete(table).where(table.document_id == document.id))
        session.delete(document)
        return document.unid


def test_a_ledger_that_does_not_add_up_shows_the_error_and_the_command_fails(
    sample_corpus: list[SampleFile], tmp_path: Path
) -> None:
    ledger_url = _transformed(sample_corpus, tmp_path)
    ledger = Ledger(ledger_url)
    assert write_report(ledger, tmp_path / "before").balanced
    # A held-back document whose quarantine entry is gone (its state says held back, nothing
    # says why), and a document row lost.
    with ledger.session() as session:
        entry = session.scalars(
            select(Quarantine).join(Document).join(Database).where(Database.replica_id == TRIPS)
        ).first()
        assert entry is not None
        session.delete(entry)
    lost = _forget(ledger, BOARD)
    ledger.close()

    out = tmp_path / "report"
    done = subprocess.run(
        [str(Path(sys.executable).with_name("notesmig")), "report", "--db-url", ledger_url,
         "--out", str(out)],
        capture_output=True, text=True, timeout=300, check=False,
        env={"COLUMNS": "200", "PATH": str(Path(sys.executable).parent)},
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    assert "件数が合わないデータベースがあります" in done.stderr
    for replica, shown in (
        (TRIPS, "20 = 0 + 0 + 17 + 0 + 2 + 0"),
        (BOARD, "40 = 0 + 0 + 39 + 0 + 0 + 0"),
    ):
        page = (out / "db" / f"{replica}.html").read_text(encoding="utf-8")
        assert 'class="balance error"' in page and "数が合いません" in page, replica
        assert f'<span data-count="balance">{shown}</span>' in page
        assert "差 1" in page
        english = (out / "en" / "db" / f"{replica}.html").read_text(encoding="utf-8")
        assert 'class="balance error"' in english and "DOES NOT ADD UP" in english
    held_back = (out / "db" / f"{TRIPS}.html").read_text(encoding="utf-8")
    assert "状態の根拠が台帳にない文書" in held_back and "(quarantined)" in held_back
    assert lost not in (out / "db" / f"{BOARD}.html").read_text(encoding="utf-8")
    untouched = (out / "db" / f"{LIBRARY}.html").read_text(encoding="utf-8")
    assert 'class="balance "' in untouched and "数が合いません" not in untouched
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'class="balance error"' in index and "数が合いません" in index
    rows = list(csv.DictReader(io.StringIO((out / "exceptions.csv").read_text("utf-8-sig"))))
    assert [r["verdict"] for r in rows if r["database"] == TRIPS].count("unaccounted") == 1
