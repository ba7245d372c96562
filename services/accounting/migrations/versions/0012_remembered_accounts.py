"""the detail account a person chose for a counterparty, remembered per company, direction
and RUT and proposed for its next documents (issue 14, item 12); each document says where
its detail account came from

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "remembered_accounts",
        sa.Column("company_id", sa.String(36), nullable=False),
        sa.Column("direction", sa.String(10), nullable=False),
        sa.Column("counterparty_rut", sa.String(12), nullable=False),
        sa.Column("account_code", sa.String(20), nullable=False),
        sa.Column("origin", sa.String(8), nullable=False),
        sa.Column("chosen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sync_id", sa.String(36)),
        sa.Column("source_key", sa.String(200)),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"],
                                name="fk_remembered_accounts_company_id_companies"),
        sa.PrimaryKeyConstraint("company_id", "direction", "counterparty_rut",
                                name="pk_remembered_accounts"),
    )
    with op.batch_alter_table("sync_documents") as batch:
        batch.add_column(sa.Column("account_source", sa.String(12)))
        batch.add_column(sa.Column("account_note", sa.Text))


def downgrade() -> None:
    with op.batch_alter_table("sync_documents") as batch:
        batch.drop_column("account_note")
        batch.drop_column("account_source")
    op.drop_table("remembered_accounts")
