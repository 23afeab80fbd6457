"""The extract stage's files: documents.jsonl against its JSON Schema, blobs, summary.json."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import jsonschema

from notesmig.dxl.scan import discover
from notesmig.extract import extract, read_summary
from notesmig.sample.corpus import SampleFile

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"
SCHEMA = json.loads((SCHEMAS / "document.schema.json").read_text())
SUMMARY_SCHEMA = json.loads((SCHEMAS / "extract-summary.schema.json").read_text())


def validate_records(path: Path) -> list[dict]:  # type: ignore[type-arg]
    validator = jsonschema.Draft202012Validator(
        SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    for record in records:
        errors = sorted(validator.iter_errors(record), key=str)
        assert not errors, (record.get("unid"), [e.message for e in errors[:3]])
    return records


def test_sample_extract_is_complete_and_matches_the_schema(
    sample_corpus: list[SampleFile], tmp_path: Path
) -> None:
    result = extract([s.path for s in sample_corpus], tmp_path)
    records = validate_records(tmp_path / "documents.jsonl")
    assert len(records) == sum(s.documents for s in sample_corpus) == result.documents
    for record in records:
        for attachment in record["attachments"]:
            content = (tmp_path / attachment["blob"]).read_bytes()
            assert hashlib.sha256(content).hexdigest() == attachment["sha256"]
            assert len(content) == attachment["size"]
    # summary.json is a typed record, read back as the transform reads it, and its schema's.
    raw = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    jsonschema.validate(raw, SUMMARY_SCHEMA)
    summary = read_summary(tmp_path)
    assert summary.totals.documents == len(records) and summary.totals.failed_files == 0
    titles = {Path(f.file).name: f.title for f in summary.files}
    assert titles == {"keijiban.dxl": "掲示板", "bunsho.dxl": "文書ライブラリ",
                      "shutcho.dxl": "出張申請", "genmen.dxl": "火災ごみ減免申請"}  # fmt: skip
    [trips] = summary.of_database(next(f.replica_id or "" for f in summary.files
                                       if f.title == "出張申請"))  # fmt: skip
    assert sorted(trips.acl_roles) == ["[Admin]", "[Approver]"] and trips.sha256
    trip = next(r for r in records if r["form"] == "TripRequest" and "DocReaders" in r["items"])
    assert trip["items"]["DocReaders"]["readers"] is True
    assert trip["created"].endswith("+09:00")


def test_real_exports_extract_and_a_broken_one_does_not_stop_the_others(
    dxl_real: Path, tmp_path: Path
) -> None:
    files = discover([dxl_real])
    result = extract(files, tmp_path / "out")
    records = validate_records(tmp_path / "out" / "documents.jsonl")
    assert len(records) == 119
    failed = {f.file.name: f.errors for f in result.failed_files}
    assert set(failed) == {"plomino-dxlDatabaseBadXML.xml", "dotnsf-doc1-broken-sjis.xml"}
    [bad_xml] = failed["plomino-dxlDatabaseBadXML.xml"]
    assert (bad_xml.line, bad_xml.column, bad_xml.fatal) == (15, 16, True)
    mime = next(r for r in records if r["form"] == "Memo")
    assert mime["items"]["Received"]["count"] == 4
    assert mime["items"]["RouteTimes"]["values"] == [
        "2014-08-08T13:18:41.460000-04:00/2014-08-08T13:18:41.490000-04:00"
    ]


def test_documents_before_a_fault_reach_the_output(tmp_path: Path, dxl_real: Path) -> None:
    good = dxl_real / "plomino-test_names_type.xml"
    text = good.read_text(encoding="utf-8")
    cut = text.index("<document", text.index("<document", text.index("<document") + 1) + 1)
    broken = tmp_path / "broken.xml"
    broken.write_text(text[:cut] + "<document><oops></document>", encoding="utf-8")
    shutil.copy(dxl_real / "plomino-test_number_type.xml", tmp_path / "z-after.xml")
    result = extract(discover([tmp_path]), tmp_path / "out")
    records = validate_records(tmp_path / "out" / "documents.jsonl")
    assert [Path(r["source"]["file"]).name for r in records] == ["broken.xml"] * 2 + ["z-after.xml"]
    assert [f.failed for f in result.files] == [True, False]
