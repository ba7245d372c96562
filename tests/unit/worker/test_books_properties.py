"""Random documents of every type (with ILA, retentions, payments) through the posting
rules and into accounting's trial balance: the books balance and carry the documents' IVA."""

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from accounting.domain.trial_balance import Movement, trial_balance
from integration_worker.domain import propose, propose_payment
from shared.events import Counterparty, OtherTax, PaymentKind, PaymentRecorded
from shared.internal_api import (
    DEFAULT_OTHER_TAX_ACCOUNTS,
    DEFAULT_PURCHASE_OTHER_TAX_ACCOUNTS,
    ProposedEntry,
)
from shared.money import round_half_up_div, vat_of
from tests.unit.worker.test_books_helpers import signed_iva
from tests.unit.worker.test_posting_properties import documents as plain_documents
from tests.unit.worker.test_posting_rules import PROFILE, doc

PROFILE_WITH_CASH = PROFILE.model_copy(update={"payments_account": "110102",
                                               "collections_account": "110102"})
ILA = [(24, 31.5), (25, 20.5), (26, 20.5), (27, 10.0), (271, 18.0)]


@st.composite
def with_ila(draw):
    """A 33 / 56 / 61 either side with one or two ILA rates on parts of its neto."""
    direction = draw(st.sampled_from(["sales", "purchases"]))
    dte_type = draw(st.sampled_from([33, 56, 61]))
    net = draw(st.integers(1, 10**9))
    exempt = draw(st.integers(0, 10**8))
    taxes = []
    for code, rate in draw(st.lists(st.sampled_from(ILA), min_size=1, max_size=2,
                                    unique=True)):
        base = draw(st.integers(0, net))
        taxes.append(OtherTax(code=code, rate=rate,
                              amount=round_half_up_div(base * int(rate * 10), 1000)))
    vat = vat_of(net)
    return doc(direction, dte_type, net=net, exempt=exempt, vat=vat,
               total=net + exempt + vat + sum(t.amount for t in taxes),
               other_taxes=tuple(taxes))


@st.composite
def payments(draw):
    kind = draw(st.sampled_from(list(PaymentKind)))
    return PaymentRecorded(
        payment_id=str(draw(st.integers(1, 10**6))), company_rut=PROFILE.company_rut,
        kind=kind, counterparty=Counterparty(rut="12345678-5", name="Contraparte"),
        amount=draw(st.integers(1, 10**10)), paid_on=date(2024, 3, 20))


def post(items) -> list[ProposedEntry]:
    entries = []
    for item in items:
        outcome = (propose_payment(item, PROFILE_WITH_CASH) if isinstance(item, PaymentRecorded)
                   else propose(item, PROFILE))
        assert isinstance(outcome, ProposedEntry), outcome
        entries.append(outcome)
    return entries


def balance_of(report, code: str) -> int:
    """Debit minus credit of one account in the trial balance (0 when it has no row)."""
    return sum(r.debit - r.credit for r in report.rows if r.account_code == code)


@settings(max_examples=150)
@given(st.lists(st.one_of(plain_documents, with_ila(), payments()), min_size=1, max_size=25))
def test_the_books_of_random_documents_balance_and_hold_their_iva(items):
    entries = post(items)
    for entry in entries:
        assert entry.is_balanced

    report = trial_balance(
        Movement(line.account_code, line.account_code, line.debit, line.credit)
        for entry in entries for line in entry.lines
    )
    assert report.totals.debit == report.totals.credit
    assert report.totals.debit_balance == report.totals.credit_balance

    documents = [i for i in items if not isinstance(i, PaymentRecorded)]
    sales = [d for d in documents if d.direction == "sales"]
    purchases = [d for d in documents if d.direction == "purchases"]
    # IVA Débito Fiscal is a credit balance, IVA Crédito Fiscal a debit balance.
    assert -balance_of(report, PROFILE.vat_debit_account) == sum(map(signed_iva, sales))
    assert balance_of(report, PROFILE.vat_credit_account) == sum(map(signed_iva, purchases))

    # A sale's additional taxes are owed (credit), a purchase's recovered (debit, §6b).
    expected: dict[str, int] = {}
    for d in documents:
        accounts = (DEFAULT_OTHER_TAX_ACCOUNTS if d.direction == "sales"
                    else DEFAULT_PURCHASE_OTHER_TAX_ACCOUNTS)
        note = -1 if d.dte_type in (61, 112) else 1
        side = -1 if d.direction == "sales" else 1
        for tax in d.other_taxes:
            account = accounts[str(tax.code)]
            expected[account] = expected.get(account, 0) + note * side * tax.amount
    for account, balance in expected.items():
        assert balance_of(report, account) == balance
