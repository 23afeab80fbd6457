"""The whole migration in one process: every database through every stage, one summary.

The same stage functions the Airflow DAG's tasks call, run in order for each database found.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from notesmig.pipeline.discover import discover_databases
from notesmig.pipeline.settings import StageSettings
from notesmig.pipeline.stages import (
    extract_database,
    load_database,
    transform_database,
    validate_database,
)
from notesmig.records import (
    ExtractedDatabase,
    LoadCounts,
    LoadedDatabase,
    TransformedDatabase,
    ValidatedDatabase,
)
from notesmig.transform.stage import TransformOutcome


@dataclass
class MigrationSummary:
    extracted: list[ExtractedDatabase] = field(default_factory=list)
    transformed: list[TransformedDatabase] = field(default_factory=list)
    validated: list[ValidatedDatabase] = field(default_factory=list)
    loaded: list[LoadedDatabase] = field(default_factory=list)
    results: list[TransformOutcome] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def documents(self) -> int:
        return sum(e.documents for e in self.extracted)

    @property
    def failed_files(self) -> int:
        return sum(1 for e in self.extracted for f in e.files if f.failed)

    @property
    def extraction_errors(self) -> int:
        return sum(e.errors for e in self.extracted)

    @property
    def quarantined(self) -> int:
        return sum(t.totals.quarantined for t in self.transformed)

    @property
    def excluded(self) -> int:
        return sum(t.totals.excluded for t in self.transformed)

    @property
    def stopped(self) -> list[ValidatedDatabase]:
        """Databases whose load the validation stopped."""
        return [v for v in self.validated if v.stopped]

    @property
    def held_by_validation(self) -> int:
        return sum(v.failed_rows for v in self.validated)

    @property
    def rows(self) -> int:
        return sum(t.totals.transformed for t in self.transformed)

    @property
    def load(self) -> LoadCounts:
        """The load counts of every database, summed."""
        total = LoadCounts()
        for loaded in self.loaded:
            counts = loaded.counts
            people = dict(total.unknown_people)
            for name, number in counts.unknown_people.items():
                people[name] = people.get(name, 0) + number
            total = LoadCounts(
                **{
                    name: getattr(total, name) + getattr(counts, name)
                    for name in LoadCounts.model_fields
                    if name != "unknown_people"
                },
                unknown_people=people,
            )
        return total


def migrate(
    paths: list[Path],
    settings: StageSettings,
    *,
    progress: Callable[[int], None] | None = None,
) -> MigrationSummary:
    """Extract, transform, validate and load every database in ``paths``."""
    started = time.perf_counter()
    summary = MigrationSummary()
    settings.load_mappings()  # an invalid mapping stops everything before work starts
    for source in discover_databases(paths):
        extracted = extract_database(source, settings)
        summary.extracted.append(extracted)
        transformed, result = transform_database(extracted, settings)
        summary.transformed.append(transformed)
        summary.results.append(result)
        validated = validate_database(transformed, settings)
        summary.validated.append(validated)
        if validated.stopped:
            continue  # its load is stopped before any write; the summary says why
        summary.loaded.append(load_database(validated, settings, progress=progress))
    summary.seconds = time.perf_counter() - started
    return summary
