"""``folders``: a folder found by its name in its parent, and the folder path of an item."""

from __future__ import annotations

import pytest

from notesmig.emulator.tenant import Tenant


@pytest.mark.parametrize(("stored", "asked"), [("Reports", "REPORTS"), ("Ärger", "äRGER"),
                                               ("ＡＢＣ", "ａｂｃ"), ("議事録", "議事録")])  # fmt: skip
def test_a_folder_is_found_by_its_name_whatever_its_case(
    tenant: Tenant, stored: str, asked: str
) -> None:
    row = tenant.get_list(tenant.site("root")["id"], "Documents")
    folder = tenant._insert_item(row, {"FileLeafRef": stored}, None, folder=True)
    tenant._insert_item(row, {"FileLeafRef": stored + "x"}, None, folder=True)
    assert tenant.folder_named(row, None, asked) == folder
    assert tenant.folder_named(row, folder, asked) is None  # only in the parent asked about


def test_a_file_of_that_name_is_no_folder_nor_is_a_deleted_one(tenant: Tenant) -> None:
    row = tenant.get_list(tenant.site("root")["id"], "Documents")
    tenant._insert_item(row, {"FileLeafRef": "Plan"}, None)
    gone = tenant._insert_item(row, {"FileLeafRef": "Old"}, None, folder=True)
    tenant.delete_item(row, str(gone))
    assert tenant.folder_named(row, None, "plan") is None
    assert tenant.folder_named(row, None, "old") is None


def test_the_folder_path_of_an_item_is_server_relative(tenant: Tenant) -> None:
    site_id = tenant.site("contoso.sharepoint.com", "/sites/notes-migration")["id"]
    row = tenant.get_list(site_id, "Documents")
    outer = tenant._insert_item(row, {"FileLeafRef": "年度 2024"}, None, folder=True)
    inner = tenant._insert_item(row, {"FileLeafRef": "B"}, None, folder=True, parent_item=outer)
    deep = tenant._insert_item(row, {"FileLeafRef": "c.txt"}, None, parent_item=inner)
    top = tenant._insert_item(row, {"FileLeafRef": "d.txt"}, None)
    root = "/sites/notes-migration/Shared Documents"
    assert tenant.folder_path(row, deep) == f"{root}/年度 2024/B"
    assert tenant.folder_path(row, inner) == f"{root}/年度 2024"
    assert tenant.folder_path(row, top) == root
