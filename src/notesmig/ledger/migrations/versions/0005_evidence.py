"""evidence: what was loaded, validations, reconciliation verdicts and source exports

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 16:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("databases") as batch:
        batch.add_column(sa.Column("merged", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("target", sa.JSON(), nullable=True))
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("expected_fields", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("list_title", sa.String(length=255), nullable=True))
    with op.batch_alter_table("attachments") as batch:
        batch.add_column(sa.Column("source_quickxor", sa.String(length=64), nullable=True))
    op.create_table(
        "source_exports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("database_id", sa.Integer(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("bytes", sa.BigInteger(), nullable=False),
        sa.Column("documents", sa.Integer(), nullable=False),
        sa.Column("seen", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["database_id"], ["databases.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("database_id", "path", name="uq_source_exports_path"),
    )
    op.create_table(
        "validations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("database_id", sa.Integer(), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("failed_rows", sa.Integer(), nullable=False),
        sa.Column("expectations", sa.Integer(), nullable=False),
        sa.Column("failed_expectations", sa.Integer(), nullable=False),
        sa.Column("max_failure_ratio", sa.Float(), nullable=False),
        sa.Column("stopped", sa.Boolean(), nullable=False),
        sa.Column("data_docs", sa.Text(), nullable=True),
        sa.Column("results", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["database_id"], ["databases.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "verdicts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("database_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("unid", sa.String(length=64), nullable=False),
        sa.Column("verdict", sa.String(length=24), nullable=False),
        sa.Column("differences", sa.JSON(), nullable=True),
        sa.Column("web_url", sa.Text(), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["database_id"], ["databases.id"]),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("database_id", "subject", name="uq_verdicts_subject"),
    )


def downgrade() -> None:
    op.drop_table("verdicts")
    op.drop_table("validations")
    op.drop_table("source_exports")
    with op.batch_alter_table("attachments") as batch:
        batch.drop_column("source_quickxor")
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("list_title")
        batch.drop_column("expected_fields")
    with op.batch_alter_table("databases") as batch:
        batch.drop_column("target")
        batch.drop_column("merged")
