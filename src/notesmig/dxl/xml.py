"""Small typed helpers over lxml elements of the DXL namespace."""

from __future__ import annotations

from lxml import etree

DXL_NS = "{http://www.lotus.com/dxl}"


# Tag -> local name. DXL has a few hundred element names, and this runs for every element.
_LOCAL_NAMES: dict[str, str] = {}


def local_name(element: etree._Element) -> str:
    """The tag without the DXL namespace ('' for comments and processing instructions)."""
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    name = _LOCAL_NAMES.get(tag)
    if name is None:
        name = tag[len(DXL_NS) :] if tag.startswith(DXL_NS) else tag
        _LOCAL_NAMES[tag] = name
    return name


def line_of(element: etree._Element) -> int | None:
    """The source line an element started on, when the parser recorded it."""
    line = element.sourceline
    return line if isinstance(line, int) else None
