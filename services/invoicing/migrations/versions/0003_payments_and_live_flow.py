"""Payments and collections; when a link had its first sync (documents then flow live).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("integration_links") as batch:
        batch.add_column(sa.Column("first_synced_at", sa.DateTime(timezone=True)))
    op.create_table(
        "payments",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("company_rut", sa.String(12), sa.ForeignKey("companies.rut"), nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("counterparty_rut", sa.String(12), nullable=False),
        sa.Column("counterparty_name", sa.String(200), nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("paid_on", sa.Date, nullable=False),
        sa.Column("documents", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_payments_company_date", "payments", ["company_rut", "paid_on"])


def downgrade() -> None:
    op.drop_index("ix_payments_company_date", "payments")
    op.drop_table("payments")
    with op.batch_alter_table("integration_links") as batch:
        batch.drop_column("first_synced_at")
