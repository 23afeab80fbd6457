"""Local names and source lines of DXL elements, as the reader takes them."""

from __future__ import annotations

from lxml import etree

from notesmig.dxl import xml
from notesmig.dxl.xml import DXL_NS, line_of, local_name, name_of

EXPORT = (
    b"<?xml version='1.0' encoding='utf-8'?>\n"
    b"<database xmlns='http://www.lotus.com/dxl' xmlns:x='urn:other'>\n"
    b"<!-- exported by Domino -->\n"
    b"<?domino processing?>\n"
    b"<document form='Memo'><item name='Subject'><text>x</text></item></document>\n"
    b"<x:extension/>\n"
    b"</database>\n"
)


def test_names_without_the_dxl_namespace_and_nothing_for_comments() -> None:
    root = etree.fromstring(EXPORT)
    comment, instruction, document, extension = list(root)
    assert local_name(root) == "database" and name_of(root.tag) == "database"
    assert [local_name(e) for e in document.iter()] == ["document", "item", "text"]
    assert local_name(comment) == "" and local_name(instruction) == ""
    # Another namespace's element keeps its namespace: it is no DXL element.
    assert local_name(extension) == "{urn:other}extension"
    # A document written without a namespace (a single-document export) reads the same.
    assert name_of("document") == "document" == name_of(f"{DXL_NS}document")


def test_lines_are_where_each_element_starts() -> None:
    root = etree.fromstring(EXPORT)
    document = root[2]
    assert (line_of(root), line_of(document), line_of(document[0][0])) == (2, 5, 5)
    assert line_of(root[3]) == 6
    # An element built in memory was read from no line.
    assert line_of(etree.Element("document")) is None


def test_invented_names_are_named_right_but_never_grow_the_cache_past_its_limit() -> None:
    name_of(f"{DXL_NS}document")
    before = dict(xml._LOCAL_NAMES)
    try:
        names = [f"{DXL_NS}invented{n}" for n in range(xml._CACHE_LIMIT + 500)]
        assert [name_of(tag) for tag in names] == [tag[len(DXL_NS) :] for tag in names]
        assert len(xml._LOCAL_NAMES) == xml._CACHE_LIMIT
        # Names seen before the cache filled are still answered from it.
        assert xml._LOCAL_NAMES[f"{DXL_NS}document"] == "document"
    finally:  # the rest of the session reads real DXL at full speed again
        xml._LOCAL_NAMES.clear()
        xml._LOCAL_NAMES.update(before)
