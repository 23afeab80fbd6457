"""An extracted sample corpus and its suggested mappings, shared by the transform tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from notesmig.dxl.model import NotesDocument
from notesmig.extract import extract
from notesmig.mapping import Mapping, load_mapping
from notesmig.mapping.suggest import suggest
from notesmig.sample.corpus import SampleFile
from notesmig.transform.stage import read_documents


@dataclass
class Prepared:
    extract_dir: Path
    mapping_dir: Path
    documents: list[NotesDocument]
    mappings: dict[str, Mapping]


def prepare(sources: list[Path], root: Path, users: Path | None = None) -> Prepared:
    extract_dir, mapping_dir = root / "extract", root / "mappings"
    extract(sources, extract_dir)
    mapping_dir.mkdir(parents=True)
    if users is not None:
        (mapping_dir / "users.csv").write_bytes(users.read_bytes())
    mappings = {}
    for source in sources:
        text = suggest(source).yaml
        if users is not None:
            text = text.replace("  # file: users.csv", "  file: users.csv  #")
        path = mapping_dir / f"{source.stem}.yaml"
        path.write_text(text, encoding="utf-8")
        mapping = load_mapping(path)
        mappings[mapping.replica_id] = mapping
    return Prepared(extract_dir, mapping_dir, list(read_documents(extract_dir)), mappings)


@pytest.fixture(scope="session")
def prepared_sample(
    sample_corpus: list[SampleFile], tmp_path_factory: pytest.TempPathFactory
) -> Prepared:
    sources = [s.path for s in sample_corpus]
    return prepare(sources, tmp_path_factory.mktemp("prepared"), sources[0].parent / "users.csv")
