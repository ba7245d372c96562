"""The one decision about a document's status (accounting.domain.classification), rule by
rule and in its order, at intake, at the review of a range sync's payments and at posting;
and the session progress table that count_received asks in SQL."""

from datetime import date

import pytest

from accounting.domain import classification as rules
from accounting.domain.accounts import Account, AccountType
from accounting.domain.classification import Context, Document, Entry, Stage, classify
from accounting.domain.payments import AWAITING_DOCUMENT, SettledDocument, SyncPayment
from accounting.domain.periods import CLOSED_PERIOD
from accounting.domain.syncs import (
    NOTHING_TO_POST,
    PROGRESS,
    DocumentStatus,
    SessionFact,
    SyncKind,
    SyncStatus,
    progress,
)

COMPANY, CUSTOMER = "76354771-K", "77777777-7"
CHART = {
    "1105": Account("1105", "Clientes", AccountType.ASSET, postable=True, auxiliary=True),
    "4101": Account("4101", "Ventas", AccountType.INCOME, postable=True),
    "2111": Account("2111", "IVA Débito Fiscal", AccountType.LIABILITY, postable=True),
    "41": Account("41", "Ingresos", AccountType.INCOME, postable=False),
    "4199": Account("4199", "Ventas antiguas", AccountType.INCOME, postable=True, active=False),
}
MARCH = (date(2024, 3, 1), date(2024, 3, 31))


def sale(net: int = 100_000, *, detail: str = "4101", credit: int | None = None,
         day: date = date(2024, 3, 12)) -> Entry:
    """A factura's entry: Clientes against Ventas and IVA (19 % of 100.000 is 19.000)."""
    vat = net * 19 // 100
    return Entry(day, [rules.StoredLine("1105", "auxiliary", net + vat, 0),
                       rules.StoredLine(detail, "detail", 0, net if credit is None else credit),
                       rules.StoredLine("2111", "vat_debit", 0, vat)])


def document(entry: Entry | None = None, **facts: object) -> Document:
    return Document(**{"source_key": f"sales:{COMPANY}:33:1021", "dated": date(2024, 3, 12),
                       "entry": sale() if entry is None else entry, **facts})


def intake(**known: object) -> Context:
    return Context(**{"stage": Stage.INTAKE, "date_range": MARCH, "chart": CHART, **known})


def collection(*folios: int) -> SyncPayment:
    return SyncPayment(COMPANY, collection=True, counterparty_rut=CUSTOMER,
                       documents=tuple(SettledDocument(33, folio) for folio in folios))


# --- intake ----------------------------------------------------------------------------


def test_a_balanced_document_in_range_on_usable_accounts_is_ready():
    decision = classify(document(), intake())
    assert (decision.status, decision.reason, decision.code) == (DocumentStatus.READY, None,
                                                                 None)
    assert decision.postable


def test_anything_arriving_at_a_closed_session_is_late_whatever_else_holds():
    late = document(sale(credit=1), hold_reason="no rule", dated=date(2023, 1, 1))
    decision = classify(late, intake(session_closed=True, posted={late.source_key},
                                     closed_months={"2024-03"}))
    assert (decision.status, decision.reason, decision.code) == (DocumentStatus.HELD,
                                                                 rules.LATE_ARRIVAL, None)
    assert not decision.postable


def test_a_key_already_in_the_books_is_already_posted_before_the_workers_hold():
    held = document(hold_reason="guía de despacho: nothing to post", hold_code=NOTHING_TO_POST)
    assert classify(held, intake(posted={held.source_key})).status == (
        DocumentStatus.ALREADY_POSTED)
    assert classify(held, intake(posted={"sales:other"})).code == NOTHING_TO_POST


def test_the_workers_hold_keeps_its_reason_and_code():
    held = document(None, hold_reason="guía de despacho: nothing to post",
                    hold_code=NOTHING_TO_POST)
    decision = classify(Document(held.source_key, held.dated, None, held.hold_reason,
                                 held.hold_code), intake())
    assert (decision.status, decision.reason, decision.code) == (
        DocumentStatus.HELD, "guía de despacho: nothing to post", NOTHING_TO_POST)


@pytest.mark.parametrize(("dated", "inside"), [
    (date(2024, 3, 1), True), (date(2024, 3, 31), True),  # both ends belong to the range
    (date(2024, 2, 29), False), (date(2024, 4, 1), False)])
def test_the_range_holds_its_first_and_last_day(dated, inside):
    decision = classify(document(dated=dated), intake())
    if inside:
        assert decision.status == DocumentStatus.READY
    else:
        assert (decision.status, decision.code) == (DocumentStatus.HELD, None)
        assert decision.reason == (
            f"it is dated {dated}, outside the session's range 2024-03-01 to 2024-03-31: "
            "synchronise a range that holds that date to review it")


def test_a_live_session_has_no_range_to_be_outside_of():
    assert classify(document(dated=date(2019, 7, 1)), intake(date_range=None)).postable


def test_the_range_comes_before_a_closed_month():
    decision = classify(document(dated=date(2024, 4, 2)), intake(closed_months={"2024-03"}))
    assert decision.reason is not None and decision.reason.startswith("it is dated 2024-04-02")


def test_the_entrys_date_decides_the_closed_month_not_the_documents():
    # A purchase received in March whose entry the company dates in April.
    received_in_march = document(sale(day=date(2024, 4, 2)))
    decision = classify(received_in_march, intake(closed_months={"2024-04"}))
    assert (decision.status, decision.code) == (DocumentStatus.HELD, CLOSED_PERIOD)
    assert decision.reason is not None and decision.reason.startswith("period 2024-04 is closed")
    assert classify(received_in_march, intake(closed_months={"2024-03"})).postable


def test_a_closed_month_comes_before_the_entrys_own_problems():
    decision = classify(document(sale(credit=90_000)), intake(closed_months={"2024-03"}))
    assert decision.code == CLOSED_PERIOD


def test_an_entry_that_does_not_balance_is_held_with_the_difference():
    # Debits 119.000 (100.000 + 19.000 IVA); credits 90.000 + 19.000 = 109.000.
    decision = classify(document(sale(credit=90_000)), intake())
    assert (decision.status, decision.code) == (DocumentStatus.HELD, None)
    assert decision.reason == ("the entry does not balance: debits 119000, credits 109000 "
                               "(difference 10000)")


@pytest.mark.parametrize(("code", "said"), [
    ("6101", "account 6101 (detail line) does not exist in the chart of accounts"),
    ("41", "account 41 'Ingresos' (detail line) is a group account"),
    ("4199", "account 4199 'Ventas antiguas' (detail line) is inactive")])
def test_an_entry_on_an_account_that_cannot_take_it_is_held(code, said):
    decision = classify(document(sale(detail=code)), intake())
    assert decision.status == DocumentStatus.HELD
    assert decision.reason is not None and decision.reason.startswith(said)


def test_intake_does_not_look_for_the_documents_a_payment_settles():
    # A range sync's payments are checked once the whole sync is in (review), not one by one
    # as they arrive: their documents may come in a later page.
    payment = document(settles=collection(1021))
    assert classify(payment, intake()).postable


# --- the review of a range sync's payments ---------------------------------------------


def test_review_holds_a_payment_whose_document_accounting_does_not_have():
    decision = classify(Document(settles=collection(1021, 1022)),
                        Context(Stage.REVIEW, settled={f"sales:{COMPANY}:33:1021"}))
    assert (decision.status, decision.code) == (DocumentStatus.HELD, AWAITING_DOCUMENT)
    assert decision.reason is not None and decision.reason.startswith(
        "it settles tipo 33 N° 1022, which is neither in this sync nor posted in the books")


def test_review_makes_ready_a_payment_whose_documents_are_all_there():
    # The customer's own 46 would carry the customer's RUT as issuer: either key will do.
    present = {f"sales:{COMPANY}:33:1021", f"sales:{CUSTOMER}:33:1022"}
    assert classify(Document(settles=collection(1021, 1022)),
                    Context(Stage.REVIEW, settled=present)).postable


def test_review_looks_at_nothing_but_the_documents_settled():
    # No chart, no months, no range known at review: only the payments' documents count.
    payment = Document(dated=date(2019, 1, 1), entry=sale(credit=1), settles=collection())
    assert classify(payment, Context(Stage.REVIEW, settled=set())).postable


# --- posting ---------------------------------------------------------------------------


def posting(**known: object) -> Context:
    return Context(**{"stage": Stage.POSTING, "chart": CHART, **known})


def test_posting_a_payment_of_a_range_sync_waits_for_its_document_to_post():
    decision = classify(document(settles=collection(1021)), posting(settled=set()))
    assert (decision.status, decision.code) == (DocumentStatus.HELD, AWAITING_DOCUMENT)
    assert decision.reason is not None and decision.reason.startswith(
        "it settles tipo 33 N° 1021, which is not posted (held in review, see its reason)")
    assert classify(document(settles=collection(1021)),
                    posting(settled={f"sales:{COMPANY}:33:1021"})).postable


def test_a_live_payment_posts_as_it_comes():
    assert classify(document(settles=collection(1021)), posting(settled=None)).postable


def test_at_posting_already_posted_then_awaiting_then_closed_month_then_the_entry():
    waiting = document(sale(credit=1), settles=collection(1021))
    assert classify(waiting, posting(settled=set(), posted={waiting.source_key},
                                     closed_months={"2024-03"})).status == (
        DocumentStatus.ALREADY_POSTED)
    assert classify(waiting, posting(settled=set(), closed_months={"2024-03"})).code == (
        AWAITING_DOCUMENT)
    assert classify(waiting, posting(settled={f"sales:{COMPANY}:33:1021"},
                                     closed_months={"2024-03"})).code == CLOSED_PERIOD
    assert classify(waiting, posting(settled={f"sales:{COMPANY}:33:1021"})).reason == (
        "the entry does not balance: debits 119000, credits 19001 (difference 99999)")


def test_posting_does_not_check_the_range_again():
    # What was outside its session's range was held at intake and is never posted.
    assert classify(document(dated=date(2020, 1, 1)), posting()).postable


def test_a_chart_changed_since_intake_holds_the_entry_at_posting():
    entry = document(sale(detail="4199"))
    assert classify(entry, intake(chart={**CHART, "4199": CHART["4101"]})).postable
    reason = classify(entry, posting()).reason
    assert reason == "account 4199 'Ventas antiguas' (detail line) is inactive"


def test_every_rule_has_its_place_once():
    assert len(set(rules.RULES)) == len(rules.RULES) == 7


# --- a session's progress --------------------------------------------------------------


def test_the_progress_table_asks_each_fact_once():
    assert sorted(fact for fact, _ in PROGRESS) == sorted(SessionFact)


@pytest.mark.parametrize(("status", "expected", "received", "kind", "then"), [
    (SyncStatus.REQUESTED, None, 0, SyncKind.RANGE, SyncStatus.REQUESTED),
    (SyncStatus.REQUESTED, 0, 0, SyncKind.RANGE, SyncStatus.IN_REVIEW),
    (SyncStatus.REQUESTED, None, 3, SyncKind.RANGE, SyncStatus.RECEIVING),
    (SyncStatus.RECEIVING, 5, 5, SyncKind.RANGE, SyncStatus.IN_REVIEW),
    (SyncStatus.IN_REVIEW, 5, 6, SyncKind.RANGE, SyncStatus.IN_REVIEW),
    (SyncStatus.CONFIRMING, 5, 6, SyncKind.RANGE, SyncStatus.CONFIRMING),
    (SyncStatus.REFUSED, None, 1, SyncKind.RANGE, SyncStatus.REFUSED),
    # A live session expects nothing and is always in review, whatever it received.
    (SyncStatus.IN_REVIEW, None, 7, SyncKind.LIVE, SyncStatus.IN_REVIEW),
])
def test_progress(status, expected, received, kind, then):
    assert progress(status, expected, received, kind) == then
