"""links and quarantine: indexed by document

Without them, replacing one document's links or looking for its open quarantine entry read
the whole table: the link pass of a 100,000-document run grew quadratic.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 23:55:00
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_links_document", "links", ["document_id"])
    op.create_index("ix_quarantine_document", "quarantine", ["document_id", "resolved"])


def downgrade() -> None:
    op.drop_index("ix_quarantine_document", table_name="quarantine")
    op.drop_index("ix_links_document", table_name="links")
