"""What the Migration view shows, read from the ledger in a fixed number of aggregate queries
(whatever the number of documents): per database and wave the documents and files done, held
back, failed and waiting, the reasons things were held back, the load throughput against the
tenant's budget, and an estimate of the time left.

Throughput is measured over the load runs recorded per database (their documents, bytes and
resource units over the wall time they covered, overlapping runs counted once); the estimate
divides the documents still waiting by it.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select

from notesmig.ledger import Ledger
from notesmig.ledger.models import Attachment, Database, Document, Quarantine, Run, State


class Record(BaseModel):
    """A view's figures: counted up while the aggregates are read, so not frozen."""

    model_config = ConfigDict(extra="forbid")


class ProgressFilter(Record):
    """What the view is narrowed to (each empty means all)."""

    database: str | None = None
    wave: str | None = None
    reason: str | None = None


class DatabaseProgress(Record):
    """One database in one wave (``wave`` None: documents no wave has loaded yet)."""

    replica_id: str
    title: str | None
    wave: str | None
    documents: int = 0
    verified: int = 0
    loaded: int = 0
    held: int = 0
    excluded: int = 0
    #: Deleted in Notes since they were exported: no work left for them.
    deleted: int = 0
    waiting: int = 0
    failed: int = 0
    files: int = 0
    files_done: int = 0
    bytes: int = 0
    bytes_done: int = 0
    lists: dict[str, str] = Field(default_factory=dict)

    @property
    def done(self) -> int:
        return self.verified + self.loaded

    @property
    def share_done(self) -> float:
        accounted = self.documents - self.excluded - self.deleted
        return self.done / accounted if accounted else 1.0


class HeldReason(Record):
    replica_id: str
    title: str | None
    stage: str
    reason: str
    documents: int


class Throughput(Record):
    """The load runs' pace (over their wall time), against the tenant's budget."""

    runs: int = 0
    minutes: float = 0.0
    documents: int = 0
    bytes: int = 0
    resource_units: int = 0
    budget_per_minute: int = 0

    @property
    def documents_per_minute(self) -> float:
        return self.documents / self.minutes if self.minutes else 0.0

    @property
    def megabytes_per_minute(self) -> float:
        return self.bytes / 1_048_576 / self.minutes if self.minutes else 0.0

    @property
    def units_per_minute(self) -> float:
        return self.resource_units / self.minutes if self.minutes else 0.0

    @property
    def budget_share(self) -> float | None:
        if not self.budget_per_minute or not self.minutes:
            return None
        return self.units_per_minute / self.budget_per_minute


class MigrationProgress(Record):
    generated_at: datetime
    filter: ProgressFilter
    databases: list[DatabaseProgress]
    held: list[HeldReason]
    throughput: Throughput
    waves: list[str]
    choices: dict[str, str | None]
    #: Minutes left at the measured pace (None: nothing measured yet, or nothing left).
    eta_minutes: float | None

    @property
    def totals(self) -> DatabaseProgress:
        total = DatabaseProgress(replica_id="*", title=None, wave=None)
        for row in self.databases:
            for name in ("documents", "verified", "loaded", "held", "excluded", "deleted",
                         "waiting", "failed", "files", "files_done", "bytes",
                         "bytes_done"):  # fmt: skip
                setattr(total, name, getattr(total, name) + getattr(row, name))
        return total

    @property
    def eta(self) -> datetime | None:
        if self.eta_minutes is None:
            return None
        return self.generated_at + timedelta(minutes=self.eta_minutes)


def _list_url(web_url: str) -> str:
    """A list's address from one of its items' (``.../Lists/X/DispForm.aspx?ID=1``) or files'."""
    if "/DispForm.aspx" in web_url:
        return web_url.split("/DispForm.aspx", 1)[0]
    return web_url.rsplit("/", 1)[0]


def migration_progress(
    ledger: Ledger,
    chosen: ProgressFilter | None = None,
    *,
    budget_per_minute: int = 0,
    now: datetime | None = None,
) -> MigrationProgress:
    """The ledger's progress, narrowed by ``chosen``; seven queries, whatever its size."""
    chosen = chosen or ProgressFilter()
    moment = now or datetime.now().astimezone()
    database_filter = []
    if chosen.database:
        database_filter.append(Database.replica_id == chosen.database)
    wave_filter = []
    if chosen.wave:
        wave_filter.append(Document.wave == chosen.wave)
    with ledger.session() as session:
        choices = dict(session.execute(select(Database.replica_id, Database.title)).all())
        waves = sorted(
            w for (w,) in session.execute(select(Document.wave).distinct()) if w is not None
        )
        rows: dict[tuple[str, str | None], DatabaseProgress] = {}

        def row(replica_id: str, wave: str | None) -> DatabaseProgress:
            key = (replica_id, wave)
            if key not in rows:
                rows[key] = DatabaseProgress(
                    replica_id=replica_id, title=choices.get(replica_id), wave=wave
                )
            return rows[key]

        failed = (Document.error.is_not(None)) & Document.state.not_in(
            [State.QUARANTINED, State.EXCLUDED]
        )
        for replica_id, wave, state, number, errors in session.execute(
            select(
                Database.replica_id,
                Document.wave,
                Document.state,
                func.count(),
                func.count().filter(failed),
            )
            .join(Database, Database.id == Document.database_id)
            .where(*database_filter, *wave_filter)
            .group_by(Database.replica_id, Document.wave, Document.state)
        ):
            target = row(replica_id, wave)
            target.documents += number
            target.failed += errors
            if state == State.VERIFIED:
                target.verified += number
            elif state == State.LOADED:
                target.loaded += number
            elif state == State.QUARANTINED:
                target.held += number
            elif state == State.EXCLUDED:
                target.excluded += number
            elif state == State.DELETED:
                target.deleted += number
            else:
                target.waiting += number
        file_done = Attachment.state.in_([State.LOADED, State.VERIFIED])
        for replica_id, wave, number, done, all_bytes, done_bytes in session.execute(
            select(
                Database.replica_id,
                Document.wave,
                func.count(),
                func.count().filter(file_done),
                func.coalesce(func.sum(Attachment.size), 0),
                func.coalesce(func.sum(Attachment.size).filter(file_done), 0),
            )
            .join(Document, Document.id == Attachment.document_id)
            .join(Database, Database.id == Document.database_id)
            .where(*database_filter, *wave_filter)
            # Files deleted (or of documents deleted) in Notes are no work left.
            .where(Attachment.state != State.DELETED, Document.state != State.DELETED)
            .group_by(Database.replica_id, Document.wave)
        ):
            target = row(replica_id, wave)
            target.files, target.files_done = number, done
            target.bytes, target.bytes_done = int(all_bytes), int(done_bytes)
        for replica_id, wave, list_title, web_url in session.execute(
            select(
                Database.replica_id, Document.wave, Document.list_title, func.min(Document.web_url)
            )
            .join(Database, Database.id == Document.database_id)
            .where(Document.web_url.is_not(None), *database_filter, *wave_filter)
            .group_by(Database.replica_id, Document.wave, Document.list_title)
        ):
            if web_url:
                row(replica_id, wave).lists[list_title or ""] = _list_url(web_url)
        reason_filter = [Quarantine.reason == chosen.reason] if chosen.reason else []
        held = [
            HeldReason(replica_id=r, title=choices.get(r), stage=stage, reason=reason, documents=n)
            for r, stage, reason, n in session.execute(
                select(
                    Database.replica_id,
                    Quarantine.stage,
                    Quarantine.reason,
                    func.count(func.distinct(Quarantine.document_id)),
                )
                .join(Document, Document.id == Quarantine.document_id)
                .join(Database, Database.id == Document.database_id)
                .where(
                    Quarantine.resolved.is_(False), *database_filter, *wave_filter, *reason_filter
                )
                .group_by(Database.replica_id, Quarantine.stage, Quarantine.reason)
                .order_by(func.count(func.distinct(Quarantine.document_id)).desc())
            )
        ]
        run_filter = [Run.wave == chosen.wave] if chosen.wave else []
        if chosen.database:
            run_filter.append(Run.database_id.in_(select(Database.id).where(*database_filter)))
        runs = session.execute(
            select(Run.started, Run.finished, Run.counts).where(
                Run.stage == "load", Run.finished.is_not(None), Run.status == "success", *run_filter
            )
        ).all()
    throughput = Throughput(budget_per_minute=budget_per_minute)
    # Loads overlap (pool slots, workers): the pace is over the wall time they covered together,
    # not over the sum of their durations.
    spans = sorted((s, f) for s, f, _c in runs if f is not None and s is not None)
    covered_until: datetime | None = None
    for started, finished in spans:
        begin = started if covered_until is None else max(started, covered_until)
        if finished > begin:
            throughput.minutes += (finished - begin).total_seconds() / 60
        covered_until = finished if covered_until is None else max(covered_until, finished)
    for _started, ended, recorded in runs:
        if ended is None:
            continue
        counts = recorded or {}
        throughput.runs += 1
        throughput.documents += int(counts.get("items_created", 0)) + int(
            counts.get("items_updated", 0)
        )
        throughput.bytes += int(counts.get("bytes_uploaded", 0))
        throughput.resource_units += int(counts.get("resource_units", 0))
    ordered = sorted(rows.values(), key=lambda r: (r.title or r.replica_id, r.wave or ""))
    waiting = sum(r.waiting for r in ordered)
    pace = throughput.documents_per_minute
    return MigrationProgress(
        generated_at=moment,
        filter=chosen,
        databases=ordered,
        held=held,
        throughput=throughput,
        waves=waves,
        choices=choices,
        eta_minutes=waiting / pace if waiting and pace else None,
    )


def waves_of(progress: MigrationProgress) -> dict[str, int]:
    """Documents per wave (None: no wave yet)."""
    counted: dict[str, int] = defaultdict(int)
    for row in progress.databases:
        counted[row.wave or ""] += row.documents
    return dict(counted)
