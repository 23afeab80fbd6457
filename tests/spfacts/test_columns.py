"""Column facets and the fields SharePoint owns."""

from __future__ import annotations

import pytest

from notesmig.mapping.model import SYSTEM_COLUMNS, ColumnType, ItemMapping
from notesmig.sharepoint.provision import ColumnSpec, column_body
from notesmig.spfacts.columns import COLUMN_FACETS, SYSTEM_FIELDS, is_system_field


@pytest.mark.parametrize(
    "name", ["Created", "created", "MODIFIED", "fileleafref", "_UIVersionString"]
)
def test_sharepoints_own_fields_whatever_their_case(name: str) -> None:
    assert is_system_field(name)


@pytest.mark.parametrize("name", ["Title", "NotesUNID", "Requester", "出張先", "Created_x0020_At"])
def test_fields_a_mapping_may_write(name: str) -> None:
    assert not is_system_field(name)


def test_no_column_notesmig_adds_is_one_sharepoint_owns() -> None:
    for column in SYSTEM_COLUMNS:
        assert not is_system_field(column.name), column.name
    person = ItemMapping("Requester", "Requester", ColumnType.PERSON, "申請者")
    dated = ItemMapping("Approved", "Approved", ColumnType.DATETIME, "承認", keep_offset=True)
    for companion in (*person.companion_columns, *dated.companion_columns):
        assert not is_system_field(companion), companion
    assert "Created" in SYSTEM_FIELDS and "Title" not in SYSTEM_FIELDS


@pytest.mark.parametrize("kind", [k for k in ColumnType if k is not ColumnType.LOOKUP])
def test_every_column_notesmig_provisions_names_exactly_one_facet(kind: ColumnType) -> None:
    body = column_body(kind, ("a", "b"))
    assert len([key for key in body if key in COLUMN_FACETS]) == 1
    assert ColumnSpec("C", body).facet in COLUMN_FACETS
