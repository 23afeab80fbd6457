"""The transform stage streams: its files say exactly what the in-memory transform says, copies
of one document (two exports of one database) are merged the same way, and the ledger records
the same outcomes whatever the size of its batches."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from notesmig.ledger import Ledger, bulk
from notesmig.ledger.models import Attachment, Document, Link, Quarantine
from notesmig.records import FileRow, ItemRow, LinkRow, Outcome, RecordError, read_records
from notesmig.transform.documents import Transformer
from notesmig.transform.stage import list_file_name, read_acls, read_documents, run_transform
from tests.transform.conftest import Prepared, prepare


def _files(out: Path) -> dict[str, list[str]]:
    """Every output file's lines, by name (the spill files are gone)."""
    return {
        str(path.relative_to(out)): path.read_text(encoding="utf-8").splitlines()
        for path in sorted(out.rglob("*"))
        if path.is_file() and path.name != "summary.json"
    }


def _in_memory(prepared: Prepared) -> dict[str, list[str]]:
    acls = read_acls(prepared.extract_dir)  # the stage reads them from the extract too
    result = Transformer(prepared.mappings, acls=acls).transform(prepared.documents)
    lines: dict[str, list[str]] = {}
    for row in result.rows:
        lines.setdefault(f"items/{list_file_name(row.list)}", []).append(row.json_line())
    for name, records in (
        ("files.jsonl", result.files), ("permissions.jsonl", result.permissions),
        ("quarantine.jsonl", result.quarantined), ("excluded.jsonl", result.excluded),
        ("merged.jsonl", result.merged), ("links.jsonl", result.links),
        ("access.jsonl", [result.access[k] for k in sorted(result.access)]),
    ):  # fmt: skip
        lines[name] = [r.json_line() for r in records]
    return lines


def test_the_streamed_stage_writes_what_the_in_memory_transform_finds(
    prepared_sample: Prepared, tmp_path: Path
) -> None:
    outcome = run_transform(prepared_sample.extract_dir, prepared_sample.mappings, tmp_path, None)
    assert _files(tmp_path) == _in_memory(prepared_sample)
    rows = [r for p in (tmp_path / "items").glob("*.jsonl") for r in read_records(p, ItemRow)]
    assert outcome.rows == len(rows) == sum(t.transformed for t in outcome.totals.values())
    assert any(r.depth > 0 for r in rows)  # responses sit under their parents
    held = list(read_records(tmp_path / "quarantine.jsonl", Outcome))
    assert outcome.held_back_count == len(held) and outcome.held_back == held[:20]
    assert all(t.balanced for t in outcome.totals.values())
    assert not list(tmp_path.glob(".*.spill"))


def test_exports_of_one_database_merge_when_streamed(dxl_real: Path, tmp_path: Path) -> None:
    """Two real exports of one replica, and the first exported again: its documents are read
    twice and merged into one each, the same way as in memory."""
    again = tmp_path / "drop" / "plomino-test1-again.xml"
    again.parent.mkdir()
    again.write_bytes((dxl_real / "plomino-test1.xml").read_bytes())
    sources = [dxl_real / "plomino-test1.xml", dxl_real / "plomino-test_names_type.xml", again]
    prepared = prepare(sources, tmp_path / "prepared")
    outcome = run_transform(prepared.extract_dir, prepared.mappings, tmp_path / "out", None)
    assert _files(tmp_path / "out") == _in_memory(prepared)
    totals = outcome.totals["C12575C3002B6B52"]
    merged = list(read_records(tmp_path / "out" / "merged.jsonl", Outcome))
    assert totals.merged == len(merged) > 0
    assert totals.extracted == totals.transformed + totals.quarantined + totals.excluded + len(
        merged
    )


def _ledger_state(ledger: Ledger) -> dict[str, object]:
    with ledger.session() as session:
        return {
            "documents": sorted(session.execute(
                select(Document.unid, Document.state, Document.error, Document.source_sha256)
            ).all()),
            "quarantine": sorted(session.execute(
                select(Document.unid, Quarantine.reason, Quarantine.resolved).join(Document)
            ).all()),
            "files": sorted(session.execute(
                select(Document.unid, Attachment.file_key, Attachment.name, Attachment.sha256)
                .join(Document)
            ).all()),
            "links": sorted(session.execute(
                select(Document.unid, Link.kind, Link.target_document).join(Document)
            ).all()),
        }  # fmt: skip


@pytest.mark.parametrize("batch", [2, 7])
def test_the_ledger_records_the_same_whatever_its_batches(
    prepared_sample: Prepared, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batch: int
) -> None:
    def transformed_twice(url: str) -> dict[str, object]:
        ledger = Ledger(url)
        ledger.upgrade()
        for _ in range(2):  # the second run finds everything recorded already
            run_transform(prepared_sample.extract_dir, prepared_sample.mappings,
                          tmp_path / "out", ledger)  # fmt: skip
        state = _ledger_state(ledger)
        ledger.close()
        return state

    whole = transformed_twice(f"sqlite:///{tmp_path / 'whole.sqlite3'}")
    monkeypatch.setattr(bulk, "BATCH", batch)
    small = transformed_twice(f"sqlite:///{tmp_path / 'small.sqlite3'}")
    assert small == whole
    # Batches cut across documents with several files and several links.
    assert len(whole["files"]) > batch and len(whole["links"]) > batch  # type: ignore[arg-type]
    files = list(read_records(tmp_path / "out" / "files.jsonl", FileRow))
    links = list(read_records(tmp_path / "out" / "links.jsonl", LinkRow))
    assert len(files) == len(whole["files"]) and len(links) == len(whole["links"])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "line", ["{not json", "[1, 2]", '{"database": "B82634FA404574D2", "unid": "' + "A" * 32 + '"}']
)
def test_a_documents_file_that_holds_no_documents_is_a_record_error(
    tmp_path: Path, line: str
) -> None:
    # Before: a bare ValueError, outside NotesmigError (is_transient and the CLI saw no kind).
    (tmp_path / "documents.jsonl").write_text("\n" + line + "\n", encoding="utf-8")
    with pytest.raises(RecordError, match=r"documents\.jsonl:2: not a notesmig document record"):
        list(read_documents(tmp_path))


def test_an_extract_summary_that_is_not_one_is_a_record_error(tmp_path: Path) -> None:
    # Before: read as a dict, a report without its ACL was passed over without a word.
    (tmp_path / "summary.json").write_text('{"files": [{"replica_id": "B82634FA404574D2"}]}')
    with pytest.raises(RecordError, match=r"summary\.json: not a ExtractSummary record"):
        read_acls(tmp_path)
