"""Alembic environment: the ledger's connection comes from the caller (notesmig.ledger)."""

from __future__ import annotations

from alembic import context

from notesmig.ledger.models import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
