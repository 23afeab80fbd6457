"""``lists``: lists and libraries through the real msgraph-sdk, and their errors over plain HTTP."""

from __future__ import annotations

import httpx
import pytest
from msgraph.generated.models.boolean_column import BooleanColumn
from msgraph.generated.models.choice_column import ChoiceColumn
from msgraph.generated.models.column_definition import ColumnDefinition
from msgraph.generated.models.date_time_column import DateTimeColumn
from msgraph.generated.models.hyperlink_or_picture_column import HyperlinkOrPictureColumn
from msgraph.generated.models.list_ import List_
from msgraph.generated.models.list_info import ListInfo
from msgraph.generated.models.lookup_column import LookupColumn
from msgraph.generated.models.number_column import NumberColumn
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.models.person_or_group_column import PersonOrGroupColumn
from msgraph.generated.models.text_column import TextColumn

from notesmig.emulator.server import EmulatorProcess
from notesmig.emulator.tenant import Tenant
from notesmig.sharepoint.client import graph_client
from notesmig.spfacts.limits import MAX_LIST_TITLE
from tests.emulator.helpers import assert_graph_error, new_list, unique

pytestmark = pytest.mark.anyio


async def test_lists_and_every_column_type(emulator: EmulatorProcess, site_id: str) -> None:
    client, _ = graph_client(emulator.graph_url)
    lists = client.sites.by_site_id(site_id).lists
    target = await lists.post(
        List_(display_name=unique("課"), list_=ListInfo(template="genericList"))
    )
    assert target is not None and target.id is not None
    columns = [
        ColumnDefinition(name="Notes UNID", indexed=True, enforce_unique_values=True,
                         text=TextColumn(max_length=32)),
        ColumnDefinition(name="本文", text=TextColumn(allow_multiple_lines=True, text_type="richText")),
        ColumnDefinition(name="Amount", number=NumberColumn(minimum=0)),
        ColumnDefinition(name="Due", date_time=DateTimeColumn(format="dateTime")),
        ColumnDefinition(name="Approved", boolean=BooleanColumn()),
        ColumnDefinition(name="Status", choice=ChoiceColumn(choices=["申請中", "承認済"])),
        ColumnDefinition(name="Tags", choice=ChoiceColumn(choices=["a", "b"], display_as="checkBoxes")),
        ColumnDefinition(name="Approver", person_or_group=PersonOrGroupColumn(allow_multiple_selection=True)),
        ColumnDefinition(name="Parent", lookup=LookupColumn(list_id=target.id, column_name="Title")),
        ColumnDefinition(name="Link", hyperlink_or_picture=HyperlinkOrPictureColumn(is_picture=False)),
    ]  # fmt: skip
    created = await lists.post(List_(display_name=unique("出張申請"), columns=columns,
                                     list_=ListInfo(template="genericList")))  # fmt: skip
    assert created is not None and created.web_url is not None
    assert created.list_ is not None and created.list_.template == "genericList"
    assert "/Lists/%E5%87%BA%E5%BC%B5%E7%94%B3%E8%AB%8B" in created.web_url  # 出張申請, encoded
    read = await lists.by_list_id(created.id).columns.get()  # type: ignore[arg-type]
    assert read is not None and read.value is not None
    names = {c.display_name: c.name for c in read.value}
    assert names["Notes UNID"] == "Notes_x0020_UNID"
    assert names["本文"] == "_x672c__x6587_"
    unid = next(c for c in read.value if c.name == "Notes_x0020_UNID")
    assert unid.indexed and unid.enforce_unique_values and unid.text.max_length == 32  # type: ignore[union-attr]
    assert {c.name for c in read.value} >= {"Title", "Amount", "Due", "Approved", "Status", "Tags",
                                             "Approver", "Parent", "Link"}  # fmt: skip
    again = await lists.by_list_id(created.display_name).get()  # type: ignore[arg-type]
    assert again is not None and again.id == created.id  # addressed by title as well as id


async def test_document_library_has_a_drive(emulator: EmulatorProcess, site_id: str) -> None:
    client, _ = graph_client(emulator.graph_url)
    lists = client.sites.by_site_id(site_id).lists
    library = await lists.post(
        List_(display_name=unique("文書"), list_=ListInfo(template="documentLibrary"))
    )
    assert library is not None and library.list_ is not None
    assert library.list_.template == "documentLibrary"
    drive = await lists.by_list_id(library.id).drive.get()  # type: ignore[arg-type]
    assert drive is not None and drive.drive_type == "documentLibrary"
    same = await client.drives.by_drive_id(drive.id).get()  # type: ignore[arg-type]
    assert same is not None and same.web_url == library.web_url


async def test_list_errors_through_the_sdk(emulator: EmulatorProcess, site_id: str) -> None:
    client, _ = graph_client(emulator.graph_url)
    lists = client.sites.by_site_id(site_id).lists
    name = unique("dup")
    await lists.post(List_(display_name=name, list_=ListInfo(template="genericList")))
    with pytest.raises(ODataError) as caught:
        await lists.post(List_(display_name=name, list_=ListInfo(template="genericList")))
    assert caught.value.response_status_code == 409
    assert caught.value.error is not None and caught.value.error.code == "nameAlreadyExists"


def test_list_and_column_validation(http: httpx.Client, site_id: str) -> None:
    lists = f"/sites/{site_id}/lists"
    assert_graph_error(
        http.post(lists, json={"displayName": "x", "colour": "red"}), 400, "invalidRequest"
    )
    assert_graph_error(http.post(lists, json={"displayName": 5}), 400, "invalidRequest")
    assert_graph_error(http.post(lists, json={"displayName": "x", "list": {"template": "survey"}}),
                       400, "invalidRequest")  # fmt: skip
    assert_graph_error(http.post(lists, content=b"{not json"), 400, "invalidRequest")
    target = new_list(http, site_id, [])
    columns = f"{lists}/{target['id']}/columns"
    for body in (
        {"name": "A"},
        {"name": "A", "text": {}, "number": {}},
        {"name": "A", "text": {"maxLength": 300}},
        {"name": "A", "text": {"colour": 1}},
        {"name": "A", "text": {}, "enforceUniqueValues": True},
        {"name": "A", "text": {}, "indexed": "yes"},
        {"name": "", "text": {}},
        {"text": {}},
        [1, 2],
    ):
        assert_graph_error(http.post(columns, json=body), 400, "invalidRequest")
    assert http.post(columns, json={"name": "Same", "text": {}}).status_code == 201
    assert_graph_error(
        http.post(columns, json={"name": "Same", "text": {}}), 409, "nameAlreadyExists"
    )


def test_delete_list(http: httpx.Client, site_id: str) -> None:
    target = new_list(http, site_id, [])
    path = f"/sites/{site_id}/lists/{target['id']}"
    assert http.delete(path).status_code == 204
    assert_graph_error(http.get(path), 404, "itemNotFound")


def test_a_list_is_one_title_whatever_its_case(http: httpx.Client, site_id: str) -> None:
    lists = f"/sites/{site_id}/lists"
    target = new_list(http, site_id, [])
    title = target["displayName"]
    assert http.get(f"{lists}/{title.upper()}").json()["id"] == target["id"]
    assert http.get(f"{lists}/{target['id'].upper()}").json()["id"] == target["id"]
    assert_graph_error(
        http.post(lists, json={"displayName": title.upper()}), 409, "nameAlreadyExists"
    )
    assert_graph_error(http.get(f"{lists}/{unique('none')}"), 404, "itemNotFound")


@pytest.mark.parametrize("title", ["x" * (MAX_LIST_TITLE + 1), "tab\there", " "])
def test_titles_sharepoint_refuses(http: httpx.Client, site_id: str, title: str) -> None:
    response = http.post(f"/sites/{site_id}/lists", json={"displayName": title})
    assert_graph_error(response, 400, "invalidRequest")


def test_url_names_leave_out_what_urls_cannot_hold(http: httpx.Client, site_id: str) -> None:
    title = unique('出張 "申請" #1')
    created = http.post(f"/sites/{site_id}/lists", json={"displayName": title}).json()
    assert created["name"] == title.replace(" ", "").replace('"', "").replace("#", "")
    assert created["webUrl"].startswith(
        "https://contoso.sharepoint.com/sites/notes-migration/Lists/%E5%87%BA%E5%BC%B5"
    )


def test_a_deleted_list_takes_its_columns_and_items(tenant: Tenant) -> None:
    site_id = tenant.site("root")["id"]
    body = {"displayName": "Temp", "columns": [{"name": "Key", "indexed": True, "text": {}}]}
    created = tenant.create_list(site_id, body)
    row = tenant.get_list(site_id, created["id"])
    tenant.create_item(row, {"fields": {"Key": "a"}})
    assert [c.name for c in tenant.columns(row.id)] == ["Title", "Key"]
    tenant.delete_list(site_id, "temp")
    for table in ("columns", "items", "item_values"):
        left = tenant.db.execute(f"SELECT count(*) FROM {table} WHERE list_id = ?", (row.id,))
        assert left.fetchone()[0] == 0, table
    assert tenant.columns(row.id) == []  # the cache went with them
