"""unknown accounts per database

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 10:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "unknown_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("database_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("occurrences", sa.Integer(), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["database_id"], ["databases.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("database_id", "name", name="uq_unknown_accounts_name"),
    )


def downgrade() -> None:
    op.drop_table("unknown_accounts")
