"""The transform stage: suggested mappings run as drafted, and every value is what it should be."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest

from notesmig.dxl.datetimes import parse_notes_datetime
from notesmig.dxl.model import Attachment, Item, ItemType, NotesDocument
from notesmig.dxl.records import document_sha256
from notesmig.mapping.model import ColumnType, ItemMapping, Mapping, UserPolicy
from notesmig.mapping.users import UserDirectory
from notesmig.transform.documents import Transformer
from tests.transform.conftest import Prepared, prepare

# One export per database: plomino-test_names_type.xml is another export of test1's database.
REAL = ["plomino-test1.xml", "plomino-test_100docs.xml", "plomino-test_datetime_type.xml", "plomino-test_number_type.xml", "plomino-test_text_type.xml",
        "plomino-test_binaries.xml"]  # fmt: skip


def test_sample_mappings_run_as_drafted(prepared_sample: Prepared) -> None:
    result = Transformer(prepared_sample.mappings).transform(prepared_sample.documents)
    assert set(result.totals) == set(prepared_sample.mappings)
    for database, totals in result.totals.items():
        assert totals.balanced, database
        assert totals.unmapped_items == {}, database
    reasons = {q.reason for q in result.quarantined}
    assert reasons == {"restricted (Readers field): held back until permissions can be applied"}
    board = prepared_sample.mappings["1E9675FC9921B17D"]
    assert {f.list for f in board.forms.values()} == {"掲示板"}  # topics and responses: one list
    assert len(result.rows) + len(result.quarantined) == len(prepared_sample.documents)


def test_real_exports_run_as_drafted(dxl_real: Path, tmp_path: Path) -> None:
    prepared = prepare([dxl_real / name for name in REAL], tmp_path)
    result = Transformer(prepared.mappings).transform(prepared.documents)
    assert all(t.balanced for t in result.totals.values())
    assert sum(t.extracted for t in result.totals.values()) == 2 + 100 + 1 + 1 + 1 + 5
    restricted = {
        d.unid for d in prepared.documents if any(i.readers and i.values for i in d.items)
    }
    assert len(restricted) == 10  # the test_names documents of the 100-document export
    # Exactly the documents with a Readers field are held back; nothing fails to convert.
    assert {q.unid for q in result.quarantined} == restricted
    assert {q.reason for q in result.quarantined} == {
        "restricted (Readers field): held back until permissions can be applied"
    }
    assert [e.reason for e in result.excluded] == []
    etat = next(r for r in result.rows if r.unid == "8FAFEA17124D221DC12575C300355976")
    assert etat.fields["NotesCreated"] == "2009-05-27T09:42:43Z"  # 11:42:43 at +02:00
    assert etat.fields["datenaissance"] == "1975-05-21T00:00:00Z"
    assert etat.fields["nbenfants"] == 2
    assert "<td><p>London Calling</p></td>" in etat.fields["biography"]


def test_no_mapping_without_a_replica_id(dxl_real: Path) -> None:
    from notesmig.mapping.suggest import suggest

    with pytest.raises(
        ValueError, match=r"plomino-dxlDocument\.xml: the export carries no replica id"
    ):
        suggest(dxl_real / "plomino-dxlDocument.xml")


def test_trip_request_values_item_by_item(prepared_sample: Prepared) -> None:
    mappings = dict(prepared_sample.mappings)
    trip_mapping = mappings["B82634FA404574D2"]
    form = trip_mapping.forms["triprequest"]
    approved = dataclasses.replace(form.items["approvedat"], keep_offset=True)
    form = dataclasses.replace(form, items={**form.items, "approvedat": approved})
    mappings["B82634FA404574D2"] = dataclasses.replace(
        trip_mapping, forms={"triprequest": form}, readers="restrict"
    )
    result = Transformer(mappings).transform(prepared_sample.documents)
    document = next(d for d in prepared_sample.documents if d.form == "TripRequest"
                    and d.item("ApprovedAt") is not None and d.unid in {r.unid for r in result.rows})  # fmt: skip
    row = next(r for r in result.rows if r.unid == document.unid)
    fields = row.fields
    approved_at = document.item("ApprovedAt").values[0]  # type: ignore[union-attr]
    assert isinstance(approved_at, datetime) and approved_at.utcoffset().total_seconds() == 9 * 3600  # type: ignore[union-attr]
    assert fields["ApprovedAt"] == approved_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert fields["ApprovedAtOffset"] == "+09:00"
    departure = document.item("DepartureDate").values[0]  # type: ignore[union-attr]
    assert fields["DepartureDate"] == f"{departure.isoformat()}T00:00:00Z"
    assert fields["Amount"] == document.item("Amount").values[0]  # type: ignore[union-attr]
    assert fields["Transport"] == document.item("Transport").values  # type: ignore[union-attr]
    assert fields["Requester"].endswith("@contoso.onmicrosoft.com")
    assert fields["RequesterNotes"] == document.item("Requester").values[0].removeprefix(
        "CN="
    ).replace("/OU=", "/").replace("/O=", "/")  # type: ignore[union-attr]
    assert fields["NotesUNID"] == document.unid and fields["NotesForm"] == "TripRequest"
    assert fields["SourceSha256"] == document_sha256(document)
    assert fields["NotesCreated"] == document.created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")  # type: ignore[union-attr]
    assert 'data-notes-link="doclink"' in fields["Remarks"]
    assert "TripPeriod" in fields and "/" in fields["TripPeriod"]
    plan = (
        next(p for p in result.permissions if p.unid == document.unid)
        if document.item("DocReaders")
        else None
    )
    if plan is not None:
        assert "notes-admins@contoso.onmicrosoft.com" in plan.readers


def test_attachments_get_safe_unique_names(prepared_sample: Prepared) -> None:
    result = Transformer(prepared_sample.mappings).transform(prepared_sample.documents)
    library_files = [f for f in result.files if f.database == "58D6B8A63270688E"]
    assert len(library_files) == 16 and {f.library for f in library_files} == {
        "文書ライブラリ ファイル"
    }
    minutes = next(f for f in library_files if f.original_name.startswith("議事録"))
    assert minutes.name == "議事録_ 第3回 DX推進会議.docx"  # ':' is not allowed in SharePoint
    assert minutes.folder == minutes.unid and minutes.sha256 is not None
    photos = [f for f in result.files if f.database == "4BFEA2B6D741A32A"]
    assert photos == []  # every fee application is restricted and held back


def _document(unid: str, **extra: object) -> NotesDocument:
    base = NotesDocument(unid=unid, noteid="1", form="Memo", parent_unid=None, source=Path("x.dxl"),
                         line=1, database_replica="0123456789ABCDEF",
                         created=parse_notes_datetime("20240401T091500,00+09"))  # type: ignore[arg-type]  # fmt: skip
    return dataclasses.replace(base, **extra)  # type: ignore[arg-type]


def _mapping(items: dict[str, ItemMapping], **extra: object) -> Mapping:
    from notesmig.mapping.model import FormMapping

    form = FormMapping(
        "Memo",
        "Memos",
        "Memo Files",
        "document",
        frozenset(),
        {k.casefold(): v for k, v in items.items()},
    )
    base = Mapping(Path("m.yaml"), "0123456789ABCDEF", "t", "contoso.sharepoint.com:/sites/notes-migration",
                   UserPolicy(), "hold", frozenset(), {"memo": form})  # fmt: skip
    return dataclasses.replace(base, **extra)  # type: ignore[arg-type]


def test_colliding_reserved_and_long_names(tmp_path: Path) -> None:
    names = [
        "a:b.txt",
        "a_b.txt",
        "A_B.TXT",
        "CON.txt",
        " .hidden. ",
        "x" * 300 + ".pdf",
        "~$draft.docx",
    ]
    attachments = [
        Attachment(name=n, size=1, sha256="0" * 64, blob="00/" + "0" * 64) for n in names
    ]
    transformer = Transformer(
        {"0123456789ABCDEF": _mapping({})}, {"0123456789ABCDEF": UserDirectory()}
    )
    result = transformer.transform([_document("A" * 32, attachments=attachments)])
    placed = [f.name for f in result.files]
    assert placed[:5] == ["a_b.txt", "a_b (2).txt", "A_B (3).TXT", "_CON.txt", "hidden"]
    assert placed[5].endswith(".pdf") and len(placed[5]) <= 128
    assert placed[6] == "_draft.docx"
    again = transformer.transform([_document("A" * 32, attachments=attachments)])
    assert [f.name for f in again.files] == placed  # deterministic


def test_readers_fail_closed_and_user_policies(tmp_path: Path) -> None:
    users_csv = tmp_path / "users.csv"
    users_csv.write_text(
        "notes_name,upn\nCN=山田 太郎/OU=情報政策課/O=Maebashi,yamada@contoso.onmicrosoft.com\n",
        encoding="utf-8",
    )
    readers = Item(
        "DocReaders",
        ItemType.TEXTLIST,
        ["CN=山田 太郎/OU=情報政策課/O=Maebashi"],
        names=True,
        readers=True,
    )
    stranger = Item(
        "DocReaders", ItemType.TEXTLIST, ["CN=Nobody/O=Elsewhere"], names=True, readers=True
    )
    person = ItemMapping("Owner", "Owner", ColumnType.PERSON, "Owner")
    owner_unknown = Item("Owner", ItemType.TEXT, ["CN=Nobody/O=Elsewhere"], names=True)
    docs = [_document("A" * 32, items=[readers]), _document("B" * 32, items=[stranger]),
            _document("C" * 32, items=[owner_unknown])]  # fmt: skip

    def run(**extra: object) -> tuple[dict[str, str], dict[str, object]]:
        mapping = _mapping({"Owner": person}, **extra)
        transformer = Transformer(
            {mapping.replica_id: mapping}, {mapping.replica_id: UserDirectory.from_csv(users_csv)}
        )
        result = transformer.transform(docs)
        assert all(t.balanced for t in result.totals.values())
        return {q.unid[0]: q.reason for q in result.quarantined}, {
            r.unid[0]: r.fields for r in result.rows
        }

    held, rows = run()
    assert set(held) == {"A", "B"} and set(rows) == {"C"}
    assert rows["C"]["Owner"] is None and rows["C"]["OwnerNotes"] == "Nobody/Elsewhere"
    held, rows = run(readers="restrict")
    assert held == {
        "B": "restricted (Readers field): a reader has no account, cannot restrict safely"
    }
    held, rows = run(users=UserPolicy(unknown="fallback", fallback="admin@contoso.onmicrosoft.com"))
    assert rows["C"]["Owner"] == "admin@contoso.onmicrosoft.com"
    held, rows = run(users=UserPolicy(unknown="fail"))
    assert (
        "'CN=Nobody/O=Elsewhere' has no account" in held["C"]
        or held["C"] == "value does not fit its column"
    )


def test_conversion_problems_are_quarantined_with_totals_intact() -> None:
    items = {
        "Status": ItemMapping("Status", "Status", ColumnType.CHOICE, "Status", choices=("申請中",)),
        "Amount": ItemMapping("Amount", "Amount", ColumnType.NUMBER, "Amount"),
        "Note": ItemMapping("Note", "Note", ColumnType.TEXT, "Note", required=True),
    }
    docs = [
        _document(
            "A" * 32,
            items=[Item("Status", ItemType.TEXT, ["却下"]), Item("Note", ItemType.TEXT, ["x"])],
        ),
        _document(
            "B" * 32,
            items=[Item("Amount", ItemType.TEXT, ["abc"]), Item("Note", ItemType.TEXT, ["x"])],
        ),
        _document("C" * 32, items=[Item("Note", ItemType.TEXT, ["y" * 300])]),
        _document("D" * 32, items=[Item("Status", ItemType.TEXT, ["申請中"])]),
        _document("E" * 32, form="Other"),
        _document(
            "F" * 32,
            items=[Item("Amount", ItemType.TEXT, ["1,200"]), Item("Note", ItemType.TEXT, ["ok"])],
        ),
    ]
    mapping = _mapping(items)
    result = Transformer(
        {mapping.replica_id: mapping}, {mapping.replica_id: UserDirectory()}
    ).transform(docs)
    details = {q.unid[0]: q.detail for q in result.quarantined}
    assert "'却下' is not one of the mapped choices" in details["A"]
    assert "'abc' is not a number" in details["B"]
    assert "300 characters do not fit a text column (255)" in details["C"]
    assert "required by the mapping but empty" in details["D"]
    assert [(e.unid[0], e.reason) for e in result.excluded] == [("E", "form 'Other' is not mapped")]
    assert [(r.unid[0], r.fields["Amount"]) for r in result.rows] == [("F", 1200)]
    totals = result.totals["0123456789ABCDEF"]
    assert (totals.extracted, totals.transformed, totals.quarantined, totals.excluded) == (
        6,
        1,
        4,
        1,
    )


def test_long_rich_text_becomes_a_file() -> None:
    body = ItemMapping("Body", "Body", ColumnType.RICHTEXT, "Body")
    long_html = "<p>" + "本文" * 40_000 + "</p>"
    mapping = _mapping({"Body": body})
    result = Transformer(
        {mapping.replica_id: mapping}, {mapping.replica_id: UserDirectory()}
    ).transform(
        [_document("A" * 32, items=[Item("Body", ItemType.RICHTEXT, [])], html={"Body": long_html})]
    )
    [file] = result.files
    assert (file.kind, file.name, file.content) == ("richtext-overflow", "Body.html", long_html)
    assert 'data-notes-overflow="' + "A" * 32 + '/Body.html"' in result.rows[0].fields["Body"]
    assert result.totals["0123456789ABCDEF"].overflow_files == 1


def test_parents_come_before_children(prepared_sample: Prepared) -> None:
    result = Transformer(prepared_sample.mappings).transform(prepared_sample.documents)
    board = [r for r in result.rows if r.list == "掲示板"]
    position = {r.unid: i for i, r in enumerate(board)}
    children = [r for r in board if r.parent_unid]
    assert children and all(position[r.parent_unid] < position[r.unid] for r in children)  # type: ignore[index]
    assert max(r.depth for r in board) == 2


@pytest.mark.parametrize("policy", ["hold", "restrict"])
def test_the_draft_holds_readers_by_default(prepared_sample: Prepared, policy: str) -> None:
    mapping = prepared_sample.mappings["B82634FA404574D2"]
    assert mapping.readers == "hold"
    chosen = dataclasses.replace(mapping, readers=policy)
    result = Transformer({**prepared_sample.mappings, mapping.replica_id: chosen}).transform(
        prepared_sample.documents
    )
    restricted = {
        d.unid
        for d in prepared_sample.documents
        if d.form == "TripRequest" and d.item("DocReaders")
    }
    loaded = {r.unid for r in result.rows}
    planned = {p.unid for p in result.permissions}
    assert restricted & loaded == (planned if policy == "restrict" else set())


@pytest.mark.parametrize("policy", ["hold", "restrict"])
def test_unreadable_readers_or_authors_hold_the_document(policy: str) -> None:
    from notesmig.dxl.model import ExtractionIssue, RawValue

    # A Readers item whose value did not decode used to count as "no readers": loaded openly.
    failed = Item("DocReaders", ItemType.TEXTLIST, [], names=True, readers=True)
    raw = Item("DocAuthors", ItemType.RAW, [RawValue("1", b"\x00\x01")], authors=True)
    unflagged = Item("$Readers", ItemType.RAW, [RawValue("1", b"\x02")])
    docs = [
        _document("A" * 32, items=[failed],
                  errors=[ExtractionIssue("bad-textlist", "cannot decode", "DocReaders", 7)]),
        _document("B" * 32, items=[raw]),
        _document("C" * 32, items=[unflagged]),
        _document("D" * 32, items=[Item("Note", ItemType.TEXT, ["open"])]),
    ]  # fmt: skip
    mapping = _mapping({}, readers=policy)
    result = Transformer(
        {mapping.replica_id: mapping}, {mapping.replica_id: UserDirectory()}
    ).transform(docs)
    held = {q.unid[0]: (q.reason, q.detail) for q in result.quarantined}
    assert set(held) == {"A", "B", "C"} and [r.unid[0] for r in result.rows] == ["D"]
    assert {reason for reason, _ in held.values()} == {
        "restricted (Readers/Authors field unreadable): held back"
    }
    assert held["A"][1] == "DocReaders: cannot decode"
    assert held["B"][1] == "DocAuthors: holds rawitemdata values, not names"
    assert result.permissions == []


def test_a_file_name_once_given_stays_with_its_file(tmp_path: Path) -> None:
    from notesmig.extract import extract
    from notesmig.ledger import Ledger
    from notesmig.mapping import load_mapping
    from notesmig.records import FileRow, read_records
    from notesmig.sample.dxlbuild import file_item, stable_hex, text_item
    from notesmig.transform.stage import run_transform
    from tests.dxlfiles import CREATED, MODIFIED, database, document

    def placed(order: list[int]) -> dict[str, str]:
        # Every memo has an attachment called report.txt, and they share one folder (per form).
        docs = [document("Memo", stable_hex("memo", n), text_item("Subject", f"memo {n}"),
                         file_item("report.txt", f"memo {n}".encode(), CREATED, MODIFIED))
                for n in order]  # fmt: skip
        out = tmp_path / "-".join(map(str, order))
        database(out / "memos.dxl", "メモ", *docs, replica="0123456789ABCDEF")
        extract([out / "memos.dxl"], out / "extract")
        run_transform(out / "extract", {mapping.replica_id: mapping}, out / "t", ledger)
        return {f.unid: f.name for f in read_records(out / "t" / "files.jsonl", FileRow)}

    (tmp_path / "m.yaml").write_text(
        'version: 1\ndatabase: {replica_id: "0123456789ABCDEF"}\n'
        'target: {site: "contoso.sharepoint.com:/sites/notes-migration"}\nforms:\n'
        '  Memo: {list: "メモ", library: "メモ ファイル", attachment_folder: form,\n'
        "         items: {Subject: {column: Title, type: text}}}\n",
        encoding="utf-8",
    )
    mapping = load_mapping(tmp_path / "m.yaml")
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    ledger.upgrade()
    first = placed([0, 1, 2])
    assert sorted(first.values()) == ["report (2).txt", "report (3).txt", "report.txt"]
    # The same memos exported in another order keep their names: before, the " (2)" went by
    # document order, and a re-run could replace one memo's file with another's.
    assert placed([2, 0, 1]) == first
    ledger.close()
