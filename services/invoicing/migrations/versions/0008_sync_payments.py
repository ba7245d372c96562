"""A range sync exports the payments and collections paid in its range after its
documents: where that part of the export stands.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sync_exports") as batch:
        batch.add_column(sa.Column("documents_done", sa.Boolean, nullable=False,
                                   server_default=sa.false()))
        batch.add_column(sa.Column("payments_after_date", sa.Date))
        batch.add_column(sa.Column("payments_after_id", sa.String(36)))
        batch.add_column(sa.Column("payment_pages", sa.Integer, nullable=False,
                                   server_default=sa.text("0")))
        batch.add_column(sa.Column("payment_totals", sa.JSON, nullable=False,
                                   server_default=sa.text("'[]'")))


def downgrade() -> None:
    with op.batch_alter_table("sync_exports") as batch:
        batch.drop_column("payment_totals")
        batch.drop_column("payment_pages")
        batch.drop_column("payments_after_id")
        batch.drop_column("payments_after_date")
        batch.drop_column("documents_done")
