"""What running the migration on several workers needs from the ledger: a lease per database
(two runs never load one database at once), the tenant's resource-unit bucket that every
worker spends from, and runs recorded per database and wave (throughput, the Migration view).

Each operation is one short transaction. On PostgreSQL the rows are locked (``FOR UPDATE``);
on SQLite every transaction is ``BEGIN IMMEDIATE``, one writer at a time.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from notesmig.ledger.base import LedgerBase
from notesmig.ledger.models import (
    Budget,
    Database,
    DatabaseLease,
    Document,
    Run,
    State,
    utcnow,
)


@dataclass(frozen=True)
class BudgetRule:
    """A bucket's size and refill: ``capacity`` units, ``rate`` units a second."""

    capacity: float
    rate: float


class Operations(LedgerBase):
    # -- leases ---------------------------------------------------------------------------

    def acquire_lease(
        self,
        replica_id: str,
        holder: str,
        seconds: float,
        *,
        now: float | None = None,
        dead: str | None = None,
    ) -> str | None:
        """Take (or renew) the database's lease for ``holder``; the current holder's name when
        someone else holds a live one (then nothing changes). ``dead`` names a holder known to
        be gone (a process that no longer runs), whose lease is taken over."""
        moment = time.time() if now is None else now
        try:
            return self._acquire_lease(replica_id, holder, seconds, moment, dead)
        except IntegrityError:
            # Another worker created the lease row between our look and our insert: it exists
            # now, so the second look decides.
            return self._acquire_lease(replica_id, holder, seconds, moment, dead)

    def _acquire_lease(
        self, replica_id: str, holder: str, seconds: float, moment: float, dead: str | None
    ) -> str | None:
        with self.session() as session:
            query = select(DatabaseLease).where(DatabaseLease.replica_id == replica_id)
            if not self.is_sqlite:
                query = query.with_for_update()
            lease = session.scalar(query)
            if lease is None:
                session.add(
                    DatabaseLease(replica_id=replica_id, holder=holder, expires=moment + seconds)
                )
                return None
            if lease.holder not in (holder, dead) and lease.expires > moment:
                return lease.holder
            lease.holder, lease.expires = holder, moment + seconds
            return None

    def release_lease(self, replica_id: str, holder: str) -> None:
        with self.session() as session:
            session.execute(
                delete(DatabaseLease).where(
                    DatabaseLease.replica_id == replica_id, DatabaseLease.holder == holder
                )
            )

    # -- the shared budget ----------------------------------------------------------------

    def spend(self, name: str, units: int, rule: BudgetRule, *, now: float | None = None) -> float:
        """Take ``units`` from the bucket ``name``: 0.0 when taken, else the seconds to wait
        before asking again (nothing is taken then)."""
        moment = time.time() if now is None else now
        with self._bucket(name, moment) as bucket:
            if moment < bucket.paused_until:
                return bucket.paused_until - moment
            elapsed = max(0.0, moment - bucket.updated)
            bucket.tokens = min(rule.capacity, bucket.tokens + elapsed * rule.rate)
            # Workers read the clock before they wait for the row: never move it backwards,
            # or the refill since then would be counted twice.
            bucket.updated = max(bucket.updated, moment)
            # A request dearer than the whole bucket goes when the bucket is full.
            if bucket.tokens >= min(units, rule.capacity):
                bucket.tokens -= units
                bucket.used += units
                return 0.0
            return (min(units, rule.capacity) - bucket.tokens) / rule.rate

    def pause_budget(self, name: str, seconds: float, *, now: float | None = None) -> None:
        """Everyone spending from ``name`` waits ``seconds`` (the service said Retry-After)."""
        moment = time.time() if now is None else now
        with self._bucket(name, moment) as bucket:
            bucket.paused_until = max(bucket.paused_until, moment + seconds)
            bucket.tokens = 0.0

    @contextmanager
    def _bucket(self, name: str, moment: float) -> Iterator[Budget]:
        """The bucket's row, locked for one transaction (created on first use)."""
        with self.session() as session:
            exists = session.scalar(select(Budget.name).where(Budget.name == name)) is not None
        if not exists:
            # It starts empty: workers that start together must not each spend a window. Two
            # creating it at once: one insert wins, the other finds the row.
            with suppress(IntegrityError), self.session() as session:
                session.add(Budget(name=name, tokens=0.0, updated=moment, paused_until=0.0, used=0))
        with self.session() as session:
            query = select(Budget).where(Budget.name == name)
            if not self.is_sqlite:
                query = query.with_for_update()
            yield session.scalars(query).one()

    def budget_used(self, name: str) -> int:
        with self.session() as session:
            return int(session.scalar(select(Budget.used).where(Budget.name == name)) or 0)

    # -- runs per database ----------------------------------------------------------------

    def begin_database_run(self, stage: str, replica_id: str, wave: str | None) -> int:
        with self.session() as session:
            database_id = session.scalar(
                select(Database.id).where(Database.replica_id == replica_id)
            )
            run = Run(stage=stage, database_id=database_id, wave=wave)
            session.add(run)
            session.flush()
            return run.id

    def set_wave(self, replica_id: str, unids: list[str], wave: str) -> None:
        """The wave the documents of a load belong to (their latest), and the database's
        held-back documents no wave has had yet: the wave that met them is where a team looks
        for them."""
        with self.session() as session:
            database_id = session.scalar(
                select(Database.id).where(Database.replica_id == replica_id)
            )
            for start in range(0, len(unids), 500):
                session.execute(
                    update(Document)
                    .where(
                        Document.database_id == database_id,
                        Document.unid.in_(unids[start : start + 500]),
                    )
                    .values(wave=wave, updated_at=utcnow())
                )
            session.execute(
                update(Document)
                .where(
                    Document.database_id == database_id,
                    Document.state == State.QUARANTINED,
                    Document.wave.is_(None),
                )
                .values(wave=wave, updated_at=utcnow())
            )
