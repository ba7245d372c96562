"""A range sync carries the payments and collections paid in its range (issue 14): after
the documents' pages, in pages of their own, with their count and amounts in
sync.completed; a request delivered again after a crash goes on after the last payment
page it committed."""

import uuid
from datetime import date

import pytest
from sqlalchemy import select

from invoicing.adapters.tables import sync_exports
from invoicing.service_layer.event_handlers import handle_event
from shared.events import InvoicesSynced, PaymentRecorded, PaymentsSynced, SyncCompleted
from tests.integration.invoicing.conftest import new_rut, outbox_events
from tests.integration.invoicing.test_sync import (
    Crash,
    DiesAfter,
    connect,
    invoicing,  # noqa: F401 - the fixture: PostgreSQL and SQLite
    new_company,
    record,
    sqlite_invoicing,  # noqa: F401 - the SQLite one it uses
    sync_requested,
)
from tests.support.events import incoming

CUSTOMER = {"rut": "12345678-5", "name": "Cliente"}
SUPPLIER = {"rut": "76086428-5", "name": "Proveedor"}


async def pay(client, company, kind: str, amount: int, paid_on: str, folio: int = 1) -> dict:
    response = await client.post(f"/v1/companies/{company}/payments", json={
        "kind": kind, "amount": amount, "paid_on": paid_on,
        "counterparty": CUSTOMER if kind == "collection" else SUPPLIER,
        "documents": [{"dte_type": 33, "folio": folio}]})
    assert response.status_code == 201, response.text
    return response.json()


async def in_outbox(container, sync_id: str, contract) -> list:
    return [e for e in await outbox_events(container, contract.event_type)
            if e.correlationid == sync_id]


def payments_of(pages) -> list[PaymentRecorded]:
    return [p for e in pages for p in e.payload().payments]


async def test_the_payments_paid_in_the_range_follow_the_documents(client, company, container):
    await record(client, company, folio=1, issue_date="2024-03-04", net=100_000, vat=19_000,
                 total=119_000)
    inside = [
        await pay(client, company, "collection", 119_000, "2024-03-01"),  # first day
        await pay(client, company, "payment", 59_500, "2024-03-10"),
        await pay(client, company, "collection", 20_000, "2024-03-20"),
        await pay(client, company, "collection", 30_000, "2024-03-31"),  # last day
    ]
    await pay(client, company, "collection", 7_000, "2024-02-29")  # the day before: out
    await pay(client, company, "payment", 8_000, "2024-04-01")  # the day after: out
    other = new_rut()
    await client.post("/v1/companies", json={"rut": other, "name": "Otra"})
    await pay(client, other, "collection", 9_000, "2024-03-15")  # another company's: out
    # Recorded before the company was connected: none went live.
    assert await outbox_events(container, PaymentRecorded.event_type, company) == []
    await connect(client, container, company)

    request = sync_requested(company, date(2024, 3, 1), date(2024, 3, 31))
    assert await handle_event(container.uow, incoming(request), sync_page_size=3)

    [documents] = await in_outbox(container, request.sync_id, InvoicesSynced)
    pages = await in_outbox(container, request.sync_id, PaymentsSynced)
    [completed] = await in_outbox(container, request.sync_id, SyncCompleted)
    # Four payments in pages of three, numbered from 1, in (paid_on, id) order, each as
    # its live event would carry it (the same payment_id: accounting's one key).
    assert [(p.payload().page, len(p.payload().payments)) for p in pages] == [(1, 3), (2, 1)]
    assert [p.payment_id for p in payments_of(pages)] == [p["id"] for p in inside]
    first = payments_of(pages)[0]
    assert (first.company_rut, first.kind, first.counterparty.rut, first.amount,
            first.paid_on, [(d.dte_type, d.folio) for d in first.documents]) == (
        company, "collection", "12345678-5", 119_000, date(2024, 3, 1), [(33, 1)])
    assert all(p.subject == company and p.payload().sync_id == request.sync_id for p in pages)
    # After the documents, and before the completion, which counts them apart.
    assert documents.time <= min(p.time for p in pages)
    assert max(p.time for p in pages) <= completed.time
    done = completed.payload()
    assert (done.document_count, done.payment_count) == (1, 4)
    # Collections 119.000 + 20.000 + 30.000 = 169.000; the payment 59.500.
    assert [(line.kind, line.count, line.amount) for line in done.payment_lines] == [
        ("collection", 3, 169_000), ("payment", 1, 59_500)]


async def test_a_range_with_no_payments_says_zero(client, company, container):
    await record(client, company, folio=1, issue_date="2024-05-02")
    await connect(client, container, company)
    request = sync_requested(company, date(2024, 5, 1), date(2024, 5, 31))
    assert await handle_event(container.uow, incoming(request))
    assert await in_outbox(container, request.sync_id, PaymentsSynced) == []
    [completed] = await in_outbox(container, request.sync_id, SyncCompleted)
    assert (completed.payload().document_count, completed.payload().payment_count,
            completed.payload().payment_lines) == (1, 0, ())


@pytest.mark.parametrize("commits", [1, 2])
async def test_a_redelivery_after_a_crash_sends_each_payment_once(invoicing, commits):  # noqa: F811
    """Dies after the documents' page (1 commit) or after the first payment page (2)."""
    client, container = invoicing
    company = await new_company(client)
    await record(client, company, folio=1, issue_date="2024-06-01")
    amounts = [1_000 * n for n in range(1, 6)]  # five collections: pages of 3 and 2
    for n, amount in enumerate(amounts, start=1):
        await pay(client, company, "collection", amount, f"2024-06-{n:02d}")
    await connect(client, container, company)
    request = sync_requested(company, date(2024, 6, 1), date(2024, 6, 30))
    event_id = str(uuid.uuid4())
    with pytest.raises(Crash):
        await handle_event(lambda: DiesAfter(container, commits), incoming(request, event_id),
                           sync_page_size=3)
    assert len(await in_outbox(container, request.sync_id, PaymentsSynced)) == commits - 1
    assert await in_outbox(container, request.sync_id, SyncCompleted) == []

    assert await handle_event(container.uow, incoming(request, event_id), sync_page_size=3) is True
    pages = await in_outbox(container, request.sync_id, PaymentsSynced)
    assert [p.payload().page for p in pages] == [1, 2]
    assert [p.amount for p in payments_of(pages)] == amounts
    assert len(await in_outbox(container, request.sync_id, InvoicesSynced)) == 1
    [completed] = await in_outbox(container, request.sync_id, SyncCompleted)
    # 1.000 + 2.000 + 3.000 + 4.000 + 5.000 = 15.000, counted once across the crash.
    assert [(line.kind, line.count, line.amount)
            for line in completed.payload().payment_lines] == [("collection", 5, 15_000)]
    async with container.uow() as uow:
        export = (await uow.session.execute(
            select(sync_exports).where(sync_exports.c.sync_id == request.sync_id))).one()
    assert (export.documents_done, export.payment_pages, export.completed_at is not None) == (
        True, 2, True)
    # The finished request, delivered again, sends nothing more.
    assert await handle_event(container.uow, incoming(request, event_id), sync_page_size=3) is False
    assert len(await in_outbox(container, request.sync_id, PaymentsSynced)) == 2
