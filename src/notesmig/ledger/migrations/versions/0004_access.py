"""permissions: audiences of documents and the scopes notesmig made

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 13:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("audience", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("access_state", sa.String(length=16), nullable=True))
    op.create_table(
        "access_scopes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("database_id", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("item_id", sa.String(length=32), nullable=True),
        sa.Column("grants_sha256", sa.String(length=64), nullable=False),
        sa.Column("grants", sa.JSON(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["database_id"], ["databases.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("database_id", "target", "key", name="uq_access_scope"),
    )


def downgrade() -> None:
    op.drop_table("access_scopes")
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("access_state")
        batch.drop_column("audience")
