"""Reading the ledger: what the loader needs per database, and the status and held-back
documents per database (aggregated in SQL, so it stays fast with 100,000 documents)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import func, select

from notesmig.ledger.base import LedgerBase
from notesmig.ledger.models import (
    AccessScope,
    Attachment,
    Database,
    Document,
    Quarantine,
    State,
    UnknownAccount,
)
from notesmig.ledger.values import DatabaseStatus


class Views(LedgerBase):
    # -- loading --------------------------------------------------------------------------

    def load_view(self, replica_id: str) -> dict[str, tuple[str, str | None, str]]:
        """UNID -> (state, item id, source sha256) for one database."""
        with self.session() as session:
            rows = session.execute(
                select(Document.unid, Document.state, Document.item_id, Document.source_sha256)
                .join(Database)
                .where(Database.replica_id == replica_id)
            )
            return {unid: (state, item, sha) for unid, state, item, sha in rows}

    def attachment_view(self, replica_id: str) -> dict[tuple[str, str, str, str], Attachment]:
        """(UNID, library, folder, name) -> attachment row, for one database."""
        with self.session() as session:
            rows = session.execute(
                select(Document.unid, Attachment)
                .join(Attachment, Attachment.document_id == Document.id)
                .join(Database, Database.id == Document.database_id)
                .where(Database.replica_id == replica_id)
            )
            return {(unid, a.library, a.folder, a.name): a for unid, a in rows}

    def held_at(self, replica_id: str, stage: str) -> set[str]:
        """The UNIDs a stage holds back (open quarantine entries of that stage)."""
        with self.session() as session:
            rows = session.scalars(
                select(Document.unid)
                .join(Quarantine, Quarantine.document_id == Document.id)
                .join(Database, Database.id == Document.database_id)
                .where(
                    Database.replica_id == replica_id,
                    Quarantine.stage == stage,
                    Quarantine.resolved.is_(False),
                )
            )
            return set(rows)

    def item_lists(self, replica_id: str) -> dict[str, str]:
        """UNID -> the SharePoint list its item is in, for one database's loaded documents."""
        with self.session() as session:
            rows = session.execute(
                select(Document.unid, Document.list_id)
                .join(Database)
                .where(Database.replica_id == replica_id, Document.list_id.is_not(None))
            )
            return {unid: str(list_id) for unid, list_id in rows}

    def access_view(self, replica_id: str) -> dict[str, tuple[str | None, str | None]]:
        """UNID -> (audience, access state) of one database's documents that have either."""
        with self.session() as session:
            rows = session.execute(
                select(Document.unid, Document.audience, Document.access_state)
                .join(Database)
                .where(
                    Database.replica_id == replica_id,
                    (Document.audience.is_not(None)) | (Document.access_state.is_not(None)),
                )
            )
            return {unid: (audience, state) for unid, audience, state in rows}

    def scope_digests(self, replica_id: str) -> dict[tuple[str, str], str]:
        """(list id, scope key) -> the sha256 of the grants notesmig set and verified there."""
        with self.session() as session:
            rows = session.execute(
                select(AccessScope.target, AccessScope.key, AccessScope.grants_sha256)
                .join(Database, Database.id == AccessScope.database_id)
                .where(Database.replica_id == replica_id, AccessScope.state == "verified")
            )
            return {(target, key): sha for target, key, sha in rows}

    def placements(self, replica_id: str) -> dict[tuple[str, str], tuple[str, str, str]]:
        """(UNID, file key) -> (library, folder, name): where each file of a database went."""
        with self.session() as session:
            rows = session.execute(
                select(
                    Document.unid,
                    Attachment.file_key,
                    Attachment.library,
                    Attachment.folder,
                    Attachment.name,
                )
                .join(Attachment, Attachment.document_id == Document.id)
                .join(Database, Database.id == Document.database_id)
                .where(Database.replica_id == replica_id, Attachment.file_key.is_not(None))
            )
            return {
                (unid, str(key)): (library, folder, name)
                for unid, key, library, folder, name in rows
            }

    # -- reading --------------------------------------------------------------------------

    def database_id(self, replica_id: str) -> int | None:
        with self.session() as session:
            return session.scalar(select(Database.id).where(Database.replica_id == replica_id))

    def states(self, replica_id: str) -> dict[str, str]:
        with self.session() as session:
            rows = session.execute(
                select(Document.unid, Document.state)
                .join(Database)
                .where(Database.replica_id == replica_id)
            )
            return dict(rows.all())

    def status(self) -> list[DatabaseStatus]:
        with self.session() as session:
            counts: dict[int, dict[str, int]] = defaultdict(dict)
            for database_id, state, number in session.execute(
                select(Document.database_id, Document.state, func.count()).group_by(
                    Document.database_id, Document.state
                )
            ):
                counts[database_id][state] = number
            errors = dict(
                session.execute(
                    select(Document.database_id, func.count())
                    .where(
                        Document.error.is_not(None),
                        Document.state.not_in([State.QUARANTINED, State.EXCLUDED]),
                    )
                    .group_by(Document.database_id)
                ).all()
            )
            pending = dict(
                session.execute(
                    select(Document.database_id, func.count())
                    .where(Document.update_pending.is_(True))
                    .group_by(Document.database_id)
                ).all()
            )
            held = dict(
                session.execute(
                    select(Document.database_id, func.count(func.distinct(Quarantine.document_id)))
                    .join(Quarantine, Quarantine.document_id == Document.id)
                    .where(Quarantine.resolved.is_(False))
                    .group_by(Document.database_id)
                ).all()
            )
            reasons: dict[int, dict[str, int]] = defaultdict(dict)
            for database_id, reason, number in session.execute(
                select(
                    Document.database_id,
                    Quarantine.reason,
                    func.count(func.distinct(Quarantine.document_id)),
                )
                .join(Quarantine, Quarantine.document_id == Document.id)
                .where(Quarantine.resolved.is_(False))
                .group_by(Document.database_id, Quarantine.reason)
            ):
                reasons[database_id][reason] = number
            unknown = dict(
                session.execute(
                    select(UnknownAccount.database_id, func.count()).group_by(
                        UnknownAccount.database_id
                    )
                ).all()
            )
            restricted = dict(
                session.execute(
                    select(Document.database_id, func.count())
                    .where(
                        Document.audience.is_not(None),
                        Document.access_state == "verified",
                        Document.state.in_([State.LOADED, State.VERIFIED]),
                    )
                    .group_by(Document.database_id)
                ).all()
            )
            scopes = dict(
                session.execute(
                    select(AccessScope.database_id, func.count())
                    .where(AccessScope.state == "verified")
                    .group_by(AccessScope.database_id)
                ).all()
            )
            result = []
            for database in session.scalars(select(Database).order_by(Database.replica_id)):
                result.append(
                    DatabaseStatus(
                        database.replica_id,
                        database.title,
                        dict(sorted(counts[database.id].items())),
                        held.get(database.id, 0),
                        errors.get(database.id, 0),
                        pending.get(database.id, 0),
                        dict(sorted(reasons[database.id].items(), key=lambda kv: -kv[1])),
                        unknown.get(database.id, 0),
                        restricted.get(database.id, 0),
                        scopes.get(database.id, 0),
                    )
                )
            return result

    def quarantined(self, replica_id: str | None = None) -> list[dict[str, Any]]:
        with self.session() as session:
            query = (
                select(
                    Database.replica_id,
                    Document.unid,
                    Document.form,
                    Quarantine.stage,
                    Quarantine.reason,
                    Quarantine.detail,
                    Quarantine.created,
                )
                .join(Document, Document.id == Quarantine.document_id)
                .join(Database, Database.id == Document.database_id)
                .where(Quarantine.resolved.is_(False))
                .order_by(Database.replica_id, Document.unid)
            )
            if replica_id is not None:
                query = query.where(Database.replica_id == replica_id)
            return [dict(row._mapping) for row in session.execute(query)]
