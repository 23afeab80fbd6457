"""Bad and hostile input: each case gets a clear error naming the place, and nothing else lost."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

import notesmig.dxl.source
from notesmig.dxl.blobs import BlobStore
from notesmig.dxl.reader import DxlReader
from notesmig.dxl.scan import scan_file
from notesmig.errors import EncodingMismatchError, MalformedDxlError, UnsafeDxlError
from tests.dxl.children import read_by_children

NS = "http://www.lotus.com/dxl"


def document(unid: str, *items: str, form: str = "Memo") -> str:
    return (
        f"<document form='{form}'>\n<noteinfo noteid='1' unid='{unid}'>"
        "<created><datetime>20240401T091500,00+09</datetime></created></noteinfo>\n"
        + "\n".join(items)
        + "\n</document>\n"
    )


def attachment(name: str, data_text: str, size: int | None = None) -> str:
    size_attr = f" size='{size}'" if size is not None else ""
    return (
        f"<item name='$FILE'><object><file hosttype='msdos' compression='none' name='{name}'"
        f"{size_attr}><created><datetime>20240401T091500,00+09</datetime></created>"
        f"<modified><datetime>20240401T091500,00+09</datetime></modified>"
        f"<filedata>\n{data_text}\n</filedata></file></object></item>"
    )


def b64(data: bytes) -> str:
    return base64.encodebytes(data).decode()


def database(*documents: str, prolog: str = "", encoding: str = "utf-8") -> str:
    return (
        f"<?xml version='1.0' encoding='{encoding}'?>\n{prolog}"
        f"<database xmlns='{NS}' title='t' replicaid='0123456789ABCDEF'>\n"
        + "".join(documents)
        + "</database>\n"
    )


def write(tmp_path: Path, text: str, encoding: str = "utf-8", name: str = "in.dxl") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def read_all(path: Path, store: BlobStore | None = None) -> list:  # type: ignore[type-arg]
    return list(DxlReader(path, store or BlobStore(None)).documents())


@pytest.fixture(autouse=True, params=["in-process", "child-process"])
def byte_source(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Every case twice: read in this process, and by the forked child that reads a large
    file (notesmig.dxl.source_process), which must give the same documents and errors."""
    if request.param == "in-process":
        yield request.param
        return
    read = read_by_children(monkeypatch)
    yield request.param
    assert read, "the child process did not read the file"


UNIDS = [f"{i:032X}" for i in range(1, 6)]


# -- entities -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "prolog",
    [
        '<!DOCTYPE database [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n',
        '<!DOCTYPE database [<!ENTITY xxe SYSTEM "http://127.0.0.1:9/x">]>\n',
        '<!DOCTYPE database [<!ENTITY % p SYSTEM "http://127.0.0.1:9/p.dtd"> %p;]>\n',
        "<!DOCTYPE database [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;"
        "&a;&a;'><!ENTITY c '&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;'>]>\n",
    ],
    ids=["xxe-file", "xxe-http", "parameter-entity", "billion-laughs"],
)
def test_entity_declarations_are_refused_before_parsing(tmp_path: Path, prolog: str) -> None:
    body = document(UNIDS[0], "<item name='x'><text>&xxe;&c;</text></item>")
    path = write(tmp_path, database(body, prolog=prolog))
    with pytest.raises(UnsafeDxlError) as caught:
        read_all(path)
    assert "in.dxl:2" in str(caught.value)
    assert "declares entities" in str(caught.value)


def test_an_external_dtd_reference_alone_is_fine(tmp_path: Path) -> None:
    prolog = "<!DOCTYPE database SYSTEM 'http://127.0.0.1:9/domino.dtd'>\n"
    path = write(tmp_path, database(document(UNIDS[0]), prolog=prolog))
    assert [d.unid for d in read_all(path)] == [UNIDS[0]]


# -- malformed XML ------------------------------------------------------------------------


def test_documents_before_a_fault_are_kept(tmp_path: Path) -> None:
    good = document(UNIDS[0]) + document(UNIDS[1])
    broken = "<document form='Memo'>\n<item name='x'><text>unclosed</item>\n</document>\n"
    text = database(good, broken, document(UNIDS[2]))
    path = write(tmp_path, text)
    reader = DxlReader(path, BlobStore(None))
    seen = []
    with pytest.raises(MalformedDxlError) as caught:
        for doc in reader.documents():
            seen.append(doc.unid)
    assert seen == UNIDS[:2]
    line = text[: text.index("unclosed")].count("\n") + 1
    assert caught.value.position.line == line
    assert f"in.dxl:{line}:" in str(caught.value)


def test_truncated_file_inside_an_attachment(tmp_path: Path) -> None:
    text = database(document(UNIDS[0]), document(UNIDS[1], attachment("a.bin", b64(b"x" * 5000))))
    cut = text[: text.index("</filedata>") - 200]
    path = write(tmp_path, cut)
    reader = DxlReader(path, BlobStore(None))
    seen = []
    with pytest.raises(MalformedDxlError):
        seen.extend(d.unid for d in reader.documents())
    assert seen == [UNIDS[0]]


def test_an_attachment_before_a_fault_in_the_next_chunk_keeps_its_bytes(tmp_path: Path) -> None:
    # The attachment is in the first chunk read (64 KiB), the fault in the second: the document
    # read before it keeps its file, through the child as in-process. (The document that ends
    # in the faulting chunk itself is not read.)
    data = b"kept before the fault" * 100
    filler = "<item name='Body'><text>" + "掲示板のお知らせです。" * 2200 + "</text></item>"
    text = database(
        document(UNIDS[0], attachment("kept.bin", b64(data))),
        document(UNIDS[1], filler),
        document(UNIDS[2], "<item name='x'><text>\udcff</text></item>"),
    )
    path = tmp_path / "in.dxl"
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    raw = path.read_bytes()
    chunk = notesmig.dxl.source.CHUNK_SIZE
    assert raw.index(b"</document>") < chunk < raw.index(b"\xff") < 2 * chunk
    reader = DxlReader(path, BlobStore(tmp_path / "blobs"))
    seen = []
    with pytest.raises(EncodingMismatchError) as caught:
        seen.extend(reader.documents())
    assert [d.unid for d in seen] == UNIDS[:1]
    [kept] = seen[0].attachments
    assert (kept.error, kept.sha256) == (None, hashlib.sha256(data).hexdigest())
    assert caught.value.position.line == text[: text.index("\udcff")].count("\n") + 1


def test_a_reader_closed_early_leaves_the_file_unhashed(tmp_path: Path) -> None:
    # Two chunks: the first document ends in the first, the second (and the file) in the last.
    filler = "<item name='Body'><text>" + "掲示板" * 9_000 + "</text></item>"
    path = write(tmp_path, database(document(UNIDS[0]), document(UNIDS[1], filler)))
    chunk = notesmig.dxl.source.CHUNK_SIZE
    assert path.read_bytes().index(b"</document>") < chunk < path.stat().st_size < 2 * chunk
    report, documents = scan_file(path, BlobStore(None))
    next(documents)
    documents.close()
    assert (report.documents, report.sha256, report.errors) == (1, None, [])


def test_line_numbers_stay_exact_after_an_attachment(tmp_path: Path) -> None:
    # A 10,000-line attachment precedes the fault; the reported line must still be right.
    big = b64(bytes(range(256)) * 2900)
    text = database(document(UNIDS[0], attachment("big.bin", big)), "<document><oops></document>")
    path = write(tmp_path, text)
    expected_line = text[: text.index("<oops>")].count("\n") + 1
    with pytest.raises(MalformedDxlError) as caught:
        read_all(path)
    assert caught.value.position.line == expected_line


# -- attachments --------------------------------------------------------------------------


def test_invalid_base64_is_an_error_on_its_document_only(tmp_path: Path) -> None:
    good = b"good content"
    doc = document(UNIDS[0], attachment("bad.bin", "QUJD!!!!RA=="), attachment("ok.txt", b64(good)))
    path = write(tmp_path, database(doc, document(UNIDS[1])))
    docs = read_all(path)
    assert [d.unid for d in docs] == UNIDS[:2]
    bad, ok = docs[0].attachments
    assert bad.sha256 is None and bad.error is not None and "invalid base64" in bad.error
    assert ok.error is None and ok.sha256 == hashlib.sha256(good).hexdigest()
    [issue] = docs[0].errors
    assert issue.code == "attachment-unreadable" and "'bad.bin'" in issue.message


def test_truncated_base64_is_reported(tmp_path: Path) -> None:
    encoded = base64.b64encode(b"0123456789").decode()[:-3]
    path = write(tmp_path, database(document(UNIDS[0], attachment("cut.bin", encoded))))
    [doc] = read_all(path)
    [att] = doc.attachments
    assert att.error is not None and "truncated base64" in att.error


def test_attachment_shorter_than_declared_is_reported(tmp_path: Path) -> None:
    data = b"a" * 300
    path = write(tmp_path, database(document(UNIDS[0], attachment("x.pdf", b64(data), 1000))))
    [doc] = read_all(path)
    [att] = doc.attachments
    assert att.size == 300 and att.declared_size == 1000
    assert att.error == "truncated or altered: declared 1000 bytes, decoded 300"


@pytest.mark.parametrize(
    "name",
    ["../../outside.txt", "/etc/passwd", "..\\..\\win.ini", "C:\\Windows\\evil.dll",
     "a&#10;b&#9;c", "tmp/../../x", "blobs"],
)  # fmt: skip
def test_attachment_names_never_choose_where_bytes_go(tmp_path: Path, name: str) -> None:
    store_root = tmp_path / "out" / "blobs"
    data = b"payload for " + name.encode()
    path = write(tmp_path, database(document(UNIDS[0], attachment(name, b64(data)))))
    store = BlobStore(store_root)
    [doc] = read_all(path, store)
    store.flush()
    [att] = doc.attachments
    digest = hashlib.sha256(data).hexdigest()
    assert att.sha256 == digest
    assert att.name == name.replace("&#10;", "\n").replace("&#9;", "\t")
    written = sorted(p for p in tmp_path.rglob("*") if p.is_file() and p != path)
    assert written == [store_root / digest[:2] / digest]


def test_identical_content_is_stored_once(tmp_path: Path) -> None:
    data = b"same bytes" * 100
    docs = [document(UNIDS[i], attachment(f"copy{i}.bin", b64(data))) for i in range(3)]
    store = BlobStore(tmp_path / "blobs")
    result = read_all(write(tmp_path, database(*docs)), store)
    store.flush()
    assert len({a.blob for d in result for a in d.attachments}) == 1
    assert len([p for p in (tmp_path / "blobs").rglob("*") if p.is_file()]) == 1


def test_missing_file_data_is_reported(tmp_path: Path) -> None:
    item = (
        "<item name='$FILE'><object><file name='gone.doc'><created><datetime>20240401T091500,00+09"
        "</datetime></created><modified><datetime>20240401T091500,00+09</datetime></modified>"
        "</file></object></item>"
    )
    [doc] = read_all(write(tmp_path, database(document(UNIDS[0], item))))
    assert "no file data" in (doc.attachments[0].error or "")


# -- chunk boundaries ---------------------------------------------------------------------


@pytest.mark.parametrize("chunk", [1, 7, 64, 4099])
def test_results_do_not_depend_on_chunk_boundaries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    payloads = [bytes([i]) * (1000 + 37 * i) for i in range(3)]
    picture = base64.encodebytes(b"\x89PNG\r\n\x1a\n" + b"p" * 200).decode()
    items = [attachment(f"f{i}.bin", b64(p)) for i, p in enumerate(payloads)]
    items.append(
        "<item name='Body'><richtext><pardef id='1'/><par def='1'>日本語のテキスト"
        f"<picture width='10px' height='10px'><png>{picture}</png></picture></par>"
        "<!-- a comment that mentions <filedata> and <png> --><par><![CDATA[<gif>]]></par>"
        "</richtext></item>"
    )
    path = write(tmp_path, database(document(UNIDS[0], *items), document(UNIDS[1])))
    monkeypatch.setattr(notesmig.dxl.source, "CHUNK_SIZE", chunk)
    docs = read_all(path)
    assert [d.unid for d in docs] == UNIDS[:2]
    hashes = [a.sha256 for a in docs[0].attachments]
    assert hashes == [hashlib.sha256(p).hexdigest() for p in payloads] + [
        hashlib.sha256(b"\x89PNG\r\n\x1a\n" + b"p" * 200).hexdigest()
    ]
    assert "日本語のテキスト" in docs[0].html["Body"]
    assert "&lt;gif&gt;" in docs[0].html["Body"]
    assert docs[0].errors == []


# -- encodings ----------------------------------------------------------------------------


@pytest.mark.parametrize("chunk", [3, 1 << 20])
def test_correctly_declared_shift_jis_is_transcoded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    text = database(
        document(UNIDS[0], "<item name='件名'><text>火災ごみ減免申請（前橋市）</text></item>"),
        encoding="Shift_JIS",
    )
    path = write(tmp_path, text, encoding="shift_jis")
    monkeypatch.setattr(notesmig.dxl.source, "CHUNK_SIZE", chunk)
    [doc] = read_all(path)
    item = doc.item("件名")
    assert item is not None and item.values == ["火災ごみ減免申請（前橋市）"]


def test_utf16_with_bom_is_read(tmp_path: Path) -> None:
    text = database(
        document(UNIDS[0], "<item name='s'><text>掲示板</text></item>"), encoding="UTF-16"
    )
    path = tmp_path / "u16.dxl"
    path.write_bytes(text.encode("utf-16"))
    [doc] = read_all(path)
    assert doc.item("s").values == ["掲示板"]  # type: ignore[union-attr]


def test_shift_jis_bytes_declared_as_utf8_name_the_place(tmp_path: Path) -> None:
    text = database(document(UNIDS[0], "<item name='s'><text>出張申請</text></item>"))
    path = tmp_path / "sjis.dxl"
    path.write_bytes(text.encode("shift_jis"))
    with pytest.raises(EncodingMismatchError) as caught:
        read_all(path)
    expected_line = text[: text.index("出張")].count("\n") + 1
    assert caught.value.position.line == expected_line
    assert "not valid UTF-8" in str(caught.value) and "Shift_JIS" in str(caught.value)


def test_bytes_invalid_in_the_declared_encoding(tmp_path: Path) -> None:
    head = database(document(UNIDS[0]), encoding="EUC-JP").encode("euc_jp")
    path = tmp_path / "bad.dxl"
    path.write_bytes(head.replace(b"</database>", b"<!-- \x8e\xff -->\n</database>"))
    with pytest.raises(EncodingMismatchError) as caught:
        read_all(path)
    assert "not valid EUC-JP" in str(caught.value)


def test_unknown_encoding_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, database(document(UNIDS[0]), encoding="x-notes-lmbcs"))
    with pytest.raises(EncodingMismatchError) as caught:
        read_all(path)
    assert "'x-notes-lmbcs'" in str(caught.value)
