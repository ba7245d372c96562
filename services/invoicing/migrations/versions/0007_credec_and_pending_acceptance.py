"""A document's CredEC and GrntDep, and its status: an RCV pendientes row is kept as
pending acceptance and is not exported until the registro lists it.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("construction_credit", sa.BigInteger, nullable=False,
                                   server_default=sa.text("0")))
        batch.add_column(sa.Column("container_deposit", sa.BigInteger, nullable=False,
                                   server_default=sa.text("0")))
        batch.add_column(sa.Column("status", sa.String(20), nullable=False,
                                   server_default=sa.text("'recorded'")))


def downgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("status")
        batch.drop_column("container_deposit")
        batch.drop_column("construction_credit")
