"""Who issued a DTE, from the company's side of it."""

import pytest

from invoicing.domain.documents import SUPPORTED_DTE_TYPES, Direction, issuer_rut

COMPANY = "76354771-K"
OTHER = "12345678-5"


@pytest.mark.parametrize("dte_type", sorted(set(SUPPORTED_DTE_TYPES) - {46}))
def test_the_seller_issues_every_type_but_46(dte_type):
    assert issuer_rut(COMPANY, Direction.SALES, dte_type, OTHER) == COMPANY
    assert issuer_rut(COMPANY, Direction.PURCHASES, dte_type, OTHER) == OTHER


def test_a_factura_de_compra_in_purchases_is_issued_by_the_company():
    assert issuer_rut(COMPANY, Direction.PURCHASES, 46, OTHER) == COMPANY


def test_a_factura_de_compra_received_in_sales_is_issued_by_the_buyer():
    assert issuer_rut(COMPANY, Direction.SALES, 46, OTHER) == OTHER


def test_direction_may_come_as_its_plain_value():
    assert issuer_rut(COMPANY, "purchases", 33, OTHER) == OTHER


def test_a_note_over_a_factura_de_compra_is_issued_by_the_buyer():
    from invoicing.domain.documents import Reference

    over_46 = (Reference(dte_type=46, folio=9),)
    assert issuer_rut(COMPANY, Direction.PURCHASES, 61, OTHER, over_46) == COMPANY
    assert issuer_rut(COMPANY, Direction.SALES, 56, OTHER, over_46) == OTHER
    assert issuer_rut(COMPANY, Direction.PURCHASES, 61, OTHER,
                      (Reference(dte_type=33, folio=9),)) == OTHER
