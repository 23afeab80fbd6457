"""Building blocks for writing DXL the way Domino does: notes, items, rich text, attachments.

Used by the sample corpus generator and by tests that need a precisely shaped export. The
output is valid against the Domino 10 DXL DTD.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from lxml import etree
from lxml.builder import ElementMaker

from notesmig.dxl.datetimes import format_notes_datetime

DXL_NAMESPACE = "http://www.lotus.com/dxl"
DOCTYPE = "<!DOCTYPE database SYSTEM 'xmlschemas/domino_10_0_1.dtd'>"
# Notes are built without a namespace and written under a root that declares DXL's as the
# default, so each note does not repeat the declaration (the DTD allows it only on the root).
E = ElementMaker()

Inline = str | etree._Element


def stable_hex(*parts: object, length: int = 32) -> str:
    """Deterministic upper-case hex (UNIDs, replica ids) from any identifying parts."""
    return hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()[:length].upper()


def datetime_element(value: datetime | date) -> etree._Element:
    return E.datetime(format_notes_datetime(value))


def noteinfo(noteid: int, unid: str, created: datetime, modified: datetime) -> etree._Element:
    return E.noteinfo(
        E.created(datetime_element(created)),
        E.modified(datetime_element(modified)),
        E.revised(datetime_element(modified)),
        noteid=f"{noteid:x}",
        unid=unid,
        sequence="1" if created == modified else "2",
    )


def _flags(names: bool, readers: bool, authors: bool) -> dict[str, str]:
    flags = {}
    if authors:
        flags["authors"] = "true"
    if names or readers or authors:
        flags["names"] = "true"
    if readers:
        flags["readers"] = "true"
    return flags


def text_item(
    name: str,
    value: str | Sequence[str],
    *,
    names: bool = False,
    readers: bool = False,
    authors: bool = False,
) -> etree._Element:
    if isinstance(value, str):
        content = E.text(value)
    else:
        content = E.textlist(*(E.text(v) for v in value))
    return E.item(content, name=name, **_flags(names, readers, authors))


def number_item(name: str, value: float | Sequence[float]) -> etree._Element:
    if isinstance(value, int | float):
        return E.item(E.number(_number_text(value)), name=name)
    return E.item(E.numberlist(*(E.number(_number_text(v)) for v in value)), name=name)


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def datetime_item(name: str, value: datetime | date | Sequence[datetime | date]) -> etree._Element:
    if isinstance(value, datetime | date):
        return E.item(datetime_element(value), name=name)
    return E.item(E.datetimelist(*(datetime_element(v) for v in value)), name=name)


def datetime_range_item(name: str, start: datetime, end: datetime) -> etree._Element:
    pair = E.datetimepair(datetime_element(start), datetime_element(end))
    return E.item(E.datetimelist(pair), name=name)


def file_item(name: str, data: bytes, created: datetime, modified: datetime) -> etree._Element:
    """A ``$FILE`` item holding one attachment, base64 in 76-character lines like Domino."""
    encoded = base64.encodebytes(data).decode("ascii")
    file_element = E.file(
        E.created(datetime_element(created)),
        E.modified(datetime_element(modified)),
        E.filedata("\n" + encoded),
        hosttype="msdos",
        compression="none",
        flags="storedindoc",
        name=name,
        size=str(len(data)),
    )
    return E.item(E.object(file_element), name="$FILE", summary="true", sign="true")


# -- rich text ---------------------------------------------------------------------------


class RichText:
    """Accumulates rich text blocks with paragraph definitions declared once each."""

    def __init__(self) -> None:
        self._blocks: list[etree._Element] = []
        self._pardefs: dict[tuple[tuple[str, str], ...], str] = {}

    def _pardef(self, **attributes: str) -> str:
        key = tuple(sorted(attributes.items()))
        if key not in self._pardefs:
            identifier = str(len(self._pardefs) + 1)
            self._pardefs[key] = identifier
            self._blocks.append(E.pardef(id=identifier, **attributes))
        return self._pardefs[key]

    def par(self, *content: Inline, align: str | None = None, list_kind: str | None = None) -> None:
        attributes = {}
        if align:
            attributes["align"] = align
        if list_kind:
            attributes["list"] = list_kind
            attributes["leftmargin"] = "1.2500in"
        self._blocks.append(_with_content(E.par({"def": self._pardef(**attributes)}), content))

    def bullets(self, entries: Iterable[str]) -> None:
        for entry in entries:
            self.par(entry, list_kind="bullet")

    def numbered(self, entries: Iterable[str]) -> None:
        for entry in entries:
            self.par(entry, list_kind="number")

    def table(self, rows: Sequence[Sequence[str]], widths: Sequence[str] | None = None) -> None:
        identifier = self._pardef()
        columns = [E.tablecolumn(width=w) for w in (widths or ())]
        table_rows = []
        for index, row in enumerate(rows):
            cells = []
            for value in row:
                content: Inline = bold(value) if index == 0 else value
                cells.append(E.tablecell(_with_content(E.par({"def": identifier}), [content])))
            table_rows.append(E.tablerow(*cells))
        self._blocks.append(E.table(*columns, *table_rows, widthtype="fitmargins"))

    def section(self, title: str, body: RichText) -> None:
        identifier = self._pardef()
        element = E.section(
            E.sectiontitle(E.text(title), pardef=identifier), *body.blocks(), expanded="true"
        )
        self._blocks.append(element)

    def rule(self) -> None:
        self._blocks.append(E.par(E.horizrule(width="100%"), {"def": self._pardef()}))

    def blocks(self) -> list[etree._Element]:
        return list(self._blocks)

    def item(self, name: str) -> etree._Element:
        return E.item(E.richtext(*self._blocks), name=name)


def _with_content(element: etree._Element, content: Iterable[Inline]) -> etree._Element:
    last: etree._Element | None = None
    for piece in content:
        if isinstance(piece, str):
            if last is None:
                element.text = (element.text or "") + piece
            else:
                last.tail = (last.tail or "") + piece
        else:
            element.append(piece)
            last = piece
    return element


def run(
    text: str,
    *,
    style: str | None = None,
    color: str | None = None,
    size: str | None = None,
    face: str | None = None,
) -> etree._Element:
    attributes = {
        key: value
        for key, value in (("style", style), ("color", color), ("size", size), ("name", face))
        if value
    }
    return E.run(E.font(**attributes), text)


def bold(text: str) -> etree._Element:
    return run(text, style="bold")


def url_link(href: str, text: str) -> etree._Element:
    return E.urllink(E.run(E.font(color="blue", style="underline"), text), href=href)


def doc_link(
    database: str, view: str, document: str, text: str, description: str
) -> etree._Element:
    return E.doclink(
        E.run(E.font(color="blue"), text),
        database=database,
        view=view,
        document=document,
        description=description,
    )


def attachment_ref(name: str) -> etree._Element:
    return E.attachmentref(name=name, displayname=name)


def inline_picture(png: bytes, width: int, height: int, alt: str) -> etree._Element:
    encoded = base64.encodebytes(png).decode("ascii")
    return E.picture(E.png("\n" + encoded), width=f"{width}px", height=f"{height}px", alttext=alt)
