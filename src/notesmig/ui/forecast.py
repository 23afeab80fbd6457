"""Will the rest fit before the cutoff? The readiness forecast: what is left per database
(documents, files, bytes) at the pace measured in earlier load runs, against the tenant's
resource-unit budget and the days until Notes is switched off.

Each database's time is the longest of three: its documents at the measured documents a minute,
its bytes at the measured megabytes a minute, and its resource units (the measured units per
document) at the share of the budget the loader paces itself to (``HEADROOM``). Databases go one
after another in wave order (W2 before W10; a database's wave is the latest its documents were
loaded in; those never loaded come last), so the table says which databases, and which waves,
finish on or before the cutoff. Nothing measured yet (no load run): no estimate, said so.
"""

from __future__ import annotations

import math
import re
from datetime import date, timedelta

from notesmig.sharepoint.budget import HEADROOM
from notesmig.ui.progress import MigrationProgress, Record


def wave_order(wave: str) -> list[str | int]:
    """Waves in the order a team numbers them: W2 before W10, 第3波 before 第12波."""
    return [int(part) if i % 2 else part for i, part in enumerate(re.split(r"(\d+)", wave))]


class DatabaseForecast(Record):
    replica_id: str
    title: str | None
    wave: str | None
    documents_left: int
    files_left: int
    bytes_left: int
    #: Minutes of loading it needs (None: nothing measured to go by).
    minutes: float | None
    finishes: date | None
    fits: bool | None


class Forecast(Record):
    cutoff: date
    today: date
    days_left: int
    hours_per_day: float
    budget_per_minute: int
    documents_per_minute: float
    megabytes_per_minute: float
    units_per_document: float
    databases: list[DatabaseForecast]
    #: Per wave, whether all of its databases finish by the cutoff ("" for no wave yet).
    waves: dict[str, bool | None]
    minutes_total: float | None
    fits: bool | None


def _minutes(
    documents: int, megabytes: float, progress: MigrationProgress, budget_per_minute: int
) -> float | None:
    if not documents and not megabytes:
        return 0.0
    pace = progress.throughput
    if not pace.documents_per_minute:
        return None
    needs = [documents / pace.documents_per_minute]
    if pace.megabytes_per_minute:
        needs.append(megabytes / pace.megabytes_per_minute)
    if budget_per_minute and pace.documents:
        units = documents * pace.resource_units / pace.documents
        needs.append(units / (budget_per_minute * HEADROOM))
    return max(needs)


def forecast(
    progress: MigrationProgress,
    *,
    cutoff: date,
    today: date,
    budget_per_minute: int,
    hours_per_day: float = 24.0,
) -> Forecast:
    """The forecast from the ledger's progress (``migration_progress`` of everything)."""
    if not 0 < hours_per_day <= 24:
        raise ValueError("hours_per_day must be more than 0 and at most 24")
    per_database: dict[str, DatabaseForecast] = {}
    for row in progress.databases:
        current = per_database.get(row.replica_id)
        wave = max(
            filter(None, [row.wave, current.wave if current else None]),
            key=wave_order,
            default=None,
        )
        per_database[row.replica_id] = DatabaseForecast(
            replica_id=row.replica_id,
            title=row.title,
            wave=wave,
            documents_left=(current.documents_left if current else 0) + row.waiting,
            files_left=(current.files_left if current else 0) + row.files - row.files_done,
            bytes_left=(current.bytes_left if current else 0) + row.bytes - row.bytes_done,
            minutes=None,
            finishes=None,
            fits=None,
        )
    ordered = sorted(
        per_database.values(),
        key=lambda d: (d.wave is None, wave_order(d.wave or ""), d.title or d.replica_id),
    )
    minutes_per_day = 60.0 * hours_per_day
    elapsed: float | None = 0.0
    for entry in ordered:
        entry.minutes = _minutes(
            entry.documents_left, entry.bytes_left / 1_048_576, progress, budget_per_minute
        )
        if entry.minutes is None or elapsed is None:
            elapsed = None
            continue
        elapsed += entry.minutes
        # Work that ends within today finishes today.
        days = max(0, math.ceil(elapsed / minutes_per_day) - 1)
        entry.finishes = today + timedelta(days=days)
        entry.fits = entry.finishes <= cutoff
    waves: dict[str, bool | None] = {}
    for entry in ordered:
        key = entry.wave or ""
        verdict = entry.fits if key not in waves else (waves[key] and entry.fits)
        waves[key] = None if entry.fits is None else verdict
    pace = progress.throughput
    return Forecast(
        cutoff=cutoff,
        today=today,
        days_left=(cutoff - today).days,
        hours_per_day=hours_per_day,
        budget_per_minute=budget_per_minute,
        documents_per_minute=pace.documents_per_minute,
        megabytes_per_minute=pace.megabytes_per_minute,
        units_per_document=pace.resource_units / pace.documents if pace.documents else 0.0,
        databases=ordered,
        waves=waves,
        minutes_total=elapsed,
        fits=None if elapsed is None else all(bool(e.fits) for e in ordered),
    )
