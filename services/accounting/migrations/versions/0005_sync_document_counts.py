"""per-status document counts of each sync session, kept as documents change status;
sync_documents drops its (sync_id, status) index and leaves half of each page free, so that
posting's status change is a HOT update

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sync_document_counts",
        sa.Column("sync_id", sa.String(36), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["sync_id"], ["sync_sessions.id"],
                                name=op.f("fk_sync_document_counts_sync_id_sync_sessions")),
        sa.PrimaryKeyConstraint("sync_id", "status", name=op.f("pk_sync_document_counts")),
    )
    op.execute("INSERT INTO sync_document_counts (sync_id, status, count) "
               "SELECT sync_id, status, count(*) FROM sync_documents GROUP BY sync_id, status")
    with op.batch_alter_table("sync_documents") as batch_op:
        batch_op.drop_index("ix_sync_documents_sync_id_status")
    if op.get_bind().dialect.name == "postgresql":
        # Pages already full gain the space as they are rewritten (VACUUM FULL would now).
        op.execute("ALTER TABLE sync_documents SET (fillfactor = 50)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE sync_documents RESET (fillfactor)")
    with op.batch_alter_table("sync_documents") as batch_op:
        batch_op.create_index("ix_sync_documents_sync_id_status", ["sync_id", "status"])
    op.drop_table("sync_document_counts")
