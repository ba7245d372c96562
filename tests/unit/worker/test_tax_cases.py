"""DESIGN.md §6b, the cases real documents bring, with numbers worked out by hand."""

from datetime import date
from decimal import Decimal

import pytest

from integration_worker.domain import Hold, propose
from shared.events import (
    Counterparty,
    Direction,
    DocumentReference,
    ForeignCurrencyAmount,
    OtherTax,
    TaxDocument,
    VatBreakdown,
)
from shared.internal_api import AccountPair, PostingProfile, ProposedEntry

COMPANY = "76354771-K"
CUSTOMER = Counterparty(rut="12345678-5", name="Agrícola Los Robles SpA")
SUPPLIER = Counterparty(rut="60805000-0", name="Distribuidora Norte Ltda.")

PROFILE = PostingProfile(
    accounting_company_id="c-1",
    company_rut=COMPANY,
    sales=AccountPair(auxiliary_account="110310", detail_account="310115"),
    purchases=AccountPair(auxiliary_account="210210", detail_account="410230"),
)


def sale(dte_type, *, issuer=COMPANY, **amounts):
    return _doc(Direction.SALES, dte_type, issuer, CUSTOMER, **amounts)


def purchase(dte_type, *, issuer=None, **amounts):
    return _doc(Direction.PURCHASES, dte_type, issuer or SUPPLIER.rut, SUPPLIER, **amounts)


def _doc(direction, dte_type, issuer, counterparty, *, net=0, exempt=0, vat=0, total=0,
         vat_retained=0, other_taxes=(), references=()):
    return TaxDocument(
        document_id="d-1", company_rut=COMPANY, direction=direction, dte_type=dte_type,
        folio=321, issue_date=date(2026, 10, 14), issuer_rut=issuer, counterparty=counterparty,
        net=net, exempt=exempt, vat=vat, total=total, vat_retained=vat_retained,
        other_taxes=other_taxes, references=references,
    )


def posted(outcome) -> ProposedEntry:
    assert isinstance(outcome, ProposedEntry), outcome
    assert outcome.is_balanced
    return outcome


def lines(outcome):
    return [(line.account_code, line.debit, line.credit) for line in posted(outcome).lines]


# --- received documents are booked as they are (item 3) --------------------------------


def test_a_suppliers_iva_a_peso_off_posts_as_stated_with_a_note():
    # round(10.526 × 19 %) = round(1.999,94) = 2.000; the supplier's lines rounded to 2.001.
    entry = propose(purchase(33, net=10_526, vat=2_001, total=12_527), PROFILE)
    assert lines(entry) == [("410230", 10_526, 0), ("110710", 2_001, 0), ("210210", 0, 12_527)]
    assert entry.note.startswith("IVA $2.001 is not 19% of neto $10.526 (that is $2.000, $1 "
                                 "apart): posted as the issuer stated it")


def test_a_received_document_far_off_still_posts_as_stated_with_the_note():
    entry = propose(purchase(33, net=100_000, vat=18_000, total=118_000), PROFILE)
    assert lines(entry) == [("410230", 100_000, 0), ("110710", 18_000, 0),
                            ("210210", 0, 118_000)]
    assert "$1.000 apart" in entry.note


def test_a_received_document_that_does_not_add_up_is_still_held():
    outcome = propose(purchase(33, net=10_526, vat=2_001, total=12_600), PROFILE)
    assert isinstance(outcome, Hold)
    assert "= $12.527, but the total is $12.600" in outcome.reason


@pytest.mark.parametrize(("vat", "posts"), [(2_001, True), (2_002, True), (2_003, False),
                                            (1_998, True), (1_997, False)])
def test_an_issued_document_posts_as_stated_within_the_tolerance_only(vat, posts):
    outcome = propose(sale(33, net=10_526, vat=vat, total=10_526 + vat), PROFILE)
    if posts:
        assert lines(outcome) == [("110310", 10_526 + vat, 0), ("310115", 0, 10_526),
                                  ("210710", 0, vat)]
        assert "within the tolerance of $2" in outcome.note
    else:
        assert isinstance(outcome, Hold)
        assert "beyond the tolerance of $2 for documents the company issues" in outcome.reason


def test_the_tolerance_is_the_companys_setting():
    strict = PROFILE.model_copy(update={"issued_vat_tolerance": 0})
    assert isinstance(propose(sale(33, net=10_526, vat=2_001, total=12_527), strict), Hold)


def test_a_right_iva_carries_no_note():
    assert posted(propose(sale(33, net=10_526, vat=2_000, total=12_526), PROFILE)).note is None


def test_a_credit_note_that_annuls_a_boleta_posts_with_the_boletas_split():
    # The boleta: total 680 → neto round(680 / 1,19) = 571, IVA 109 (round(571 × 19 %) = 108).
    annuls = DocumentReference(dte_type=39, folio=88, code=1, reason="anula boleta")
    entry = propose(sale(61, net=571, vat=109, total=680, references=(annuls,)), PROFILE)
    assert lines(entry) == [("110310", 0, 680), ("310115", 571, 0), ("210710", 109, 0)]
    assert entry.note is None


# --- facturas de compra seen from the seller (item 4) ------------------------------------


def test_a_customers_46_with_total_retention_is_a_sale_with_no_debito():
    entry = propose(sale(46, issuer=CUSTOMER.rut, net=100_000, vat=19_000, total=100_000,
                         vat_retained=19_000), PROFILE)
    assert lines(entry) == [("110310", 100_000, 0), ("310115", 0, 100_000)]


def test_a_customers_46_with_partial_retention_owes_the_iva_not_retained():
    entry = propose(sale(46, issuer=CUSTOMER.rut, net=100_000, vat=19_000, total=109_500,
                         vat_retained=9_500), PROFILE)
    assert lines(entry) == [("110310", 109_500, 0), ("310115", 0, 100_000),
                            ("210710", 0, 9_500)]


def test_a_customers_46_that_does_not_state_its_retention_retains_what_the_total_leaves_out():
    entry = propose(sale(46, issuer=CUSTOMER.rut, net=50_000, vat=9_500, total=50_000),
                    PROFILE)
    assert lines(entry) == [("110310", 50_000, 0), ("310115", 0, 50_000)]


def test_a_note_the_company_issued_over_its_own_46_reverses_the_purchase_with_its_retention():
    ref = DocumentReference(dte_type=46, folio=12, code=1, reason="anula")
    entry = propose(purchase(61, issuer=COMPANY, net=100_000, vat=19_000, total=100_000,
                             vat_retained=19_000, references=(ref,)), PROFILE)
    assert lines(entry) == [("410230", 0, 100_000), ("110710", 0, 19_000),
                            ("210210", 100_000, 0), ("210715", 19_000, 0)]


# --- zero taxes and taxes by direction (items 5 and 7) -----------------------------------


def test_a_zero_tax_posts_nothing_and_needs_no_account():
    # Code 49: factura de compra sin retención, stated with $0.
    entry = propose(purchase(46, issuer=COMPANY, net=100_000, vat=19_000, total=119_000,
                             vat_retained=0, other_taxes=(OtherTax(code=49, amount=0),)),
                    PROFILE)
    assert posted(entry)
    assert all(line.role != "other_tax" for line in entry.lines)


def test_a_zero_tax_on_a_type_without_taxes_is_not_a_reason_to_hold():
    entry = propose(sale(34, exempt=5_000, total=5_000,
                         other_taxes=(OtherTax(code=27, rate=10, amount=0),)), PROFILE)
    assert lines(entry) == [("110310", 5_000, 0), ("310115", 0, 5_000)]


def test_ila_on_a_purchase_is_a_credit_and_on_a_sale_a_liability():
    ila = (OtherTax(code=24, rate=31.5, amount=31_500),)
    bought = propose(purchase(33, net=100_000, vat=19_000, total=150_500, other_taxes=ila),
                     PROFILE)
    sold = propose(sale(33, net=100_000, vat=19_000, total=150_500, other_taxes=ila), PROFILE)
    assert ("110715", 31_500, 0) in lines(bought)
    assert ("210720", 0, 31_500) in lines(sold)


def test_a_purchase_tax_without_an_account_names_the_purchase_setting():
    profile = PROFILE.model_copy(update={"purchase_other_tax_accounts": {}})
    outcome = propose(purchase(33, net=100_000, vat=19_000, total=150_500,
                               other_taxes=(OtherTax(code=24, amount=31_500),)), profile)
    assert isinstance(outcome, Hold)
    assert 'set purchase_other_tax_accounts["24"]' in outcome.reason


# --- what posts nothing by rule is marked so (item 10) -----------------------------------


def test_a_text_correction_and_a_guia_post_nothing_by_rule_and_say_so():
    fixes_text = DocumentReference(dte_type=33, folio=77, code=2, reason="corrige giro")
    note = propose(sale(61, references=(fixes_text,)), PROFILE)
    guia = propose(sale(52, net=100, vat=19, total=119), PROFILE)
    unbalanced = propose(sale(33, net=100, vat=19, total=120), PROFILE)
    assert isinstance(note, Hold) and note.nothing_to_post
    assert isinstance(guia, Hold) and guia.nothing_to_post
    assert isinstance(unbalanced, Hold) and not unbalanced.nothing_to_post


# --- exports in pesos, with the currency in the glosa (item 2) ---------------------------


def test_an_export_in_dollars_posts_its_pesos_and_says_the_currency_and_rate():
    # USD 1.000 at $950,5: the document holds 950.500 pesos (invoicing converted them).
    export = sale(110, exempt=950_500, total=950_500).model_copy(update={
        "foreign_currency": ForeignCurrencyAmount(currency="DOLAR USA", total=Decimal("1000"),
                                                  exchange_rate=Decimal("950.5"))})
    entry = propose(export, PROFILE)
    assert lines(entry) == [("110310", 950_500, 0), ("310125", 0, 950_500)]
    assert entry.glosa.endswith(" — DOLAR USA 1.000,00 a $950,5")
    assert entry.glosa.startswith("Factura de exportación electrónica N° 321 — ")


def test_a_long_name_never_pushes_the_currency_out_of_the_glosa():
    export = sale(110, exempt=100, total=100).model_copy(update={
        "counterparty": Counterparty(rut=CUSTOMER.rut, name="N" * 200),
        "foreign_currency": ForeignCurrencyAmount(
            currency="C" * 30, total=Decimal("123456789012345678.25"),
            exchange_rate=Decimal("123456789012345.123456"))})
    glosa = posted(propose(export, PROFILE)).glosa
    assert len(glosa) == 300
    assert glosa.endswith(f" — {'C' * 30} 123.456.789.012.345.678,25 a $123.456.789.012.345,123456")


# --- IVA that is not crédito fiscal (item 1) ---------------------------------------------

ASSETS = PROFILE.model_copy(update={"fixed_asset_account": "120110"})


def bought(net, vat, **split):
    return purchase(33, net=net, vat=vat, total=net + vat).model_copy(
        update={"vat_breakdown": VatBreakdown(**split)})


def test_iva_no_recuperable_is_cost_of_the_purchase_never_credito_fiscal():
    # Gastos rechazados (code 3): the whole IVA is cost.
    entry = propose(bought(100_000, 19_000, non_recoverable=19_000, non_recoverable_code=3),
                    PROFILE)
    assert lines(entry) == [("410230", 119_000, 0), ("210210", 0, 119_000)]


def test_iva_no_recuperable_goes_to_its_own_account_when_one_is_set():
    profile = PROFILE.model_copy(update={"non_recoverable_vat_account": "420220"})
    entry = propose(bought(100_000, 19_000, non_recoverable=19_000, non_recoverable_code=3),
                    profile)
    assert lines(entry) == [("410230", 100_000, 0), ("420220", 19_000, 0),
                            ("210210", 0, 119_000)]
    assert [line.description for line in entry.lines if line.account_code == "420220"] == [
        "IVA no recuperable (código 3: gastos rechazados)"]


def test_iva_uso_comun_waits_on_its_own_account():
    entry = propose(bought(200_000, 38_000, recoverable=10_000, common_use=28_000), PROFILE)
    assert lines(entry) == [("410230", 200_000, 0), ("110710", 10_000, 0),
                            ("110730", 28_000, 0), ("210210", 0, 238_000)]


def test_a_fixed_asset_goes_to_the_fixed_asset_account_with_its_iva_as_credito():
    entry = propose(bought(1_000_000, 190_000, recoverable=190_000, fixed_asset_net=1_000_000,
                           fixed_asset_vat=190_000), ASSETS)
    assert lines(entry) == [("120110", 1_000_000, 0), ("110710", 190_000, 0),
                            ("210210", 0, 1_190_000)]


def test_a_purchase_part_asset_part_cost_splits_by_column():
    entry = propose(bought(300_000, 57_000, recoverable=50_000, non_recoverable=7_000,
                           non_recoverable_code=1, fixed_asset_net=100_000), ASSETS)
    assert lines(entry) == [("410230", 207_000, 0), ("120110", 100_000, 0),
                            ("110710", 50_000, 0), ("210210", 0, 357_000)]


def test_impuesto_sin_derecho_a_credito_inside_the_iva_is_cost():
    entry = propose(bought(100_000, 19_000, recoverable=10_000, without_credit=9_000), PROFILE)
    assert lines(entry) == [("410230", 109_000, 0), ("110710", 10_000, 0),
                            ("210210", 0, 119_000)]


def test_a_fixed_asset_without_its_account_is_held_naming_the_setting():
    outcome = propose(bought(1_000_000, 190_000, recoverable=190_000,
                             fixed_asset_net=1_000_000), PROFILE)
    assert isinstance(outcome, Hold)
    assert "set fixed_asset_account in settings/invoice-integration" in outcome.reason


def test_iva_columns_that_do_not_make_the_iva_are_held():
    outcome = propose(bought(100_000, 19_000, recoverable=10_000, common_use=5_000), PROFILE)
    assert isinstance(outcome, Hold)
    assert "add up to $15.000, but its IVA is $19.000" in outcome.reason


def test_a_credit_note_reverses_each_column_where_it_was_booked():
    note = purchase(61, net=100_000, vat=19_000, total=119_000).model_copy(
        update={"vat_breakdown": VatBreakdown(recoverable=9_000, common_use=10_000)})
    assert lines(propose(note, PROFILE)) == [("410230", 0, 100_000), ("110710", 0, 9_000),
                                             ("110730", 0, 10_000), ("210210", 119_000, 0)]
