"""Moving one document at a time: forward through the states, or into quarantine."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import insert, select, update

from notesmig.ledger.base import LedgerBase, UnknownDocumentError, _document
from notesmig.ledger.models import (
    STAGE_ORDER,
    AccessScope,
    Attachment,
    Document,
    Event,
    Quarantine,
    State,
    UnknownAccount,
    utcnow,
)
from notesmig.records import LoadOutcome


class Transitions(LedgerBase):
    # -- transitions ----------------------------------------------------------------------

    def advance(
        self, database_id: int, unid: str, state: State, *, run_id: int | None = None, **values: Any
    ) -> bool:
        """Move a document forward to ``state``; a no-op (False) if it is already there or past."""
        with self.session() as session:
            # Two columns read and one UPDATE: the loader advances every document it writes,
            # and loading the whole row (its expected fields) through the ORM was most of the
            # load's ledger time.
            found = session.execute(
                select(Document.id, Document.state).where(
                    Document.database_id == database_id, Document.unid == unid
                )
            ).one_or_none()
            if found is None:
                raise UnknownDocumentError(f"document {unid} is not in the ledger")
            document_id, current = found
            if current == state or (
                STAGE_ORDER[State(current)] > STAGE_ORDER[state]
                and state not in (State.QUARANTINED, State.EXCLUDED)
            ):
                return False
            changes: dict[str, Any] = {"state": state, "claimed_by": None, "claimed_at": None}
            if state in (State.LOADED, State.VERIFIED):
                changes["update_pending"] = False
            changes.update(values)
            session.execute(update(Document).where(Document.id == document_id).values(**changes))
            session.execute(
                insert(Event).values(
                    run_id=run_id, document_id=document_id, stage=str(state), kind="advance"
                )
            )
            return True

    def advance_many(
        self, database_id: int, state: State, changes: dict[str, dict[str, Any]]
    ) -> int:
        """:meth:`advance` for many documents in one transaction (``changes``: UNID -> the
        values to set with the state); how many moved. The loader records what it wrote a
        batch at a time: a transaction per item was a tenth of its CPU."""
        moved = 0
        unids = list(changes)
        for start in range(0, len(unids), 500):
            moved += self._advance_some(database_id, state, unids[start : start + 500], changes)
        return moved

    def record_loaded(self, database_id: int, outcomes: Iterable[LoadOutcome]) -> int:
        """Documents the loader put in SharePoint (created, updated or found unchanged): loaded,
        with where their items stand and the values written; how many moved."""
        changes = {
            o.unid: {"list_id": o.list_id, "item_id": o.item_id, "web_url": o.web_url,
                     "expected_fields": o.expected_fields, "list_title": o.list_title}
            for o in outcomes
            if o.action in ("created", "updated", "unchanged")
        }  # fmt: skip
        return self.advance_many(database_id, State.LOADED, changes) if changes else 0

    def _advance_some(
        self, database_id: int, state: State, unids: list[str], changes: dict[str, dict[str, Any]]
    ) -> int:
        if state in (State.QUARANTINED, State.EXCLUDED):
            raise ValueError(f"advance_many moves documents forward, not to {state}")
        with self.session() as session:
            rows = session.execute(
                select(Document.unid, Document.id, Document.state).where(
                    Document.database_id == database_id, Document.unid.in_(unids)
                )
            ).all()
            missing = set(unids) - {unid for unid, _id, _state in rows}
            if missing:
                raise UnknownDocumentError(f"document {sorted(missing)[0]} is not in the ledger")
            # Already there or past it: a no-op, as advance() is.
            moving = {unid: document_id for unid, document_id, current in rows
                      if STAGE_ORDER[State(current)] < STAGE_ORDER[state]}  # fmt: skip
            if not moving:
                return 0
            fixed: dict[str, Any] = {"state": state, "claimed_by": None, "claimed_at": None}
            if state in (State.LOADED, State.VERIFIED):
                fixed["update_pending"] = False
            session.execute(
                update(Document), [{"id": i, **fixed, **changes[u]} for u, i in moving.items()]
            )
            session.execute(
                insert(Event),
                [{"run_id": None, "document_id": i, "stage": str(state), "kind": "advance"}
                 for i in moving.values()],
            )  # fmt: skip
            return len(moving)

    def quarantine(
        self,
        database_id: int,
        unid: str,
        stage: str,
        reason: str,
        detail: str = "",
        *,
        run_id: int | None = None,
    ) -> bool:
        """Hold a document back with the reason (once per document and reason)."""
        with self.session() as session:
            row = _document(session, database_id, unid)
            open_entry = session.scalar(
                select(Quarantine).where(
                    Quarantine.document_id == row.id,
                    Quarantine.reason == reason,
                    Quarantine.resolved.is_(False),
                )
            )
            row.state, row.error, row.claimed_by = State.QUARANTINED, reason, None
            if open_entry is not None:
                return False
            session.add(Quarantine(document_id=row.id, stage=stage, reason=reason, detail=detail))
            session.add(
                Event(
                    run_id=run_id,
                    document_id=row.id,
                    stage=stage,
                    kind="quarantine",
                    message=reason,
                )
            )
            return True

    def record_unknown_people(self, database_id: int, counts: dict[str, int]) -> None:
        """The accounts SharePoint did not know in the latest load of a database."""
        with self.session() as session:
            known = {
                row.name: row
                for row in session.scalars(
                    select(UnknownAccount).where(UnknownAccount.database_id == database_id)
                )
            }
            for name, number in counts.items():
                row = known.get(name)
                if row is None:
                    session.add(
                        UnknownAccount(database_id=database_id, name=name, occurrences=number)
                    )
                else:
                    row.occurrences, row.last_seen = number, utcnow()

    def update_attachment(self, attachment_id: int, **values: Any) -> None:
        with self.session() as session:
            session.execute(
                update(Attachment).where(Attachment.id == attachment_id).values(**values)
            )

    def update_attachments(self, changes: dict[int, dict[str, Any]]) -> None:
        """:meth:`update_attachment` for many attachments in one transaction (attachment id ->
        the values to set)."""
        if changes:
            with self.session() as session:
                session.execute(
                    update(Attachment), [{"id": i, **values} for i, values in changes.items()]
                )

    def record_scope(
        self,
        database_id: int,
        target: str,
        key: str,
        *,
        item_id: str | None,
        grants_sha256: str,
        grants: list[dict[str, str]],
        state: str,
    ) -> None:
        """A unique scope notesmig made (a list's ACL or an audience folder) and where it stands."""
        with self.session() as session:
            row = session.scalar(
                select(AccessScope).where(
                    AccessScope.database_id == database_id,
                    AccessScope.target == target,
                    AccessScope.key == key,
                )
            )
            if row is None:
                row = AccessScope(database_id=database_id, target=target, key=key)
                session.add(row)
            row.item_id, row.grants_sha256, row.grants, row.state = (
                item_id, grants_sha256, grants, state
            )  # fmt: skip
            if state == "verified":
                row.verified_at = utcnow()

    def set_access(
        self, database_id: int, unid: str, *, audience: str | None, state: str | None
    ) -> None:
        """Where a document's permissions stand (its audience, and planned ... verified)."""
        with self.session() as session:
            # A Core UPDATE, not the ORM's whole row (its expected fields): once per
            # restricted document.
            done = session.execute(
                update(Document)
                .where(Document.database_id == database_id, Document.unid == unid)
                .values(audience=audience, access_state=state)
            )
            if not done.rowcount:  # type: ignore[attr-defined]
                raise UnknownDocumentError(f"document {unid} is not in the ledger")

    def plan_access(self, database_id: int, unids: Iterable[str]) -> None:
        """Restricted documents whose permissions are planned and not yet applied anywhere."""
        wanted = sorted(set(unids))
        with self.session() as session:
            for start in range(0, len(wanted), 500):
                session.execute(
                    update(Document)
                    .where(
                        Document.database_id == database_id,
                        Document.unid.in_(wanted[start : start + 500]),
                        Document.access_state.is_(None),
                    )
                    .values(access_state="planned")
                )

    def access_of(self, database_id: int, unid: str) -> tuple[str | None, str | None]:
        """A document's audience and access state, as the ledger has them now."""
        with self.session() as session:
            found = session.execute(
                select(Document.audience, Document.access_state).where(
                    Document.database_id == database_id, Document.unid == unid
                )
            ).first()
            if found is None:
                raise UnknownDocumentError(f"document {unid} is not in the ledger")
            return found[0], found[1]

    def forget_item(self, database_id: int, unid: str) -> None:
        """The document's item is gone from SharePoint (removed on purpose)."""
        with self.session() as session:
            row = _document(session, database_id, unid)
            row.item_id, row.list_id, row.web_url = None, None, None
