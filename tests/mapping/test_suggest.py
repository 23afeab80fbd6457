"""Drafted mappings: what the draft decides from designs and documents."""

from __future__ import annotations

from pathlib import Path

from notesmig.mapping import ColumnType, load_mapping
from notesmig.mapping.suggest import suggest
from notesmig.sample.corpus import SampleFile


def draft(path: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    target = tmp_path / f"{path.stem}.yaml"
    target.write_text(suggest(path).yaml, encoding="utf-8")
    return load_mapping(target), target.read_text(encoding="utf-8")


def test_trip_request_draft(sample_corpus: list[SampleFile], tmp_path: Path) -> None:
    mapping, text = draft(next(s.path for s in sample_corpus if s.path.stem == "shutcho"), tmp_path)
    form = mapping.forms["triprequest"]
    types = {spec.item: spec.type for spec in form.items.values()}
    assert types["Requester"] is ColumnType.PERSON and types["Approvers"] is ColumnType.MULTIPERSON
    assert types["Amount"] is ColumnType.NUMBER and types["DepartureDate"] is ColumnType.DATEONLY
    assert types["ApprovedAt"] is ColumnType.DATETIME and types["Remarks"] is ColumnType.RICHTEXT
    assert types["Transport"] is ColumnType.MULTICHOICE and types["Status"] is ColumnType.CHOICE
    assert set(form.items["status"].choices) <= {"申請中", "承認済", "差戻し", "却下"}
    assert form.items["status"].allow_other  # a value first seen later is kept, not held back
    assert form.excludes("DocReaders") and form.excludes("DocAuthors")
    assert '- "DocReaders"  # Readers/Authors: drives permissions' in text
    assert mapping.readers == "hold" and mapping.users.unknown == "text"
    assert form.list == "出張申請" and form.library == "出張申請 ファイル"


def test_library_subject_becomes_title_and_board_is_one_list(
    sample_corpus: list[SampleFile], tmp_path: Path
) -> None:
    library, library_text = draft(next(s.path for s in sample_corpus if s.path.stem == "bunsho"),
                                  tmp_path)  # fmt: skip
    assert library.forms["document"].items["subject"].column == "Title"
    board, text = draft(next(s.path for s in sample_corpus if s.path.stem == "keijiban"),
                        tmp_path)  # fmt: skip
    assert {f.list for f in board.forms.values()} == {"掲示板"}
    # The draft says which forms are responses and that their lookup to the parent is made.
    assert "# 応答文書（親: MainTopic）: 親へのルックアップ NotesParent は自動" in text
    assert "responses to MainTopic: the NotesParent lookup" in text
    assert "応答文書" not in library_text
    assert board.forms["maintopic"].items["categories"].type is ColumnType.MULTICHOICE
    # Topics and responses share one list, so the same item is one column in all of them;
    # subjects are free text (10 distinct in 12 topics is no choice list).
    for form in board.forms.values():
        assert (form.items["subject"].column, form.items["subject"].type) == (
            "Title",
            ColumnType.TEXT,
        )
        assert form.items["body"].column == "Body"


def test_japanese_and_reserved_item_names_get_safe_columns(dxl_real: Path, tmp_path: Path) -> None:
    mapping, _ = draft(dxl_real / "plomino-test1.xml", tmp_path)
    columns = [spec.column for form in mapping.forms.values() for spec in form.items.values()]
    assert all(c.isascii() and len(c) <= 32 for c in columns)
    etat = mapping.forms["etatcivil"]
    assert etat.items["datenaissance"].type is ColumnType.DATEONLY
    assert etat.items["biography"].type is ColumnType.RICHTEXT
    assert etat.library is not None  # it has an attachment and rich text
