"""A document's state (status, hold reason and code, entry) in a narrow table of its own

Confirm changes the status of every document it posts. In sync_documents that rewrote
each 1.2 kB row: a new version, an entry in each of its four indexes, and the WAL of all
of it (the README's Performance section). sync_document_states holds the four columns
that change, 60 bytes a row with one index; sync_documents keeps what a document is.

Revision ID: 0015
Revises: 0014
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATE = ("status", "hold_reason", "hold_code", "entry_id")


def upgrade() -> None:
    op.create_table(
        "sync_document_states",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("hold_reason", sa.Text()),
        sa.Column("hold_code", sa.String(20)),
        sa.Column("entry_id", sa.String(36)),
        sa.PrimaryKeyConstraint("id", name="pk_sync_document_states"),
    )
    op.execute(f"INSERT INTO sync_document_states (id, {', '.join(STATE)}) "
               f"SELECT id, {', '.join(STATE)} FROM sync_documents")
    # SQLite (3.35 and later) drops a column in place: none of these is in an index.
    for column in STATE:
        op.drop_column("sync_documents", column)


def downgrade() -> None:
    op.add_column("sync_documents", sa.Column("status", sa.String(16), nullable=False,
                                              server_default="ready"))
    op.add_column("sync_documents", sa.Column("hold_reason", sa.Text()))
    op.add_column("sync_documents", sa.Column("hold_code", sa.String(20)))
    op.add_column("sync_documents", sa.Column("entry_id", sa.String(36)))
    for column in STATE:
        op.execute(f"UPDATE sync_documents SET {column} = (SELECT s.{column} FROM "
                   f"sync_document_states AS s WHERE s.id = sync_documents.id)")
    op.drop_table("sync_document_states")
