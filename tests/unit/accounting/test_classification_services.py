"""Intake, the review of a range sync's payments and posting, on a fake unit of work: each
stores what the one classification decides, and what intake stored is what posting
decides again."""

from dataclasses import dataclass, field
from datetime import date
from types import SimpleNamespace
from typing import Any

from accounting.domain.accounts import Account, AccountType
from accounting.domain.classification import LATE_ARRIVAL
from accounting.domain.payments import AWAITING_DOCUMENT
from accounting.domain.periods import CLOSED_PERIOD
from accounting.domain.syncs import (
    NOTHING_TO_POST,
    DocumentStatus,
    SyncKind,
    SyncStatus,
    progress,
)
from accounting.service_layer import proposals
from accounting.service_layer.posting import post_page, read_page
from accounting.service_layer.sync_payments import review_payments
from shared.events import Counterparty, DocumentReference, PaymentRecorded, TaxDocument
from shared.internal_api import Proposal, ProposedEntry, ProposedLine

COMPANY, CUSTOMER = "76354771-K", "77777777-7"
CHART = {code: Account(code, name, kind, postable=True) for code, name, kind in [
    ("1105", "Clientes", AccountType.ASSET), ("1101", "Caja", AccountType.ASSET),
    ("4101", "Ventas", AccountType.INCOME), ("2111", "IVA Débito Fiscal", AccountType.LIABILITY)]}


@dataclass
class FakeRepository:
    """The repository calls these use cases make, over dicts (accounting.adapters.repository
    on real databases: tests/integration/accounting)."""

    session: dict[str, Any]
    closed: set[str] = field(default_factory=set)
    posted: set[str] = field(default_factory=set)  # keys with an active entry
    documents: dict[str, dict[str, Any]] = field(default_factory=dict)
    entries: list[dict[str, Any]] = field(default_factory=list)

    async def posted_source_keys(self, company_id: str, keys: Any) -> set[str]:
        return self.posted & set(keys)

    async def stored_source_keys(self, sync_id: str, keys: Any) -> set[str]:
        return {d["source_key"] for d in self.documents.values()} & set(keys)

    async def chart(self, company_id: str) -> dict[str, Account]:
        return CHART

    async def closed_months(self, company_id: str) -> set[str]:
        return self.closed

    async def add_documents(self, rows: list[dict[str, Any]]) -> set[str]:
        self.documents.update((row["id"], dict(row)) for row in rows)
        return {row["id"] for row in rows}

    async def count_received(self, sync_id: str, count: int) -> str:
        # The rule the SQL UPDATE asks (tests/integration/accounting/test_count_received.py
        # checks that the two agree).
        s = self.session
        s["received"] += count
        s["status"] = progress(SyncStatus(s["status"]), s["expected"], s["received"],
                               SyncKind(s["kind"]))
        return s["status"]

    async def set_documents(self, changes: list[dict[str, Any]], before: Any = None) -> None:
        for c in changes:
            self.documents[c["doc_id"]].update(
                status=c["new_status"], entry_id=c["new_entry_id"],
                hold_reason=c["new_hold_reason"], hold_code=c["new_hold_code"])

    async def payments_to_review(self, sync_id: str) -> list[SimpleNamespace]:
        return [SimpleNamespace(**d) for d in self.documents.values() if d["dte_type"] is None
                and (d["status"] == DocumentStatus.READY or d["hold_code"] == AWAITING_DOCUMENT)]

    async def get_company(self, company_id: str, lock: bool = False) -> None:
        return None

    async def posting_page(self, sync_id: str, after: Any, limit: int, *,
                           payments: bool = False) -> list[SimpleNamespace]:
        rows = sorted((d for d in self.documents.values()
                       if (d["dte_type"] is None) == payments),
                      key=lambda d: (d["issue_date"], d["dte_type"] or -1, d["folio"] or -1,
                                     d["id"]))
        if after is not None:
            rows = [d for d in rows if (d["issue_date"], d["dte_type"] or -1, d["folio"] or -1,
                                        d["id"]) > after]
        return [SimpleNamespace(**d) for d in rows[:limit]]

    async def posting_state(self, company_id: str, ids: list[str]) -> dict[str, Any]:
        return {i: SimpleNamespace(status=self.documents[i]["status"],
                                   hold_code=self.documents[i]["hold_code"],
                                   already_posted=self.documents[i]["source_key"] in self.posted)
                for i in ids}

    async def take_entry_numbers(self, company_id: str, count: int) -> int:
        return len(self.entries) + 1

    async def add_entries(self, entries: list[dict[str, Any]], lines: list[Any]) -> None:
        self.entries.extend(entries)
        self.posted.update(e["source_key"] for e in entries)


class FakeRemembered:
    async def for_counterparties(self, company_id: str, ruts: Any) -> dict[str, Any]:
        return {}


class FakeUnitOfWork:
    def __init__(self, repo: FakeRepository):
        self.repo, self.remembered = repo, FakeRemembered()
        self.events: list[Any] = []

    def emit(self, payload: Any, **_: Any) -> None:
        self.events.append(payload)

    def after_commit(self, callback: Any) -> None:
        pass


def range_sync(status: SyncStatus = SyncStatus.RECEIVING, expected: int | None = None
               ) -> dict[str, Any]:
    return {"id": "s-1", "company_id": "c-1", "company_rut": COMPANY, "kind": SyncKind.RANGE,
            "date_from": date(2024, 3, 1), "date_to": date(2024, 3, 31), "status": status,
            "expected": expected, "received": 0}


def factura(folio: int, day: date, *, credit: int = 100_000) -> Proposal:
    """A factura of 100.000 neto and 19.000 IVA (119.000), posted on its date."""
    document = TaxDocument(
        document_id=f"d-{folio}", company_rut=COMPANY, direction="sales", dte_type=33,
        folio=folio, issue_date=day, issuer_rut=COMPANY,
        counterparty=Counterparty(rut=CUSTOMER, name="Cliente SpA"), net=100_000, vat=19_000,
        total=119_000)
    entry = ProposedEntry(entry_date=day, kind="traspaso", glosa=f"Factura {folio}", lines=[
        ProposedLine(account_code="1105", role="auxiliary", debit=119_000,
                     counterparty_rut=CUSTOMER),
        ProposedLine(account_code="4101", role="detail", credit=credit),
        ProposedLine(account_code="2111", role="vat_debit", credit=19_000)])
    return Proposal(event_id=f"ev-{folio}", sync_id="s-1", company_rut=COMPANY,
                    source_key=document.document_key, document=document, entry=entry)


def collection(payment_id: str, *folios: int) -> Proposal:
    """A collection of 119.000 for the facturas named: Caja against Clientes."""
    payment = PaymentRecorded(
        payment_id=payment_id, company_rut=COMPANY, kind="collection",
        counterparty=Counterparty(rut=CUSTOMER, name="Cliente SpA"), amount=119_000,
        paid_on=date(2024, 3, 20),
        documents=tuple(DocumentReference(dte_type=33, folio=f) for f in folios))
    entry = ProposedEntry(entry_date=date(2024, 3, 20), kind="ingreso", glosa="Cobro", lines=[
        ProposedLine(account_code="1101", role="cash", debit=119_000),
        ProposedLine(account_code="1105", role="auxiliary", credit=119_000,
                     counterparty_rut=CUSTOMER)])
    return Proposal(event_id=f"ev-{payment_id}", sync_id="s-1", company_rut=COMPANY,
                    source_key=f"payment:{payment_id}", payment=payment, entry=entry)


def key(folio: int) -> str:
    return f"sales:{COMPANY}:33:{folio}"


async def intake(repo: FakeRepository, batch: list[Proposal]) -> dict[str, dict[str, Any]]:
    sync = SimpleNamespace(**repo.session)
    await proposals._add(FakeUnitOfWork(repo), sync, batch, {})
    return {d["source_key"]: d for d in repo.documents.values()}


async def confirm(repo: FakeRepository) -> int:
    """Post every page of the session, documents first and then payments, as confirm does."""
    uow, sync, posted = FakeUnitOfWork(repo), SimpleNamespace(**repo.session), 0
    for payments in (False, True):
        after = None
        while page := await read_page(uow, sync, after, 2, payments=payments):
            posted += await post_page(uow, sync, page)
            after = page.after
    return posted


async def test_intake_stores_each_documents_decision():
    repo = FakeRepository(range_sync(), closed={"2024-02"}, posted={key(4)})
    nothing = factura(5, date(2024, 3, 6)).model_copy(update={
        "entry": None, "hold_reason": "a guía de despacho posts nothing",
        "hold_code": NOTHING_TO_POST})
    stored = await intake(repo, [
        factura(1, date(2024, 3, 2)), factura(2, date(2024, 4, 1)),
        factura(3, date(2024, 3, 3), credit=90_000), factura(4, date(2024, 3, 4)), nothing])
    seen = {k: (d["status"], d["hold_code"]) for k, d in stored.items()}
    assert seen == {
        key(1): ("ready", None), key(2): ("held", None), key(3): ("held", None),
        key(4): ("already_posted", None), key(5): ("held", NOTHING_TO_POST)}
    assert stored[key(2)]["hold_reason"].startswith("it is dated 2024-04-01, outside")
    assert stored[key(3)]["hold_reason"] == (
        "the entry does not balance: debits 119000, credits 109000 (difference 10000)")
    assert (repo.session["received"], repo.session["status"]) == (5, SyncStatus.RECEIVING)


async def test_intake_into_a_reviewed_session_holds_late_arrivals():
    repo = FakeRepository(range_sync(SyncStatus.CONFIRMED, expected=1))
    stored = await intake(repo, [factura(1, date(2024, 3, 2))])
    assert (stored[key(1)]["status"], stored[key(1)]["hold_reason"]) == ("held", LATE_ARRIVAL)


async def test_a_range_syncs_payment_waits_in_review_and_posts_after_its_factura():
    repo = FakeRepository(range_sync(expected=3))
    # The collection of factura 7 arrives before it; factura 8 never comes.
    await intake(repo, [collection("p-7", 7), collection("p-8", 8)])
    await intake(repo, [factura(7, date(2024, 3, 7))])
    assert repo.session["status"] == SyncStatus.IN_REVIEW
    await review_payments(FakeUnitOfWork(repo), SimpleNamespace(**repo.session))
    stored = {d["source_key"]: (d["status"], d["hold_code"]) for d in repo.documents.values()}
    assert stored == {"payment:p-7": ("ready", None),
                      "payment:p-8": ("held", AWAITING_DOCUMENT), key(7): ("ready", None)}

    assert await confirm(repo) == 2
    assert [e["source_key"] for e in repo.entries] == [key(7), "payment:p-7"]
    # Posting checked again and found factura 8 still not posted: its words now say so.
    waiting = next(d for d in repo.documents.values() if d["source_key"] == "payment:p-8")
    assert (waiting["status"], waiting["hold_code"]) == ("held", AWAITING_DOCUMENT)
    assert waiting["hold_reason"].startswith("it settles tipo 33 N° 8, which is not posted")


async def test_review_makes_ready_again_a_payment_whose_factura_came():
    repo = FakeRepository(range_sync(expected=2))
    await intake(repo, [collection("p-9", 9)])
    uow, sync = FakeUnitOfWork(repo), SimpleNamespace(**repo.session)
    await review_payments(uow, sync)
    assert next(iter(repo.documents.values()))["hold_code"] == AWAITING_DOCUMENT
    await intake(repo, [factura(9, date(2024, 3, 9))])
    await review_payments(uow, sync)
    assert {d["status"] for d in repo.documents.values()} == {"ready"}


async def test_posting_holds_what_a_closed_month_or_the_books_now_refuse():
    repo = FakeRepository(range_sync(expected=3))
    await intake(repo, [factura(1, date(2024, 3, 1)), factura(2, date(2024, 3, 2)),
                        factura(3, date(2024, 3, 3))])
    # Between review and confirm: March is closed, and another session posted factura 2.
    repo.closed, repo.posted = {"2024-03"}, {key(2)}
    assert await confirm(repo) == 0
    status = {d["source_key"]: (d["status"], d["hold_code"]) for d in repo.documents.values()}
    assert status == {key(1): ("held", CLOSED_PERIOD), key(2): ("already_posted", None),
                      key(3): ("held", CLOSED_PERIOD)}
    repo.closed = set()  # reopened: what waited for the month posts, the rest stays
    assert await confirm(repo) == 2
    assert sorted(e["source_key"] for e in repo.entries) == [key(1), key(3)]
    assert [e["total"] for e in repo.entries] == [119_000, 119_000]
