"""``odata``: the query options as Graph reads them (``$top``, ``$skiptoken``, ``$expand``,
``$select``, ``$filter``), next links, and Graph's 400 for what it does not take."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from notesmig.emulator.graph_errors import GraphError
from notesmig.emulator.http import Request
from notesmig.emulator.odata import (
    Expansion,
    check_query_options,
    expansions,
    int_param,
    literal,
    next_link,
    parse_filter,
    select,
    whole_number,
)
from tests.emulator.helpers import assert_graph_error


def refused(call: Callable[..., object], *args: object, **options: object) -> str:
    """Graph's 400 ``invalidRequest`` from ``call``: its message."""
    with pytest.raises(GraphError) as caught:
        call(*args, **options)
    assert (caught.value.status, caught.value.code) == (400, "invalidRequest")
    return caught.value.message


def test_whole_numbers_are_ascii_digits_up_to_a_maximum() -> None:
    assert [whole_number(t, 100) for t in ("0", "007", "100", "101", "-1", "1.0", "²", "٣", "")] == [
        0, 7, 100, None, None, None, None, None, None]  # fmt: skip
    assert whole_number("0" * 10_000 + "5", 9) == 5  # leading zeros are no digits of worth
    assert whole_number("9" * 10_000, 2**63) is None  # refused before int() is asked
    assert int_param({}, "$top", 200, maximum=5_000) == 200
    assert int_param({"$top": ""}, "$top", 200, maximum=5_000) == 200
    assert int_param({"$top": "5000"}, "$top", 200, maximum=5_000) == 5_000
    message = refused(int_param, {"$top": "5001"}, "$top", 200, maximum=5_000)
    assert message == "The query parameter $top must be a whole number up to 5000."


def test_expand_takes_fields_their_selection_and_drive_item() -> None:
    assert expansions({}) == Expansion()
    assert expansions({"$expand": "fields"}) == Expansion(fields=True)
    assert expansions({"$expand": "fields(select=Title, NotesUNID),driveItem"}) == Expansion(
        True, {"Title", "NotesUNID"}, drive_item=True)  # fmt: skip
    assert expansions({"$expand": "fields($select=Title)"}).select == {"Title"}
    message = refused(expansions, {"$expand": "children"})
    assert "$expand=children is not supported" in message
    assert select({"$select": "id, fields,,"}) == {"id", "fields"} and select({}) is None


def test_filters_are_and_of_comparisons_and_startswith() -> None:
    text = "fields/Subject eq 'rock and roll' and fields/Amount ge 1.5 and startswith(fields/Code, 'A''B')"
    assert parse_filter(text) == [
        ("Subject", "eq", "rock and roll"), ("Amount", "ge", 1.5), ("Code", "startswith", "A'B")]  # fmt: skip
    assert parse_filter("fields/Flag ne true and fields/Due eq null") == [
        ("Flag", "ne", True), ("Due", "eq", None)]  # fmt: skip
    assert parse_filter("  ") == []
    assert [literal(t) for t in ("12", "-3", "2.5", "'x'", "false")] == [12, -3, 2.5, "x", False]
    assert "Invalid filter clause" in refused(parse_filter, "fields/A eq 1 or fields/B eq 2")
    assert "Invalid filter clause" in refused(parse_filter, "Title eq 'x'")  # no fields/ prefix
    assert "Invalid literal" in refused(parse_filter, "fields/A eq abc")


def test_a_next_link_keeps_the_query_and_moves_the_token() -> None:
    asked = Request("GET", b"/v1.0//sites/s/lists/l/items", {"$expand": "fields", "$top": "2",
                    "$skiptoken": "4"}, {}, b"", "http://127.0.0.1:9")  # fmt: skip
    link = next_link(asked, {"$skiptoken": "6"})
    parts = urlsplit(link)
    assert (
        f"{parts.scheme}://{parts.netloc}{parts.path}"
        == "http://127.0.0.1:9/v1.0/sites/s/lists/l/items"
    )
    assert parse_qs(parts.query) == {"$expand": ["fields"], "$top": ["2"], "$skiptoken": ["6"]}
    delta = next_link(asked, {"token": "9"}, drop=("$skiptoken",))
    assert parse_qs(urlsplit(delta).query) == {"$expand": ["fields"], "$top": ["2"], "token": ["9"]}
    assert "$expand=fields" in link  # Graph's own characters are not percent-encoded


def test_unknown_options_and_tops_that_are_not_positive_are_refused() -> None:
    check_query_options({"$top": "1", "$filter": "x", "token": "3", "anything": "y"})
    assert refused(check_query_options, {"$expandd": "fields"}) == (
        "Query option '$expandd' is not allowed.")  # fmt: skip
    for top in ("0", "-1", "1e3", "abc", "٣"):
        assert f"Invalid value '{top}' for $top" in refused(check_query_options, {"$top": top})
    shown = refused(check_query_options, {"$top": "x" * 100})  # a long value is cut short
    assert f"'{'x' * 40}...'" in shown and "x" * 41 not in shown


def test_graph_answers_400_for_them_on_any_resource(http: httpx.Client, items: str) -> None:
    error = assert_graph_error(http.get(items, params={"$search": "x", "$bogus": "1"}), 400,
                               "invalidRequest")  # fmt: skip
    assert error["message"] == "Query option '$bogus' is not allowed."
    assert_graph_error(http.get("/sites/root", params={"$top": "0"}), 400, "invalidRequest")
    assert (
        http.get(items, params={"$top": "1", "$expand": "fields(select=Title)"}).status_code == 200
    )
