"""``list_columns``: which columns each list has, their internal names, the limits on them."""

from __future__ import annotations

import httpx
import pytest

from notesmig.emulator import list_columns
from notesmig.emulator.columns import Column
from notesmig.emulator.graph_errors import GraphError
from notesmig.emulator.tenant import Tenant
from notesmig.spfacts.limits import MAX_COLUMNS_PER_LIST
from tests.emulator.helpers import assert_graph_error, new_list


def test_internal_names_are_encoded_and_numbered_when_taken(
    http: httpx.Client, site_id: str
) -> None:
    target = new_list(http, site_id, [{"name": "A B", "text": {}}])
    columns = f"/sites/{site_id}/lists/{target['id']}/columns"
    again = http.post(columns, json={"name": "A_x0020_B", "text": {}})  # another display name
    assert again.status_code == 201 and again.json()["name"] == "A_x0020_B0"
    title = http.post(columns, json={"name": "Title", "displayName": "Heading", "text": {}})
    assert title.json()["name"] == "Title0"
    long = http.post(columns, json={"name": "x" * 40, "text": {}}).json()["name"]
    assert long == "x" * 32
    assert (
        http.post(columns, json={"name": "x" * 40, "displayName": "y", "text": {}}).json()["name"]
        == "x" * 30 + "0"
    )
    names = [c["name"] for c in http.get(columns).json()["value"]]
    assert names.index("Title") < names.index("A_x0020_B") < names.index("A_x0020_B0")


def test_a_lookup_needs_its_list(http: httpx.Client, site_id: str) -> None:
    target = new_list(http, site_id, [])
    columns = f"/sites/{site_id}/lists/{target['id']}/columns"
    body = {"name": "Parent", "lookup": {"listId": "00000000-0000-0000-0000-000000000000"}}
    assert_graph_error(http.post(columns, json=body), 404, "itemNotFound")


def test_no_column_past_the_limit(tenant: Tenant) -> None:
    row = tenant.get_list(tenant.site("root")["id"], "Documents")
    for n in range(MAX_COLUMNS_PER_LIST - len(tenant.columns(row.id))):
        tenant._store_column(row.id, Column(f"C{n}", f"C{n}", "text", {}))
    with pytest.raises(GraphError) as caught:
        tenant.create_column(row, {"name": "One more", "text": {}})
    assert caught.value.status == 400 and "no more than" in caught.value.message


def test_no_new_index_past_the_list_view_threshold(
    tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(list_columns, "LIST_VIEW_THRESHOLD", 2)
    row = tenant.get_list(tenant.site("root")["id"], "Documents")
    for title in "abc":
        tenant._insert_item(row, {"Title": title}, None)
    with pytest.raises(GraphError) as caught:
        tenant.create_column(row, {"name": "Key", "indexed": True, "text": {}})
    assert caught.value.status == 400 and "list view threshold" in caught.value.message
    assert tenant.create_column(row, {"name": "Plain", "text": {}})["name"] == "Plain"


def test_a_rolled_back_column_is_forgotten(tenant: Tenant) -> None:
    row = tenant.get_list(tenant.site("root")["id"], "Documents")
    before = [c.name for c in tenant.columns(row.id)]
    with pytest.raises(RuntimeError), tenant.transaction():
        tenant.create_column(row, {"name": "Gone", "text": {}})
        assert "Gone" in [c.name for c in tenant.columns(row.id)]
        raise RuntimeError
    assert [c.name for c in tenant.columns(row.id)] == before
