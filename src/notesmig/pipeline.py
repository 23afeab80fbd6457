"""The whole migration outside Airflow: extract, transform, load, with one summary.

The same stage functions the Airflow DAG calls; this runs them in order in one process.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path

from notesmig.dxl.scan import discover
from notesmig.extract import ExtractResult, extract
from notesmig.ledger import Ledger
from notesmig.mapping.loader import load_mappings
from notesmig.mapping.model import Mapping
from notesmig.sharepoint.client import graph_client
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
) -> tuple[LoadSummary, GraphStats, int]:
    _client, adapter = graph_client(graph_url, token)
    graph = Graph(adapter, ResourceBudget(ru_per_minute))
    summary = await Loader(graph, ledger, extract_dir, transform_dir, mappings).load(replica_ids)
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
            )
        )
    finally:
        ledger.close()
    return MigrationSummary(
        extracted, transformed, loaded, stats, units, time.perf_counter() - started
    )
