"""An OData string literal from data (a UNID, a name) reaches the service as that one value:
its quotes doubled, and whatever a URL gives meaning to (``&``, ``#``, ``%``) percent-encoded."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from notesmig.emulator.odata import parse_filter
from notesmig.sharepoint.items import odata_string


@pytest.mark.parametrize(
    ("value", "encoded"),
    [("A" * 32, "%27" + "A" * 32 + "%27"), ("O'Brien", "%27O%27%27Brien%27"),
     ("a&$top=1", "%27a%26%24top%3D1%27"), ("x#y", "%27x%23y%27"), ("100%", "%27100%25%27"),
     ("%27", "%27%2527%27"), ("", "%27%27"), ("出張 申請", "%27%E5%87%BA%E5%BC%B5%20%E7%94%B3%E8%AB%8B%27")],
)  # fmt: skip
def test_special_characters_are_encoded(value: str, encoded: str) -> None:
    assert odata_string(value) == encoded


@pytest.mark.parametrize(
    "value",
    ["x' or 1 eq 1 or '", "a&$top=1&b", "x#fragment", "100%25", "''", "'", "a' and fields/X eq 'b",
     "é%zz&#'"],
)  # fmt: skip
def test_a_filter_built_with_it_compares_with_the_value_alone(value: str) -> None:
    url = f"https://x/items?$filter=fields/NotesUNID%20eq%20{odata_string(value)}&$top=5"
    parts = urlsplit(url)
    # No fragment was cut off, no other query option was slipped in, and the one condition
    # compares with exactly the value given.
    assert parts.fragment == ""
    query = parse_qs(parts.query, keep_blank_values=True)
    assert sorted(query) == ["$filter", "$top"] and query["$top"] == ["5"]
    [[condition]] = [parse_filter(f) for f in query["$filter"]]
    assert condition == ("NotesUNID", "eq", value)
