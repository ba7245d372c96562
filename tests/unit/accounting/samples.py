"""A company, its range and live sessions and the proposals the worker hands over, for the
use-case tests on the fakes (fakes.py)."""

from datetime import UTC, date, datetime

from accounting.domain.accounts import Account, AccountType
from accounting.domain.companies import Company, CompanyStatus
from accounting.domain.integrations import IntegrationLink
from accounting.domain.syncs import SyncKind, SyncSession, SyncStatus
from shared.events import Counterparty, DocumentReference, PaymentRecorded, TaxDocument
from shared.internal_api import Proposal, ProposedEntry, ProposedLine
from tests.unit.accounting.fakes import FakeBooks

COMPANY_ID, COMPANY, CUSTOMER = "c-1", "76354771-K", "77777777-7"
SYNC_ID = "s-1"
CREATED = datetime(2024, 4, 1, 9, tzinfo=UTC)
CHART = {code: Account(code, name, kind, postable=True, auxiliary=code == "1105")
         for code, name, kind in [
             ("1105", "Clientes", AccountType.ASSET), ("1101", "Caja", AccountType.ASSET),
             ("4101", "Ventas", AccountType.INCOME),
             ("4102", "Ventas de Servicios", AccountType.INCOME),
             ("4103", "Otros Ingresos", AccountType.INCOME),
             ("2111", "IVA Débito Fiscal", AccountType.LIABILITY)]}


def books_of_a_company(*, linked: bool = True) -> FakeBooks:
    """A company with CHART, its invoicing company linked to it (live proposals go there)."""
    books = FakeBooks()
    books.companies.companies[COMPANY_ID] = Company(
        COMPANY_ID, "78000000-7", COMPANY, "Comercial SpA", CompanyStatus.ACTIVE, 0, CREATED)
    books.companies.charts[COMPANY_ID] = dict(CHART)
    if linked:
        books.companies.links[COMPANY] = IntegrationLink(COMPANY, COMPANY_ID, "r-1", CREATED)
    return books


def range_sync(status: SyncStatus = SyncStatus.RECEIVING, expected: int | None = None,
               received: int = 0) -> SyncSession:
    """March 2024 of the company."""
    return SyncSession(id=SYNC_ID, company_id=COMPANY_ID, company_rut=COMPANY,
                       kind=SyncKind.RANGE, date_from=date(2024, 3, 1),
                       date_to=date(2024, 3, 31), status=status, expected=expected,
                       received=received, created_at=CREATED, confirmed_at=None,
                       progress_at=None)


def with_range_sync(status: SyncStatus = SyncStatus.RECEIVING,
                    expected: int | None = None) -> FakeBooks:
    books = books_of_a_company()
    books.syncs.sessions[SYNC_ID] = range_sync(status, expected)
    return books


def factura(folio: int, day: date, *, credit: int = 100_000, sync_id: str | None = SYNC_ID,
            name: str = "Cliente SpA") -> Proposal:
    """A factura of 100.000 neto and 19.000 IVA (119.000), posted on its date."""
    document = TaxDocument(
        document_id=f"d-{folio}", company_rut=COMPANY, direction="sales", dte_type=33,
        folio=folio, issue_date=day, issuer_rut=COMPANY,
        counterparty=Counterparty(rut=CUSTOMER, name=name), net=100_000, vat=19_000,
        total=119_000)
    entry = ProposedEntry(entry_date=day, kind="traspaso", glosa=f"Factura {folio}", lines=[
        ProposedLine(account_code="1105", role="auxiliary", debit=119_000,
                     counterparty_rut=CUSTOMER),
        ProposedLine(account_code="4101", role="detail", credit=credit),
        ProposedLine(account_code="2111", role="vat_debit", credit=19_000)])
    return Proposal(event_id=f"ev-{folio}", sync_id=sync_id, company_rut=COMPANY,
                    source_key=document.document_key, document=document, entry=entry)


def collection(payment_id: str, *folios: int, sync_id: str | None = SYNC_ID) -> Proposal:
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
    return Proposal(event_id=f"ev-{payment_id}", sync_id=sync_id, company_rut=COMPANY,
                    source_key=f"payment:{payment_id}", payment=payment, entry=entry)


def key(folio: int) -> str:
    return f"sales:{COMPANY}:33:{folio}"


async def posted_before(books: FakeBooks, *keys: str) -> None:
    """The books hold an entry for each key already (another session posted it)."""
    for source_key in keys:
        number = await books.journal.take_entry_numbers(COMPANY_ID, 1)
        entry_id = f"e-{number}"
        await books.journal.add_entries(
            [{"id": entry_id, "company_id": COMPANY_ID, "number": number,
              "entry_date": date(2024, 3, 1), "kind": "traspaso", "glosa": "Antes",
              "source_key": source_key, "sync_id": None, "total": 1_000,
              "created_at": CREATED}],
            [{"entry_id": entry_id, "line_no": n, "account_code": code, "role": role,
              "debit": debit, "credit": 1_000 - debit, "counterparty_rut": None,
              "description": None}
             for n, (code, role, debit) in enumerate(
                 [("1101", "cash", 1_000), ("4103", "detail", 0)], start=1)])
