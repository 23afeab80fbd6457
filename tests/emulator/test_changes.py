"""``changes``: change numbers, and the changes of a list read back through them (delta)."""

from __future__ import annotations

import httpx

from notesmig.emulator.tenant import Tenant


def test_delta_reports_changes_and_deletions(http: httpx.Client, items: str) -> None:
    ids = [http.post(items, json={"fields": {"Department": str(n)}}).json()["id"] for n in range(3)]
    first = http.get(f"{items}/delta").json()
    assert sorted(i["id"] for i in first["value"]) == sorted(ids)
    delta_link = first["@odata.deltaLink"]
    assert "token=" in delta_link
    assert http.get(delta_link).json()["value"] == []
    http.patch(f"{items}/{ids[0]}/fields", json={"Region": "changed"})
    http.delete(f"{items}/{ids[1]}")
    changed = http.get(delta_link).json()
    by_id = {i["id"]: i for i in changed["value"]}
    assert by_id[ids[1]] == {"id": ids[1], "deleted": {"state": "deleted"}}
    assert by_id[ids[0]]["fields"]["Region"] == "changed"
    assert set(by_id) == {ids[0], ids[1]}
    assert http.get(changed["@odata.deltaLink"]).json()["value"] == []
    paged = http.get(f"{items}/delta()", params={"$top": "1"}).json()
    assert len(paged["value"]) == 1 and "@odata.nextLink" in paged


def test_every_write_takes_the_next_change_number(tenant: Tenant) -> None:
    row = tenant.get_list(tenant.site("root")["id"], "Documents")
    _, _, before = tenant.changes(row, 0, 0, 10)
    item_id = tenant._insert_item(row, {"Title": "a"}, None)
    assert tenant._item_row(row, item_id)["change"] == before + 1
    tenant.update_fields(row, str(item_id), {"Title": "b"}, None)
    assert tenant._item_row(row, item_id)["change"] == before + 2
    tenant.delete_item(row, str(item_id))
    changed, last, current = tenant.changes(row, before, 0, 10)
    assert [(i["id"], i["change"], i["deleted"]) for i in changed] == [(item_id, before + 3, 1)]
    assert last is None and current == before + 3


def test_a_first_delta_leaves_deletions_out_and_pages_by_change(tenant: Tenant) -> None:
    row = tenant.get_list(tenant.site("root")["id"], "Documents")
    kept, gone, later = (tenant._insert_item(row, {"Title": t}, None) for t in "abc")
    tenant.delete_item(row, str(gone))
    tenant.update_fields(row, str(kept), {"Title": "a2"}, None)  # now changed after ``later``
    first, last, current = tenant.changes(row, 0, 0, 1)
    assert [i["id"] for i in first] == [later] and last == first[0]["change"]
    rest, last, _ = tenant.changes(row, 0, last, 5)
    assert [i["id"] for i in rest] == [kept] and last is None
    deleted, _, _ = tenant.changes(row, first[0]["change"] - 1, 0, 5)
    assert [i["id"] for i in deleted] == [later, gone, kept]
    assert tenant.changes(row, current, 0, 5) == ([], None, current)
