"""operations: waves, runs per database, database leases and the shared resource budget

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 20:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("wave", sa.String(length=64), nullable=True))
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("database_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("wave", sa.String(length=64), nullable=True))
        batch.create_foreign_key("fk_runs_database", "databases", ["database_id"], ["id"])
    op.create_table(
        "database_leases",
        sa.Column("replica_id", sa.String(length=16), nullable=False),
        sa.Column("holder", sa.String(length=255), nullable=False),
        sa.Column("expires", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("replica_id"),
    )
    op.create_table(
        "budgets",
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("updated", sa.Float(), nullable=False),
        sa.Column("paused_until", sa.Float(), nullable=False),
        sa.Column("used", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("budgets")
    op.drop_table("database_leases")
    with op.batch_alter_table("runs") as batch:
        batch.drop_constraint("fk_runs_database", type_="foreignkey")
        batch.drop_column("wave")
        batch.drop_column("database_id")
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("wave")
