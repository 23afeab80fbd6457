"""``item_validation``: what a list refuses in the values written to its items."""

from __future__ import annotations

import httpx
import pytest

from notesmig.emulator.graph_errors import GraphError
from notesmig.emulator.item_validation import unique_violation
from notesmig.emulator.tenant import Tenant
from tests.emulator.helpers import UNID, assert_graph_error, new_list


@pytest.mark.parametrize(
    ("fields", "fragment"),
    [
        ({"Subject": "x" * 256}, "256 characters long"),
        ({"NotesUNID": "A" * 33}, "the column allows 32"),
        ({"Amount": "12"}, "expects a number"),
        ({"Amount": True}, "expects a number"),
        ({"Due": "next tuesday"}, "expects a date-time"),
        ({"Approved": "yes"}, "expects a boolean"),
        ({"Status": "却下"}, "is not one of the choices"),
        ({"Tags": "a"}, "expects a collection"),
        ({"ApproverLookupId": ["999"]}, "does not exist"),
        ({"Unknown": 1}, "Field 'Unknown' is not recognized"),
        ({"Approver": ["2"]}, "Field 'Approver' is not recognized"),
        ({"Created": "2024-01-01T00:00:00Z"}, "read-only"),
        # Graph v1.0 cannot write hyperlinks at all (microsoft-graph-docs #12638).
        ({"Link": {"Url": "https://example.jp/", "Description": "規程"}}, "Invalid request"),
    ],
)
def test_sharepoint_validation(http: httpx.Client, items: str, fields: dict, fragment: str) -> None:  # type: ignore[type-arg]
    body = {"fields": {"Department": "総務課", **fields}}
    error = assert_graph_error(http.post(items, json=body), 400, "invalidRequest")
    assert fragment in error["message"]


def test_required_and_unique(http: httpx.Client, items: str) -> None:
    error = assert_graph_error(
        http.post(items, json={"fields": {"Title": "x"}}), 400, "invalidRequest"
    )
    assert "Department" in error["message"] and "required" in error["message"]
    first = http.post(items, json={"fields": {"Department": "a", "NotesUNID": UNID}})
    assert first.status_code == 201
    error = assert_graph_error(
        http.post(items, json={"fields": {"Department": "b", "NotesUNID": UNID}}),
        400,
        "invalidRequest",
    )
    assert "duplicate values" in error["message"] and "NotesUNID" in error["message"]
    # Patching an item to its own value is not a duplicate; to another item's is.
    second = http.post(items, json={"fields": {"Department": "c", "NotesUNID": "B" * 32}}).json()
    assert (
        http.patch(f"{items}/{second['id']}/fields", json={"NotesUNID": "B" * 32}).status_code
        == 200
    )
    assert_graph_error(http.patch(f"{items}/{second['id']}/fields", json={"NotesUNID": UNID}),
                       400, "invalidRequest")  # fmt: skip


def test_a_lookup_to_a_deleted_item_is_refused(http: httpx.Client, site_id: str) -> None:
    target = new_list(http, site_id, [])
    source = new_list(http, site_id, [{"name": "Parent", "lookup": {"listId": target["id"]}}])
    target_items = f"/sites/{site_id}/lists/{target['id']}/items"
    items = f"/sites/{site_id}/lists/{source['id']}/items"
    parent = http.post(target_items, json={"fields": {"Title": "p"}}).json()["id"]
    linked = http.post(items, json={"fields": {"ParentLookupId": parent}})
    assert linked.status_code == 201 and linked.json()["fields"]["ParentLookupId"] == parent
    assert http.delete(f"{target_items}/{parent}").status_code == 204
    error = assert_graph_error(http.post(items, json={"fields": {"ParentLookupId": parent}}),
                               400, "invalidRequest")  # fmt: skip
    assert "does not exist" in error["message"]


def test_a_duplicate_is_refused_in_one_of_three_ways_fixed_by_its_value() -> None:
    answers = {value: unique_violation("Key", value) for value in map(str, range(30))}
    assert {(a.status, a.code) for a in answers.values()} == {
        (400, "invalidRequest"), (409, "nameAlreadyExists"), (500, "generalException")
    }  # fmt: skip
    again = unique_violation("Key", "7")
    assert (again.status, again.message) == (answers["7"].status, answers["7"].message)


def test_values_rest_parsed_are_checked_for_required_and_unique(tenant: Tenant) -> None:
    site_id = tenant.site("root")["id"]
    body = {"displayName": "Checked", "columns": [
        {"name": "Key", "indexed": True, "enforceUniqueValues": True, "text": {}},
        {"name": "Owner", "required": True, "text": {}},
    ]}  # fmt: skip
    row = tenant.get_list(site_id, tenant.create_list(site_id, body)["id"])
    assert tenant.stored_values(row, {"Key": "a", "Owner": "o"}) == {"Key": "a", "Owner": "o"}
    with pytest.raises(GraphError) as caught:
        tenant.stored_values(row, {"Key": "a"})
    assert caught.value.status == 400 and "'Owner' is required" in caught.value.message
    tenant.create_item(row, {"fields": {"Key": "a", "Owner": "o"}})
    with pytest.raises(GraphError) as caught:
        tenant.stored_values(row, {"Key": "a", "Owner": "p"})
    expected = unique_violation("Key", "a")
    assert (caught.value.status, caught.value.message) == (expected.status, expected.message)


def test_rest_may_write_a_hyperlink_where_graph_may_not(tenant: Tenant) -> None:
    site_id = tenant.site("root")["id"]
    body = {"displayName": "Links", "columns": [{"name": "Link", "hyperlinkOrPicture": {}}]}
    row = tenant.get_list(site_id, tenant.create_list(site_id, body)["id"])
    link = {"Url": "https://example.jp/", "Description": "規程"}
    with pytest.raises(GraphError) as caught:
        tenant._validated(row, {"Link": link}, partial=True, item_id=None)
    assert caught.value.message == "Invalid request"
    stored = tenant._validated(row, {"Link": link}, partial=True, item_id=None, graph=False)
    assert set(stored) == {"Link"}
