"""invoice_settings.version: goes up by one with each change of a company's settings

The worker caches each company's posting profile; a profile carries the version it was
read at and every batch of proposals the versions it was built with, so accounting refuses
a batch built with settings that changed since (issue 12: a settings change reached only
one of the workers sharing the queue).

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("invoice_settings") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False,
                                   server_default=sa.text("0")))


def downgrade() -> None:
    with op.batch_alter_table("invoice_settings") as batch:
        batch.drop_column("version")
