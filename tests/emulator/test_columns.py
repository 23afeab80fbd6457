"""``columns``: column definitions as Graph takes and returns them, and the checks SharePoint
makes on a value written to each type of column."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from notesmig.emulator.columns import (
    MULTI_LINE_MAX,
    SINGLE_LINE_MAX,
    SQLITE_MAX_INT,
    Column,
    normalise_value,
    parse_column,
    sqlite_id,
)
from notesmig.emulator.graph_errors import GraphError
from tests.emulator.helpers import assert_graph_error, new_list


def column(facet: str, **settings: Any) -> Column:
    return Column("F", "F", facet, settings)


def refused(target: Column, value: Any, users: set[int] | None = None) -> str:
    with pytest.raises(GraphError) as caught:
        normalise_value(target, value, users or set(), set())
    assert (caught.value.status, caught.value.code) == (400, "invalidRequest")
    return caught.value.message


def test_ids_are_whole_numbers_sqlite_can_hold() -> None:
    assert [sqlite_id(v) for v in (1, "42", " 7 ", SQLITE_MAX_INT)] == [1, 42, 7, SQLITE_MAX_INT]
    for value in (0, -1, "0", True, 1.0, "1.5", "²", SQLITE_MAX_INT + 1, str(2**64), None, [1]):
        assert sqlite_id(value) is None, value


def test_a_text_column_gets_sharepoints_defaults() -> None:
    single, requested = parse_column({"name": "Subject", "text": {}})
    assert requested == "Subject" and single.display_name == "Subject"
    assert single.settings == {"allowMultipleLines": False, "maxLength": SINGLE_LINE_MAX,
                               "textType": "plain", "appendChangesToExistingText": False,
                               "linesForEditing": 0}  # fmt: skip
    multi, _ = parse_column({"name": "Body", "displayName": "本文",
                             "text": {"allowMultipleLines": True}})  # fmt: skip
    assert multi.settings["maxLength"] == MULTI_LINE_MAX and multi.settings["linesForEditing"] == 6
    assert multi.display_name == "本文"


@pytest.mark.parametrize(
    ("body", "fragment"),
    [({"name": "A", "text": {"maxLength": 0}}, "from 1 to 255"),
     ({"name": "A", "text": {"allowMultipleLines": True, "maxLength": 64_000}}, "from 1 to 63999"),
     ({"name": "A", "text": {"maxLength": True}}, "from 1 to 255"),
     ({"name": "A", "text": {"textType": "html"}}, "'plain' or 'richText'"),
     ({"name": "A", "text": {"colour": 1}},
      "The property 'colour' does not exist on type 'microsoft.graph.textColumn'."),
     ({"name": "A", "text": {}, "colour": 1},
      "The property 'colour' does not exist on type 'microsoft.graph.columnDefinition'."),
     ({"name": "A", "choice": {"choices": "a;b"}}, "list of strings"),
     ({"name": "A", "lookup": {"columnName": "Title"}}, "'lookup.listId' is required"),
     ({"name": "x" * 256, "text": {}}, "at most 255 characters"),
     ({"name": "A", "displayName": 5, "text": {}}, "'displayName' must be a string"),
     ({"name": "A", "text": []}, "'text' must be an object"),
     ({"name": "A", "text": {}, "enforceUniqueValues": True}, "must be indexed")],
)  # fmt: skip
def test_definitions_graph_refuses(body: dict[str, Any], fragment: str) -> None:
    with pytest.raises(GraphError) as caught:
        parse_column(body)
    assert caught.value.status == 400 and fragment in caught.value.message


def test_multi_value_columns_and_their_graph_shape() -> None:
    assert column("choice", displayAs="checkBoxes").multi
    assert not column("choice", displayAs="dropDownMenu").multi
    assert column("personOrGroup", allowMultipleSelection=True).multi
    assert column("lookup", allowMultipleValues=True).multi and column("lookup").uses_lookup_id
    shown = Column("Link", "リンク", "hyperlinkOrPicture", {"isPicture": False}).as_graph()
    assert "hyperlinkOrPicture" not in shown and shown["displayName"] == "リンク"
    assert shown["columnGroup"] == "Custom Columns"
    title = Column("Title", "Title", "text", {}, builtin=True).as_graph()
    assert title["columnGroup"] == "Core Columns" and title["text"] == {}


def test_values_are_checked_against_their_column() -> None:
    assert normalise_value(column("text", maxLength=3), "あいう", set(), set()) == "あいう"
    assert "4 characters long; the column allows 3" in refused(
        column("text", maxLength=3), "あいうえ"
    )
    assert "expects text" in refused(column("text"), 5)
    assert normalise_value(column("number", minimum=0, maximum=10), 10, set(), set()) == 10
    assert "out of range" in refused(column("number", minimum=0, maximum=10), 10.5)
    assert "expects a number" in refused(column("number"), True)
    assert "expects a boolean" in refused(column("boolean"), 1)
    assert normalise_value(column("text"), None, set(), set()) is None  # clearing is allowed
    choice = column("choice", choices=["申請中", "承認済"])
    assert "is not one of the choices" in refused(choice, "却下")
    free = column("choice", choices=["a"], allowTextEntry=True)
    assert normalise_value(free, "other", set(), set()) == "other"
    tags = column("choice", choices=["a", "b"], displayAs="checkBoxes")
    assert normalise_value(tags, ["a", "b"], set(), set()) == ["a", "b"]
    assert "expects a collection" in refused(tags, "a")


def test_date_times_are_stored_in_utc() -> None:
    due = column("dateTime")
    assert normalise_value(due, "2024-05-08T08:00:00+09:00", set(), set()) == "2024-05-07T23:00:00Z"
    assert normalise_value(due, "2024-05-08T08:00:00", set(), set()) == "2024-05-08T08:00:00Z"
    assert normalise_value(due, "2024-05-08", set(), set()) == "2024-05-08T00:00:00Z"
    assert "expects a date-time" in refused(due, "next tuesday")
    assert "expects a date-time" in refused(due, 20240508)


def test_people_lookups_and_links() -> None:
    person = Column("Approver", "Approver", "personOrGroup", {})
    assert normalise_value(person, "7", {7}, set()) == 7
    assert refused(person, 8, {7}) == "The lookup id 8 of field 'Approver' does not exist."
    for bad in (True, 0, "x", float("inf"), [7]):
        assert "expects a lookup id" in refused(person, bad, {7}), bad
    link = column("hyperlinkOrPicture")
    assert normalise_value(link, "https://example.jp/", set(), set()) == {
        "Url": "https://example.jp/", "Description": "https://example.jp/"}  # fmt: skip
    assert normalise_value(link, {"Url": "https://a.jp/", "Description": "規程"}, set(), set()) == {
        "Url": "https://a.jp/", "Description": "規程"}  # fmt: skip
    assert "accepts only 'Url' and 'Description'" in refused(link, {"Url": "u", "Target": "_blank"})
    assert "expects a link" in refused(link, {"Description": "no url"})


def test_graph_returns_a_column_as_it_was_made(http: httpx.Client, site_id: str) -> None:
    target = new_list(http, site_id, [])
    columns = f"/sites/{site_id}/lists/{target['id']}/columns"
    made = http.post(columns, json={"name": "Subject", "indexed": True, "text": {"maxLength": 80}})
    assert made.status_code == 201, made.text
    link = http.post(columns, json={"name": "Link", "hyperlinkOrPicture": {"isPicture": False}})
    read = {c["name"]: c for c in http.get(columns).json()["value"]}
    assert read["Subject"]["text"]["maxLength"] == 80 and read["Subject"]["indexed"] is True
    assert read["Subject"]["id"] == made.json()["id"]
    # Graph reads a hyperlink column back without its facet.
    assert link.status_code == 201 and "hyperlinkOrPicture" not in read["Link"]
    error = assert_graph_error(http.post(columns, json={"name": "B", "boolean": {"x": 1}}), 400,
                               "invalidRequest")  # fmt: skip
    assert (
        error["message"]
        == "The property 'x' does not exist on type 'microsoft.graph.booleanColumn'."
    )
