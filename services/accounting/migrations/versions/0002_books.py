"""live sessions, payments, periods, reversals, counterparties, manifests, ILA accounts

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE = "reversed_by_entry_id IS NULL"

ILA_ACCOUNTS = [
    ("210720", "ILA Licores (cód. 24)"),
    ("210721", "ILA Vinos (cód. 25)"),
    ("210722", "ILA Cervezas (cód. 26)"),
    ("210723", "ILA Bebidas Analcohólicas (cód. 27)"),
    ("210724", "ILA Bebidas Azucaradas (cód. 271)"),
]


def upgrade() -> None:
    with op.batch_alter_table("invoice_settings") as batch_op:
        batch_op.add_column(sa.Column("auto_post", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column("other_tax_accounts", sa.JSON(), nullable=True))

    with op.batch_alter_table("sync_sessions") as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=8), nullable=False,
                                      server_default="range"))
        batch_op.add_column(sa.Column("manifest", sa.JSON(), nullable=True))
        batch_op.alter_column("date_from", existing_type=sa.Date(), nullable=True)
        batch_op.alter_column("date_to", existing_type=sa.Date(), nullable=True)
        batch_op.create_index("ix_sync_sessions_company_id_kind_status",
                              ["company_id", "kind", "status"], unique=False)

    with op.batch_alter_table("sync_documents") as batch_op:
        batch_op.add_column(sa.Column("payment", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("hold_code", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("note", sa.Text(), nullable=True))
        batch_op.alter_column("dte_type", existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column("folio", existing_type=sa.BigInteger(), nullable=True)
        batch_op.alter_column("document", existing_type=sa.JSON(), nullable=True)

    with op.batch_alter_table("journal_entries") as batch_op:
        batch_op.add_column(sa.Column("reverses_entry_id", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("reversed_by_entry_id", sa.String(length=36),
                                      nullable=True))
        batch_op.add_column(sa.Column("reversal_reason", sa.String(length=300), nullable=True))
        batch_op.create_foreign_key("fk_journal_entries_reverses_entry_id_journal_entries",
                                    "journal_entries", ["reverses_entry_id"], ["id"])
        batch_op.create_foreign_key("fk_journal_entries_reversed_by_entry_id_journal_entries",
                                    "journal_entries", ["reversed_by_entry_id"], ["id"])
        batch_op.drop_constraint("uq_journal_entries_company_id_source_key", type_="unique")
        batch_op.create_index("uq_journal_entries_active_source_key",
                              ["company_id", "source_key"], unique=True,
                              postgresql_where=sa.text(ACTIVE), sqlite_where=sa.text(ACTIVE))

    op.create_table(
        "periods",
        sa.Column("company_id", sa.String(length=36), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("status", sa.String(length=6), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reopened_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"],
                                name=op.f("fk_periods_company_id_companies")),
        sa.PrimaryKeyConstraint("company_id", "month", name=op.f("pk_periods")),
    )
    op.create_table(
        "counterparties",
        sa.Column("company_id", sa.String(length=36), nullable=False),
        sa.Column("rut", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"],
                                name=op.f("fk_counterparties_company_id_companies")),
        sa.PrimaryKeyConstraint("company_id", "rut", name=op.f("pk_counterparties")),
    )

    # Companies created before the ILA accounts joined the default chart get them too.
    for code, name in ILA_ACCOUNTS:
        op.execute(sa.text(
            "INSERT INTO accounts (company_id, code, name, type, postable, auxiliary, active) "
            "SELECT c.id, :code, :name, 'liability', :yes, :no, :yes FROM companies c "
            "WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.company_id = c.id "
            "AND a.code = :code)"
        ).bindparams(code=code, name=name, yes=True, no=False))


def downgrade() -> None:
    op.drop_table("counterparties")
    op.drop_table("periods")
    with op.batch_alter_table("journal_entries") as batch_op:
        batch_op.drop_index("uq_journal_entries_active_source_key")
        batch_op.create_unique_constraint("uq_journal_entries_company_id_source_key",
                                          ["company_id", "source_key"])
        batch_op.drop_constraint("fk_journal_entries_reversed_by_entry_id_journal_entries",
                                 type_="foreignkey")
        batch_op.drop_constraint("fk_journal_entries_reverses_entry_id_journal_entries",
                                 type_="foreignkey")
        batch_op.drop_column("reversal_reason")
        batch_op.drop_column("reversed_by_entry_id")
        batch_op.drop_column("reverses_entry_id")
    with op.batch_alter_table("sync_documents") as batch_op:
        batch_op.drop_column("note")
        batch_op.drop_column("hold_code")
        batch_op.drop_column("payment")
    with op.batch_alter_table("sync_sessions") as batch_op:
        batch_op.drop_index("ix_sync_sessions_company_id_kind_status")
        batch_op.drop_column("manifest")
        batch_op.drop_column("kind")
    with op.batch_alter_table("invoice_settings") as batch_op:
        batch_op.drop_column("other_tax_accounts")
        batch_op.drop_column("auto_post")
