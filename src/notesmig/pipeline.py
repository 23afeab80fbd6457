"""The whole migration outside Airflow: extract, transform, load, with one summary.

The same stage functions the Airflow DAG calls; this runs them in order in one process.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from notesmig.dxl.scan import discover
from notesmig.errors import DxlError, SourcePosition
from notesmig.extract import ExtractResult, extract
from notesmig.ledger import Ledger
from notesmig.mapping.loader import MappingError, load_mappings
from notesmig.mapping.model import Mapping
from notesmig.sharepoint.client import graph_client
from notesmig.sharepoint.credentials import GraphCredentials, tenant_client
from notesmig.sharepoint.graph import Graph, GraphStats, ResourceBudget
from notesmig.sharepoint.loader import Loader, LoadSummary
from notesmig.transform.documents import TransformResult
from notesmig.transform.stage import run_transform

DEFAULT_GRAPH_URL = "http://127.0.0.1:8765/v1.0"


@dataclass
class MigrationSummary:
    extracted: ExtractResult
    transformed: TransformResult
    loaded: LoadSummary
    graph: GraphStats
    resource_units: int
    seconds: float


def with_site(mappings: dict[str, Mapping], site: str | None) -> dict[str, Mapping]:
    if site is None:
        return mappings
    return {k: dataclasses.replace(m, site=site) for k, m in mappings.items()}


async def load(
    extract_dir: Path,
    transform_dir: Path,
    mappings: dict[str, Mapping],
    ledger: Ledger,
    graph_url: str,
    token: str,
    ru_per_minute: int,
    replica_ids: list[str] | None = None,
    window_seconds: float = 60.0,
    credentials: GraphCredentials | None = None,
    progress: Callable[[int], None] | None = None,
) -> tuple[LoadSummary, GraphStats, int]:
    if credentials is not None:
        _client, adapter = tenant_client(credentials, graph_url)
    else:
        _client, adapter = graph_client(graph_url, token)
    graph = Graph(adapter, ResourceBudget(ru_per_minute, window_seconds=window_seconds))
    loader = Loader(graph, ledger, extract_dir, transform_dir, mappings, progress=progress)
    summary = await loader.load(replica_ids)
    return summary, graph.stats, graph.budget.used


def migrate(
    paths: list[Path],
    mapping: Path,
    work: Path,
    *,
    graph_url: str = DEFAULT_GRAPH_URL,
    site: str | None = None,
    db_url: str,
    token: str = "emulator",  # noqa: S107 (the emulator accepts any token)
    ru_per_minute: int = 2_400,
    credentials: GraphCredentials | None = None,
    progress: Callable[[int], None] | None = None,
) -> MigrationSummary:
    started = time.perf_counter()
    mappings = with_site(load_mappings(mapping), site)
    ledger = Ledger(db_url)
    ledger.upgrade()
    try:
        extracted = extract(discover(paths), work / "extract")
        transformed = run_transform(work / "extract", mappings, work / "transformed", ledger)
        loaded, stats, units = asyncio.run(
            load(
                work / "extract",
                work / "transformed",
                mappings,
                ledger,
                graph_url,
                token,
                ru_per_minute,
                credentials=credentials,
                progress=progress,
            )
        )
    finally:
        ledger.close()
    return MigrationSummary(
        extracted, transformed, loaded, stats, units, time.perf_counter() - started
    )


# -- one database at a time: what each Airflow task runs (paths and counts in, out) ---------


@dataclass(frozen=True)
class StageSettings:
    """Where a migration reads and writes; what the DAG's params resolve to."""

    work: Path
    mapping: Path
    db_url: str
    graph_url: str = DEFAULT_GRAPH_URL
    site: str | None = None
    ru_per_minute: int = 2_400
    token: str = "emulator"  # noqa: S105 (the emulator accepts any token)
    #: Load tasks that may run at once (the sharepoint_graph pool's slots): each takes an
    #: equal share of the tenant's budget, so together they stay under it.
    concurrent_loads: int = 1
    credentials: GraphCredentials | None = None

    def mapping_for(self, replica_id: str) -> Mapping:
        mappings = with_site(load_mappings(self.mapping), self.site)
        found = mappings.get(replica_id.upper())
        if found is None:
            raise MappingError(
                self.mapping,
                [(None, "database.replica_id", f"no mapping for database {replica_id}")],
            )
        return found


def discover_databases(drop_folder: Path) -> list[dict[str, str]]:
    """The DXL files in a drop folder, one entry per file (path and name only)."""
    return [{"file": str(path), "name": path.stem} for path in discover([drop_folder])]


def extract_one(source: dict[str, str], settings: StageSettings) -> dict[str, object]:
    out = settings.work / source["name"] / "extract"
    result = extract([Path(source["file"])], out)
    report = result.files[0]
    if report.failed:
        error = report.errors[-1]
        raise DxlError(error.message, SourcePosition(report.file, error.line, error.column))
    return {
        "name": source["name"],
        "extract_dir": str(out),
        "replica_id": report.replica_id or "",
        "documents": report.documents,
        "attachments": len(report.attachments),
    }


def transform_one(extracted: dict[str, object], settings: StageSettings) -> dict[str, object]:
    replica = str(extracted["replica_id"])
    mapping = settings.mapping_for(replica)
    out = settings.work / str(extracted["name"]) / "transformed"
    ledger = Ledger(settings.db_url)
    ledger.upgrade()
    try:
        result = run_transform(Path(str(extracted["extract_dir"])), {replica: mapping}, out, ledger)
    finally:
        ledger.close()
    totals = result.totals[replica]
    return {
        **extracted,
        "transform_dir": str(out),
        "transformed": totals.transformed,
        "quarantined": totals.quarantined,
        "excluded": totals.excluded,
        "files": totals.files,
    }


def load_one(transformed: dict[str, object], settings: StageSettings) -> dict[str, object]:
    replica = str(transformed["replica_id"])
    mapping = settings.mapping_for(replica)
    ledger = Ledger(settings.db_url)
    try:
        summary, stats, units = asyncio.run(
            load(
                Path(str(transformed["extract_dir"])),
                Path(str(transformed["transform_dir"])),
                {replica: mapping},
                ledger,
                settings.graph_url,
                settings.token,
                settings.ru_per_minute // max(1, settings.concurrent_loads),
                [replica],
                credentials=settings.credentials,
            )
        )
    finally:
        ledger.close()
    return {
        **transformed,
        "items_created": summary.items_created,
        "items_updated": summary.items_updated,
        "items_unchanged": summary.items_unchanged,
        "files_uploaded": summary.files_uploaded,
        "bytes_uploaded": summary.bytes_uploaded,
        "resource_units": units,
        "throttled": stats.throttled,
    }
