"""Streaming reader: one DXL file in, one :class:`NotesDocument` out per Notes document.

Accepts every shape Domino writes: a ``<database>`` root with documents and design notes, a
single ``<document>`` root, and raw note format (``<note class='document'>``, as root or inside
``<database>``). Design notes, the database information and the ACL are read as inventory
(:attr:`DxlReader.database`), not as documents.

The file is parsed incrementally and each top-level note is freed once read, so memory is
bounded by the largest single note, not the file. Binary content never reaches the parser
(see :mod:`notesmig.dxl.source`). A fatal fault (malformed XML, a lying encoding) raises a
:class:`~notesmig.errors.DxlError` naming the place, after every document before it was
yielded; a fault inside one document (a bad date, an undecodable attachment) is recorded on
that document, which is kept.
"""

from __future__ import annotations

import binascii
import html
import math
import re
from collections.abc import Iterator
from datetime import datetime, tzinfo
from email import message_from_bytes, policy
from pathlib import Path

from lxml import etree

from notesmig.dxl.blobs import BlobStore
from notesmig.dxl.datetimes import DateTimeRange, NotesDateTimeError, parse_notes_datetime
from notesmig.dxl.model import (
    AclEntry,
    Attachment,
    DatabaseInfo,
    DesignNote,
    ExtractionIssue,
    FieldDesign,
    Item,
    ItemType,
    ItemValue,
    NotesDocument,
    RawValue,
)
from notesmig.dxl.notesdata import (
    TYPE_COMPOSITE,
    TYPE_MIME_PART,
    TYPE_NOTEREF_LIST,
    NotesDataError,
    decode_mime_part,
    decode_noteref_list,
)
from notesmig.dxl.richtext import RichTextConverter, sanitize_html
from notesmig.dxl.source_process import ByteSource, open_byte_source
from notesmig.dxl.xml import DXL_NS, line_of, name_of
from notesmig.errors import MalformedDxlError, SourcePosition

DESIGN_ELEMENTS = (
    "form",
    "subform",
    "page",
    "frameset",
    "view",
    "folder",
    "sharedfield",
    "sharedactions",
    "imageresource",
    "appletresource",
    "agent",
    "webservice",
    "agentdata",
    "scriptlibrary",
    "databasescript",
    "helpusingdocument",
    "helpaboutdocument",
    "dataconnection",
    "sharedcolumn",
    "fileresource",
    "stylesheetresource",
    "outline",
    "db2accessview",
)
_TOP_LEVEL = ("database", "document", "note", "profiledocument", "databaseinfo", "acl")
_TAGS = [prefix + name for name in _TOP_LEVEL + DESIGN_ELEMENTS for prefix in (DXL_NS, "")]
_OLE_HOSTS = {"bytearrayext", "bytearraypage"}
# Used with fullmatch: ``$`` alone would let a trailing newline through.
_UNID = re.compile(r"[0-9A-Fa-f]{32}")
_REPLICA_ID = re.compile(r"[0-9A-Fa-f]{16}")
_TRUE = "true"
#: What the ledger's columns hold (ledger/models.py: Database.title, Document.form): a longer
#: value from an export would fail the whole run's write on PostgreSQL, so it is cut here, with
#: a warning on the file (a title) or an error on the document (a form).
MAX_TITLE = 255
MAX_FORM = 255
#: Digits of a counter worth reading (a sequence number, a size): int() of thousands of digits
#: raises, and nothing in an export counts that high.
_MAX_DIGITS = 18


def valid_replica_id(value: str | None) -> str | None:
    """A replica id as the ledger and the file names under ``--out`` take it (16 hexadecimal
    digits, upper case: case carries no meaning in them), or None for anything else."""
    if value is not None and _REPLICA_ID.fullmatch(value):
        return value.upper()
    return None


def _whole(text: str | None) -> int | None:
    """A count written in the export, or None when it is not plain ASCII digits of sane length
    (``'²'.isdigit()`` is true, yet int() refuses it)."""
    if text and len(text) <= _MAX_DIGITS and text.isascii() and text.isdigit():
        return int(text)
    return None


def _flag(element: etree._Element, name: str) -> bool:
    return element.get(name) == _TRUE


class DxlReader:
    """Reads one DXL file. Iterate :meth:`documents`; :attr:`database` fills in as it goes."""

    def __init__(
        self,
        path: Path,
        store: BlobStore,
        *,
        assume_tz: tzinfo | None = None,
        blob_url_prefix: str = "blobs/",
        source: ByteSource | None = None,
    ) -> None:
        self.path = path
        self.database = DatabaseInfo(source=path)
        self.profile_documents = 0
        #: Where the bytes come from: a large file is read by a child process
        #: (:mod:`notesmig.dxl.source_process`), a small one here.
        self.source = source if source is not None else open_byte_source(path, store)
        self._store = store
        self._assume_tz = assume_tz
        self._blob_url_prefix = blob_url_prefix
        self._root_seen = False
        #: Problems with the export as a whole (its replica id, its title), each located; the
        #: documents are still read.
        self.issues: list[ExtractionIssue] = []

    @property
    def bytes_read(self) -> int:
        return self.source.bytes_read

    def documents(self) -> Iterator[NotesDocument]:
        parser = etree.XMLPullParser(
            events=("end",),
            tag=_TAGS,
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            huge_tree=True,
            remove_comments=True,
            remove_pis=True,
        )
        try:
            for chunk in self.source.chunks():
                try:
                    parser.feed(chunk)
                finally:
                    # Events parsed before a fault are still delivered.
                    yield from self._drain(parser)
            parser.close()
            yield from self._drain(parser)
        except etree.XMLSyntaxError as exc:
            yield from self._drain(parser)
            line, column = exc.position
            raise MalformedDxlError(
                f"malformed XML: {exc.msg}", SourcePosition(self.path, line, column)
            ) from exc

    # -- top level ------------------------------------------------------------------------

    def _drain(self, parser: etree.XMLPullParser) -> Iterator[NotesDocument]:
        for _event, element in parser.read_events():
            assert isinstance(element, etree._Element)
            parent = element.getparent()
            if not self._root_seen:
                self._read_root(element.getroottree().getroot())
            if parent is not None and parent.getparent() is not None:
                continue  # a nested element that shares a top-level name
            name = name_of(element.tag)
            document = self._top_level(element, name)
            if parent is not None:
                # Free everything read so far: memory stays bounded by one note.
                del parent[: parent.index(element) + 1]
            if document is not None:
                yield document

    def _read_root(self, root: etree._Element) -> None:
        self._root_seen = True
        info = self.database
        info.title = self._title(root)
        info.replica_id = self._replica_id(root, self.issues)
        info.path = root.get("path")
        info.dxl_version = root.get("version")

    def _top_level(self, element: etree._Element, name: str) -> NotesDocument | None:
        if name == "document":
            return self._document(element)
        if name == "note":
            note_class = element.get("class")
            if note_class in (None, "document"):
                return self._document(element)
            self._design(element, note_class)
        elif name == "profiledocument":
            self.profile_documents += 1
        elif name == "databaseinfo":
            self.database.replica_id = (
                self._replica_id(element, self.issues, "replicaid")
                or self._replica_id(element, self.issues, "dbid")
                or self.database.replica_id
            )
            self.database.declared_documents = _whole(element.get("numberofdocuments"))
        elif name == "acl":
            self._acl(element)
        elif name in DESIGN_ELEMENTS:
            self._design(element, name)
        return None

    def _acl(self, acl: etree._Element) -> None:
        for entry in acl:
            if name_of(entry.tag) == "role" and entry.text:
                self.database.roles.append(entry.text)
            if name_of(entry.tag) != "aclentry":
                continue
            roles = tuple(
                role.text or "" for role in entry if name_of(role.tag) == "role" and role.text
            )
            self.database.acl.append(
                AclEntry(entry.get("name", ""), entry.get("level", ""), entry.get("type"), roles)
            )

    def _design(self, element: etree._Element, kind: str) -> None:
        info = element.find(f"{DXL_NS}noteinfo")
        if info is None:
            info = element.find("noteinfo")
        note = DesignNote(
            kind=kind,
            name=element.get("name"),
            unid=info.get("unid") if info is not None else None,
        )
        if kind in ("form", "subform"):
            for field_element in element.iter(f"{DXL_NS}field", "field"):
                field_name = field_element.get("name")
                if field_name:
                    note.fields.append(
                        FieldDesign(
                            name=field_name,
                            type=field_element.get("type", "text"),
                            kind=field_element.get("kind"),
                            multivalued=_flag(field_element, "allowmultivalues"),
                        )
                    )
        self.database.design.append(note)

    # -- documents ------------------------------------------------------------------------

    def _document(self, element: etree._Element) -> NotesDocument:
        document = NotesDocument(
            unid=None,
            noteid=None,
            form=element.get("form"),
            parent_unid=element.get("parent"),
            source=self.path,
            line=line_of(element),
        )
        document.database_replica = self.database.replica_id or self._replica_id(
            element, document.errors
        )
        for child in element:
            name = name_of(child.tag)
            if name == "item":
                self._item(document, child)
            elif name == "noteinfo":
                self._noteinfo(document, child)
            elif name == "updatedby":
                document.updatedby = [n.text or "" for n in child if name_of(n.tag) == "name"]
            elif name == "mime":
                self._document_mime(document, child)
        if document.form is None:
            form_item = document.item("Form")
            if form_item is not None and form_item.values:
                document.form = str(form_item.values[0])
        if document.form is not None and len(document.form) > MAX_FORM:
            document.errors.append(
                ExtractionIssue(
                    "bad-form",
                    f"the form name is {len(document.form)} characters long; a form name "
                    f"has at most {MAX_FORM}",
                    None,
                    document.line,
                )
            )
            # Cut, so that the ledger can still record the document (held back for the error).
            document.form = document.form[:MAX_FORM]
        if document.parent_unid is None:
            self._parent_from_ref(document)
        parent = document.parent_unid
        if parent is not None and _UNID.fullmatch(parent):
            document.parent_unid = parent.upper()
        elif parent is not None:
            # Kept raw, it would name no document (or not fit the ledger); without it the
            # response would silently become a main document. The error holds it back.
            document.errors.append(
                ExtractionIssue(
                    "bad-parent",
                    f"the parent UNID {parent[:80]!r} is not 32 hexadecimal digits",
                    None,
                    document.line,
                )
            )
            document.parent_unid = None
        return document

    def _replica_id(
        self, element: etree._Element, issues: list[ExtractionIssue], name: str = "replicaid"
    ) -> str | None:
        value = element.get(name)
        valid = valid_replica_id(value)
        if value is not None and valid is None:
            # It names the database's folders and report pages: never taken as written.
            issues.append(
                ExtractionIssue(
                    "bad-replica-id",
                    f"the replica id {value[:80]!r} ({name}) is not 16 hexadecimal digits",
                    None,
                    line_of(element),
                )
            )
        return valid

    def _title(self, root: etree._Element) -> str | None:
        title = root.get("title")
        if title is not None and len(title) > MAX_TITLE:
            self.issues.append(
                ExtractionIssue(
                    "long-title",
                    f"the database title is {len(title)} characters long; kept its first "
                    f"{MAX_TITLE}",
                    None,
                    line_of(root),
                )
            )
            return title[:MAX_TITLE]
        return title

    def _noteinfo(self, document: NotesDocument, info: etree._Element) -> None:
        unid = info.get("unid")
        if unid is not None and _UNID.fullmatch(unid):
            # Notes writes UNIDs in upper case hex; case carries no meaning in them, so a
            # lower-case copy is the same document.
            document.unid = unid.upper()
        elif unid is not None:
            document.errors.append(
                ExtractionIssue(
                    "bad-unid",
                    f"the UNID {unid[:80]!r} is not 32 hexadecimal digits",
                    None,
                    line_of(info),
                )
            )
        document.noteid = info.get("noteid")
        document.sequence = _whole(info.get("sequence"))
        for child in info:
            name = name_of(child.tag)
            if name in ("created", "modified", "revised"):
                value = self._stamp(document, child, name)
                setattr(document, name, value)

    def _stamp(self, document: NotesDocument, holder: etree._Element, what: str) -> datetime | None:
        for stamp in holder:
            if name_of(stamp.tag) == "datetime":
                break
        else:
            return None
        if not stamp.text:
            return None
        try:
            value = parse_notes_datetime(stamp.text, self._assume_tz)
        except NotesDateTimeError as exc:
            document.errors.append(ExtractionIssue("bad-datetime", str(exc), what, line_of(stamp)))
            return None
        return value if isinstance(value, datetime) else None

    def _parent_from_ref(self, document: NotesDocument) -> None:
        ref = document.item("$REF")
        if ref is None or not ref.values:
            return
        value = ref.values[0]
        if isinstance(value, str):
            document.parent_unid = value.strip() or None
        elif isinstance(value, RawValue) and value.notes_type == TYPE_NOTEREF_LIST:
            try:
                unids = decode_noteref_list(value.data)
            except NotesDataError as exc:
                document.errors.append(ExtractionIssue("bad-ref", str(exc), "$REF"))
                return
            document.parent_unid = unids[0] if unids else None

    # -- items ----------------------------------------------------------------------------

    def _item(self, document: NotesDocument, element: etree._Element) -> None:
        get = element.get
        name = get("name", "")
        value_element = None
        for child in element:
            if isinstance(child.tag, str):
                value_element = child
                break
        kind = name_of(value_element.tag) if value_element is not None else "text"
        summary = get("summary")
        item = Item(
            name=name,
            type=ItemType.TEXT,
            names=get("names") == _TRUE,
            readers=get("readers") == _TRUE,
            authors=get("authors") == _TRUE,
            summary=(summary == _TRUE) if summary else None,
            protected=get("protected") == _TRUE,
            sealed=get("sealed") == _TRUE or get("seal") == _TRUE,
        )
        document.items.append(item)
        if value_element is None:
            return
        try:
            self._values(document, item, kind, value_element)
        except (NotesDateTimeError, NotesDataError, ValueError) as exc:
            document.errors.append(
                ExtractionIssue(f"bad-{kind}", str(exc), name, line_of(value_element))
            )

    def _values(
        self, document: NotesDocument, item: Item, kind: str, value: etree._Element
    ) -> None:
        if kind == "text":
            item.values.append(_text_value(value))
        elif kind == "textlist":
            item.type = ItemType.TEXTLIST
            item.values.extend(_text_value(t) for t in value if name_of(t.tag) == "text")
        elif kind == "number":
            item.type = ItemType.NUMBER
            item.values.append(_number(value.text))
        elif kind == "numberlist":
            item.type = ItemType.NUMBERLIST
            item.values.extend(_number(n.text) for n in value if name_of(n.tag) == "number")
        elif kind == "datetime":
            item.type = ItemType.DATETIME
            item.values.append(parse_notes_datetime(value.text or "", self._assume_tz))
        elif kind == "datetimelist":
            item.type = ItemType.DATETIMELIST
            item.values.extend(self._datetimes(value))
            if len(item.values) == 1 and isinstance(item.values[0], DateTimeRange):
                item.type = ItemType.DATETIMEPAIR
        elif kind == "richtext":
            item.type = ItemType.RICHTEXT
            self._richtext(document, item.name, value)
        elif kind == "object":
            item.type = ItemType.ATTACHMENT
            self._object(document, item.name, value)
        elif kind in ("rawitemdata", "itemdata"):
            self._raw(document, item, value)
        elif kind == "formula":
            item.type = ItemType.FORMULA
            item.values.append(value.text or "")
        else:
            document.errors.append(
                ExtractionIssue("unknown-item-type", f"<{kind}> is not an item value", item.name)
            )

    def _datetimes(self, value: etree._Element) -> Iterator[ItemValue]:
        for child in value:
            name = name_of(child.tag)
            if name == "datetime":
                yield parse_notes_datetime(child.text or "", self._assume_tz)
            elif name == "datetimepair":
                ends = [c for c in child if name_of(c.tag) == "datetime"]
                if len(ends) != 2:
                    raise NotesDataError("a datetimepair needs exactly two datetimes")
                yield DateTimeRange(
                    parse_notes_datetime(ends[0].text or "", self._assume_tz),
                    parse_notes_datetime(ends[1].text or "", self._assume_tz),
                )

    def _richtext(self, document: NotesDocument, name: str, value: etree._Element) -> None:
        converter = RichTextConverter(name, self.source.take_blob, self._blob_url_prefix)
        result = converter.convert(value)
        document.html[name] = document.html.get(name, "") + result.html
        document.links.extend(result.links)
        document.attachments.extend(result.pictures)
        document.unconverted.update(result.unconverted)
        document.errors.extend(result.issues)

    def _object(self, document: NotesDocument, item_name: str, value: etree._Element) -> None:
        for file_element in value:
            if name_of(file_element.tag) != "file":
                continue
            attachment = self._file(document, item_name, file_element)
            document.attachments.append(attachment)

    def _file(
        self, document: NotesDocument, item_name: str, file_element: etree._Element
    ) -> Attachment:
        name = file_element.get("name", "")
        declared_size = _whole(file_element.get("size"))
        attachment = Attachment(
            name=name,
            size=0,
            sha256=None,
            blob=None,
            kind="ole-storage" if file_element.get("hosttype") in _OLE_HOSTS else "file",
            item=item_name,
            declared_size=declared_size,
        )
        data = None
        for child in file_element:
            child_name = name_of(child.tag)
            if child_name in ("created", "modified"):
                setattr(attachment, child_name, self._stamp(document, child, child_name))
            elif child_name == "filedata":
                data = child
        compression = file_element.get("compression", "none")
        blob = self.source.take_blob(data.text) if data is not None else None
        if blob is None:
            attachment.error = "no file data in the export (the attachment was not exported)"
        elif blob.error is not None:
            attachment.size = blob.size
            attachment.error = blob.error
        else:
            attachment.size, attachment.sha256, attachment.blob = blob.size, blob.sha256, blob.path
            if compression != "none":
                attachment.error = (
                    f"file data is still {compression}-compressed; export without "
                    "compression (the default) so the bytes are the file's own"
                )
            elif declared_size is not None and declared_size != blob.size:
                attachment.error = (
                    f"truncated or altered: declared {declared_size} bytes, decoded {blob.size}"
                )
        if attachment.error is not None:
            document.errors.append(
                ExtractionIssue(
                    "attachment-unreadable",
                    f"{name!r}: {attachment.error}",
                    item_name,
                    line_of(file_element),
                )
            )
        return attachment

    def _raw(self, document: NotesDocument, item: Item, value: etree._Element) -> None:
        notes_type = (value.get("type") or "").lower()
        # Raw item data is small (CD records, MIME parts): decoded in memory.
        raw = RawValue(notes_type, _decode_base64(value.text or ""))
        if notes_type == TYPE_MIME_PART:
            item.type = ItemType.MIME
            part, body = decode_mime_part(raw.data)
            item.values.append(part)
            self._mime_content(
                document, item.name, part.content_type, part.text, part.headers, body
            )
            return
        item.type = ItemType.RAW
        item.values.append(raw)
        if notes_type == TYPE_COMPOSITE and item.name not in document.html:
            # Rich text left in Notes' binary CD-record form: nothing to render, but visible.
            document.unconverted["compositedata"] += 1
            document.html[item.name] = sanitize_html(
                '<span class="notes-unconverted" data-notes-element="compositedata">'
                "[Notes rich text in binary CD-record form]</span>"
            )

    def _mime_content(
        self,
        document: NotesDocument,
        item_name: str,
        content_type: str,
        text: str | None,
        headers: dict[str, str],
        body: bytes,
    ) -> None:
        if content_type == "text/html" and text is not None:
            document.html[item_name] = document.html.get(item_name, "") + sanitize_html(text)
        elif content_type == "text/plain" and text is not None:
            if item_name not in document.html:
                document.html[item_name] = sanitize_html(
                    f'<div style="white-space:pre-wrap">{html.escape(text, quote=False)}</div>'
                )
        elif not content_type.startswith("multipart/") and body:
            disposition = headers.get("Content-Disposition", "")
            filename = _filename(disposition) or _filename(headers.get("Content-Type", ""))
            stored = self._store.put_bytes(body)
            document.attachments.append(
                Attachment(
                    name=filename or f"part-{stored.sha256 and stored.sha256[:12]}",
                    size=stored.size,
                    sha256=stored.sha256,
                    blob=stored.path,
                    kind="mime",
                    item=item_name,
                )
            )

    def _document_mime(self, document: NotesDocument, element: etree._Element) -> None:
        # Parsed from bytes: from a str, the email package hands 8-bit bodies back in
        # raw-unicode-escape, not in the charset the part declares.
        message = message_from_bytes((element.text or "").encode("utf-8"), policy=policy.default)
        for part in message.walk():
            if part.is_multipart():
                continue
            body = part.get_payload(decode=True)
            body_bytes = body if isinstance(body, bytes) else b""
            content_type = part.get_content_type()
            text = None
            if content_type.startswith("text/"):
                charset = part.get_content_charset() or "utf-8"
                try:
                    text = body_bytes.decode(charset, errors="strict")
                except (UnicodeDecodeError, LookupError) as exc:
                    document.errors.append(
                        ExtractionIssue(
                            "bad-mime", f"a {content_type} part is not {charset}: {exc}", "$MIME",
                            line_of(element),
                        )
                    )  # fmt: skip
                    document.unconverted["undecodable MIME part"] += 1
                    continue
            headers = {key: str(val) for key, val in part.items()}
            self._mime_content(document, "$MIME", content_type, text, headers, body_bytes)


def _decode_base64(text: str) -> bytes:
    compact = "".join(text.split())
    try:
        return binascii.a2b_base64(compact, strict_mode=True)
    except binascii.Error as exc:
        raise NotesDataError(f"item data is not valid base64: {exc}") from exc


def _filename(header: str) -> str | None:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key.lower() in ("filename", "name") and value:
            return value.strip().strip('"')
    return None


def _text_value(element: etree._Element) -> str:
    if len(element) == 0:
        return element.text or ""
    pieces = [element.text or ""]
    for child in element:
        name = name_of(child.tag)
        if name == "break":
            pieces.append("\n")
        elif name == "nonxmlchar":
            pieces.append("\ufffd")
        pieces.append(child.tail or "")
    return "".join(pieces)


def _number(text: str | None) -> int | float:
    if text is None or not text.strip():
        raise ValueError("empty number")
    cleaned = text.strip()
    try:
        return int(cleaned)
    except ValueError:
        number = float(cleaned)
    if not math.isfinite(number):
        # NaN, Infinity and 1e309 are no numbers a column (or strict JSON) can hold.
        raise ValueError(f"{cleaned!r} is not a finite number")
    return number
