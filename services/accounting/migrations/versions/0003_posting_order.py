"""an index in the order confirm posts a session's documents (keyset pages); a missing
manifest is SQL NULL (not JSON null), so a session is read without its manifest

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_sync_documents_posting_order", "sync_documents",
                    ["sync_id", "issue_date", sa.text("coalesce(dte_type, -1)"),
                     sa.text("coalesce(folio, -1)"), "id"])
    as_text = "manifest::text" if op.get_bind().dialect.name == "postgresql" else "manifest"
    op.execute(f"UPDATE sync_sessions SET manifest = NULL WHERE {as_text} = 'null'")


def downgrade() -> None:
    op.drop_index("ix_sync_documents_posting_order", table_name="sync_documents")
