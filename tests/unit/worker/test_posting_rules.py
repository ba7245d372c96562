"""DESIGN.md §6 posting rules, with numbers worked out by hand."""

from datetime import date

import pytest

from integration_worker.domain import Hold, propose
from shared.events import Counterparty, Direction, DocumentReference, TaxDocument
from shared.internal_api import AccountPair, PostingProfile, ProposedEntry

COMPANY = "76354771-K"
CUSTOMER = Counterparty(rut="12.345.678-5", name="Ferretería Sur Ltda.")
SUPPLIER = Counterparty(rut="60805000-0", name="Tesorería General")
FINAL_CONSUMER = Counterparty(rut="66666666-6", name="Consumidor final")

PROFILE = PostingProfile(
    accounting_company_id="c-1",
    company_rut=COMPANY,
    sales=AccountPair(auxiliary_account="110310", detail_account="310115"),
    purchases=AccountPair(auxiliary_account="210210", detail_account="410230"),
)


def doc(direction, dte_type, *, net=0, exempt=0, vat=0, total=0, folio=123,
        counterparty=None, references=(), other_taxes=(), vat_retained=0, issue_date=None):
    if counterparty is None:
        counterparty = CUSTOMER if direction == "sales" else SUPPLIER
    issuer = COMPANY if direction == "sales" or dte_type == 46 else counterparty.rut
    return TaxDocument(
        document_id="d-1", company_rut=COMPANY, direction=Direction(direction),
        dte_type=dte_type, folio=folio, issue_date=issue_date or date(2024, 3, 15),
        issuer_rut=issuer, counterparty=counterparty, net=net, exempt=exempt, vat=vat,
        total=total, references=references, other_taxes=other_taxes, vat_retained=vat_retained,
    )


def lines(entry):
    assert isinstance(entry, ProposedEntry), entry
    assert entry.is_balanced
    return [(line.account_code, line.role.value, line.debit, line.credit, line.counterparty_rut)
            for line in entry.lines]


def held(outcome) -> str:
    assert isinstance(outcome, Hold), outcome
    return outcome.reason


# --- sales -----------------------------------------------------------------------------


def test_sales_factura_afecta():
    entry = propose(doc("sales", 33, net=100_000, vat=19_000, total=119_000), PROFILE)
    assert lines(entry) == [
        ("110310", "auxiliary", 119_000, 0, "12345678-5"),
        ("310115", "detail", 0, 100_000, None),
        ("210710", "vat_debit", 0, 19_000, None),
    ]
    assert entry.kind == "traspaso"
    assert entry.entry_date == date(2024, 3, 15)
    assert entry.glosa == "Factura electrónica N° 123 — Ferretería Sur Ltda. (12345678-5)"


def test_sales_factura_afecta_with_exempt_part():
    entry = propose(doc("sales", 33, net=10_000, exempt=5_000, vat=1_900, total=16_900), PROFILE)
    assert lines(entry) == [
        ("110310", "auxiliary", 16_900, 0, "12345678-5"),
        ("310115", "detail", 0, 15_000, None),
        ("210710", "vat_debit", 0, 1_900, None),
    ]


def test_a_33_with_only_exempt_amounts_has_no_iva_line():
    entry = propose(doc("sales", 33, exempt=50_000, total=50_000), PROFILE)
    assert lines(entry) == [
        ("110310", "auxiliary", 50_000, 0, "12345678-5"),
        ("310115", "detail", 0, 50_000, None),
    ]


def test_sales_nota_de_debito_posts_as_a_33():
    entry = propose(doc("sales", 56, net=2_000, vat=380, total=2_380), PROFILE)
    assert lines(entry) == [
        ("110310", "auxiliary", 2_380, 0, "12345678-5"),
        ("310115", "detail", 0, 2_000, None),
        ("210710", "vat_debit", 0, 380, None),
    ]
    assert entry.glosa.startswith("Nota de débito electrónica N° 123 — ")


def test_sales_factura_exenta():
    entry = propose(doc("sales", 34, exempt=80_000, total=80_000), PROFILE)
    assert lines(entry) == [
        ("110310", "auxiliary", 80_000, 0, "12345678-5"),
        ("310115", "detail", 0, 80_000, None),
    ]


def test_sales_nota_de_credito_reverses_the_sale():
    ref = DocumentReference(dte_type=33, folio=99, code=3)
    entry = propose(doc("sales", 61, net=20_000, exempt=1_000, vat=3_800, total=24_800,
                        references=(ref,)), PROFILE)
    assert lines(entry) == [
        ("110310", "auxiliary", 0, 24_800, "12345678-5"),
        ("310115", "detail", 1_000 + 20_000, 0, None),
        ("210710", "vat_debit", 3_800, 0, None),
    ]


@pytest.mark.parametrize(("total", "net", "vat"), [(680, 571, 109), (86_710, 72_866, 13_844)])
def test_boleta_splits_its_total(total, net, vat):
    entry = propose(doc("sales", 39, total=total, counterparty=FINAL_CONSUMER), PROFILE)
    assert lines(entry) == [
        ("110310", "auxiliary", total, 0, "66666666-6"),
        ("310115", "detail", 0, net, None),
        ("210710", "vat_debit", 0, vat, None),
    ]
    assert entry.glosa == "Boleta electrónica N° 123 — Consumidor final (66666666-6)"


def test_boleta_that_states_its_amounts_still_posts_from_the_total():
    entry = propose(doc("sales", 39, net=571, vat=109, total=680), PROFILE)
    assert [line[2] or line[3] for line in lines(entry)] == [680, 571, 109]


def test_boleta_with_an_exempt_part_splits_only_the_taxed_part():
    # 1.190 taxed → neto 1.000, IVA 190; plus 500 exento.
    entry = propose(doc("sales", 39, exempt=500, total=1_690), PROFILE)
    assert lines(entry) == [
        ("110310", "auxiliary", 1_690, 0, "12345678-5"),
        ("310115", "detail", 0, 1_500, None),
        ("210710", "vat_debit", 0, 190, None),
    ]


def test_boleta_exenta():
    entry = propose(doc("sales", 41, total=3_500, counterparty=FINAL_CONSUMER), PROFILE)
    assert lines(entry) == [
        ("110310", "auxiliary", 3_500, 0, "66666666-6"),
        ("310115", "detail", 0, 3_500, None),
    ]


@pytest.mark.parametrize("dte_type", [110, 111])
def test_export_documents_post_to_export_sales_without_iva(dte_type):
    entry = propose(doc("sales", dte_type, exempt=1_000_000, total=1_000_000), PROFILE)
    assert lines(entry) == [
        ("110310", "auxiliary", 1_000_000, 0, "12345678-5"),
        ("310125", "detail", 0, 1_000_000, None),
    ]


def test_export_credit_note_is_reversed():
    entry = propose(doc("sales", 112, total=250_000), PROFILE)
    assert lines(entry) == [
        ("110310", "auxiliary", 0, 250_000, "12345678-5"),
        ("310125", "detail", 250_000, 0, None),
    ]


# --- purchases -------------------------------------------------------------------------


def test_purchase_factura_afecta():
    entry = propose(doc("purchases", 33, net=100_000, vat=19_000, total=119_000), PROFILE)
    assert lines(entry) == [
        ("410230", "detail", 100_000, 0, None),
        ("110710", "vat_credit", 19_000, 0, None),
        ("210210", "auxiliary", 0, 119_000, "60805000-0"),
    ]
    assert entry.glosa == "Factura electrónica N° 123 — Tesorería General (60805000-0)"


def test_purchase_factura_exenta():
    entry = propose(doc("purchases", 34, exempt=45_000, total=45_000), PROFILE)
    assert lines(entry) == [
        ("410230", "detail", 45_000, 0, None),
        ("210210", "auxiliary", 0, 45_000, "60805000-0"),
    ]


def test_purchase_nota_de_debito():
    entry = propose(doc("purchases", 56, net=1_000, vat=190, total=1_190), PROFILE)
    assert lines(entry) == [
        ("410230", "detail", 1_000, 0, None),
        ("110710", "vat_credit", 190, 0, None),
        ("210210", "auxiliary", 0, 1_190, "60805000-0"),
    ]


def test_purchase_nota_de_credito_reverses_the_purchase():
    entry = propose(doc("purchases", 61, net=10_000, exempt=2_000, vat=1_900, total=13_900),
                    PROFILE)
    assert lines(entry) == [
        ("410230", "detail", 0, 12_000, None),
        ("110710", "vat_credit", 0, 1_900, None),
        ("210210", "auxiliary", 13_900, 0, "60805000-0"),
    ]


def test_factura_de_compra_with_full_retention():
    # neto 200.000 → IVA 38.000, all of it retained: the seller is paid 200.000.
    seller = Counterparty(rut="12345678-5", name="Juan Pérez")
    entry = propose(doc("purchases", 46, net=200_000, vat=38_000, total=200_000,
                        counterparty=seller), PROFILE)
    assert lines(entry) == [
        ("410230", "detail", 200_000, 0, None),
        ("110710", "vat_credit", 38_000, 0, None),
        ("210210", "auxiliary", 0, 200_000, "12345678-5"),
        ("210715", "vat_retained", 0, 38_000, None),
    ]


def test_factura_de_compra_with_partial_retention_and_exempt_part():
    # neto 100.000, IVA 19.000 of which 10.000 retained, exento 5.000 → total 114.000.
    entry = propose(doc("purchases", 46, net=100_000, exempt=5_000, vat=19_000, total=114_000),
                    PROFILE)
    assert lines(entry) == [
        ("410230", "detail", 105_000, 0, None),
        ("110710", "vat_credit", 19_000, 0, None),
        ("210210", "auxiliary", 0, 114_000, "60805000-0"),
        ("210715", "vat_retained", 0, 10_000, None),
    ]


def test_accounts_come_from_the_profile():
    profile = PROFILE.model_copy(update={
        "sales": AccountPair(auxiliary_account="C1", detail_account="V1"),
        "vat_debit_account": "IVA-D",
    })
    entry = propose(doc("sales", 33, net=100, vat=19, total=119), profile)
    assert [line[0] for line in lines(entry)] == ["C1", "V1", "IVA-D"]


# --- holds -----------------------------------------------------------------------------


def test_amounts_that_do_not_add_up_are_held_with_the_numbers():
    reason = held(propose(doc("sales", 33, net=100_000, vat=19_000, total=120_000), PROFILE))
    assert reason == (
        "Factura electrónica N° 123: neto $100.000 + exento $0 + IVA $19.000 = $119.000, but "
        "the total is $120.000: correct the document in invoicing and sync it again."
    )


def test_issued_iva_beyond_the_tolerance_is_held():
    reason = held(propose(doc("sales", 33, net=100_000, vat=18_000, total=118_000), PROFILE))
    assert ("IVA $18.000 is not 19% of neto $100.000 (that is $19.000, $1.000 apart), beyond "
            "the tolerance of $2") in reason


def test_exempt_invoice_with_iva_is_held():
    reason = held(propose(doc("sales", 34, net=1_000, vat=190, total=1_190), PROFILE))
    assert "states neto $1.000 and IVA $190" in reason


def test_exempt_invoice_whose_exempt_is_not_the_total_is_held():
    reason = held(propose(doc("purchases", 34, exempt=1_000, total=1_100), PROFILE))
    assert "exento $1.000 should equal the total $1.100" in reason


def test_boleta_whose_stated_amounts_do_not_add_up_is_held():
    reason = held(propose(doc("sales", 39, net=500, vat=95, total=680), PROFILE))
    assert "= $595, but the total is $680" in reason


def test_export_invoice_with_iva_is_held():
    reason = held(propose(doc("sales", 110, net=1_000, vat=190, total=1_190), PROFILE))
    assert "carries no IVA, but it states IVA $190" in reason


@pytest.mark.parametrize("total", [99_999, 119_001])
def test_factura_de_compra_retaining_more_than_its_iva_or_less_than_nothing_is_held(total):
    reason = held(propose(doc("purchases", 46, net=100_000, vat=19_000, total=total), PROFILE))
    assert ("should lie between neto + exento $100.000 (IVA fully retained) and "
            "neto + exento + IVA $119.000 (nothing retained)") in reason


@pytest.mark.parametrize("dte_type", [61, 56])
def test_note_that_only_corrects_text_is_held(dte_type):
    ref = DocumentReference(dte_type=33, folio=77, code=2, reason="corrige giro")
    reason = held(propose(doc("sales", dte_type, references=(ref,)), PROFILE))
    assert "only corrects text (reference code 2) of Factura electrónica N° 77" in reason
    assert "posts no amounts" in reason


def test_unknown_type_is_held():
    reason = held(propose(doc("sales", 43, net=100, vat=19, total=119), PROFILE))
    assert reason.startswith("Documento tipo 43 N° 123: tipo DTE 43 is not supported")
    assert "post it by hand in accounting" in reason


def test_guia_de_despacho_is_held_as_nothing_to_post():
    reason = held(propose(doc("sales", 52, net=100, vat=19, total=119), PROFILE))
    assert "moves goods and posts no amounts" in reason


@pytest.mark.parametrize("dte_type", [39, 41, 110, 111, 112])
def test_sales_only_types_as_purchases_cannot_occur(dte_type):
    reason = held(propose(doc("purchases", dte_type, total=1_000), PROFILE))
    assert "cannot be posted as a purchase (purchases may be tipo 33, 34, 46, 56, 61)" in reason


def test_all_zero_document_is_held():
    reason = held(propose(doc("sales", 33), PROFILE))
    assert "amounts are all zero" in reason
