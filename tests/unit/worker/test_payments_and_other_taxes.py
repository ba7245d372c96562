"""Payments and collections, additional taxes (ILA) and IVA retained, by hand."""

from datetime import date

import pytest

from integration_worker.domain import propose, propose_payment
from integration_worker.service_layer.proposals import ProposeEntries
from shared.events import (
    Counterparty,
    DocumentReference,
    OtherTax,
    PaymentKind,
    PaymentRecorded,
)
from tests.unit.worker.test_posting_rules import COMPANY, PROFILE, doc, held, lines
from tests.unit.worker.test_propose_entries import FakeAccounting, delivery

CUSTOMER_RUT = "12345678-5"
SUPPLIER_RUT = "60805000-0"
WITH_CASH = PROFILE.model_copy(update={"payments_account": "110102",
                                       "collections_account": "110101"})


def ila(code: int, rate: float, amount: int) -> OtherTax:
    return OtherTax(code=code, rate=rate, amount=amount)


# --- ILA at each rate: its own line, on its own account -------------------------------


@pytest.mark.parametrize(("code", "rate", "net", "vat", "tax", "account"), [
    (24, 31.5, 100_000, 19_000, 31_500, "210720"),  # licores
    (25, 20.5, 40_000, 7_600, 8_200, "210721"),  # vinos
    (26, 20.5, 12_345, 2_346, 2_531, "210722"),  # cervezas: 2.530,725 → 2.531
    (27, 10, 25_000, 4_750, 2_500, "210723"),  # bebidas analcohólicas
    (271, 18, 33_333, 6_333, 6_000, "210724"),  # azucaradas: 5.999,94 → 6.000
])
def test_a_sale_with_ila_credits_the_tax_on_its_own_account(code, rate, net, vat, tax, account):
    total = net + vat + tax
    entry = propose(doc("sales", 33, net=net, vat=vat, total=total,
                        other_taxes=(ila(code, rate, tax),)), PROFILE)
    assert lines(entry) == [
        ("110310", "auxiliary", total, 0, CUSTOMER_RUT),
        ("310115", "detail", 0, net, None),
        ("210710", "vat_debit", 0, vat, None),
        (account, "other_tax", 0, tax, None),
    ]
    [tax_line] = [line for line in entry.lines if line.role == "other_tax"]
    assert tax_line.description.endswith(f"{str(rate).replace('.', ',').removesuffix(',0')}% "
                                         f"(código {code})")


def test_a_purchase_with_ila_10_percent_debits_it_as_a_credit_to_recover():
    entry = propose(doc("purchases", 33, net=25_000, vat=4_750, total=32_250,
                        other_taxes=(ila(27, 10, 2_500),)), PROFILE)
    assert lines(entry) == [
        ("410230", "detail", 25_000, 0, None),
        ("110710", "vat_credit", 4_750, 0, None),
        ("110715", "other_tax", 2_500, 0, None),  # ILA por Recuperar, an asset
        ("210210", "auxiliary", 0, 32_250, SUPPLIER_RUT),
    ]


def test_neto_exento_and_two_ila_rates_on_one_invoice():
    # neto 100.000 = 60.000 of pisco (31,5% → 18.900) + 40.000 of wine (20,5% → 8.200);
    # freight 5.000 exento; IVA 19.000; total 151.100.
    entry = propose(doc("sales", 33, net=100_000, exempt=5_000, vat=19_000, total=151_100,
                        other_taxes=(ila(24, 31.5, 18_900), ila(25, 20.5, 8_200))), PROFILE)
    assert lines(entry) == [
        ("110310", "auxiliary", 151_100, 0, CUSTOMER_RUT),
        ("310115", "detail", 0, 105_000, None),
        ("210710", "vat_debit", 0, 19_000, None),
        ("210720", "other_tax", 0, 18_900, None),
        ("210721", "other_tax", 0, 8_200, None),
    ]


def test_a_credit_note_with_ila_reverses_every_line():
    note = doc("sales", 61, net=10_000, vat=1_900, total=13_050,
               other_taxes=(ila(24, 31.5, 1_150),),  # part of the ILA: as stated
               references=(DocumentReference(dte_type=33, folio=9, code=3),))
    assert lines(propose(note, PROFILE)) == [
        ("110310", "auxiliary", 0, 13_050, CUSTOMER_RUT),
        ("310115", "detail", 10_000, 0, None),
        ("210710", "vat_debit", 1_900, 0, None),
        ("210720", "other_tax", 1_150, 0, None),
    ]


def test_ila_counts_in_the_amounts_add_up_check():
    reason = held(propose(doc("sales", 33, net=100_000, vat=19_000, total=119_000,
                              other_taxes=(ila(24, 31.5, 31_500),)), PROFILE))
    assert ("neto $100.000 + exento $0 + IVA $19.000 + ILA licores $31.500 = $150.500, but "
            "the total is $119.000") in reason


def test_a_tax_without_an_account_is_held_naming_the_setting():
    reason = held(propose(doc("sales", 33, net=1_000, vat=190, total=1_290,
                              other_taxes=(OtherTax(code=28, amount=100),)), PROFILE))
    assert 'set other_tax_accounts["28"] in settings/invoice-integration' in reason
    assert "impuesto código 28" in reason


def test_the_tax_accounts_come_from_the_profile():
    profile = PROFILE.model_copy(update={"other_tax_accounts": {"24": "210799"}})
    entry = propose(doc("sales", 33, net=100_000, vat=19_000, total=150_500,
                        other_taxes=(ila(24, 31.5, 31_500),)), profile)
    assert ("210799", "other_tax", 0, 31_500, None) in lines(entry)


def test_an_exempt_invoice_carries_no_ila():
    reason = held(propose(doc("sales", 34, exempt=10_000, total=11_000,
                              other_taxes=(ila(27, 10, 1_000),)), PROFILE))
    assert "carries no additional taxes, but this one states ILA bebidas analcohólicas" in reason


# --- IVA retained ------------------------------------------------------------------------


def test_a_purchase_with_iva_retained_by_the_buyer():
    # Cambio de sujeto total: the company retains the whole IVA and pays the seller the net.
    entry = propose(doc("purchases", 33, net=1_000_000, vat=190_000, vat_retained=190_000,
                        total=1_000_000), PROFILE)
    assert lines(entry) == [
        ("410230", "detail", 1_000_000, 0, None),
        ("110710", "vat_credit", 190_000, 0, None),
        ("210210", "auxiliary", 0, 1_000_000, SUPPLIER_RUT),
        ("210715", "vat_retained", 0, 190_000, None),
    ]


def test_a_46_stating_its_retention_must_add_up():
    ok = propose(doc("purchases", 46, net=200_000, vat=38_000, vat_retained=38_000,
                     total=200_000), PROFILE)
    assert ("210715", "vat_retained", 0, 38_000, None) in lines(ok)
    reason = held(propose(doc("purchases", 46, net=200_000, vat=38_000, vat_retained=10_000,
                              total=200_000), PROFILE))
    assert "− IVA retenido $10.000 = $228.000, but the total is $200.000" in reason


def test_a_sale_with_iva_retained_is_held_for_manual_posting():
    reason = held(propose(doc("sales", 33, net=100_000, vat=19_000, vat_retained=19_000,
                              total=100_000), PROFILE))
    assert "cambio de sujeto" in reason and "post it by hand" in reason


def test_more_iva_retained_than_iva_is_held():
    reason = held(propose(doc("purchases", 33, net=100, vat=19, vat_retained=20, total=99),
                          PROFILE))
    assert "IVA retenido $20 is more than its IVA $19" in reason


# --- payments and collections ----------------------------------------------------------


def payment(kind: str, amount: int = 59_500, documents=()) -> PaymentRecorded:
    party = (Counterparty(rut=SUPPLIER_RUT, name="Tesorería General") if kind == "payment"
             else Counterparty(rut=CUSTOMER_RUT, name="Ferretería Sur Ltda."))
    return PaymentRecorded(payment_id="p-1", company_rut=COMPANY, kind=PaymentKind(kind),
                           counterparty=party, amount=amount, paid_on=date(2024, 4, 2),
                           documents=documents)


def test_a_payment_to_a_supplier_is_an_egreso():
    entry = propose_payment(payment("payment", documents=(
        DocumentReference(dte_type=33, folio=88001),)), WITH_CASH)
    assert entry.kind == "egreso" and entry.entry_date == date(2024, 4, 2)
    assert lines(entry) == [
        ("210210", "auxiliary", 59_500, 0, SUPPLIER_RUT),
        ("110102", "cash", 0, 59_500, None),
    ]
    assert entry.glosa == ("Pago a Tesorería General (60805000-0) — Factura electrónica "
                           "N° 88001")


def test_a_collection_from_a_customer_is_an_ingreso():
    entry = propose_payment(payment("collection", amount=119_000), WITH_CASH)
    assert entry.kind == "ingreso"
    assert lines(entry) == [
        ("110101", "cash", 119_000, 0, None),
        ("110310", "auxiliary", 0, 119_000, CUSTOMER_RUT),
    ]
    assert entry.glosa == "Recaudación de Ferretería Sur Ltda. (12345678-5)"


@pytest.mark.parametrize(("kind", "setting"), [("payment", "payments_account"),
                                               ("collection", "collections_account")])
def test_without_the_cash_account_a_payment_waits_naming_the_setting(kind, setting):
    reason = held(propose_payment(payment(kind), PROFILE))
    assert f"({setting}) in settings/invoice-integration" in reason
    assert "$59.500" in reason


def test_a_zero_payment_is_held():
    assert "the amount is zero" in held(propose_payment(payment("payment", amount=0), WITH_CASH))


async def test_the_worker_hands_a_payment_over_as_a_live_proposal():
    accounting = FakeAccounting()
    event = delivery(payment("payment"))
    await ProposeEntries(accounting)([event])
    [sent] = accounting.batches
    [proposal] = sent.proposals
    assert (proposal.sync_id, proposal.source_key, proposal.event_id) == (
        None, "payment:p-1", event.event.id)
    assert proposal.payment.amount == 59_500 and proposal.document is None
    assert proposal.hold_reason is not None  # FakeAccounting's profile has no payments account
