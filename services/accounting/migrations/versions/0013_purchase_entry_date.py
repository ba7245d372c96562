"""a purchase's entry date apart from its issue date (DESIGN §6b, DL 825 art. 24): the
setting that chooses it, and each received document's own issue date, which the
reconciliation counts by (invoicing's month), while issue_date stays the entry's date

Revision ID: 0013
Revises: 0012
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("invoice_settings") as batch:
        batch.add_column(sa.Column("purchase_entry_date", sa.String(10), nullable=False,
                                   server_default="received"))
    with op.batch_alter_table("sync_documents") as batch:
        batch.add_column(sa.Column("issued_on", sa.Date))
    # Until now every entry took its document's issue date, and the document keeps it.
    if op.get_bind().dialect.name == "postgresql":
        op.execute("UPDATE sync_documents SET issued_on = CAST(document->>'issue_date' AS date) "
                   "WHERE document IS NOT NULL")
    else:
        op.execute("UPDATE sync_documents SET issued_on = json_extract(document, '$.issue_date') "
                   "WHERE document IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table("sync_documents") as batch:
        batch.drop_column("issued_on")
    with op.batch_alter_table("invoice_settings") as batch:
        batch.drop_column("purchase_entry_date")
