"""documents: what the load did with a document deleted in Notes; databases: when frozen

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 20:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("deletion", sa.String(length=16), nullable=True))
    with op.batch_alter_table("databases") as batch:
        batch.add_column(sa.Column("frozen_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("databases") as batch:
        batch.drop_column("frozen_at")
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("deletion")
