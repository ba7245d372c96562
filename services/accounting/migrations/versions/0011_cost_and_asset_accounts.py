"""the invoice integration's optional fixed-asset and non-recoverable IVA accounts
(DESIGN §6b: an activo fijo's neto, and IVA that is cost rather than crédito fiscal)

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("invoice_settings") as batch:
        batch.add_column(sa.Column("fixed_asset", sa.String(20)))
        batch.add_column(sa.Column("non_recoverable_vat", sa.String(20)))


def downgrade() -> None:
    with op.batch_alter_table("invoice_settings") as batch:
        batch.drop_column("non_recoverable_vat")
        batch.drop_column("fixed_asset")
