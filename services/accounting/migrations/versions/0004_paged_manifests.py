"""a sync's manifest documents as rows (they arrive in invoicing.sync.manifest.v1 pages),
and the manifest's state while its pages arrive

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sync_manifests",
        sa.Column("sync_id", sa.String(length=36), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=True),
        sa.Column("document_count", sa.Integer(), nullable=True),
        sa.Column("pages", sa.Integer(), nullable=True),
        sa.Column("received", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["sync_id"], ["sync_sessions.id"],
                                name=op.f("fk_sync_manifests_sync_id_sync_sessions")),
        sa.PrimaryKeyConstraint("sync_id", name=op.f("pk_sync_manifests")),
    )
    op.create_table(
        "sync_manifest_documents",
        sa.Column("sync_id", sa.String(length=36), nullable=False),
        sa.Column("document_key", sa.String(length=200), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("issue_date", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("sync_id", "document_key",
                                name=op.f("pk_sync_manifest_documents")),
    )
    op.create_index("ix_sync_manifest_documents_sync_id_issue_date", "sync_manifest_documents",
                    ["sync_id", "issue_date"])


def downgrade() -> None:
    op.drop_index("ix_sync_manifest_documents_sync_id_issue_date",
                  table_name="sync_manifest_documents")
    op.drop_table("sync_manifest_documents")
    op.drop_table("sync_manifests")
