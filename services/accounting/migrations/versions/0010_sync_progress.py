"""sync sessions record when they last made progress (progress_at): an open session still
for too long is shown stalled, and an interrupted confirm ("confirming") is resumed

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sync_sessions") as batch_op:
        batch_op.add_column(sa.Column("progress_at", sa.DateTime(timezone=True)))
    op.execute("UPDATE sync_sessions SET progress_at = COALESCE(confirmed_at, created_at)")


def downgrade() -> None:
    # A session left confirming is confirmed again as before: confirming posts what is left.
    op.execute("UPDATE sync_sessions SET status = 'confirmed' WHERE status = 'confirming'")
    with op.batch_alter_table("sync_sessions") as batch_op:
        batch_op.drop_column("progress_at")
