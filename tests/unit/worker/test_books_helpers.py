"""The IVA a document carries, signed as the books see it (credit notes subtract)."""

from shared.events import TaxDocument
from shared.money import split_gross


def signed_iva(document: TaxDocument) -> int:
    vat = (split_gross(document.total - document.exempt)[1] if document.dte_type == 39
           else document.vat)
    return -vat if document.dte_type in (61, 112) else vat


def test_signed_iva_of_a_boleta_comes_from_its_total():
    from tests.unit.worker.test_posting_rules import FINAL_CONSUMER, doc
    assert signed_iva(doc("sales", 39, total=680, counterparty=FINAL_CONSUMER)) == 109
    assert signed_iva(doc("sales", 61, net=100, vat=19, total=119)) == -19
