"""Mapping files: a valid one loads; every kind of mistake is reported with its line and key."""

from __future__ import annotations

import textwrap
from datetime import date
from pathlib import Path

import pytest

from notesmig.mapping import ColumnType, MappingError, load_mapping, load_mappings

VALID = """\
version: 1
database:
  replica_id: B82634FA404574D2
  title: 出張申請
target:
  site: contoso.sharepoint.com:/sites/notes-migration
users:
  file: users.csv
  unknown: fallback
  fallback: migration-admin@contoso.onmicrosoft.com
readers: restrict
exclude_forms: [Draft]
forms:
  TripRequest:
    list: 出張申請
    library: 出張申請 ファイル
    attachment_folder: form
    exclude_items: [DocReaders]
    items:
      Requester: {column: Requester, type: person}
      Amount: {column: Amount, type: number, required: true}
      ApprovedAt: {column: ApprovedAt, type: dateTime, keep_offset: true}
      Transport: {column: Transport, type: multichoice, choices: [JR, 新幹線]}
      出張先: {column: Destination, display_name: 出張先, type: text}
"""


def write(tmp_path: Path, text: str, name: str = "m.yaml") -> Path:
    (tmp_path / "users.csv").write_text("notes_name,upn\n")
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_a_valid_mapping(tmp_path: Path) -> None:
    mapping = load_mapping(write(tmp_path, VALID))
    assert (mapping.replica_id, mapping.site, mapping.readers) == (
        "B82634FA404574D2", "contoso.sharepoint.com:/sites/notes-migration", "restrict")  # fmt: skip
    assert mapping.users.file == tmp_path / "users.csv"
    assert mapping.excludes_form("draft") and not mapping.excludes_form("TripRequest")
    form = mapping.form("triprequest")
    assert (
        form is not None
        and form.library == "出張申請 ファイル"
        and form.attachment_folder == "form"
    )
    assert form.excludes("docreaders")
    destination = form.item("出張先")
    assert destination is not None and destination.column == "Destination"
    approved = form.item("ApprovedAt")
    assert approved is not None and approved.type is ColumnType.DATETIME
    assert approved.companion_columns == ("ApprovedAtOffset",)
    assert form.items["requester"].companion_columns == ("RequesterNotes",)


def located(tmp_path: Path, text: str) -> list[tuple[int | None, str, str]]:
    with pytest.raises(MappingError) as caught:
        load_mapping(write(tmp_path, text))
    assert str(tmp_path / "m.yaml") in str(caught.value)
    return caught.value.problems


@pytest.mark.parametrize(
    ("change", "line", "key", "fragment"),
    [
        (("type: number, required", "type: money, required"), 21, "forms.TripRequest.items.Amount.type", "must be one of: text, "),
        (("  replica_id: B82634FA404574D2", "  replica_id: XYZ"), 3, "database.replica_id", "does not match"),
        (("readers: restrict", "readers: open"), 11, "readers", "must be one of: hold, restrict"),
        (("Transport, type: multichoice, choices: [JR, 新幹線]", "Transport, type: multichoice"), 23, "forms.TripRequest.items.Transport", "'choices' is a required property"),
        (("  site: contoso.sharepoint.com:/sites/notes-migration", "  site: notes-migration"), 6, "target.site", "does not match"),
        (("column: Destination", "column: 出張先"), 24, "forms.TripRequest.items.出張先.column", "does not match"),
    ],
)  # fmt: skip
def test_schema_errors_name_line_and_key(
    tmp_path: Path, change: tuple[str, str], line: int, key: str, fragment: str
) -> None:
    [(found_line, found_key, message)] = located(tmp_path, VALID.replace(*change))
    assert (found_line, found_key) == (line, key)
    assert fragment in message
    # What the file holds there is never repeated (it may be a secret in a file that is no
    # mapping at all); the schema's side is enough to fix it.
    assert change[1].split(":")[-1].strip() not in message


def test_an_unknown_key_is_located_on_its_own_line(tmp_path: Path) -> None:
    problems = located(tmp_path, VALID.replace("    list: 出張申請\n", "    lists: 出張申請\n"))
    assert problems == [
        (14, "forms.TripRequest", "必須のキーがありません / 'list' is a required property"),
        (
            15,
            "forms.TripRequest.lists",
            "このキーは使えません（使えるのは attachment_folder, exclude_items, items, library, "
            "list） / unexpected key (allowed here: attachment_folder, exclude_items, items, "
            "library, list)",
        ),
    ]


def test_cross_checks(tmp_path: Path) -> None:
    text = VALID.replace("Amount: {column: Amount,", "Amount: {column: Requester,")
    text = text.replace("  fallback: migration-admin@contoso.onmicrosoft.com\n", "")
    text = text.replace("exclude_forms: [Draft]", "exclude_forms: [TripRequest]")
    text = text.replace("ApprovedAt: {column: ApprovedAt,", "ApprovedAt: {column: NotesUNID,")
    problems = {(line, key): message for line, key, message in located(tmp_path, text)}
    assert "needs users.fallback" in problems[(9, "users.unknown")]
    assert "both mapped and excluded" in problems[(13, "forms.TripRequest")]
    assert (
        "already used by forms.TripRequest.items.Requester"
        in problems[(20, "forms.TripRequest.items.Amount.column")]
    )
    assert (
        "is notesmig's own 'NotesUNID'"
        in problems[(21, "forms.TripRequest.items.ApprovedAt.column")]
    )


@pytest.mark.parametrize(
    ("column", "says"),
    [("id", "SharePoint keeps itself"), ("_UIVersionString", "SharePoint keeps itself"),
     ("AuthorLookupId", "SharePoint keeps itself"), ("LinkTitleNoMenu", "SharePoint keeps itself"),
     ("FolderChildCount", "SharePoint keeps itself"), ("created", "SharePoint keeps itself"),
     ("notesunid", "notesmig's own 'NotesUNID'"), ("SOURCESHA256", "notesmig's own"),
     ("title", "write it as 'Title'")],
)  # fmt: skip
def test_sharepoint_and_notesmig_fields_are_refused_whatever_their_case(
    tmp_path: Path, column: str, says: str
) -> None:
    # Such a column was accepted, and then every document was held back at load (errors 0),
    # or a case variant of NotesUNID crashed the loader.
    text = VALID.replace("ApprovedAt: {column: ApprovedAt,", f"ApprovedAt: {{column: {column},")
    problems = {key: message for _line, key, message in located(tmp_path, text)}
    assert says in problems["forms.TripRequest.items.ApprovedAt.column"]


def test_two_forms_may_share_a_list_and_its_columns(tmp_path: Path) -> None:
    shared = VALID.replace(
        "      出張先: {column: Destination, display_name: 出張先, type: text}\n",
        "      出張先: {column: Destination, display_name: 出張先, type: text}\n"
        "  Response:\n    list: 出張申請\n    items:\n      Amount: {column: Amount, type: number}\n"
        "  Other:\n    list: 出張申請\n    items:\n      Amount: {column: Amount, type: text}\n",
    )
    [(line, key, message)] = located(tmp_path, shared)
    assert (line, key) == (32, "forms.Other.items.Amount.column")
    assert "defined differently by forms.TripRequest.items.Amount" in message


def test_yaml_syntax_duplicates_and_missing_files(tmp_path: Path) -> None:
    [(line, _, message)] = located(
        tmp_path, VALID.replace("  title: 出張申請", "  title: [出張申請")
    )
    # Noticed on line 5, begun on line 4, and said without PyYAML's quote of the file.
    assert line == 5 and "not valid YAML" in message and "from 4:10" in message
    assert "出張申請" not in message and "^" not in message
    [(line, key, message)] = located(tmp_path, VALID + "readers: hold\n")
    assert (line, key, message) == (25, "readers", "キーが二度ある / key appears twice")
    missing = located(tmp_path, VALID.replace("file: users.csv", "file: nobody.csv"))
    assert "nobody.csv does not exist" in missing[0][2]
    with pytest.raises(MappingError, match="does not exist"):
        load_mapping(tmp_path / "absent.yaml")


def test_a_folder_of_mappings_and_a_database_mapped_twice(tmp_path: Path) -> None:
    write(tmp_path, VALID, "a.yaml")
    other = VALID.replace("B82634FA404574D2", "58D6B8A63270688E")
    write(tmp_path, other, "b.yaml")
    assert sorted(load_mappings(tmp_path)) == ["58D6B8A63270688E", "B82634FA404574D2"]
    write(tmp_path, VALID, "c.yaml")
    with pytest.raises(MappingError, match="also mapped by"):
        load_mappings(tmp_path)


def test_columns_that_sharepoint_would_cut_to_one_name_are_refused(tmp_path: Path) -> None:
    # Internal names are cut to 32 characters: a person column's companion (<column>Notes)
    # would become the other column's name, and one of them would get another name in
    # SharePoint, its values written nowhere.
    text = VALID.replace(
        "Requester: {column: Requester,", "Requester: {column: ReimbursementApproverOfTheTrip,"
    )
    text = text.replace(
        "出張先: {column: Destination,", "出張先: {column: ReimbursementApproverOfTheTripNo,"
    )
    problems = {key: message for _line, key, message in located(tmp_path, text)}
    assert "would both be 'ReimbursementApproverOfTheTripNo'" in problems[
        "forms.TripRequest.items.出張先.column"]  # fmt: skip


def test_deletions_and_the_cutoff(tmp_path: Path) -> None:
    text = VALID.replace("readers: restrict", "readers: restrict\ndeletions:\n  policy: keep\n"
                         "  max_ratio: 0.2\ncutoff: 令和7年6月")  # fmt: skip
    mapping = load_mapping(write(tmp_path, text))
    assert (mapping.deletions.policy, mapping.deletions.max_ratio) == ("keep", 0.2)
    assert mapping.cutoff == date(2025, 6, 30)
    # Written as YAML would take for a date of its own: it is still the cutoff written.
    iso = load_mapping(write(tmp_path, VALID.replace("readers: restrict", "readers: restrict\n"
                                                     "cutoff: 2025-06-30")))  # fmt: skip
    assert iso.cutoff == date(2025, 6, 30)
    defaults = load_mapping(write(tmp_path, VALID))
    assert (defaults.deletions.policy, defaults.deletions.max_ratio, defaults.cutoff) == (
        "recycle", 0.5, None)  # fmt: skip


@pytest.mark.parametrize(
    ("addition", "line", "key", "fragment"),
    [
        ("cutoff: 令和元年4月1日", 12, "cutoff", "令和"),
        ("cutoff: 2025-02-29", 12, "cutoff", "2025-02-29"),
        ("deletions:\n  policy: purge", 13, "deletions.policy", "must be one of: recycle"),
        ("deletions:\n  max_ratio: 2", 13, "deletions.max_ratio", "greater than the maximum"),
    ],
)  # fmt: skip
def test_a_cutoff_or_deletion_policy_that_cannot_be_is_located(
    tmp_path: Path, addition: str, line: int, key: str, fragment: str
) -> None:
    text = VALID.replace("readers: restrict", f"readers: restrict\n{addition}")
    [(found_line, found_key, message)] = located(tmp_path, text)
    assert (found_line, found_key) == (line, key)
    assert fragment in message


SECRET = "Hunter2-secret-value"


@pytest.mark.parametrize(
    ("text", "line", "says"),
    [(f"DB_PASSWORD={SECRET}\n", 1, "not a mapping (found a string)"),
     (f"# settings\nDB_PASSWORD: {SECRET}\n", 2, "unexpected key"),
     (f"version: 1\ndatabase: {{replica_id: {SECRET}}}\n", 2, "does not match the expected"),
     (f"version: [{SECRET}\n", 2, "not valid YAML: expected ',' or ']'"),
     (f"version: 1\nkey: '{SECRET}\n", 3, "found unexpected end of stream at 3:1"),
     (f"version: 1\nreaders: {SECRET}\n", 2, "must be one of: hold, restrict"),
     (f"version: 1\ndatabase: {{title: {{a: {SECRET}}}}}\n", 2, "not a string (found a mapping)"),
     (f"- {SECRET}\n", 1, "not a mapping (found a list)")],
)  # fmt: skip
def test_a_file_that_is_not_a_mapping_is_never_echoed(
    tmp_path: Path, text: str, line: int, says: str
) -> None:
    # --mapping pointed at a .env file: before, jsonschema's message repeated its line
    # ("'DB_PASSWORD=...' is not of type 'object'"), and PyYAML's quoted the line it stopped on.
    path = tmp_path / "a.env"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(MappingError) as caught:
        load_mapping(path)
    shown = str(caught.value)
    assert SECRET not in shown and "Hunter2" not in shown
    assert says in shown and f"{path}:{line} " in shown


def test_nesting_too_deep_is_located(tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text("version: 1\nforms:\n  A: " + "[" * 5_000 + "]" * 5_000 + "\n")
    [(line, _, message)] = located_in(path)
    # Before: "path:?", the place lost to a RecursionError.
    assert line == 3 and "nested too deeply" in message and "入れ子が深すぎます" in message


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_bom_is_named(tmp_path: Path, codec: str) -> None:
    path = tmp_path / "m.yaml"
    path.write_bytes(VALID.encode(codec))
    [(line, _, message)] = located_in(path)
    # Before: "a control character (U+0000) is not allowed".
    assert line == 1 and "probably UTF-16" in message and "expected UTF-8" in message
    assert message.startswith("UTF-16 のようです")  # Japanese first, English beside


def located_in(path: Path) -> list[tuple[int | None, str, str]]:
    with pytest.raises(MappingError) as caught:
        load_mapping(path)
    return caught.value.problems
