"""The link's connection in force, apart from its current request (issue 11.1).

A change of accountant keeps the approved connection until the new request is approved,
so the link holds both: the current request (as before) and the connection (the approved
request, its contract and accounting company). An approved link is its own connection.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("integration_links") as batch:
        batch.add_column(sa.Column("requested_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("connected_request_id", sa.String(36)))
        batch.add_column(sa.Column("connected_contract_rut", sa.String(12)))
        batch.add_column(sa.Column("connected_accounting_company_id", sa.String(64)))
    op.execute("UPDATE integration_links SET requested_at = updated_at")
    op.execute(
        "UPDATE integration_links SET connected_request_id = request_id, "
        "connected_contract_rut = contract_rut, "
        "connected_accounting_company_id = accounting_company_id "
        "WHERE status = 'approved' AND accounting_company_id IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("integration_links") as batch:
        batch.drop_column("connected_accounting_company_id")
        batch.drop_column("connected_contract_rut")
        batch.drop_column("connected_request_id")
        batch.drop_column("requested_at")
