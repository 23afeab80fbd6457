"""A pipeline stage as an Airflow task runs it: the previous stage's record in, this stage's as
JSON out; a failure that a retry may cure raised as it is, anything else failing the task at
once with its reason."""

from __future__ import annotations

from pathlib import Path

import pytest
from airflow.sdk.exceptions import AirflowFailException
from sqlalchemy.exc import OperationalError

from notesmig.hooks.tasks import run_stage
from notesmig.pipeline import StageSettings, discover_databases
from notesmig.sample.dxlbuild import stable_hex, text_item
from notesmig.sharepoint.client import GraphEndpoint
from tests.dxlfiles import database, document

REPLICA = "0123456789ABCDEF"
MAPPING = f"""version: 1
database: {{replica_id: "{REPLICA}"}}
target: {{site: "contoso.sharepoint.com:/sites/notes-migration"}}
forms:
  Memo: {{list: "メモ", items: {{Subject: {{column: Title, type: text}}}}}}
"""


def settings(tmp_path: Path, ledger_url: str | None = None) -> StageSettings:
    (tmp_path / "mappings").mkdir(exist_ok=True)
    (tmp_path / "mappings" / "memos.yaml").write_text(MAPPING, encoding="utf-8")
    return StageSettings(
        work=tmp_path / "work", mappings=tmp_path / "mappings",
        ledger_url=ledger_url or f"sqlite:///{tmp_path / 'ledger.sqlite3'}",
        # Nothing listens there: no stage here may reach SharePoint.
        graph=GraphEndpoint("http://127.0.0.1:9/v1.0"), data_docs=False,
    )  # fmt: skip


def source(tmp_path: Path, *, broken: bool = False) -> dict[str, object]:
    path = tmp_path / "drop" / "memos.dxl"
    database(path, "メモ", document("Memo", stable_hex("task", 1), text_item("Subject", "一")),
             document("Memo", stable_hex("task", 2), text_item("Subject", "二")),
             replica=REPLICA)  # fmt: skip
    if broken:
        path.write_text(path.read_text(encoding="utf-8").replace("</database>", "<oops"), "utf-8")
    [found] = discover_databases([path])
    return found.model_dump(mode="json")


def test_each_stage_takes_the_previous_stages_record_and_gives_its_own(tmp_path: Path) -> None:
    chosen = settings(tmp_path)
    extracted = run_stage("extract_database", source(tmp_path), chosen)
    assert (extracted["replica_id"], extracted["title"], extracted["documents"]) == (
        REPLICA, "メモ", 2
    )  # fmt: skip
    assert Path(extracted["extract_dir"]) == tmp_path / "work" / REPLICA / "extract"
    # What XCom carries is plain JSON: the stage's record, never the documents.
    transformed = run_stage("transform_database", extracted, chosen)
    assert transformed["replica_id"] == REPLICA
    assert transformed["totals"]["extracted"] == transformed["totals"]["transformed"] == 2


def test_an_export_not_read_to_its_end_fails_the_task_naming_it(tmp_path: Path) -> None:
    with pytest.raises(AirflowFailException) as raised:
        run_stage("extract_database", source(tmp_path, broken=True), settings(tmp_path))
    message = str(raised.value)
    assert message.startswith("DxlError: ") and "memos.dxl" in message
    assert "the export could not be read to its end" in message


def test_a_database_never_loaded_fails_its_reconcile_at_once(tmp_path: Path) -> None:
    loaded = {"replica_id": REPLICA, "title": "メモ", "transform_dir": str(tmp_path),
              "counts": {}}  # fmt: skip
    with pytest.raises(AirflowFailException, match=r"^NeverLoadedError: database 0123456789ABCDEF"):
        run_stage("reconcile_database", loaded, settings(tmp_path))


def test_a_record_that_is_not_the_stages_input_fails_the_task(tmp_path: Path) -> None:
    with pytest.raises(AirflowFailException, match=r"^ValidationError: "):
        run_stage("transform_database", {"replica_id": REPLICA}, settings(tmp_path))


def test_a_ledger_out_of_reach_is_raised_as_it_is_for_airflow_to_retry(tmp_path: Path) -> None:
    # Nothing listens on port 9: the connection is refused, which a later try may not be.
    unreachable = "postgresql+psycopg://notesmig@127.0.0.1:9/ledger?connect_timeout=2"
    extracted = run_stage("extract_database", source(tmp_path), settings(tmp_path))
    with pytest.raises(OperationalError, match=r"(?i)connection refused|could not connect"):
        run_stage("transform_database", extracted, settings(tmp_path, unreachable))
