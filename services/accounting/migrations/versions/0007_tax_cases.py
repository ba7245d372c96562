"""the tax cases of DESIGN §6b: purchase-side accounts for additional taxes, a tolerance for
the IVA of issued documents, and the accounts §8 added to the default chart, given to every
company that lacks them

A company's chart was copied from the default when it was created, so the accounts added
since (ILA por Recuperar, IVA uso común, activo fijo, renta retenida…) are inserted for each
company that does not have an account with that code; accounts a company already has, under
that code or any other, are left as they are.

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (code, name, type, postable): the leaves and groups §8 added for §6b.
ADDED = (
    ("12", "Activo Fijo", "asset", False),
    ("1201", "Activo Fijo Bruto", "asset", False),
    ("110715", "ILA por Recuperar", "asset", True),
    ("110730", "IVA Crédito Fiscal Uso Común", "asset", True),
    ("110750", "Crédito Especial Empresas Constructoras", "asset", True),
    ("120110", "Maquinarias y Equipos", "asset", True),
    ("120120", "Muebles y Útiles", "asset", True),
    ("120130", "Vehículos", "asset", True),
    ("210745", "Impuesto a la Renta Retenido", "liability", True),
    ("210760", "Garantía por Envases", "liability", True),
)


def upgrade() -> None:
    with op.batch_alter_table("invoice_settings") as batch:
        batch.add_column(sa.Column("purchase_other_tax_accounts", sa.JSON()))
        batch.add_column(sa.Column("issued_vat_tolerance", sa.Integer(), nullable=False,
                                   server_default="2"))
    for code, name, kind, postable in ADDED:
        op.execute(
            sa.text(
                "INSERT INTO accounts (company_id, code, name, type, postable, auxiliary, active) "
                "SELECT c.id, :code, :name, :type, :postable, false, true FROM companies c "
                "WHERE NOT EXISTS (SELECT 1 FROM accounts a "
                "WHERE a.company_id = c.id AND a.code = :code)"
            ).bindparams(code=code, name=name, type=kind, postable=postable)
        )


def downgrade() -> None:
    with op.batch_alter_table("invoice_settings") as batch:
        batch.drop_column("issued_vat_tolerance")
        batch.drop_column("purchase_other_tax_accounts")
