"""Payments to suppliers and collections from customers, as invoicing records them."""

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from invoicing.domain.documents import Counterparty, Reference
from invoicing.domain.errors import InvalidDocument


class PaymentKind(StrEnum):
    PAYMENT = "payment"  # to a supplier: a comprobante de egreso in accounting
    COLLECTION = "collection"  # from a customer: a comprobante de ingreso


@dataclass(frozen=True)
class Payment:
    id: str
    company_rut: str
    kind: PaymentKind
    counterparty: Counterparty
    amount: int
    paid_on: date
    documents: tuple[Reference, ...] = ()


def validate(payment: Payment) -> None:
    if payment.amount <= 0:
        raise InvalidDocument(
            f"amount must be a positive number of pesos, got {payment.amount}: "
            "record a refund as a payment of the other kind"
        )
    if payment.counterparty.rut == payment.company_rut:
        raise InvalidDocument("the counterparty of a payment cannot be the company itself")
