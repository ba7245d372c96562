"""Companies, documents, integration links, outbox and processed messages.

Revision ID: 0001
Revises:
Create Date: 2024-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

RUT = sa.String(12)


def upgrade() -> None:
    op.create_table(
        "companies",
        sa.Column("rut", RUT, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "documents",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("company_rut", RUT, sa.ForeignKey("companies.rut"), nullable=False),
        sa.Column("direction", sa.String(10), nullable=False),
        sa.Column("dte_type", sa.Integer, nullable=False),
        sa.Column("folio", sa.BigInteger, nullable=False),
        sa.Column("issue_date", sa.Date, nullable=False),
        sa.Column("issuer_rut", RUT, nullable=False),
        sa.Column("counterparty_rut", RUT, nullable=False),
        sa.Column("counterparty_name", sa.String(200), nullable=False),
        sa.Column("net", sa.BigInteger, nullable=False),
        sa.Column("exempt", sa.BigInteger, nullable=False),
        sa.Column("vat", sa.BigInteger, nullable=False),
        sa.Column("total", sa.BigInteger, nullable=False),
        sa.Column("doc_references", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("company_rut", "direction", "issuer_rut", "dte_type", "folio",
                            name="uq_documents_folio"),
    )
    op.create_index("ix_documents_company_date", "documents",
                    ["company_rut", "issue_date", "folio", "id"])
    op.create_table(
        "integration_links",
        sa.Column("company_rut", RUT, sa.ForeignKey("companies.rut"), primary_key=True),
        sa.Column("contract_rut", RUT, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("request_id", sa.String(36), nullable=False),
        sa.Column("detail", sa.String(2000), nullable=False),
        sa.Column("accounting_company_id", sa.String(64)),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
        sa.Column("event_id", sa.String(64), nullable=False, unique=True),
        sa.Column("event_type", sa.String(120), nullable=False),
        sa.Column("correlation_id", sa.String(64)),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_outbox_unpublished", "outbox", ["id"],
                    postgresql_where=sa.text("published_at IS NULL"),
                    sqlite_where=sa.text("published_at IS NULL"))
    op.create_table(
        "processed_messages",
        sa.Column("event_id", sa.String(64), primary_key=True),
        sa.Column("event_type", sa.String(120), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("processed_messages")
    op.drop_index("ix_outbox_unpublished", table_name="outbox")
    op.drop_table("outbox")
    op.drop_table("integration_links")
    op.drop_index("ix_documents_company_date", table_name="documents")
    op.drop_table("documents")
    op.drop_table("companies")
