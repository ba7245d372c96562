"""SyncRequested: every document of the range, a page per message, then the count, in one
transaction."""

import uuid
from datetime import date

from invoicing.service_layer.event_handlers import handle_event
from shared.events import InvoicesSynced, SyncCompleted, SyncRequested, TaxDocument
from tests.integration.invoicing.conftest import new_rut, outbox_events


def sync_requested(company, date_from, date_to) -> SyncRequested:
    return SyncRequested(sync_id=str(uuid.uuid4()), accounting_company_id="acc-1",
                         company_rut=company, date_from=date_from, date_to=date_to)


async def record(client, company, **fields):
    body = {"direction": "sales", "dte_type": 33, "folio": 1, "issue_date": "2024-03-01",
            "counterparty": {"rut": "12345678-5", "name": "Cliente"},
            "net": 1000, "exempt": 0, "vat": 190, "total": 1190}
    body.update(fields)
    response = await client.post(f"/v1/companies/{company}/documents", json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def synced(container, sync_id):
    pages = [e for e in await outbox_events(container, InvoicesSynced.event_type)
             if e.correlationid == sync_id]
    completed = [e for e in await outbox_events(container, SyncCompleted.event_type)
                 if e.correlationid == sync_id]
    return pages, completed


def documents_of(pages) -> list[TaxDocument]:
    return [d for e in pages for d in e.payload().documents]


async def test_every_document_in_range_then_the_count(client, company, container):
    inside = []
    for folio, (direction, day, dte) in enumerate([
        ("sales", "2024-02-29", 33),      # the day before: out
        ("sales", "2024-03-01", 33),      # first day: in
        ("purchases", "2024-03-15", 61),  # in
        ("purchases", "2024-03-15", 34),  # in
        ("sales", "2024-03-31", 61),      # last day: in
        ("sales", "2024-04-01", 33),      # the day after: out
    ], start=1):
        extra = {"references": [{"dte_type": 33, "folio": 1, "code": 3}]} if dte == 61 else {}
        doc = await record(client, company, direction=direction, dte_type=dte, folio=folio,
                           issue_date=day, **extra)
        if "2024-03-01" <= day <= "2024-03-31":
            inside.append(doc)
    # Another company's documents in the same range are not sent.
    other = new_rut()
    await client.post("/v1/companies", json={"rut": other, "name": "Otra"})
    await record(client, other, issue_date="2024-03-10")

    request = sync_requested(company, date(2024, 3, 1), date(2024, 3, 31))
    # A small page size makes the handler walk several keyset pages.
    assert await handle_event(container.uow(), str(uuid.uuid4()), request, sync_page_size=3)

    pages, [completed] = await synced(container, request.sync_id)
    done = completed.payload()
    assert (done.sync_id, done.company_rut, done.document_count) == (
        request.sync_id, company, len(inside))
    # Four documents in pages of three: two messages, numbered from 1, in keyset order.
    assert [(p.payload().page, len(p.payload().documents)) for p in pages] == [(1, 3), (2, 1)]
    documents = documents_of(pages)
    # The manifest: one line per (month, direction, tipo) and every document by its key.
    assert [(m.month, m.direction, m.dte_type, m.count, m.total) for m in done.manifest.lines] == [
        ("2024-03", "purchases", 34, 1, 1190), ("2024-03", "purchases", 61, 1, 1190),
        ("2024-03", "sales", 33, 1, 1190), ("2024-03", "sales", 61, 1, 1190)]
    assert sorted(d.document_key for d in done.manifest.documents) == sorted(
        d.document_key for d in documents)
    assert completed.subject == company
    assert len(documents) == len(inside) == 4
    assert all(e.subject == company for e in pages)
    payloads = [e.payload() for e in pages]
    assert {(p.sync_id, p.company_rut) for p in payloads} == {(request.sync_id, company)}
    assert [d.document_id for d in documents] == [d["id"] for d in inside]
    credit_note = next(d for d in documents if d.dte_type == 61
                       and d.direction == "purchases")
    assert credit_note == TaxDocument(
        document_id=credit_note.document_id, company_rut=company, direction="purchases",
        dte_type=61, folio=3, issue_date=date(2024, 3, 15), issuer_rut="12345678-5",
        counterparty={"rut": "12345678-5", "name": "Cliente"}, net=1000, exempt=0, vat=190,
        total=1190, references=[{"dte_type": 33, "folio": 1, "code": 3}],
    )
    # The completion comes after every document.
    assert max(e.time for e in pages) <= completed.time


async def test_the_same_sync_event_twice_emits_nothing_more(client, company, container):
    await record(client, company)
    request = sync_requested(company, date(2024, 1, 1), date(2024, 12, 31))
    event_id = str(uuid.uuid4())
    assert await handle_event(container.uow(), event_id, request) is True
    assert await handle_event(container.uow(), event_id, request) is False
    pages, completed = await synced(container, request.sync_id)
    assert (len(pages), len(completed)) == (1, 1)


async def test_an_empty_range_completes_with_zero(client, company, container):
    request = sync_requested(company, date(2020, 1, 1), date(2020, 1, 31))
    await handle_event(container.uow(), str(uuid.uuid4()), request)
    pages, [completed] = await synced(container, request.sync_id)
    assert pages == [] and completed.payload().document_count == 0


async def test_an_unknown_company_completes_with_zero(container, caplog):
    request = sync_requested(new_rut(), date(2024, 1, 1), date(2024, 1, 31))
    await handle_event(container.uow(), str(uuid.uuid4()), request)
    pages, [completed] = await synced(container, request.sync_id)
    assert pages == [] and completed.payload().document_count == 0
    assert "does not know" in caplog.text
