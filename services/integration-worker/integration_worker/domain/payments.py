"""DESIGN.md §6, payments and collections: a comprobante de egreso or de ingreso.

A payment to a supplier settles Proveedores (debit, per RUT) out of the payments account;
a collection from a customer settles Clientes (credit, per RUT) into the collections
account. Both accounts are optional settings: without one, the payment waits with a
reason that names it.
"""

from integration_worker.domain import dte_types
from integration_worker.domain.posting_rules import Hold, pesos
from shared.events import PaymentKind, PaymentRecorded
from shared.internal_api import LineRole, PostingProfile, ProposedEntry, ProposedLine


def source_key(payment: PaymentRecorded) -> str:
    return f"payment:{payment.payment_id}"


def propose_payment(payment: PaymentRecorded, profile: PostingProfile) -> ProposedEntry | Hold:
    rut = payment.counterparty.rut
    paying = payment.kind is PaymentKind.PAYMENT
    what = (f"{'Pago a' if paying else 'Recaudación de'} {payment.counterparty.name} ({rut}) "
            f"of {pesos(payment.amount)} on {payment.paid_on}")
    cash = profile.payments_account if paying else profile.collections_account
    if cash is None:
        setting = "payments_account" if paying else "collections_account"
        kind = "payments" if paying else "collections"
        return Hold(f"{what}: no {kind} account is set, so it cannot be posted: set the {kind} "
                    f"account ({setting}) in settings/invoice-integration, e.g. 110102 Banco.")
    if payment.amount == 0:
        return Hold(f"{what}: the amount is zero, so there is nothing to post; correct the "
                    "payment in invoicing if that is wrong.")
    if paying:
        lines = [
            ProposedLine(account_code=profile.purchases.auxiliary_account,
                         role=LineRole.AUXILIARY, debit=payment.amount, counterparty_rut=rut),
            ProposedLine(account_code=cash, role=LineRole.CASH, credit=payment.amount),
        ]
    else:
        lines = [
            ProposedLine(account_code=cash, role=LineRole.CASH, debit=payment.amount),
            ProposedLine(account_code=profile.sales.auxiliary_account,
                         role=LineRole.AUXILIARY, credit=payment.amount, counterparty_rut=rut),
        ]
    return ProposedEntry(entry_date=payment.paid_on, kind="egreso" if paying else "ingreso",
                         glosa=glosa(payment), lines=lines)


def glosa(payment: PaymentRecorded) -> str:
    """E.g. 'Pago a Distribuidora Central S.A. (97975000-5) — Factura electrónica N° 88001'."""
    party = f"{payment.counterparty.name} ({payment.counterparty.rut})"
    text = (f"Pago a {party}" if payment.kind is PaymentKind.PAYMENT
            else f"Recaudación de {party}")
    if payment.documents:
        text += " — " + ", ".join(f"{dte_types.name_of(d.dte_type)} N° {d.folio}"
                                  for d in payment.documents)
    return text[:300]
