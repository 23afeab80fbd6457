"""``item_json``: list items in Graph's shape, their fields, content types and ``$select``."""

from __future__ import annotations

import httpx

from notesmig.emulator.tenant import Tenant
from tests.emulator.helpers import UNID


def test_an_item_as_graph_returns_it(http: httpx.Client, items: str) -> None:
    fields = {"Department": "総務課", "NotesUNID": UNID, "Tags@odata.type": "Collection(Edm.String)",
              "Tags": ["a"], "ApproverLookupId@odata.type": "Collection(Edm.String)",
              "ApproverLookupId": [1]}  # fmt: skip
    created = http.post(items, json={"fields": fields}).json()
    assert created["contentType"] == {"id": "0x0100", "name": "Item"}
    assert created["@odata.etag"] == created["eTag"] == created["fields"]["@odata.etag"]
    assert (
        created["createdBy"]
        == created["lastModifiedBy"]
        == {"user": {"displayName": "移行 管理者", "email": "admin@contoso.onmicrosoft.com"}}
    )
    assert created["parentReference"]["siteId"] and created["webUrl"].endswith(
        f"/DispForm.aspx?ID={created['id']}"
    )
    stored = created["fields"]
    assert stored["ApproverLookupId"] == ["1"]  # ids as text, as Graph gives them
    assert stored["ApproverLookupId@odata.type"] == stored["Tags@odata.type"]
    assert "Approver" not in stored and "Region" not in stored  # empty: left out
    assert {k: stored[k] for k in ("id", "ContentType", "_UIVersionString", "Attachments")} == {
        "id": created["id"], "ContentType": "Item", "_UIVersionString": "1.0", "Attachments": False
    }  # fmt: skip
    assert stored["AuthorLookupId"] == stored["EditorLookupId"] == "1"


def test_select_keeps_the_etag_and_a_lookup_columns_id(http: httpx.Client, items: str) -> None:
    created = http.post(items, json={"fields": {"Department": "a", "ApproverLookupId": [1],
                                                "ApproverLookupId@odata.type": "Collection(Edm.String)"}})  # fmt: skip
    read = http.get(f"{items}/{created.json()['id']}",
                    params={"$expand": "fields(select=Approver,Department)"}).json()  # fmt: skip
    assert set(read["fields"]) == {"@odata.etag", "ApproverLookupId", "Department"}
    assert read["fields"]["ApproverLookupId"] == ["1"]


def test_a_librarys_items_are_documents_and_folders(tenant: Tenant) -> None:
    row = tenant.get_list(tenant.site("root")["id"], "Documents")
    folder = tenant._insert_item(row, {"FileLeafRef": "A"}, None, folder=True)
    document = tenant._insert_item(row, {"FileLeafRef": "a.txt"}, None, parent_item=folder)
    assert tenant.item_json(row, folder, expand_fields=False)["contentType"] == {
        "id": "0x0120", "name": "Folder"
    }  # fmt: skip
    body = tenant.item_json(row, document, expand_fields=True, expand_drive_item=True)
    assert body["contentType"] == {"id": "0x0101", "name": "Document"}
    assert body["fields"]["ContentType"] == "Document" and body["fields"]["FileLeafRef"] == "a.txt"
    assert "driveItem" not in body  # no file behind it
    assert body["webUrl"] == (
        "https://contoso.sharepoint.com/Shared%20Documents/DispForm.aspx?ID=" + str(document)
    )
