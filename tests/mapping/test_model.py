"""The mapping as typed objects: names found whatever their case, companion columns, the
policies' ranges, and the columns every migrated item carries."""

from __future__ import annotations

from pathlib import Path

import pytest

from notesmig.mapping.model import (
    SYSTEM_COLUMN_NAMES,
    SYSTEM_COLUMNS,
    AclPolicy,
    ColumnType,
    DeletionPolicy,
    FormMapping,
    ItemMapping,
    Mapping,
    UserPolicy,
    ValidationPolicy,
)


def form(name: str, list_title: str, *items: ItemMapping) -> FormMapping:
    return FormMapping(
        form=name,
        list=list_title,
        library=None,
        attachment_folder="form",
        exclude_items=frozenset({"docreaders"}),
        items={spec.item.casefold(): spec for spec in items},
    )


def mapping(*forms: FormMapping) -> Mapping:
    return Mapping(
        path=Path("m.yaml"),
        replica_id="B82634FA404574D2",
        title="出張申請",
        site="contoso.sharepoint.com:/sites/notes-migration",
        users=UserPolicy(),
        readers="hold",
        exclude_forms=frozenset({"draft"}),
        forms={f.form.casefold(): f for f in forms},
    )


def test_multi_and_person_types() -> None:
    assert {t for t in ColumnType if t.multi} == {ColumnType.MULTICHOICE, ColumnType.MULTIPERSON}
    assert {t for t in ColumnType if t.is_person} == {ColumnType.PERSON, ColumnType.MULTIPERSON}
    assert ColumnType("dateTime") is ColumnType.DATETIME  # the YAML spelling


def test_companion_columns() -> None:
    person = ItemMapping(
        "Requester", "Requester", ColumnType.MULTIPERSON, "申請者", keep_offset=True
    )
    dated = ItemMapping("ApprovedAt", "Approved", ColumnType.DATETIME, "承認", keep_offset=True)
    plain = ItemMapping("Amount", "Amount", ColumnType.NUMBER, "金額")
    # A person column keeps the Notes names beside it (an offset means nothing for people).
    assert person.companion_columns == ("RequesterNotes",)
    assert dated.companion_columns == ("ApprovedOffset",)  # named after the column, not the item
    assert plain.companion_columns == ()


def test_forms_items_and_exclusions_are_found_whatever_their_case() -> None:
    trip = form(
        "TripRequest", "出張申請", ItemMapping("出張先", "Destination", ColumnType.TEXT, "出張先")
    )
    found = mapping(trip)
    assert found.form("TRIPREQUEST") is trip and found.form("Other") is None
    assert found.form(None) is None
    assert found.excludes_form("DRAFT") and not found.excludes_form("TripRequest")
    assert not found.excludes_form(None)
    item = trip.item("出張先")
    assert item is not None and item.column == "Destination"
    assert trip.excludes("DocReaders") and not trip.excludes("出張先")


def test_column_types_per_list_the_first_form_wins() -> None:
    first = form("Trip", "出張", ItemMapping("Amount", "Amount", ColumnType.NUMBER, "金額"))
    second = form("TripV2", "出張", ItemMapping("Amount", "Amount", ColumnType.TEXT, "金額"),
                  ItemMapping("Who", "Who", ColumnType.PERSON, "誰"))  # fmt: skip
    other = form("Memo", "メモ", ItemMapping("Amount", "Amount", ColumnType.TEXT, "金額"))
    assert mapping(first, second, other).column_types() == {
        ("出張", "Amount"): ColumnType.NUMBER,
        ("出張", "Who"): ColumnType.PERSON,
        ("メモ", "Amount"): ColumnType.TEXT,
    }


def test_policy_defaults_and_ranges() -> None:
    defaults = mapping()
    assert (defaults.deletions.policy, defaults.deletions.max_ratio) == ("recycle", 0.5)
    assert defaults.validation.max_failure_ratio == 0.05
    assert defaults.acl == AclPolicy(apply=False, everyone_else=None)
    assert (defaults.withdraw, defaults.cutoff) == ("restrict", None)
    assert DeletionPolicy("keep", 0.0).max_ratio == 0.0
    assert ValidationPolicy(1.0).max_failure_ratio == 1.0  # the bounds themselves are allowed
    with pytest.raises(ValueError, match="recycle, keep, report"):
        DeletionPolicy("purge")
    with pytest.raises(ValueError, match="max_ratio must be between 0 and 1"):
        DeletionPolicy("report", 1.5)
    with pytest.raises(ValueError, match="max_failure_ratio must be between 0 and 1"):
        ValidationPolicy(-0.1)


def test_the_columns_every_migrated_item_carries() -> None:
    assert len(SYSTEM_COLUMN_NAMES) == len(SYSTEM_COLUMNS)  # no name twice
    unid = next(c for c in SYSTEM_COLUMNS if c.name == "NotesUNID")
    # The idempotency key: a repeated create of the same document is refused, not duplicated.
    assert unid.indexed and unid.unique and unid.type is ColumnType.TEXT
    assert [c.name for c in SYSTEM_COLUMNS if c.unique] == ["NotesUNID"]
    assert {"NotesParentUNID", "NotesDeletedInNotes", "SourceSha256"} <= SYSTEM_COLUMN_NAMES
