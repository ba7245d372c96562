"""integration requests can be withdrawn, superseded or disconnected (issue 11.1): a
longer status, the request that replaced one; a sync session invoicing refused says why

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("integration_requests") as batch_op:
        batch_op.alter_column("status", existing_type=sa.String(10), type_=sa.String(12),
                              existing_nullable=False)
        batch_op.add_column(sa.Column("superseded_by", sa.String(64)))
        batch_op.create_index("ix_integration_requests_company_rut", ["company_rut"])
    with op.batch_alter_table("sync_sessions") as batch_op:
        batch_op.add_column(sa.Column("detail", sa.Text()))


def downgrade() -> None:
    with op.batch_alter_table("sync_sessions") as batch_op:
        batch_op.drop_column("detail")
    with op.batch_alter_table("integration_requests") as batch_op:
        batch_op.drop_index("ix_integration_requests_company_rut")
        batch_op.drop_column("superseded_by")
        batch_op.alter_column("status", existing_type=sa.String(12), type_=sa.String(10),
                              existing_nullable=False)
