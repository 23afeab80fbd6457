"""The stages of one database: what a load leaves in the ledger's record of its run."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from notesmig.ledger import Ledger
from notesmig.ledger.models import Run
from notesmig.mapping.suggest import suggest
from notesmig.pipeline import StageSettings, stages
from notesmig.records import DatabaseTotals, LoadCounts, TransformedDatabase
from notesmig.sample.corpus import SampleFile

GHOST = "ghost@contoso.onmicrosoft.com"


class _Loader:
    """The loader of a load that met people SharePoint does not know (and wrote nothing)."""

    def __init__(self, *_args: object, **_kwargs: object) -> None:
        self.unids: list[str] = []

    async def load(self) -> LoadCounts:
        return LoadCounts(items_created=2, unknown_people={GHOST: 3})


def test_the_run_summary_carries_the_people_sharepoint_did_not_know(
    sample_corpus: list[SampleFile], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before: the run's counts in the ledger left unknown_people out.
    board = next(s.path for s in sample_corpus if s.path.stem == "keijiban")
    drafted = suggest(board)
    mappings = tmp_path / "mappings"
    mappings.mkdir()
    (mappings / "keijiban.yaml").write_text(drafted.yaml, encoding="utf-8")
    ledger_url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    settings = StageSettings(work=tmp_path / "work", mappings=mappings, ledger_url=ledger_url)
    monkeypatch.setattr(stages, "Loader", _Loader)
    transformed = TransformedDatabase(
        replica_id=drafted.replica_id, title=drafted.title, extract_dir=str(tmp_path / "x"),
        transform_dir=str(tmp_path / "t"), totals=DatabaseTotals(),
    )  # fmt: skip
    loaded = stages.load_database(transformed, settings)
    assert loaded.counts.unknown_people == {GHOST: 3}
    ledger = Ledger(ledger_url)
    with ledger.session() as session:
        [counts] = session.scalars(select(Run.counts).where(Run.stage == "load")).all()
    ledger.close()
    assert counts is not None
    assert counts["unknown_people"] == {GHOST: 3} and counts["items_created"] == 2
