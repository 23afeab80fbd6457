"""The stages of one Notes database, each from the previous stage's record to its own.

Each stage reads and writes only its database's folders (:class:`DatabaseLayout`) and the
ledger, and returns a record of paths and counts: what an Airflow task hands the next one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from notesmig.errors import TerminalError
from notesmig.extract import extract
from notesmig.ledger import Ledger
from notesmig.mapping.model import Mapping
from notesmig.pipeline.layout import DatabaseLayout
from notesmig.pipeline.running import budget_for, database_lease, holder_name
from notesmig.pipeline.settings import StageSettings, mask_url
from notesmig.records import (
    DatabaseTotals,
    ExtractedDatabase,
    LoadCounts,
    LoadedDatabase,
    ReconciledDatabase,
    SourceDatabase,
    SourceFile,
    TransformedDatabase,
    ValidatedDatabase,
    WrittenReport,
)
from notesmig.sharepoint.graph import Graph
from notesmig.sharepoint.loader import Loader
from notesmig.sharepoint.rest import RestEndpoint, SharePointRest
from notesmig.transform.stage import TransformOutcome, run_transform


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
        documents=totals.documents,
        attachments=totals.attachments,
        attachment_bytes=totals.attachment_bytes,
        errors=totals.errors,
    )


def transform_database(
    extracted: ExtractedDatabase, settings: StageSettings
) -> tuple[TransformedDatabase, TransformOutcome]:
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


def validate_database(
    transformed: TransformedDatabase, settings: StageSettings
) -> ValidatedDatabase:
    """Check the database's rows before the load (GX Core): failing rows are held back, and
    too many failures stop its load. Without a mapping there is nothing to load, nor check."""
    from notesmig.validate.stage import validate  # noqa: PLC0415 - pandas and GX: only here

    layout = DatabaseLayout(settings.work, transformed.replica_id)
    mapping = settings.load_mappings().get(transformed.replica_id.upper())
    if mapping is None:
        return ValidatedDatabase(
            replica_id=transformed.replica_id,
            title=transformed.title,
            extract_dir=transformed.extract_dir,
            transform_dir=transformed.transform_dir,
            validated_dir=str(layout.validation),
            rows=0,
            failed_rows=0,
            expectations=0,
            failed_expectations=0,
            max_failure_ratio=0.0,
            stopped=False,
        )
    with opened_ledger(settings) as ledger:
        return validate(
            mapping,
            title=transformed.title,
            extract_dir=Path(transformed.extract_dir),
            transform_dir=Path(transformed.transform_dir),
            validated_dir=layout.validation,
            totals=transformed.totals,
            ledger=ledger,
            data_docs=settings.data_docs,
        )


def load_database(
    transformed: ValidatedDatabase | TransformedDatabase,
    settings: StageSettings,
    *,
    progress: Callable[[int], None] | None = None,
) -> LoadedDatabase:
    """Load the database's transform output into SharePoint (nothing without a mapping, and
    nothing at all when its validation stopped it)."""
    if isinstance(transformed, ValidatedDatabase) and transformed.stopped:
        from notesmig.validate.stage import ValidationStoppedError, stop_message  # noqa: PLC0415

        raise ValidationStoppedError(stop_message(transformed))
    mapping = settings.load_mappings().get(transformed.replica_id.upper())
    if mapping is None:
        counts = LoadCounts()
    else:
        with opened_ledger(settings) as ledger:
            frozen = ledger.frozen_at(mapping.replica_id)
        if frozen is not None:
            raise DatabaseFrozenError(
                f"{mapping.replica_id}: 切替日後の最終同期と照合を終えて凍結済み（"
                f"{frozen:%Y-%m-%d}） / frozen since {frozen:%Y-%m-%d} (its cutoff passed, its "
                "last changes were synced and reconciled): no more changes are loaded"
            )
        with opened_ledger(settings) as ledger:
            counts = asyncio.run(_load(transformed, settings, mapping, ledger, progress))
    return LoadedDatabase(
        replica_id=transformed.replica_id,
        title=transformed.title,
        transform_dir=transformed.transform_dir,
        counts=counts,
    )


async def _load(
    transformed: ValidatedDatabase | TransformedDatabase,
    settings: StageSettings,
    mapping: Mapping,
    ledger: Ledger,
    progress: Callable[[int], None] | None,
) -> LoadCounts:
    budget = budget_for(settings, ledger, mapping.site)
    graph = Graph(settings.graph.adapter(), budget)
    run = ledger.begin_database_run("load", mapping.replica_id, settings.wave)
    status = "failed"
    counts = LoadCounts()
    try:
        async with (
            database_lease(ledger, mapping.replica_id, holder_name(settings)),
            SharePointRest(RestEndpoint.for_site(settings.graph, mapping.site), budget) as rest,
        ):
            loader = Loader(
                graph,
                rest,
                ledger,
                Path(transformed.extract_dir),
                Path(transformed.transform_dir),
                mapping,
                progress=progress,
                redirector=settings.redirector,
                sites={m.replica_id: m.site for m in settings.load_mappings().values()},
                lease_holder=holder_name(settings),
            )
            counts = await loader.load()
            counts = counts.model_copy(
                update={
                    "resource_units": budget.used,
                    "throttled": graph.stats.throttled + rest.stats.throttled,
                    "retried": graph.stats.retried + rest.stats.retried,
                    "requests": graph.stats.requests + rest.stats.requests,
                    "writes": graph.stats.writes + rest.stats.writes,
                }
            )
        if settings.wave:
            ledger.set_wave(mapping.replica_id, loader.unids, settings.wave)
        status = "success"
        return counts
    finally:
        # With the accounts SharePoint did not know: the ledger's unknown accounts hold each
        # name's latest count, not which run met it.
        summary = counts.model_dump()
        summary["resource_units"] = budget.used
        ledger.finish_run(run, status, summary)


class DatabaseFrozenError(TerminalError):
    """A load of a database the sync froze after its cutoff: Notes is off, nothing changes."""


def cutoff_of(mapping: Mapping, settings: StageSettings) -> date | None:
    """The day Notes is switched off for a database: its mapping's, else the deployment's."""
    return mapping.cutoff or settings.cutoff


def frozen_since(
    mapping: Mapping, settings: StageSettings, today: date | None = None
) -> date | None:
    """The cutoff a database is frozen since (None: changes are still synced). The cutoff day
    itself still syncs: Notes is switched off at its end."""
    cutoff = cutoff_of(mapping, settings)
    if cutoff is None:
        return None
    return cutoff if (today or date.today()) > cutoff else None


def reconcile_database(loaded: LoadedDatabase, settings: StageSettings) -> ReconciledDatabase:
    """Read the database back from SharePoint and record a verdict per document."""
    return reconcile_replica(loaded.replica_id, settings, title=loaded.title)


def reconcile_replica(
    replica_id: str, settings: StageSettings, *, title: str | None = None
) -> ReconciledDatabase:
    """Reconcile a database from what the ledger knows of its load: no mapping needed."""
    from notesmig.reconcile.stage import NeverLoadedError, reconcile  # noqa: PLC0415

    with opened_ledger(settings) as ledger:
        plan = ledger.target_of(replica_id.upper())
        if plan is None:
            raise NeverLoadedError(
                f"database {replica_id} was never loaded (the ledger "
                f"{mask_url(settings.ledger_url)} has no load of it): nothing to reconcile"
            )
        if settings.site is not None:
            plan = plan.model_copy(update={"site": settings.site})

        async def run() -> ReconciledDatabase:
            budget = budget_for(settings, ledger, plan.site)
            graph = Graph(settings.graph.adapter(), budget)
            endpoint = RestEndpoint.for_site(settings.graph, plan.site)
            async with (
                database_lease(ledger, plan.replica_id, holder_name(settings)),
                SharePointRest(endpoint, budget) as rest,
            ):
                return await reconcile(graph, rest, ledger, plan, title)

        return asyncio.run(run())


def report_database(replica_id: str, settings: StageSettings) -> WrittenReport:
    """The report of one database, in its folder (``<work>/<replica>/report``)."""
    from notesmig.report.render import write_report  # noqa: PLC0415

    layout = DatabaseLayout(settings.work, replica_id)
    with opened_ledger(settings) as ledger:
        return write_report(ledger, layout.report, [replica_id.upper()])


def report_all(settings: StageSettings) -> WrittenReport:
    """The report of every database in the ledger (``<work>/report``)."""
    from notesmig.report.render import write_report  # noqa: PLC0415

    with opened_ledger(settings) as ledger:
        return write_report(ledger, settings.work / "report")
