"""Additional taxes and retained IVA on documents (imported DTEs carry ImptoReten).

Revision ID: 0002
Revises: 0001
Create Date: 2024-12-10
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("other_taxes", sa.JSON, nullable=False,
                                   server_default=sa.text("'[]'")))
        batch.add_column(sa.Column("vat_retained", sa.BigInteger, nullable=False,
                                   server_default=sa.text("0")))


def downgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("vat_retained")
        batch.drop_column("other_taxes")
