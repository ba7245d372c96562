"""What SII files add to a document: an export's original currency and a purchase's
reception date, and its IVA by RCV column.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("foreign_currency", sa.JSON))
        batch.add_column(sa.Column("received_on", sa.Date))
        batch.add_column(sa.Column("vat_breakdown", sa.JSON))


def downgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("vat_breakdown")
        batch.drop_column("received_on")
        batch.drop_column("foreign_currency")
