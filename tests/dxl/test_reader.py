"""The reader on exports shaped for one behaviour each: every shape Domino writes, the database's
inventory, each kind of item value, and the faults recorded on their document.

(Ids and names checked where they are read: test_reader_ids.py; real Domino exports:
test_reader_real.py.)"""

from __future__ import annotations

import base64
from datetime import date, datetime
from pathlib import Path

import pytest
from lxml import etree

from notesmig.dxl.blobs import BlobStore
from notesmig.dxl.datetimes import DateTimeRange
from notesmig.dxl.model import ItemType, NotesDocument
from notesmig.dxl.reader import DxlReader, valid_replica_id
from notesmig.errors import MalformedDxlError
from notesmig.sample.dxlbuild import (
    DXL_NAMESPACE,
    E,
    datetime_item,
    datetime_range_item,
    file_item,
    number_item,
    stable_hex,
    text_item,
)
from tests.dxlfiles import CREATED, JST, MODIFIED, database, document

REPLICA = "0123456789ABCDEF"
UNID = stable_hex("reader", 1)


def read(path: Path, store: BlobStore | None = None) -> tuple[DxlReader, list[NotesDocument]]:
    reader = DxlReader(path, store or BlobStore(None))
    return reader, list(reader.documents())


def one(tmp_path: Path, *notes: etree._Element) -> NotesDocument:
    path = tmp_path / "db.dxl"
    database(path, "掲示板", *notes, replica=REPLICA)
    _, [found] = read(path)
    return found


def write(path: Path, root: etree._Element) -> Path:
    path.write_bytes(b"<?xml version='1.0' encoding='utf-8'?>\n" + etree.tostring(root))
    return path


def test_a_database_export_gives_its_documents_with_noteinfo_and_the_database(
    tmp_path: Path,
) -> None:
    path = tmp_path / "db.dxl"
    database(path, "掲示板", document("Topic", UNID, text_item("Subject", "議題")),
             document("Reply", stable_hex("reader", 2), parent=UNID.lower()),
             replica=REPLICA)  # fmt: skip
    reader, [topic, reply] = read(path)
    assert (reader.database.title, reader.database.replica_id) == ("掲示板", REPLICA)
    assert reader.database.path == "掲示板.nsf" and reader.database.dxl_version == "10.0"
    assert (topic.unid, topic.form, topic.database_replica) == (UNID, "Topic", REPLICA)
    assert (topic.created, topic.modified, topic.revised) == (CREATED, MODIFIED, MODIFIED)
    assert topic.sequence == 2 and topic.noteid is not None and topic.line == 4
    assert topic.updatedby == [
        "CN=山田 太郎/OU=情報政策課/O=Maebashi",
        "CN=佐藤 花子/OU=総務課/O=Maebashi",
    ]
    assert not topic.is_response
    assert reply.parent_unid == UNID and reply.is_response and reply.line == 5
    assert topic.errors == reply.errors == []


def test_a_single_document_export_without_a_namespace(tmp_path: Path) -> None:
    note = document("Memo", UNID, text_item("Subject", "単独"), replicaid=REPLICA.lower())
    reader, [found] = read(write(tmp_path / "one.xml", note))
    assert found.unid == UNID and found.form == "Memo"
    assert found.database_replica == REPLICA  # from the document's own attribute
    assert found.item("Subject").values == ["単独"]  # type: ignore[union-attr]
    assert reader.database.title is None


def test_raw_note_format_takes_the_form_from_its_form_item(tmp_path: Path) -> None:
    note = E.note(
        E.noteinfo(noteid="1f2", unid=UNID, sequence="7"),
        E.item(E.text("Post"), name="Form"),
        E.item(E.text("本文"), name="Body"),
        {"class": "document"},
        xmlns=DXL_NAMESPACE,
    )
    _, [found] = read(write(tmp_path / "raw.xml", note))
    assert (found.unid, found.form, found.sequence) == (UNID, "Post", 7)
    assert [i.name for i in found.items] == ["Form", "Body"]


def test_design_acl_profiles_and_databaseinfo_are_inventory_not_documents(
    tmp_path: Path,
) -> None:
    path = tmp_path / "db.dxl"
    form = E.form(
        E.noteinfo(unid=stable_hex("form", 1)),
        E.body(E.richtext(E.par(
            E.field(name="Subject", type="text", kind="editable"),
            E.field(name="Readers", type="names", kind="computed", allowmultivalues="true"),
            E.field(type="text"),  # no name: not a field of the form
        ))),
        name="Memo",
    )  # fmt: skip
    acl = E.acl(
        E.role("[Approver]"),
        E.aclentry(E.role("[Approver]"), name="CN=山田 太郎/O=Maebashi", level="editor",
                   type="person"),
        E.aclentry(name="-Default-", level="reader"),
    )  # fmt: skip
    database(path, "掲示板",
             E.databaseinfo(numberofdocuments="1", replicaid="FEDCBA9876543210"), acl, form,
             E.view(E.noteinfo(unid=stable_hex("view", 1)), name="($All)"),
             E.note({"class": "agent"}, E.noteinfo(unid=stable_hex("agent", 1))),
             E.profiledocument(name="Settings"), document("Memo", UNID),
             replica=REPLICA)  # fmt: skip
    reader, docs = read(path)
    assert [d.unid for d in docs] == [UNID]
    info = reader.database
    # <databaseinfo> names the replica more precisely than the root; the count is as declared.
    assert info.replica_id == "FEDCBA9876543210" and info.declared_documents == 1
    assert docs[0].database_replica == "FEDCBA9876543210"
    assert info.roles == ["[Approver]"]
    assert [(e.name, e.level, e.type, e.roles) for e in info.acl] == [
        ("CN=山田 太郎/O=Maebashi", "editor", "person", ("[Approver]",)),
        ("-Default-", "reader", None, ()),
    ]
    assert [(n.kind, n.name) for n in info.design] == [
        ("form", "Memo"), ("view", "($All)"), ("agent", None)
    ]  # fmt: skip
    memo = info.design[0]
    assert memo.unid == stable_hex("form", 1)
    assert [(f.name, f.type, f.kind, f.multivalued) for f in memo.fields] == [
        ("Subject", "text", "editable", False), ("Readers", "names", "computed", True)
    ]  # fmt: skip
    assert reader.profile_documents == 1


def test_each_kind_of_item_value(tmp_path: Path) -> None:
    start = datetime(2024, 4, 10, 13, 0, tzinfo=JST)
    end = datetime(2024, 4, 10, 15, 30, tzinfo=JST)
    found = one(tmp_path, document(
        "Memo", UNID,
        text_item("Subject", "会議"),
        text_item("Tags", ["予算", "人事"]),
        number_item("Amount", 12500),
        number_item("Rates", [0.5, 1.25]),
        datetime_item("Due", date(2024, 4, 30)),
        datetime_item("Seen", [CREATED, MODIFIED]),
        datetime_range_item("Meeting", start, end),
        E.item(E.formula("@Now"), name="Computed"),
        E.item(E.text("行1", E("break"), "行2", E.nonxmlchar(), "end"), name="Lines"),
        text_item("DocReaders", ["CN=山田 太郎/O=Maebashi"], readers=True),
        E.item(E.text("x"), name="Flags", summary="false", protected="true", seal="true"),
        E.item(name="Empty"),
    ))  # fmt: skip
    values = {i.name: (i.type, i.values) for i in found.items}
    assert values["Subject"] == (ItemType.TEXT, ["会議"])
    assert values["Tags"] == (ItemType.TEXTLIST, ["予算", "人事"])
    assert values["Amount"] == (ItemType.NUMBER, [12500])
    assert values["Rates"] == (ItemType.NUMBERLIST, [0.5, 1.25])
    assert values["Due"] == (ItemType.DATETIME, [date(2024, 4, 30)])
    assert values["Seen"] == (ItemType.DATETIMELIST, [CREATED, MODIFIED])
    assert values["Meeting"] == (ItemType.DATETIMEPAIR, [DateTimeRange(start, end)])
    assert values["Computed"] == (ItemType.FORMULA, ["@Now"])
    assert values["Lines"] == (ItemType.TEXT, ["行1\n行2\ufffdend"])
    assert values["Empty"] == (ItemType.TEXT, [])
    readers = found.item("DocReaders")
    assert readers is not None and (readers.names, readers.readers, readers.authors) == (
        True, True, False
    )  # fmt: skip
    flags = found.item("Flags")
    assert flags is not None
    assert (flags.summary, flags.protected, flags.sealed) == (False, True, True)
    assert found.item("Subject").summary is None  # type: ignore[union-attr]
    assert found.errors == []


@pytest.mark.parametrize(
    ("item", "code", "message"),
    [
        (E.item(E.number("Infinity"), name="N"), "bad-number", "is not a finite number"),
        (E.item(E.number("1e309"), name="N"), "bad-number", "is not a finite number"),
        (E.item(E.number(" "), name="N"), "bad-number", "empty number"),
        (E.item(E.datetime("2024-13-45"), name="N"), "bad-datetime", ""),
        (E.item(E.datetimelist(E.datetimepair(E.datetime("20240401"))), name="N"),
         "bad-datetimelist", "exactly two datetimes"),
        (E.item(E.rawitemdata("not base64!", type="1"), name="N"), "bad-rawitemdata",
         "not valid base64"),
        (E.item(E.unheardof("x"), name="N"), "unknown-item-type", "<unheardof> is not an item"),
    ],
)  # fmt: skip
def test_a_value_that_cannot_be_read_is_an_error_on_its_document_naming_the_item(
    tmp_path: Path, item: etree._Element, code: str, message: str
) -> None:
    found = one(tmp_path, document("Memo", UNID, item, text_item("Subject", "残る")))
    [error] = found.errors
    assert (error.code, error.item) == (code, "N") and message in error.message
    assert found.item("N") is not None and found.item("N").values == []  # type: ignore[union-attr]
    assert found.item("Subject").values == ["残る"]  # type: ignore[union-attr]


def test_attachments_are_stored_by_hash_and_compressed_data_is_refused(tmp_path: Path) -> None:
    data = "令和6年度 予算案\n".encode() * 40
    compressed = file_item("packed.txt", data, CREATED, MODIFIED)
    compressed.find("object/file").set("compression", "huff")  # type: ignore[union-attr]
    ole = file_item("EXT12345", b"ole storage", CREATED, MODIFIED)
    ole.find("object/file").set("hosttype", "bytearrayext")  # type: ignore[union-attr]
    store = BlobStore(tmp_path / "blobs")
    path = tmp_path / "db.dxl"
    database(path, "掲示板", document("Memo", UNID,
             file_item("予算案.txt", data, CREATED, MODIFIED), compressed, ole))  # fmt: skip
    _, [found] = read(path, store)
    plain, packed, storage = found.attachments
    assert (plain.name, plain.size, plain.kind, plain.item) == (
        "予算案.txt",
        len(data),
        "file",
        "$FILE",
    )
    assert plain.error is None and plain.declared_size == len(data)
    assert plain.created == CREATED and plain.modified == MODIFIED
    assert store.path_of(plain.sha256).read_bytes() == data  # type: ignore[arg-type]
    assert packed.error is not None and "still huff-compressed" in packed.error
    assert storage.kind == "ole-storage" and storage.error is None
    [issue] = found.errors
    assert issue.code == "attachment-unreadable" and issue.item == "$FILE"
    assert issue.message.startswith("'packed.txt': file data is still huff-compressed")


def test_a_documents_own_mime_gives_html_and_attachments(tmp_path: Path) -> None:
    payload = base64.b64encode(b"%PDF-1.7 sample").decode()
    mime = (
        "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=XX\n\n--XX\n"
        "Content-Type: text/html; charset=utf-8\n\n<p onclick='x()'>ご案内</p><script>x()</script>\n"
        "--XX\nContent-Type: application/pdf\nContent-Disposition: attachment; "
        f'filename="案内.pdf"\nContent-Transfer-Encoding: base64\n\n{payload}\n--XX--\n'
    )
    found = one(tmp_path, document("Memo", UNID, E.mime(mime)))
    html = found.html["$MIME"]
    assert "ご案内" in html and "<script" not in html and "onclick" not in html
    [pdf] = found.attachments
    assert (pdf.name, pdf.kind, pdf.item, pdf.size) == ("案内.pdf", "mime", "$MIME", 15)
    assert found.errors == []


def test_documents_before_malformed_xml_are_yielded_then_the_place_is_named(
    tmp_path: Path,
) -> None:
    path = tmp_path / "db.dxl"
    database(path, "掲示板", document("Memo", UNID), replica=REPLICA)
    text = path.read_text(encoding="utf-8").replace("</database>", "<document><oops></database>")
    path.write_text(text, encoding="utf-8")
    reader = DxlReader(path, BlobStore(None))
    seen: list[str | None] = []
    with pytest.raises(MalformedDxlError) as raised:
        seen.extend(d.unid for d in reader.documents())
    assert seen == [UNID]
    assert raised.value.position.line == 5 and f"{path}:5:" in str(raised.value)


@pytest.mark.parametrize(
    ("value", "valid"),
    [("0123456789abcdef", "0123456789ABCDEF"), ("0123456789ABCDEF", "0123456789ABCDEF"),
     ("0123456789ABCDEF\n", None), ("0123456789ABCDE", None), ("", None), (None, None)],
)  # fmt: skip
def test_valid_replica_ids_are_16_hex_digits_in_upper_case(
    value: str | None, valid: str | None
) -> None:
    assert valid_replica_id(value) == valid
