"""The remembered detail account (issue 14, item 12): the rule that proposes it, and the
intake and confirm steps that use and learn it, on fakes of the repositories."""

from dataclasses import replace
from datetime import UTC, date, datetime
from types import SimpleNamespace

from accounting.domain.accounts import Account, AccountType
from accounting.domain.chart import default_chart
from accounting.domain.remembered import (
    AccountSource,
    Origin,
    RememberedAccount,
    decide_detail,
    latest_choices,
    remembered_account_problems,
)
from accounting.domain.settings import InvoiceSettings
from accounting.service_layer import remembered
from shared.events import TaxDocument
from shared.internal_api import Proposal, ProposedEntry, ProposedLine

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


# --- intake and confirm, on fakes of the repositories -------------------------------------


class FakeMemory:
    def __init__(self, records: list[RememberedAccount]):
        self.records = {r.key: r for r in records}
        self.reads: list[set[str]] = []
        self.remembered: list[RememberedAccount] = []
        self.documents: dict[str, dict] = {}
        self.chosen_reads = 0

    async def for_counterparties(self, company_id, ruts):
        ruts = set(ruts)
        self.reads.append(ruts)
        return {k: r for k, r in self.records.items() if k[1] in ruts}

    async def remember(self, company_id, records):
        self.remembered.extend(records)

    async def chosen_documents(self, ids):
        self.chosen_reads += 1
        return [SimpleNamespace(id=i, **self.documents[i]) for i in ids]


class FakeRepo:
    async def get_settings(self, company_id):
        return InvoiceSettings(sales_detail="310115", purchases_detail="410230")


def fake_uow(memory: FakeMemory):
    return SimpleNamespace(remembered=memory, repo=FakeRepo())


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
    memory = FakeMemory([BANK_FEES])
    batch = [purchase(1, SUPPLIER, 10_000), purchase(2, OTHER_SUPPLIER, 20_000),
             purchase(3, SUPPLIER, 30_000)]
    proposed = await remembered.propose(fake_uow(memory), "c1", batch, chart())
    assert memory.reads == [{SUPPLIER, OTHER_SUPPLIER}]  # one read for the whole batch
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
    memory = FakeMemory([])
    memory.documents = {
        "a": {"source_key": "k-a", "document": {"direction": "purchases",
                                                "counterparty": {"rut": SUPPLIER}},
              "entry": {"lines": [{"account_code": "420220", "role": "detail"}]}},
        "b": {"source_key": "k-b", "document": {"direction": "purchases",
                                                "counterparty": {"rut": SUPPLIER}},
              "entry": {"lines": [{"account_code": "410190", "role": "detail"}]}},
    }
    posted = [SimpleNamespace(id="a", account_source="chosen"),
              SimpleNamespace(id="x", account_source="remembered"),
              SimpleNamespace(id="y", account_source="settings"),
              SimpleNamespace(id="b", account_source="chosen")]
    sync = SimpleNamespace(id="sync-9", company_id="c1")
    await remembered.learn(fake_uow(memory), sync, posted)
    [learnt] = memory.remembered
    assert (learnt.direction, learnt.counterparty_rut, learnt.account_code, learnt.origin,
            learnt.sync_id, learnt.source_key) == (
        "purchases", SUPPLIER, "410190", Origin.REVIEW, "sync-9", "k-b")


async def test_a_page_nobody_changed_costs_no_query():
    memory = FakeMemory([])
    await remembered.learn(fake_uow(memory), SimpleNamespace(id="s", company_id="c"),
                           [SimpleNamespace(id=str(i), account_source="settings")
                            for i in range(2000)])
    assert memory.chosen_reads == 0 and memory.remembered == []
