"""The stages of one Notes database, each from the previous stage's record to its own.

Each stage reads and writes only its database's folders (:class:`DatabaseLayout`) and the
ledger, and returns a record of paths and counts: what an Airflow task hands the next one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from notesmig.extract import extract
from notesmig.ledger import Ledger
from notesmig.mapping.model import Mapping
from notesmig.pipeline.layout import DatabaseLayout
from notesmig.pipeline.settings import StageSettings
from notesmig.records import (
    DatabaseTotals,
    ExtractedDatabase,
    LoadCounts,
    LoadedDatabase,
    SourceDatabase,
    SourceFile,
    TransformedDatabase,
)
from notesmig.sharepoint.budget import ResourceBudget
from notesmig.sharepoint.graph import Graph
from notesmig.sharepoint.loader import Loader
from notesmig.sharepoint.rest import RestEndpoint, SharePointRest
from notesmig.transform.documents import TransformResult
from notesmig.transform.stage import run_transform


@contextmanager
def opened_ledger(settings: StageSettings) -> Iterator[Ledger]:
    ledger = Ledger(settings.ledger_url)
    try:
        ledger.upgrade()
        yield ledger
    finally:
        ledger.close()


def extract_database(
    source: SourceDatabase,
    settings: StageSettings,
    *,
    progress: Callable[[int], None] | None = None,
) -> ExtractedDatabase:
    """Read every export of one database into its extract folder."""
    layout = DatabaseLayout(settings.work, source.key)
    result = extract([Path(f) for f in source.files], layout.extract, progress=progress)
    totals = result.totals()
    return ExtractedDatabase(
        replica_id=source.key,
        title=source.title or next((f.title for f in result.files if f.title), None),
        extract_dir=str(layout.extract),
        files=[
            SourceFile(
                path=str(f.file),
                sha256=f.sha256,
                bytes=f.bytes,
                documents=f.documents,
                failed=f.failed,
            )
            for f in result.files
        ],
        documents=totals["documents"],
        attachments=totals["attachments"],
        attachment_bytes=totals["attachment_bytes"],
        errors=totals["errors"],
    )


def transform_database(
    extracted: ExtractedDatabase, settings: StageSettings
) -> tuple[TransformedDatabase, TransformResult]:
    """Apply the database's mapping (without one, every document is excluded, with why)."""
    layout = DatabaseLayout(settings.work, extracted.replica_id)
    mapping = settings.load_mappings().get(extracted.replica_id.upper())
    mappings = {mapping.replica_id: mapping} if mapping is not None else {}
    with opened_ledger(settings) as ledger:
        result = run_transform(Path(extracted.extract_dir), mappings, layout.transformed, ledger)
    totals = result.totals.get(extracted.replica_id.upper())
    record = TransformedDatabase(
        replica_id=extracted.replica_id,
        title=extracted.title,
        extract_dir=extracted.extract_dir,
        transform_dir=str(layout.transformed),
        totals=totals or next(iter(result.totals.values()), None) or DatabaseTotals(),
    )
    return record, result


def load_database(
    transformed: TransformedDatabase,
    settings: StageSettings,
    *,
    progress: Callable[[int], None] | None = None,
) -> LoadedDatabase:
    """Load the database's transform output into SharePoint (nothing without a mapping)."""
    mapping = settings.load_mappings().get(transformed.replica_id.upper())
    if mapping is None:
        counts = LoadCounts()
    else:
        with opened_ledger(settings) as ledger:
            counts = asyncio.run(_load(transformed, settings, mapping, ledger, progress))
    return LoadedDatabase(
        replica_id=transformed.replica_id,
        title=transformed.title,
        transform_dir=transformed.transform_dir,
        counts=counts,
    )


async def _load(
    transformed: TransformedDatabase,
    settings: StageSettings,
    mapping: Mapping,
    ledger: Ledger,
    progress: Callable[[int], None] | None,
) -> LoadCounts:
    budget = ResourceBudget(settings.load_budget, window_seconds=settings.window_seconds)
    graph = Graph(settings.graph.adapter(), budget)
    async with SharePointRest(RestEndpoint.for_site(settings.graph, mapping.site), budget) as rest:
        loader = Loader(
            graph,
            rest,
            ledger,
            Path(transformed.extract_dir),
            Path(transformed.transform_dir),
            mapping,
            progress=progress,
        )
        counts = await loader.load()
    return counts.model_copy(
        update={
            "resource_units": budget.used,
            "throttled": graph.stats.throttled + rest.stats.throttled,
            "retried": graph.stats.retried + rest.stats.retried,
            "requests": graph.stats.requests + rest.stats.requests,
            "writes": graph.stats.writes + rest.stats.writes,
        }
    )
