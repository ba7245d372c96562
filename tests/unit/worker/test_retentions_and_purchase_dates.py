"""Issue 14 items 5 and 6 (DESIGN §6b): income-tax retentions on their own account, and a
purchase dated the day it was received. Numbers and dates worked out by hand."""

from datetime import date

from integration_worker.domain import Hold, propose
from integration_worker.domain.posting_rules import entry_date
from shared.events import Counterparty, Direction, OtherTax, TaxDocument
from shared.internal_api import PostingProfile, ProposedEntry, PurchaseEntryDate
from tests.unit.worker.test_posting_rules import COMPANY, PROFILE

KIOSK = Counterparty(rut="12345678-5", name="Suplementero Juan Pérez")
PUBLISHER = Counterparty(rut="60805000-0", name="Editorial del Sur S.A.")

# 0,5 % of a public price of $300.000 (LIR art. 74 N°5): $1.500, on top of neto $200.000
# and IVA $38.000 (19 %): total 200.000 + 38.000 + 1.500 = $239.500.
SUPLEMENTEROS = (OtherTax(code=53, rate=0.5, amount=1_500),)


def document(direction, dte_type=33, *, issuer=None, counterparty=None, issued=date(2026, 6, 30),
             received=None, net=200_000, vat=38_000, total=239_500, vat_retained=0,
             other_taxes=SUPLEMENTEROS):
    if direction is Direction.SALES:
        issuer, counterparty = issuer or COMPANY, counterparty or KIOSK
    else:
        issuer, counterparty = issuer or PUBLISHER.rut, counterparty or PUBLISHER
    return TaxDocument(
        document_id="d-1", company_rut=COMPANY, direction=direction, dte_type=dte_type,
        folio=77, issue_date=issued, issuer_rut=issuer, counterparty=counterparty, net=net,
        vat=vat, total=total, vat_retained=vat_retained, other_taxes=other_taxes,
        received_on=received)


def lines(outcome):
    assert isinstance(outcome, ProposedEntry), outcome
    assert outcome.is_balanced
    return [(line.account_code, line.debit, line.credit) for line in outcome.lines]


# --- item 5: income-tax retentions --------------------------------------------------------


def test_the_suplementeros_retention_on_a_sale_is_owed_as_income_tax_not_iva_retained():
    entry = propose(document(Direction.SALES), PROFILE)
    assert lines(entry) == [("110310", 239_500, 0), ("310115", 0, 200_000),
                            ("210710", 0, 38_000), ("210745", 0, 1_500)]
    [retention] = [line for line in entry.lines if line.account_code == "210745"]
    assert retention.description == "impuesto retenido suplementeros 0,5% (código 53)"
    assert all(line.account_code != PROFILE.vat_retained_account for line in entry.lines)


def test_the_retentions_account_is_overridden_by_its_tax_code_setting():
    profile = PROFILE.model_copy(update={"other_tax_accounts": {
        **PROFILE.other_tax_accounts, "53": "210740"}})
    assert ("210740", 0, 1_500) in lines(propose(document(Direction.SALES), profile))


def test_the_suplementeros_retention_on_a_purchase_waits_for_the_accountants_account():
    outcome = propose(document(Direction.PURCHASES, received=date(2026, 6, 30)), PROFILE)
    assert isinstance(outcome, Hold)
    assert "impuesto retenido suplementeros (SII tax code 53) of $1.500" in outcome.reason
    assert "income tax the seller retained from the company" in outcome.reason
    assert 'set purchase_other_tax_accounts["53"]' in outcome.reason


def test_the_suplementeros_retention_on_a_purchase_posts_to_the_account_set_for_it():
    profile = PROFILE.model_copy(update={"purchase_other_tax_accounts": {"53": "420220"}})
    entry = propose(document(Direction.PURCHASES), profile)
    assert lines(entry) == [("410230", 200_000, 0), ("110710", 38_000, 0),
                            ("420220", 1_500, 0), ("210210", 0, 239_500)]


def test_iva_retained_by_a_factura_de_compra_stays_on_iva_retenido():
    # Code 15, IVA retenido total: neto 100.000, IVA 19.000 all retained, total 100.000.
    entry = propose(document(Direction.PURCHASES, 46, issuer=COMPANY, net=100_000,
                             vat=19_000, total=100_000, vat_retained=19_000, other_taxes=()),
                    PROFILE)
    assert lines(entry) == [("410230", 100_000, 0), ("110710", 19_000, 0),
                            ("210210", 0, 100_000), ("210715", 0, 19_000)]


def test_a_zero_retention_posts_nothing_even_without_an_account():
    zero = (OtherTax(code=53, rate=0.5, amount=0),)
    entry = propose(document(Direction.PURCHASES, total=238_000, other_taxes=zero), PROFILE)
    assert lines(entry) == [("410230", 200_000, 0), ("110710", 38_000, 0),
                            ("210210", 0, 238_000)]


# --- item 6: a purchase's entry date ------------------------------------------------------

JUNE_30, JULY_2 = date(2026, 6, 30), date(2026, 7, 2)
NO_TAX = {"total": 238_000, "other_taxes": ()}


def test_a_purchase_issued_30_june_and_received_2_july_books_on_2_july():
    entry = propose(document(Direction.PURCHASES, received=JULY_2, **NO_TAX), PROFILE)
    assert entry.entry_date == JULY_2
    assert entry.note == (
        "booked on 2026-07-02, the day it was received, not in the month of its issue on "
        "2026-06-30: its crédito fiscal is the month of reception (DL 825 art. 24); set "
        'purchase_entry_date to "issued" in settings/invoice-integration to book purchases '
        "on their issue date")


def test_a_reception_in_the_same_month_dates_the_entry_without_a_note():
    entry = propose(document(Direction.PURCHASES, issued=date(2026, 6, 3),
                             received=date(2026, 6, 5), **NO_TAX), PROFILE)
    assert (entry.entry_date, entry.note) == (date(2026, 6, 5), None)


def test_the_issue_date_setting_books_it_on_30_june():
    profile = PROFILE.model_copy(update={"purchase_entry_date": PurchaseEntryDate.ISSUED})
    entry = propose(document(Direction.PURCHASES, received=JULY_2, **NO_TAX), profile)
    assert (entry.entry_date, entry.note) == (JUNE_30, None)


def test_the_setting_reads_from_its_json_value():
    profile = PostingProfile.model_validate({**PROFILE.model_dump(),
                                             "purchase_entry_date": "issued"})
    assert entry_date(document(Direction.PURCHASES, received=JULY_2), profile) == JUNE_30
    assert PROFILE.purchase_entry_date is PurchaseEntryDate.RECEIVED


def test_without_a_reception_date_a_purchase_books_on_its_issue_date():
    assert entry_date(document(Direction.PURCHASES, received=None), PROFILE) == JUNE_30


def test_a_sale_books_on_its_issue_date_whatever_it_carries():
    assert entry_date(document(Direction.SALES, received=JULY_2), PROFILE) == JUNE_30


def test_a_factura_de_compra_the_company_issued_books_on_its_issue_date():
    # A 46 imported from its DTE file gets the import day as received_on; the company
    # issued it, so it had it the day it was issued.
    doc = document(Direction.PURCHASES, 46, issuer=COMPANY, received=date(2026, 8, 5))
    assert entry_date(doc, PROFILE) == JUNE_30


def test_a_reception_before_the_issue_cannot_be_and_the_issue_date_stands():
    assert entry_date(document(Direction.PURCHASES, received=date(2026, 6, 29)),
                      PROFILE) == JUNE_30


def test_a_purchase_credit_note_books_on_its_reception_too():
    # NC 61 issued 30 June for neto 10.000 + IVA 1.900 = 11.900, received 2 July.
    entry = propose(document(Direction.PURCHASES, 61, received=JULY_2, net=10_000, vat=1_900,
                             total=11_900, other_taxes=()), PROFILE)
    assert entry.entry_date == JULY_2
    assert lines(entry) == [("410230", 0, 10_000), ("110710", 0, 1_900), ("210210", 11_900, 0)]
