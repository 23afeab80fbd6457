"""Notes rich text (DXL ``<richtext>``) to safe HTML.

Paragraph definitions (``<pardef>``) give alignment and list style; a ``<par>`` without ``def``
keeps the previous paragraph's. Runs carry fonts, tables keep spans and widths, sections keep
their title, and Notes links (doclink, viewlink, databaselink) become ``notes:///`` links that
also carry their target as ``data-notes-*`` attributes for the link-rewriting stage. Inline
pictures go to the blob store. What cannot be converted (buttons, computed text, OLE objects,
Notes bitmaps...) leaves a visible ``[Notes ...]`` marker and is counted, never dropped.

Everything produced is passed through nh3 with an allowlist, so scripts, event handlers and
``javascript:`` URLs cannot survive whatever the export contains.
"""

from __future__ import annotations

import functools
import html
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import nh3
from lxml import etree

from notesmig.dxl.blobs import BlobResult
from notesmig.dxl.model import Attachment, ExtractionIssue, NotesLink
from notesmig.dxl.xml import line_of, name_of

_ALLOWED_TAGS = {
    "p",
    "br",
    "span",
    "strong",
    "em",
    "u",
    "s",
    "sup",
    "sub",
    "a",
    "ul",
    "ol",
    "li",
    "table",
    "colgroup",
    "col",
    "tbody",
    "tr",
    "td",
    "hr",
    "img",
    "div",
    "figure",
    "figcaption",
    "pre",
}
_ALLOWED_ATTRIBUTES = {
    "*": {"class", "style"},
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan"},
    "ol": {"type"},
}
_ALLOWED_STYLES = {
    "color",
    "background-color",
    "font-size",
    "font-family",
    "text-align",
    "width",
    "list-style-type",
    "white-space",
    "margin-left",
}
_URL_SCHEMES = {"http", "https", "mailto", "ftp", "notes"}

_LISTS = {
    "bullet": ("ul", None, None),
    "circle": ("ul", None, "circle"),
    "square": ("ul", None, "square"),
    "check": ("ul", None, None),
    "number": ("ol", None, None),
    "alphaupper": ("ol", "A", None),
    "alphalower": ("ol", "a", None),
    "romanupper": ("ol", "I", None),
    "romanlower": ("ol", "i", None),
}
_ALIGN = {"center": "center", "right": "right", "full": "justify", "left": "left"}
_FONT_TAGS = {
    "bold": "strong",
    "italic": "em",
    "underline": "u",
    "strikethrough": "s",
    "superscript": "sup",
    "subscript": "sub",
}
_COLOR = re.compile(r"#[0-9a-fA-F]{6}|[a-z]{3,20}")
_SIZE = re.compile(r"\d{1,3}(?:\.\d+)?(?:pt|px|in|%)")
_FONT_NAME = re.compile(r"[^;\"'<>{}\\]{1,64}")
_LENGTH = re.compile(r"\d{1,5}(?:\.\d+)?(?:px|in|%|cm)?")
_IMAGE_FORMATS = ("gif", "jpeg", "png")
_IMAGE_TYPES = {"gif": "image/gif", "jpeg": "image/jpeg", "png": "image/png"}

# Elements whose content is layout or code, with nothing a reader would miss.
_SILENT = {
    "code",
    "formula",
    "border",
    "cellbackground",
    "tablerowstyle",
    "parstyle",
    "font",
    "pardef",
    "tablecolumn",
    "associatedfiles",
    "lotusscript",
    "javascript",
}
# Elements that stand for something a reader would see in Notes but HTML cannot show.
_UNCONVERTED_LABELS = {
    "button": "button",
    "computedtext": "computed text",
    "objectref": "OLE object",
    "notesbitmap": "Notes bitmap",
    "imageref": "image resource",
    "field": "field",
    "sharedfieldref": "shared field",
    "actionhotspot": "action hotspot",
    "popup": "pop-up",
    "javaapplet": "Java applet",
    "region": "hotspot region",
    "embeddedview": "embedded view",
    "embeddedoutline": "embedded outline",
    "embeddednavigator": "embedded navigator",
    "embeddedfolderpane": "embedded folder pane",
    "embeddeddatepicker": "embedded date picker",
    "embeddedfileuploadcontrol": "file upload control",
    "embeddedcontrol": "embedded control",
    "imagemap": "image map",
    "layer": "layer",
    "richtextdata": "uninterpreted rich text",
    "compositedata": "uninterpreted rich text",
    "subformref": "subform",
    "nonxmlchar": "character not representable in XML",
    "namedelementlink": "named element link",
    "formregionbegin": "form region",
    "formregionend": "form region",
}
# Unconverted elements whose text content is still shown inside the marker.
_KEEP_TEXT = {"button", "actionhotspot", "popup", "region", "objectref", "namedelementlink"}


_REMOTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//)", re.IGNORECASE)
_URL_IGNORED = re.compile(r"[\t\n\r]")
_C0_AND_SPACE = "".join(map(chr, range(33)))


def _as_browsers_read(value: str) -> str:
    # What a browser's URL parser ignores or reads as a slash: leading and trailing blanks and
    # control characters, tabs and line breaks anywhere, and a backslash (WHATWG URL Standard,
    # "basic URL parser": "\\host/x" and "/\t/host" are both "//host/x").
    read = _URL_IGNORED.sub("", value.strip().strip(_C0_AND_SPACE))
    return read.replace("\\", "/")


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    """Pictures come from the migrated files only: a Notes document must not make a reader's
    browser fetch another host's content (a tracking pixel, a leak of who opened what). A link
    without a scheme (``//host/x``) would follow the page's: it is made HTTPS. Both are judged
    on the value as a browser reads it, not as written."""
    if tag == "img" and attribute == "src" and _REMOTE.match(_as_browsers_read(value)):
        return None
    if tag == "a" and attribute == "href":
        read = _as_browsers_read(value)
        if read.startswith("//"):
            return "https:" + read
    return value


#: Paragraphs of escaped text alone (most rich text of real documents): nothing in them that
#: nh3 would remove, so its answer is known without parsing: the same markup with a carriage
#: return as a line feed and a no-break space as ``&nbsp;`` (html5ever's serialisation).
#: ``tests/dxl/test_richtext.py`` checks the two agree on generated text of every XML character.
_PLAIN = re.compile(
    r'(?:<p(?: style="text-align:(?:center|right|justify|left)")?>'
    r"(?:<br>|(?:[^<>&]++|&(?:amp|lt|gt);)*+)</p>)*+"  # possessive: no backtracking
)


def sanitize_html(markup: str) -> str:
    """Allowlist-sanitize HTML: only the tags, attributes, styles and schemes notesmig emits;
    pictures only from the migrated files (a remote picture leaves its alternative text and a
    visible marker)."""
    if _PLAIN.fullmatch(markup):
        # Each replace copies the text even when it finds nothing: look first (memchr-fast).
        if "\r" in markup:
            markup = markup.replace("\r\n", "\n").replace("\r", "\n")
        return markup.replace("\u00a0", "&nbsp;") if "\u00a0" in markup else markup
    return nh3_clean(markup)


#: Where :func:`_keep_attribute` could change anything: a picture (``<img``, or ``<image``,
#: which HTML parsing turns into one) or a link whose value may begin with a slash, backslash,
#: blank, control character or character reference (``//host``, ``\\host``, ``&#47;/host``,
#: which :func:`_as_browsers_read` may turn into ``//host``). Markup with neither is
#: cleaned without that Python callback, whose call per attribute costs a third of nh3's time;
#: ``tests/dxl/test_richtext.py`` checks the two cleaners agree on generated markup of that kind.
_FILTER_NEEDED = re.compile(r"<im|href\s*=\s*[\"']?[\s&/\\\x00-\x1f]", re.IGNORECASE)
_PICTURE = re.compile(r"<im(?:g|age)", re.IGNORECASE)


def nh3_clean(markup: str) -> str:
    """nh3 with notesmig's allowlist (every markup but plain paragraphs goes through it)."""
    if _PICTURE.search(markup):
        markup = _mark_remote_pictures(markup)
    return _cleaner(filtered=_FILTER_NEEDED.search(markup) is not None).clean(markup)


@functools.cache
def _cleaner(*, filtered: bool) -> nh3.Cleaner:
    # Built once: nh3.clean() rebuilds its allowlist from these sets on every call, which
    # costs as much again as cleaning a typical document's rich text.
    return nh3.Cleaner(
        attribute_filter=_keep_attribute if filtered else None,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        generic_attribute_prefixes={"data-notes-"},
        filter_style_properties=_ALLOWED_STYLES,
        link_rel="noopener noreferrer",
    )


# ``<image>`` too: HTML parsing makes it an ``<img>``.
_IMG = re.compile(r"<im(?:g|age)\b[^>]*>", re.IGNORECASE)
_SRC = re.compile(r"""\bsrc\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.IGNORECASE)


def _mark_remote_pictures(markup: str) -> str:
    """A visible marker beside every picture whose source is another host (it is not shown)."""

    def marked(match: re.Match[str]) -> str:
        found = _SRC.search(match.group(0))
        written = next((g for g in found.groups() if g is not None), "") if found else ""
        source = _as_browsers_read(html.unescape(written))
        if not _REMOTE.match(source) or source.lower().startswith("data:"):
            return match.group(0)
        host = re.sub(r"^[a-z][a-z0-9+.-]*:|^//", "", source, flags=re.IGNORECASE)
        host = host.lstrip("/").split("/", 1)[0][:80]
        return (
            f'{match.group(0)}<span class="notes-unconverted" data-notes-element="remote-image">'
            f"[外部の画像は表示しません / remote image not shown: {html.escape(host)}]</span>"
        )

    return _IMG.sub(marked, markup)


@dataclass
class RichTextResult:
    html: str
    links: list[NotesLink] = field(default_factory=list)
    pictures: list[Attachment] = field(default_factory=list)
    unconverted: Counter[str] = field(default_factory=Counter)
    issues: list[ExtractionIssue] = field(default_factory=list)


@dataclass(frozen=True)
class _ParDef:
    align: str | None = None
    list_kind: str | None = None
    # The opening tags, made once per definition rather than once per paragraph.
    paragraph_open: str = field(init=False, repr=False, compare=False)
    item_open: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        style = _attribute("style", f"text-align:{self.align}" if self.align else None)
        object.__setattr__(self, "paragraph_open", f"<p{style}>")
        object.__setattr__(self, "item_open", f"<li{style}>")


def _visible_text(element: etree._Element) -> str:
    """Text a Notes user would see: everything except code, formulas and layout."""
    pieces = [element.text or ""]
    for child in element:
        if name_of(child.tag) not in _SILENT:
            pieces.append(_visible_text(child))
        pieces.append(child.tail or "")
    return "".join(pieces)


def _attr(element: etree._Element, name: str) -> str | None:
    value = element.get(name)
    return value if value else None


def _text(value: str | None) -> str:
    # html.escape(value, quote=False), without its call: this runs for every run of text.
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") if value else ""


def _attribute(name: str, value: str | None) -> str:
    return f' {name}="{html.escape(value, quote=True)}"' if value else ""


_NO_DEFINITION = _ParDef()


class RichTextConverter:
    """Converts one rich text item; ``take_blob`` resolves ``#blob:N`` tokens of pictures."""

    def __init__(
        self,
        item_name: str,
        take_blob: Callable[[str | None], BlobResult | None],
        blob_url_prefix: str = "blobs/",
    ) -> None:
        self.item_name = item_name
        self._take_blob = take_blob
        self._blob_url_prefix = blob_url_prefix
        self._pardefs: dict[str, _ParDef] = {}
        self._current = _NO_DEFINITION
        self._result = RichTextResult(html="")
        self._out: list[str] = []

    def convert(self, richtext: etree._Element) -> RichTextResult:
        self._blocks(richtext)
        self._result.html = sanitize_html("".join(self._out))
        return self._result

    # -- blocks ---------------------------------------------------------------------------

    def _blocks(self, container: Iterable[etree._Element]) -> None:
        open_list: tuple[str, str | None, str | None] | None = None
        out = self._out
        for child in container:
            name = name_of(child.tag)
            if name == "pardef":
                self._define(child)
                continue
            if name == "par":
                reference = child.get("def")
                if reference is not None:
                    self._current = self._pardefs.get(reference, _NO_DEFINITION)
                definition = self._current
                wanted = _LISTS.get(definition.list_kind or "")
                if wanted != open_list:
                    if open_list is not None:
                        out.append(f"</{open_list[0]}>")
                    if wanted is not None:
                        tag, list_type, style = wanted
                        style_attr = f"list-style-type:{style}" if style else None
                        out.append(
                            f"<{tag}{_attribute('type', list_type)}"
                            f"{_attribute('style', style_attr)}>"
                        )
                    open_list = wanted
                if wanted is None and len(child) == 0:
                    # Text alone, most paragraphs of real documents: what _paragraph would
                    # write, without walking inline content that is not there.
                    text = child.text
                    out.append(definition.paragraph_open)
                    out.append(
                        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                        if text
                        else "<br>"
                    )
                    out.append("</p>")
                else:
                    self._paragraph(child, definition, in_list=wanted is not None)
                continue
            if open_list is not None:
                out.append(f"</{open_list[0]}>")
                open_list = None
            if name == "table":
                self._table(child)
            elif name == "section":
                self._section(child)
            elif name == "block":
                self._blocks(child)
            elif name in _SILENT or not name:
                continue
            else:
                self._marker(child, name)
        if open_list is not None:
            out.append(f"</{open_list[0]}>")

    def _define(self, pardef: etree._Element) -> None:
        identifier = pardef.get("id")
        definition = _ParDef(
            align=_ALIGN.get(pardef.get("align") or ""), list_kind=_attr(pardef, "list")
        )
        if identifier is not None:
            self._pardefs[identifier] = definition

    def _paragraph(self, par: etree._Element, definition: _ParDef, *, in_list: bool) -> None:
        out = self._out
        out.append(definition.item_open if in_list else definition.paragraph_open)
        start = len(out)
        self._inline(par)
        if len(out) == start and not in_list:
            out.append("<br>")
        out.append("</li>" if in_list else "</p>")

    def _table(self, table: etree._Element) -> None:
        out = self._out
        out.append('<table class="notes-table">')
        columns = [c for c in table if name_of(c.tag) == "tablecolumn"]
        if columns:
            out.append("<colgroup>")
            for column in columns:
                width = column.get("width")
                style = f"width:{width}" if width and _LENGTH.fullmatch(width) else None
                out.append(f"<col{_attribute('style', style)}>")
            out.append("</colgroup>")
        out.append("<tbody>")
        for row in table:
            if name_of(row.tag) != "tablerow":
                continue
            out.append("<tr>")
            for cell in row:
                if name_of(cell.tag) != "tablecell":
                    continue
                colspan = cell.get("columnspan")
                rowspan = cell.get("rowspan")
                bgcolor = cell.get("bgcolor")
                style = (
                    f"background-color:{bgcolor}"
                    if bgcolor and _COLOR.fullmatch(bgcolor) and bgcolor != "system"
                    else None
                )
                out.append(
                    "<td"
                    + (_attribute("colspan", colspan) if colspan and colspan != "1" else "")
                    + (_attribute("rowspan", rowspan) if rowspan and rowspan != "1" else "")
                    + _attribute("style", style)
                    + ">"
                )
                self._blocks(cell)
                out.append("</td>")
            out.append("</tr>")
        out.append("</tbody></table>")

    def _section(self, section: etree._Element) -> None:
        self._out.append('<div class="notes-section">')
        body = []
        for child in section:
            if name_of(child.tag) == "sectiontitle":
                self._out.append('<p class="notes-section-title"><strong>')
                self._inline(child)
                self._out.append("</strong></p>")
            else:
                body.append(child)
        self._blocks(body)
        self._out.append("</div>")

    # -- inline ---------------------------------------------------------------------------

    def _inline(self, element: etree._Element) -> None:
        out = self._out
        if element.text:
            out.append(_text(element.text))
        for child in element:
            self._inline_element(child)
            if child.tail:
                out.append(_text(child.tail))

    def _inline_element(self, child: etree._Element) -> None:
        name = name_of(child.tag)
        out = self._out
        if name == "run":
            self._run(child)
        elif name == "break":
            out.append("<br>")
        elif name == "tab":
            out.append("\u2003")
        elif name == "text":
            self._inline(child)
        elif name == "urllink":
            href = child.get("href")
            out.append(f"<a{_attribute('href', href)}>")
            self._inline(child)
            out.append("</a>")
        elif name in ("doclink", "viewlink", "databaselink"):
            self._notes_link(child, name)
        elif name == "attachmentref":
            self._attachment_ref(child)
        elif name == "picture":
            self._picture(child)
        elif name == "horizrule":
            out.append("<hr>")
        elif name in ("anchor", "span", "namedelementref"):
            self._inline(child)
        elif name in ("par", "table", "section", "block"):
            # Block content inside inline content (seen in objectref): keep it, as blocks.
            self._blocks([child])
        elif name in _SILENT or not name:
            return
        else:
            self._marker(child, name)

    def _run(self, run: etree._Element) -> None:
        font = None
        for child in run:
            if name_of(child.tag) == "font":
                font = child
                break
        closers: list[str] = []
        if font is not None:
            styles = []
            color = font.get("color")
            if color and color != "system" and _COLOR.fullmatch(color):
                styles.append(f"color:{color}")
            size = font.get("size")
            if size and _SIZE.fullmatch(size):
                styles.append(f"font-size:{size}")
            face = font.get("name")
            if face and _FONT_NAME.fullmatch(face):
                styles.append(f"font-family:'{face}'")
            if styles:
                self._out.append(f'<span style="{html.escape(";".join(styles))}">')
                closers.append("</span>")
            for style in (font.get("style") or "").split():
                tag = _FONT_TAGS.get(style)
                if tag:
                    self._out.append(f"<{tag}>")
                    closers.append(f"</{tag}>")
        self._inline(run)
        self._out.extend(reversed(closers))

    def _notes_link(self, link: etree._Element, kind: str) -> None:
        database = _attr(link, "database")
        view = _attr(link, "view")
        document = _attr(link, "document")
        server = _attr(link, "server")
        description = _attr(link, "description")
        self._result.links.append(
            NotesLink(kind, self.item_name, database, view, document, server, description)
        )
        path = "/".join(part for part in (database, view, document) if part)
        attributes = (
            _attribute("href", f"notes:///{path}" if path else None)
            + _attribute("title", description)
            + _attribute("data-notes-link", kind)
            + _attribute("data-notes-database", database)
            + _attribute("data-notes-view", view)
            + _attribute("data-notes-document", document)
            + _attribute("data-notes-server", server)
        )
        self._out.append(f'<a class="notes-link"{attributes}>')
        start = len(self._out)
        self._inline(link)
        if len(self._out) == start:
            self._out.append(_text(description or f"[{kind}]"))
        self._out.append("</a>")

    def _attachment_ref(self, ref: etree._Element) -> None:
        name = ref.get("name") or ""
        shown = ref.get("displayname") or name
        self._out.append(
            f'<a class="notes-attachment"{_attribute("data-notes-attachment", name)}>'
            f"{_text(shown)}</a>"
        )

    def _picture(self, picture: etree._Element) -> None:
        image = None
        caption = None
        for child in picture:
            name = name_of(child.tag)
            if name in _IMAGE_FORMATS:
                image = child
            elif name == "caption":
                caption = child.text
            elif name in ("notesbitmap", "imageref"):
                self._marker(child, name)
        if image is not None:
            fmt = name_of(image.tag)
            blob = self._take_blob(image.text)
            if blob is None or blob.sha256 is None:
                reason = blob.error if blob is not None else "no image data"
                self._result.issues.append(
                    ExtractionIssue(
                        "picture-unreadable",
                        f"{fmt} picture: {reason}",
                        self.item_name,
                        line_of(image),
                    )
                )
                self._marker(image, "picture")
            else:
                name = f"picture-{blob.sha256[:12]}.{'jpg' if fmt == 'jpeg' else fmt}"
                self._result.pictures.append(
                    Attachment(
                        name=name,
                        size=blob.size,
                        sha256=blob.sha256,
                        blob=blob.path,
                        kind="picture",
                        item=self.item_name,
                    )
                )
                width = picture.get("width", "").removesuffix("px")
                height = picture.get("height", "").removesuffix("px")
                self._out.append(
                    "<img"
                    + _attribute("src", f"{self._blob_url_prefix}{blob.sha256[:2]}/{blob.sha256}")
                    + _attribute("alt", picture.get("alttext") or caption or "")
                    + _attribute("width", width if width.isdigit() else None)
                    + _attribute("height", height if height.isdigit() else None)
                    + _attribute("data-notes-sha256", blob.sha256)
                    + _attribute("data-notes-content-type", _IMAGE_TYPES[fmt])
                    + ">"
                )
        if caption:
            self._out.append(f'<span class="notes-caption">{_text(caption)}</span>')

    def _marker(self, element: etree._Element, name: str) -> None:
        self._result.unconverted[name] += 1
        label = _UNCONVERTED_LABELS.get(name, name)
        detail = element.get("name") or element.get("description") or ""
        if name in _KEEP_TEXT:
            text = " ".join(_visible_text(element).split())
            detail = detail or text
        suffix = f": {detail}" if detail else ""
        self._out.append(
            f'<span class="notes-unconverted"{_attribute("data-notes-element", name)}>'
            f"[Notes {_text(label)}{_text(suffix)}]</span>"
        )
