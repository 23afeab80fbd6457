"""``items``: list items created, read, changed and deleted; ETags, versions, system fields."""

from __future__ import annotations

import httpx
import pytest
from msgraph.generated.models.field_value_set import FieldValueSet
from msgraph.generated.models.list_item import ListItem
from msgraph.generated.models.o_data_errors.o_data_error import ODataError

from notesmig.emulator.graph_errors import GraphError
from notesmig.emulator.server import EmulatorProcess
from notesmig.emulator.tenant import Tenant
from notesmig.sharepoint.client import graph_client
from tests.emulator.helpers import COLUMNS, UNID, assert_graph_error, new_list


@pytest.mark.anyio
async def test_item_lifecycle_through_the_sdk(
    emulator: EmulatorProcess, site_id: str, http: httpx.Client
) -> None:
    target = new_list(http, site_id, COLUMNS)
    client, _ = graph_client(emulator.graph_url)
    items = client.sites.by_site_id(site_id).lists.by_list_id(target["id"]).items
    fields = {
        "Title": "出張申請", "NotesUNID": UNID, "Subject": "仙台市 防災システム研修",
        "Body": "<p>本文</p>", "Amount": 64400, "Due": "2024-05-08T08:00:00+09:00",
        "Approved": True, "Status": "承認済", "Tags@odata.type": "Collection(Edm.String)",
        "Tags": ["a", "b"], "ApproverLookupId@odata.type": "Collection(Edm.String)",
        "ApproverLookupId": ["2", "3"], "Department": "子育て支援課",
    }  # fmt: skip
    created = await items.post(ListItem(fields=FieldValueSet(additional_data=fields)))
    assert created is not None and created.id == "1" and created.fields is not None
    stored = created.fields.additional_data
    assert stored["Due"].isoformat() == "2024-05-07T23:00:00+00:00"  # stored in UTC
    assert stored["ApproverLookupId"] == ["2", "3"] and stored["Tags"] == ["a", "b"]
    assert created.web_url is not None and created.web_url.endswith("/DispForm.aspx?ID=1")
    read = await items.by_list_item_id("1").get()
    assert read is not None and read.e_tag == created.e_tag
    patched = await items.by_list_item_id("1").fields.patch(
        FieldValueSet(additional_data={"Status": "申請中", "Amount": 1.5})
    )
    assert patched is not None
    assert (
        patched.additional_data["Status"] == "申請中" and patched.additional_data["Amount"] == 1.5
    )
    assert patched.additional_data["NotesUNID"] == UNID  # the full field set comes back
    again = await items.by_list_item_id("1").get()
    assert again is not None and again.e_tag != created.e_tag
    await items.by_list_item_id("1").delete()
    with pytest.raises(ODataError) as caught:
        await items.by_list_item_id("1").get()
    assert caught.value.response_status_code == 404


def test_stale_etag_is_412(http: httpx.Client, items: str) -> None:
    created = http.post(items, json={"fields": {"Department": "a"}}).json()
    path = f"{items}/{created['id']}/fields"
    fresh = http.patch(path, json={"Region": "x"}, headers={"If-Match": created["eTag"]})
    assert fresh.status_code == 200
    assert_graph_error(
        http.patch(path, json={"Region": "y"}, headers={"If-Match": created["eTag"]}),
        412,
        "resourceModified",
    )
    assert http.patch(path, json={"Region": "z"}, headers={"If-Match": "*"}).status_code == 200


def test_a_deleted_item_frees_its_unique_value_but_not_its_id(
    http: httpx.Client, items: str
) -> None:
    first = http.post(items, json={"fields": {"Department": "a", "NotesUNID": UNID}}).json()
    assert http.delete(f"{items}/{first['id']}").status_code == 204
    again = http.post(items, json={"fields": {"Department": "b", "NotesUNID": UNID}})
    assert again.status_code == 201, again.text
    assert int(again.json()["id"]) == int(first["id"]) + 1  # ids are never reused
    found = http.get(
        items, params={"$filter": f"fields/NotesUNID eq '{UNID}'", "$expand": "fields"}
    )
    assert [i["fields"]["Department"] for i in found.json()["value"]] == ["b"]


def test_a_patch_makes_a_new_version_and_names_its_editor(http: httpx.Client, items: str) -> None:
    created = http.post(items, json={"fields": {"Department": "a"}}).json()
    assert created["fields"]["_UIVersionString"] == "1.0"
    patched = http.patch(f"{items}/{created['id']}/fields", json={"Region": "x"}).json()
    assert patched["_UIVersionString"] == "2.0" and patched["Department"] == "a"
    assert patched["EditorLookupId"] == created["fields"]["AuthorLookupId"]
    assert patched["@odata.etag"] != created["eTag"]


def test_system_fields_are_set_with_or_without_a_new_version(tenant: Tenant) -> None:
    site_id = tenant.site("root")["id"]
    row = tenant.get_list(site_id, "Documents")
    item_id = tenant._insert_item(row, {"Title": "a"}, None)
    etag = tenant.etag(tenant._item_row(row, item_id))
    tenant.set_system_fields(row, item_id, {"Created": "2001-02-03T04:05:06Z", "Title": "b"},
                             new_version=False)  # fmt: skip
    item = tenant._item_row(row, item_id)
    assert item["created"] == "2001-02-03T04:05:06Z" and item["version"] == 1
    assert tenant.etag(item) == etag
    assert tenant.fields_json(row, item, None)["Title"] == "b"
    tenant.set_system_fields(row, item_id, {"Modified": "2001-02-04T00:00:00Z"}, new_version=True)
    item = tenant._item_row(row, item_id)
    assert item["modified"] == "2001-02-04T00:00:00Z" and item["version"] == 2


@pytest.mark.parametrize("item_id", ["0", "-1", "abc", str(2**63), "99"])
def test_an_item_that_is_not_there_or_cannot_be_is_404(tenant: Tenant, item_id: str) -> None:
    row = tenant.get_list(tenant.site("root")["id"], "Documents")
    with pytest.raises(GraphError) as caught:
        tenant._item_row(row, item_id)
    assert caught.value.status == 404
