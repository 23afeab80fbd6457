"""``queries``: ``$filter`` on list items, indexed or not, paged in id order."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from notesmig.emulator.graph_errors import GraphError
from notesmig.emulator.queries import compare
from notesmig.emulator.tenant import Tenant
from tests.emulator.helpers import assert_graph_error, new_list


def test_paging_select_and_filters(http: httpx.Client, items: str) -> None:
    for number in range(7):
        body = {"fields": {"Department": "a", "NotesUNID": f"{number:032X}", "Region": f"r{number % 2}",
                           "Amount": number}}  # fmt: skip
        assert http.post(items, json=body).status_code == 201
    page = http.get(
        items, params={"$top": "3", "$expand": "fields(select=NotesUNID,Amount)"}
    ).json()
    assert [i["fields"]["NotesUNID"] for i in page["value"]] == [f"{n:032X}" for n in range(3)]
    assert set(page["value"][0]["fields"]) == {"@odata.etag", "NotesUNID", "Amount"}
    seen = [i["id"] for i in page["value"]]
    while "@odata.nextLink" in page:
        page = http.get(page["@odata.nextLink"]).json()
        seen += [i["id"] for i in page["value"]]
    assert seen == [str(n) for n in range(1, 8)]
    indexed = http.get(
        items, params={"$filter": f"fields/NotesUNID eq '{5:032X}'", "$expand": "fields"}
    )
    assert [i["fields"]["Amount"] for i in indexed.json()["value"]] == [5]
    error = assert_graph_error(
        http.get(items, params={"$filter": "fields/Region eq 'r1'"}), 400, "invalidRequest"
    )
    assert "HonorNonIndexedQueriesWarningMayFailRandomly" in error["message"]
    honoured = http.get(
        items, params={"$filter": "fields/Region eq 'r1' and fields/Amount ge 3", "$expand": "fields"},
        headers={"Prefer": "HonorNonIndexedQueriesWarningMayFailRandomly"},
    )  # fmt: skip
    assert [i["fields"]["Amount"] for i in honoured.json()["value"]] == [3, 5]
    assert_graph_error(http.get(items, params={"$filter": "Region eq r1"}), 400, "invalidRequest")
    assert_graph_error(http.get(items, params={"$top": "-1"}), 400, "invalidRequest")


def test_non_indexed_filter_refused_past_the_list_view_threshold(
    http: httpx.Client, site_id: str
) -> None:
    target = new_list(
        http,
        site_id,
        [{"name": "Region", "text": {}}, {"name": "Key", "indexed": True, "text": {}}],
    )
    items_url = f"/sites/{site_id}/lists/{target['id']}/items"
    for start in range(0, 5_001, 20):
        requests = [
            {"id": str(n), "method": "POST", "url": items_url,
             "headers": {"Content-Type": "application/json"},
             "body": {"fields": {"Region": "r", "Key": str(n)}}}
            for n in range(start, min(start + 20, 5_001))
        ]  # fmt: skip
        answer = http.post("/$batch", json={"requests": requests}).json()
        assert {r["status"] for r in answer["responses"]} == {201}
    prefer = {"Prefer": "HonorNonIndexedQueriesWarningMayFailRandomly"}
    error = assert_graph_error(
        http.get(items_url, params={"$filter": "fields/Region eq 'r'"}, headers=prefer),
        400,
        "invalidRequest",
    )
    assert "list view threshold" in error["message"]
    indexed = http.get(items_url, params={"$filter": "fields/Key eq '4321'", "$expand": "fields"})
    assert [i["fields"]["Key"] for i in indexed.json()["value"]] == ["4321"]


def test_a_lookup_by_an_indexed_value_searches_the_index_not_the_list(tmp_path: Path) -> None:
    from notesmig.emulator.config import EmulatorConfig
    from notesmig.emulator.queries import BY_INDEXED_VALUE
    from notesmig.emulator.tenant import Tenant

    tenant = Tenant(EmulatorConfig(data_dir=tmp_path))
    plan = [row[3] for row in tenant.db.execute(f"EXPLAIN QUERY PLAN {BY_INDEXED_VALUE}",
                                                ("list", "NotesUNID", '"A"', 0))]  # fmt: skip
    # Before: "SEARCH items USING INDEX sqlite_autoindex_items_1 (list_id=? AND id>?)" first,
    # every item of the list visited per lookup (6 s in a list of 18,000 items).
    assert plan[0] == (
        "SEARCH item_values USING INDEX item_values_key (list_id=? AND column=? AND value=?)"
    )


@pytest.mark.parametrize(
    ("left", "op", "right", "expected"),
    [
        ("a", "eq", "a", True), (1, "ne", 2, True), ("abc", "startswith", "ab", True),
        (5, "startswith", "5", False), (None, "eq", None, True), (None, "lt", 1, False),
        (None, "ge", "", False), ("b", "gt", "a", True), (2, "le", 2, True),
        ("1", "lt", 2, False),  # values of other types are never ordered
    ],
)  # fmt: skip
def test_conditions_compare_as_sharepoint_does(
    left: Any, op: str, right: Any, expected: bool
) -> None:
    assert compare(left, op, right) is expected


def test_an_unknown_operator_is_400() -> None:
    with pytest.raises(GraphError) as caught:
        compare(1, "between", 2)
    assert caught.value.status == 400


def test_pages_of_an_indexed_match_follow_each_other(tenant: Tenant) -> None:
    site_id = tenant.site("root")["id"]
    body = {"displayName": "Keys", "columns": [{"name": "Key", "indexed": True, "text": {}}]}
    row = tenant.get_list(site_id, tenant.create_list(site_id, body)["id"])
    for key in "aabaaa":
        tenant.create_item(row, {"fields": {"Key": key}})
    pages, after = [], 0
    while True:
        found, last = tenant.query_items(row, conditions=[("Key", "eq", "a")],
                                         honor_non_indexed=False, after=after, top=2)  # fmt: skip
        pages.append([item["id"] for item in found])
        if last is None:
            break
        after = last
    assert pages == [[1, 2], [4, 5], [6]]
    with pytest.raises(GraphError) as caught:
        tenant.query_items(row, conditions=[("Nope", "eq", "a")], honor_non_indexed=True,
                           after=0, top=2)  # fmt: skip
    assert "'Nope' is not recognized" in caught.value.message
