"""A payment is kept once per company whether it came live or in a range sync: the index
that finds a payment's key among all of a company's sessions (payments only).

Revision ID: 0014
Revises: 0013
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_sync_documents_payment_keys", "sync_documents",
                    ["company_id", "source_key"],
                    postgresql_where=sa.text("dte_type IS NULL"),
                    sqlite_where=sa.text("dte_type IS NULL"))


def downgrade() -> None:
    op.drop_index("ix_sync_documents_payment_keys", table_name="sync_documents")
