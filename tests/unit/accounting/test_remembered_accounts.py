"""The remembered detail account (issue 14, item 12): the rule that proposes it, and the
intake and confirm steps that use and learn it, on the fake unit of work."""

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from accounting.domain.accounts import Account, AccountType
from accounting.domain.chart import default_chart
from accounting.domain.errors import NotFound, Unprocessable
from accounting.domain.remembered import (
    AccountSource,
    Origin,
    RememberedAccount,
    decide_detail,
    latest_choices,
    remembered_account_problems,
)
from accounting.domain.settings import InvoiceSettings
from accounting.domain.syncs import DocumentStatus, SyncDocument
from accounting.service_layer import remembered
from shared.events import TaxDocument
from shared.internal_api import Proposal, ProposedEntry, ProposedLine
from tests.unit.accounting.fakes import FakeBooks, FakeServices, FakeUnitOfWork
from tests.unit.accounting.samples import (
    COMPANY_ID,
    CUSTOMER,
    SYNC_ID,
    books_of_a_company,
    range_sync,
)

SUPPLIER = "76123456-0"
OTHER_SUPPLIER = "77777777-7"
CHOSEN_ON = datetime(2026, 10, 31, 18, 5, tzinfo=UTC)
BANK_FEES = RememberedAccount(direction="purchases", counterparty_rut=SUPPLIER,
                              account_code="410190", origin=Origin.REVIEW,
                              chosen_at=CHOSEN_ON, sync_id="sync-1", source_key="k")


def chart(*extra: Account) -> dict[str, Account]:
    accounts = {a.code: a for a in default_chart()}
    accounts.update({a.code: a for a in extra})
    return accounts


# --- the rule ---------------------------------------------------------------------------


def test_nothing_remembered_leaves_the_settings_default():
    decision = decide_detail(["410230"], "410230", None, chart())
    assert (decision.account_code, decision.source, decision.note) == (
        None, AccountSource.SETTINGS, None)


def test_the_remembered_account_replaces_the_default_and_says_why():
    decision = decide_detail(["410230"], "410230", BANK_FEES, chart())
    assert decision.account_code == "410190"
    assert decision.source == AccountSource.REMEMBERED
    assert decision.note.startswith("detail account 410190 'Cargos Bancarios' remembered "
                                    "for 76.123.456-0 (purchases), chosen on 31-10-2026")
    assert "confirmed in a sync's review" in decision.note


def test_one_set_through_the_api_says_so():
    decision = decide_detail(["410230"], "410230", replace(BANK_FEES, origin=Origin.API),
                             chart())
    assert "set through the API" in decision.note


def test_an_account_the_rules_chose_is_not_replaced():
    # An export's Ventas de Exportación is not the default: the rule knows better.
    export = replace(BANK_FEES, direction="sales", account_code="310120")
    decision = decide_detail(["310125"], "310115", export, chart())
    assert decision.account_code is None
    assert decision.source == AccountSource.SETTINGS
    assert "the posting rules chose detail account 310125" in decision.note


def test_a_remembered_account_that_became_unusable_leaves_the_default_with_a_note():
    inactive = chart(Account("410190", "Cargos Bancarios", AccountType.EXPENSE,
                             postable=True, active=False))
    decision = decide_detail(["410230"], "410230", BANK_FEES, inactive)
    assert decision.account_code is None
    assert decision.source == AccountSource.SETTINGS
    assert "410190, cannot be used now" in decision.note
    assert "is inactive" in decision.note
    assert "the default 410230 was proposed" in decision.note


def test_the_latest_choice_of_each_counterparty_wins():
    first = BANK_FEES
    second = replace(BANK_FEES, account_code="420220", source_key="k2")
    other = replace(BANK_FEES, counterparty_rut=OTHER_SUPPLIER)
    sale = replace(BANK_FEES, direction="sales", account_code="310120")
    latest = latest_choices([first, other, second, sale])
    assert [(r.direction, r.counterparty_rut, r.account_code) for r in latest] == [
        ("purchases", SUPPLIER, "420220"), ("purchases", OTHER_SUPPLIER, "410190"),
        ("sales", SUPPLIER, "310120")]


def test_a_remembered_account_must_fit_the_direction():
    accounts = chart()
    assert remembered_account_problems("purchases", "410190", accounts) == []
    assert remembered_account_problems("sales", "310120", accounts) == []
    [wrong_kind] = remembered_account_problems("sales", "410190", accounts)
    assert "an expense account; the sales detail account must be an income" in wrong_kind
    [group] = remembered_account_problems("purchases", "4101", accounts)
    assert "group account" in group and "410190" in group
    tracked, liability = remembered_account_problems("purchases", "210210", accounts)
    assert "tracks counterparties" in tracked
    assert "a liability account; the purchases detail account must be an expense" in liability
    [missing] = remembered_account_problems("purchases", "999999", accounts)
    assert "does not exist" in missing


# --- intake and confirm, on the fake unit of work -------------------------------------


def books_remembering(*records: RememberedAccount) -> FakeBooks:
    books = FakeBooks()
    books.settings.settings[COMPANY_ID] = InvoiceSettings(sales_detail="310115",
                                                          purchases_detail="410230")
    for record in records:
        books.remembered.records[(COMPANY_ID, *record.key)] = record
    return books


def stored(books: FakeBooks, document_id: str, account_source: str,
           detail: str = "410230") -> SyncDocument:
    """A purchase of SUPPLIER stored in the session, its detail account from
    ``account_source``."""
    document = SyncDocument(
        id=document_id, sync_id=SYNC_ID, company_id=COMPANY_ID, source_key=f"k-{document_id}",
        event_id="e", issue_date=date(2026, 11, 5), issued_on=date(2026, 11, 5), dte_type=33,
        folio=1, document={"direction": "purchases", "counterparty": {"rut": SUPPLIER}},
        payment=None, status=DocumentStatus.READY, hold_reason=None, hold_code=None,
        note=None, entry={"lines": [{"account_code": detail, "role": "detail"}]},
        entry_id=None, created_at=CHOSEN_ON, account_source=account_source, account_note=None)
    books.syncs.documents[document_id] = document
    return document


def purchase(folio: int, supplier: str, net: int) -> Proposal:
    vat = round(net * 0.19)
    document = TaxDocument(
        document_id=f"d{folio}", company_rut="76354771-K", direction="purchases",
        dte_type=33, folio=folio, issue_date=date(2026, 11, 5), issuer_rut=supplier,
        counterparty={"rut": supplier, "name": "Proveedor"}, net=net, vat=vat,
        total=net + vat)
    entry = ProposedEntry(entry_date=document.issue_date, kind="traspaso", glosa="F", lines=[
        ProposedLine(account_code="410230", role="detail", debit=net),
        ProposedLine(account_code="110710", role="vat_credit", debit=vat),
        ProposedLine(account_code="210210", role="auxiliary", credit=net + vat,
                     counterparty_rut=supplier)])
    return Proposal(event_id=f"e{folio}", company_rut="76354771-K",
                    source_key=document.document_key, document=document, entry=entry)


async def test_intake_reads_the_batch_memory_once_and_proposes_it():
    books = books_remembering(BANK_FEES)
    batch = [purchase(1, SUPPLIER, 10_000), purchase(2, OTHER_SUPPLIER, 20_000),
             purchase(3, SUPPLIER, 30_000)]
    proposed = await remembered.propose(FakeUnitOfWork(books), COMPANY_ID, batch, chart())
    # One read for the whole batch.
    assert books.remembered.reads == [{SUPPLIER, OTHER_SUPPLIER}]
    by_folio = {p.document.folio: (p, source, note) for p, source, note in proposed}
    first, source, note = by_folio[1]
    # Neto 10.000 to 410190 instead of 410230; IVA 1.900 and the supplier's 11.900 stay.
    assert [(line.account_code, line.debit, line.credit) for line in first.entry.lines] == [
        ("410190", 10_000, 0), ("110710", 1_900, 0), ("210210", 0, 11_900)]
    assert source == AccountSource.REMEMBERED and "remembered for 76.123.456-0" in note
    assert by_folio[3][0].entry.lines[0].account_code == "410190"
    assert by_folio[3][0].entry.is_balanced
    other, source, note = by_folio[2]
    assert other.entry.lines[0].account_code == "410230"
    assert (source, note) == (AccountSource.SETTINGS, None)


async def test_confirm_remembers_the_latest_person_choice_of_a_counterparty_only():
    books = books_remembering()
    posted = [stored(books, "a", "chosen", "420220"), stored(books, "x", "remembered"),
              stored(books, "y", "settings"), stored(books, "b", "chosen", "410190")]
    await remembered.learn(FakeUnitOfWork(books), range_sync(), posted)
    [learnt] = books.remembered.records.values()
    assert (learnt.direction, learnt.counterparty_rut, learnt.account_code, learnt.origin,
            learnt.sync_id, learnt.source_key) == (
        "purchases", SUPPLIER, "410190", Origin.REVIEW, SYNC_ID, "k-b")


async def test_a_page_nobody_changed_costs_no_query():
    books = books_remembering()
    page = [stored(books, str(i), "settings") for i in range(2000)]
    await remembered.learn(FakeUnitOfWork(books), range_sync(), page)
    assert books.remembered.chosen_reads == 0 and books.remembered.records == {}


# --- the API, on the fake unit of work ------------------------------------------------------


async def test_an_account_set_through_the_api_is_listed_with_its_names_and_forgotten_once():
    books = books_of_a_company()
    await books.journal.add_counterparties(COMPANY_ID, {CUSTOMER: "Cliente SpA"})
    services = FakeServices(books)

    shown = await remembered.set_remembered(services, COMPANY_ID, "sales", CUSTOMER, "4102")

    assert (shown["counterparty_name"], shown["account_code"], shown["account_name"],
            shown["origin"], shown["sync_id"]) == (
        "Cliente SpA", "4102", "Ventas de Servicios", Origin.API, None)
    page = await remembered.list_remembered(services, COMPANY_ID, "sales", None, 0, 10)
    assert (page["total"], page["items"]) == (1, [shown])
    await remembered.forget(services, COMPANY_ID, "sales", CUSTOMER)
    with pytest.raises(NotFound, match="No detail account is remembered for the sales of "
                                       "77.777.777-7"):
        await remembered.forget(services, COMPANY_ID, "sales", CUSTOMER)


async def test_an_account_that_cannot_be_a_detail_is_not_remembered():
    services = FakeServices(books_of_a_company())
    with pytest.raises(Unprocessable, match="Account 2111 cannot be remembered as the sales "
                                            "detail account of 77.777.777-7"):
        await remembered.set_remembered(services, COMPANY_ID, "sales", CUSTOMER, "2111")
    assert services.books.remembered.records == {} and services.commits == 0
