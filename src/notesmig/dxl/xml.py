"""Small typed helpers over lxml elements of the DXL namespace."""

from __future__ import annotations

from lxml import etree

DXL_NS = "{http://www.lotus.com/dxl}"


def local_name(element: etree._Element) -> str:
    """The tag without the DXL namespace ('' for comments and processing instructions)."""
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag[len(DXL_NS) :] if tag.startswith(DXL_NS) else tag


def line_of(element: etree._Element) -> int | None:
    """The source line an element started on, when the parser recorded it."""
    line = element.sourceline
    return line if isinstance(line, int) else None
