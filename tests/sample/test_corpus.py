"""The bundled sample corpus: valid DXL, deterministic, and shaped like the city's apps."""

from __future__ import annotations

import hashlib
from pathlib import Path

from lxml import etree

from notesmig.dxl.blobs import BlobStore
from notesmig.dxl.reader import DxlReader
from notesmig.sample.corpus import SampleFile, generate


def test_every_sample_database_is_valid_against_the_domino_dtd(
    dxl_real: Path, sample_corpus: list[SampleFile]
) -> None:
    dtd = etree.DTD(str(dxl_real / "domino_10_0_1.dtd"))
    for sample in sample_corpus:
        tree = etree.parse(str(sample.path), etree.XMLParser(load_dtd=False, no_network=True))
        assert dtd.validate(tree), (sample.path.name, dtd.error_log.filter_from_errors()[:3])


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    def digests(folder: Path, seed: int) -> dict[str, str]:
        return {
            s.path.name: hashlib.sha256(s.path.read_bytes()).hexdigest()
            for s in generate(folder, seed=seed)
        }

    assert digests(tmp_path / "a", 7) == digests(tmp_path / "b", 7)
    assert digests(tmp_path / "a", 7)["shutcho.dxl"] != digests(tmp_path / "c", 8)["shutcho.dxl"]


def test_scale_multiplies_documents(tmp_path: Path) -> None:
    counts = {s.path.name: s.documents for s in generate(tmp_path, scale=3)}
    assert counts["bunsho.dxl"] == 36 and counts["shutcho.dxl"] == 60
    assert counts["genmen.dxl"] == 30 and counts["keijiban.dxl"] >= 36


def test_sample_content_reads_back(sample_corpus: list[SampleFile], tmp_path: Path) -> None:
    by_name = {s.path.name: s for s in sample_corpus}
    store = BlobStore(tmp_path)
    docs = {
        name: list(DxlReader(sample.path, store).documents()) for name, sample in by_name.items()
    }
    replicas = {name: DxlReader(s.path, BlobStore(None)) for name, s in by_name.items()}
    for reader in replicas.values():
        list(reader.documents())
    unids = {name: {d.unid for d in found} for name, found in docs.items()}

    board = docs["keijiban.dxl"]
    forms = {d.form for d in board}
    assert forms == {"MainTopic", "Response", "ResponseToResponse"}
    board_unids = unids["keijiban.dxl"]
    for d in board:
        if d.form == "MainTopic":
            assert d.parent_unid is None
        else:
            assert d.parent_unid in board_unids
    assert any(d.form == "ResponseToResponse" for d in board)

    trips = docs["shutcho.dxl"]
    restricted = [t for t in trips if t.item("DocReaders") is not None]
    assert 5 <= len(restricted) <= 15  # about half of the requests are restricted
    trip = restricted[0]
    readers = trip.item("DocReaders")
    assert readers is not None and readers.readers and "[Admin]" in readers.values
    assert trip.item("Requester").values[0].startswith("CN=")  # type: ignore[union-attr]
    assert trip.item("Requester").values[0].endswith("/O=Maebashi")  # type: ignore[union-attr]
    amount = trip.item("Amount")
    assert amount is not None and isinstance(amount.values[0], int) and amount.values[0] > 0
    assert trip.created is not None and trip.created.utcoffset().total_seconds() == 9 * 3600  # type: ignore[union-attr]

    library = docs["bunsho.dxl"]
    files = [a for d in library for a in d.attachments]
    assert {Path(a.name).suffix for a in files} >= {".pdf", ".docx", ".xlsx", ".pptx", ".csv"}
    assert max(a.size for a in files) > 1_500_000 and min(a.size for a in files) < 20_000
    assert len({a.sha256 for a in files}) == len(files) - 1  # one form file shared by two documents
    assert any("<table" in d.html["Body"] for d in library)

    photos = [a for d in docs["genmen.dxl"] for a in d.attachments if a.kind == "file"]
    assert photos and all(
        store.path_of(a.sha256).read_bytes().startswith(b"\x89PNG")  # type: ignore[arg-type]
        for a in photos
    )

    # Doclinks resolve to documents that exist, across databases.
    targets = {reader.database.replica_id: name for name, reader in replicas.items()}
    links = [link for found in docs.values() for d in found for link in d.links]
    assert {targets[link.database] for link in links} == {"keijiban.dxl", "bunsho.dxl"}  # type: ignore[index]
    for link in links:
        assert link.document in unids[targets[link.database]]  # type: ignore[index]
