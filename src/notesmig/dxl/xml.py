"""Small typed helpers over lxml elements of the DXL namespace."""

from __future__ import annotations

from lxml import etree

DXL_NS = "{http://www.lotus.com/dxl}"

# DXL has a few hundred element names; hostile input could invent millions, so the cache of
# tag -> local name stops growing here.
_CACHE_LIMIT = 4096


class _LocalNames(dict[object, str]):
    """Tag -> local name, filled on first sight (a dict lookup on the hot path, no frame)."""

    def __missing__(self, tag: object) -> str:
        if not isinstance(tag, str):
            return ""  # comments, processing instructions, entities
        name = tag[len(DXL_NS) :] if tag.startswith(DXL_NS) else tag
        if len(self) < _CACHE_LIMIT:
            self[tag] = name
        return name


_LOCAL_NAMES = _LocalNames()

#: ``name_of(element.tag)``: the tag without the DXL namespace ('' for comments and
#: processing instructions). The extractor calls it for every element, so it is the dict's own
#: lookup rather than a Python function.
name_of = _LOCAL_NAMES.__getitem__


def local_name(element: etree._Element) -> str:
    """The tag without the DXL namespace ('' for comments and processing instructions)."""
    return _LOCAL_NAMES[element.tag]


def line_of(element: etree._Element) -> int | None:
    """The source line an element started on, when the parser recorded it."""
    line = element.sourceline
    return line if isinstance(line, int) else None
