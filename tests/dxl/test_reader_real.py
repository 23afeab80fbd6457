"""The reader against real Domino exports: exact counts, values, flags, links and hashes."""

from __future__ import annotations

import base64
import hashlib
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from lxml import etree

from notesmig.dxl.blobs import BlobStore
from notesmig.dxl.datetimes import DateTimeRange
from notesmig.dxl.model import ItemType, MimePart, NotesDocument, RawValue
from notesmig.dxl.reader import DxlReader
from notesmig.errors import EncodingMismatchError, MalformedDxlError

CEST = timezone(timedelta(hours=2))
EDT = timezone(timedelta(hours=-4))


def read(path: Path, store: BlobStore | None = None) -> tuple[DxlReader, list[NotesDocument]]:
    reader = DxlReader(path, store or BlobStore(None))
    return reader, list(reader.documents())


def independent_attachments(path: Path) -> dict[str, tuple[int, str]]:
    """File name -> (size, sha256), decoded without the code under test."""
    tree = etree.parse(str(path), etree.XMLParser(load_dtd=False, no_network=True, huge_tree=True))
    found = {}
    for file_element in tree.iter("{http://www.lotus.com/dxl}file"):
        data = file_element.find("{http://www.lotus.com/dxl}filedata")
        if data is None:
            continue
        content = base64.b64decode("".join((data.text or "").split()))
        found[file_element.get("name")] = (len(content), hashlib.sha256(content).hexdigest())
    return found


@pytest.mark.parametrize(
    ("name", "documents", "forms"),
    [
        ("plomino-test1.xml", 2, {"frmTest": 1, "etatCivil": 1}),
        ("plomino-test_100docs.xml", 100, {form: 10 for form in (
            "info", "bfrm2", "formNumber", "formText", "otherForms", "richtextForm",
            "test_names", "bigdocu", "billet", "latest")}),
        ("plomino-test_binaries.xml", 5, {"binaryForm": 5}),
        ("plomino-test_names_type.xml", 4, {"namesForm": 4}),
        ("plomino-test_datetime_type.xml", 1, {"datetimeForm": 1}),
        ("plomino-test_number_type.xml", 1, {"numberForm": 1}),
        ("plomino-test_text_type.xml", 1, {"textForm": 1}),
        ("plomino-test_richtext.xml", 1, {"richtextForm": 1}),
        ("plomino-dxlDocument.xml", 2, {"info": 2}),
        ("jnx-spam-mime.xml", 1, {"Memo": 1}),
        ("jnx-styledtext.xml", 1, {"Post": 1}),
        ("jnx-fileresource.xml", 0, {}),
    ],
)  # fmt: skip
def test_every_real_export_is_read_completely(
    dxl_real: Path, name: str, documents: int, forms: dict[str, int]
) -> None:
    _, docs = read(dxl_real / name)
    assert len(docs) == documents
    counted: dict[str, int] = {}
    for doc in docs:
        counted[doc.form or ""] = counted.get(doc.form or "", 0) + 1
        assert doc.unid is not None and len(doc.unid) == 32
        assert doc.errors == []
    assert counted == forms


def test_database_inventory_from_a_full_export(dxl_real: Path) -> None:
    reader, _ = read(dxl_real / "plomino-test1.xml")
    info = reader.database
    assert (info.title, info.replica_id, info.path) == ("test", "C12575C3002B6B52", "test.nsf")
    assert info.declared_documents == 2
    levels = {entry.name: entry.level for entry in info.acl}
    assert levels["-Default-"] == "noaccess"
    assert levels["CN=Eric BREHAULT/O=Eric BREHAULT"] == "manager"
    forms = {note.name: note for note in info.design if note.kind == "form"}
    assert set(forms) == {"frmTest", "etatCivil"}
    assert {f.name for f in forms["etatCivil"].fields} >= {"nom", "prenom", "datenaissance"}


def test_items_values_types_and_noteinfo(dxl_real: Path) -> None:
    _, docs = read(dxl_real / "plomino-test1.xml")
    etat = next(d for d in docs if d.form == "etatCivil")
    assert etat.unid == "8FAFEA17124D221DC12575C300355976"
    assert etat.noteid == "8fa"
    assert etat.sequence == 5
    assert etat.created == datetime(2009, 5, 27, 11, 42, 43, 100000, tzinfo=CEST)
    assert etat.modified == datetime(2009, 5, 27, 11, 54, 4, 690000, tzinfo=CEST)
    assert etat.updatedby == ["CN=Eric BREHAULT/O=Eric BREHAULT"]
    values = {item.name: (item.type, item.values) for item in etat.items}
    assert values["nom"] == (ItemType.TEXT, ["Emmanuelle"])
    assert values["datenaissance"] == (ItemType.DATETIME, [date(1975, 5, 21)])
    assert values["nbenfants"] == (ItemType.NUMBER, [2])


def test_numbers_keep_their_value(dxl_real: Path) -> None:
    _, [doc] = read(dxl_real / "plomino-test_number_type.xml")
    assert {i.name: i.values for i in doc.items} == {
        "nb1": [12.5], "nb2": [13.5], "nb3": [0.5], "nb4": [123], "nb5": [150]
    }  # fmt: skip


def test_names_readers_and_authors_flags(dxl_real: Path) -> None:
    _, docs = read(dxl_real / "plomino-test_names_type.xml")
    last = docs[-1]
    readers = last.item("contributeurs3")
    assert readers is not None
    assert (readers.type, readers.names, readers.readers, readers.authors) == (
        ItemType.TEXTLIST, True, True, False
    )  # fmt: skip
    assert readers.values == ["CN=Eric BREHAULT/O=Eric BREHAULT", "OtherDomainServers"]
    authors = docs[0].item("auteur2")
    assert authors is not None and authors.authors and authors.names and not authors.readers
    plain = docs[0].item("contributeur")
    assert plain is not None and plain.names and not plain.readers and not plain.authors
    assert plain.values == ["marie", "truc", "bidule"]


def test_rich_text_becomes_structured_html(dxl_real: Path) -> None:
    _, docs = read(dxl_real / "plomino-test1.xml")
    html = next(d for d in docs if d.form == "etatCivil").html["biography"]
    assert '<col style="width:50%"><col style="width:50%">' in html
    assert "<td><p>London Calling</p></td><td><p>The Clash</p></td>" in html
    assert '<p class="notes-section-title"><strong>Mes chansons:</strong></p>' in html
    assert "<ul><li>faire un serveur</li><li>faire les courses</li></ul>" in html
    assert "<ol><li>les courses</li><li>ranger</li><li>manger</li></ol>" in html
    assert "<hr>" in html
    assert 'data-notes-attachment="Sample Pictures.lnk"' in html
    bold = next(d for d in docs if d.form == "frmTest").html["photo"]
    assert "<p><strong>fsd</strong></p>" in bold


def test_attachments_match_independently_decoded_bytes(dxl_real: Path, tmp_path: Path) -> None:
    path = dxl_real / "plomino-test_binaries.xml"
    expected = independent_attachments(path)
    store = BlobStore(tmp_path / "blobs")
    _, docs = read(path, store)
    files = [a for d in docs for a in d.attachments if a.kind in ("file", "ole-storage")]
    assert {a.name: (a.size, a.sha256) for a in files} == {
        name: value for name, value in expected.items() if name in {a.name for a in files}
    }
    png = next(a for a in files if a.name == "overlord59-tux-samourai-1773.png")
    assert png.size == 47127
    assert png.kind == "file"
    assert png.modified == datetime(2009, 5, 15, 11, 11, 13, tzinfo=CEST)
    assert png.blob == f"{png.sha256[:2]}/{png.sha256}"  # type: ignore[index]
    on_disk = store.path_of(png.sha256).read_bytes()  # type: ignore[arg-type]
    assert on_disk.startswith(b"\x89PNG") and hashlib.sha256(on_disk).hexdigest() == png.sha256
    ole = sorted(a.name for a in files if a.kind == "ole-storage")
    assert ole == ["EXT14519", "STG24612", "STG29075", "STG47734"]


def test_inline_picture_is_stored_and_referenced(dxl_real: Path, tmp_path: Path) -> None:
    path = dxl_real / "plomino-test_binaries.xml"
    tree = etree.parse(str(path), etree.XMLParser(load_dtd=False, no_network=True))
    jpeg_text = tree.find(".//{http://www.lotus.com/dxl}document//{http://www.lotus.com/dxl}jpeg")
    assert jpeg_text is not None
    expected = hashlib.sha256(base64.b64decode("".join(jpeg_text.text.split()))).hexdigest()
    _, docs = read(path, BlobStore(tmp_path))
    doc = next(d for d in docs if d.unid == "14AC27B496003398C12575CB0044834E")
    [picture] = doc.attachments
    assert (picture.kind, picture.sha256, picture.size) == ("picture", expected, 12666)
    assert f'src="blobs/{expected[:2]}/{expected}"' in doc.html["article"]
    assert 'width="256" height="256"' in doc.html["article"]


def test_unconvertible_rich_text_is_marked_and_counted(dxl_real: Path) -> None:
    _, docs = read(dxl_real / "plomino-test_binaries.xml")
    ole = next(d for d in docs if d.unid == "7F6DA2761FCEFFF4C12575CB004437CF")
    assert ole.unconverted == {"objectref": 1}
    assert "[Notes OLE object: EXT14519]" in ole.html["article"]
    imageref = next(d for d in docs if d.unid == "7513D0AFE47864CBC12575CB00442A05")
    assert imageref.unconverted == {"imageref": 1}
    assert "[Notes image resource: overlord59-tux-samourai-1772.jpg]" in imageref.html["article"]


def test_raw_note_format_with_readers_and_cd_records(dxl_real: Path) -> None:
    reader, [doc] = read(dxl_real / "jnx-styledtext.xml")
    assert doc.form == "Post"  # from the Form item: raw notes have no form attribute
    assert doc.database_replica == "85257EF7006D0765" == reader.database.replica_id
    assert doc.created == datetime(2020, 7, 28, 12, 22, 40, 710000, tzinfo=EDT)
    readers = doc.item("Readers")
    assert readers is not None and readers.readers
    assert readers.values == ["CN=Jesse Gallagher/O=IKSG", "[Admin]"]
    body = doc.item("Body")
    assert body is not None and body.type == ItemType.RAW
    [raw] = body.values
    assert isinstance(raw, RawValue) and raw.notes_type == "1"
    assert b"This is normal text." in raw.data
    assert doc.unconverted == {"compositedata": 1}
    assert "binary CD-record form" in doc.html["Body"]


def test_native_mime_mail(dxl_real: Path) -> None:
    _, [doc] = read(dxl_real / "jnx-spam-mime.xml")
    body = doc.item("Body")
    assert body is not None and body.type == ItemType.MIME
    [part] = body.values
    assert isinstance(part, MimePart)
    assert part.content_type == "text/html"
    assert part.headers["Content-Transfer-Encoding"] == "quoted-printable"
    assert "extra 60% 0ff" in doc.html["Body"]
    assert "<script" not in doc.html["Body"].lower()
    route = doc.item("RouteTimes")
    assert route is not None and route.type == ItemType.DATETIMEPAIR
    assert route.values == [
        DateTimeRange(
            datetime(2014, 8, 8, 13, 18, 41, 460000, tzinfo=EDT),
            datetime(2014, 8, 8, 13, 18, 41, 490000, tzinfo=EDT),
        )
    ]


def test_design_only_export_has_inventory_and_no_documents(dxl_real: Path) -> None:
    reader, docs = read(dxl_real / "jnx-fileresource.xml")
    assert docs == []
    assert [(n.kind, n.name) for n in reader.database.design] == [
        ("fileresource", "file-help_vampire.gif")
    ]


def test_malformed_export_names_line_and_column(dxl_real: Path) -> None:
    reader = DxlReader(dxl_real / "plomino-dxlDatabaseBadXML.xml", BlobStore(None))
    with pytest.raises(MalformedDxlError) as caught:
        list(reader.documents())
    position = caught.value.position
    assert (position.line, position.column) == (15, 16)
    assert "plomino-dxlDatabaseBadXML.xml:15:16" in str(caught.value)
    assert "designmodified" in str(caught.value)


def test_lying_encoding_declaration_is_refused(dxl_real: Path) -> None:
    reader = DxlReader(dxl_real / "dotnsf-doc1-broken-sjis.xml", BlobStore(None))
    with pytest.raises(EncodingMismatchError) as caught:
        list(reader.documents())
    message = str(caught.value)
    assert "dotnsf-doc1-broken-sjis.xml:10:" in message
    assert "SHIFT_JIS" in message and "UTF-8" in message and "U+FFFD" in message


def test_external_dtd_of_an_export_is_never_fetched(dxl_real: Path) -> None:
    # plomino-dxlDocument.xml names 'xmlschemas/domino_6_5.dtd', which does not exist here.
    _, docs = read(dxl_real / "plomino-dxlDocument.xml")
    assert [d.item("name").values for d in docs] == [["Harry Hill"], ["Joe Strummer"]]  # type: ignore[union-attr]
