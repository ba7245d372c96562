"""Payments, and documents that flow to accounting by themselves after the first sync."""

import io
import uuid
from datetime import date

from invoicing.adapters import repositories
from invoicing.service_layer.event_handlers import handle_event
from invoicing.service_layer.imports import ImportOptions, import_file
from shared.events import IntegrationApproved, InvoiceSynced, PaymentRecorded, SyncRequested
from tests.integration.invoicing.conftest import new_rut, outbox_events
from tests.integration.invoicing.test_imports import compra, rcv_compras
from tests.support.events import incoming

CONTRACT = "60.805.000-0"
SUPPLIER = {"rut": "12.345.678-5", "name": "Proveedora Sur Ltda."}


async def approve(client, container, company) -> None:
    answer = await client.put(f"/v1/companies/{company}/integration",
                              json={"contract_rut": CONTRACT})
    await handle_event(container.uow, incoming(IntegrationApproved(
        request_id=answer.json()["request_id"], company_rut=company, contract_rut=CONTRACT,
        accounting_company_id="acc-1")))


async def first_sync(container, company) -> None:
    await handle_event(container.uow, incoming(SyncRequested(
        sync_id=str(uuid.uuid4()), accounting_company_id="acc-1", company_rut=company,
        date_from=date(2024, 1, 1), date_to=date(2024, 1, 31))))


async def record(client, company, folio):
    response = await client.post(f"/v1/companies/{company}/documents", json={
        "direction": "purchases", "dte_type": 33, "folio": folio, "issue_date": "2024-03-05",
        "counterparty": SUPPLIER, "net": 1000, "vat": 190, "total": 1190})
    assert response.status_code == 201, response.text
    return response.json()


async def pay(client, company, **fields):
    body = {"kind": "payment", "counterparty": SUPPLIER, "amount": 1190,
            "paid_on": "2024-03-20", "documents": [{"dte_type": 33, "folio": 7}], **fields}
    return await client.post(f"/v1/companies/{company}/payments", json=body)


async def live_events(container, company):
    return [e for e in await outbox_events(container, InvoiceSynced.event_type, company)
            if e.payload().sync_id is None]


async def test_documents_flow_live_only_once_approved_and_first_synced(client, container):
    company = new_rut()
    await client.post("/v1/companies", json={"rut": company, "name": "Ferretería"})
    await record(client, company, 1)
    await approve(client, container, company)
    await record(client, company, 2)
    assert await live_events(container, company) == []  # approved, but never synced yet

    await first_sync(container, company)
    created = await record(client, company, 3)
    [live] = await live_events(container, company)
    assert live.payload().document.document_id == created["id"]
    assert live.payload().document.folio == 3


async def test_a_payment_is_recorded_and_sent_to_accounting_when_connected(client, container):
    company = new_rut()
    await client.post("/v1/companies", json={"rut": company, "name": "Ferretería"})
    before = await pay(client, company)
    assert before.status_code == 201, before.text
    assert await outbox_events(container, PaymentRecorded.event_type, company) == []

    await approve(client, container, company)
    response = await pay(client, company, kind="collection", amount=500)
    assert response.status_code == 201
    [sent] = await outbox_events(container, PaymentRecorded.event_type, company)
    payload = sent.payload()
    assert (payload.payment_id, payload.kind, payload.amount) == (
        response.json()["id"], "collection", 500)
    assert payload.counterparty.rut == "12345678-5"
    listed = (await client.get(f"/v1/companies/{company}/payments")).json()
    assert listed["total"] == 2 and {p["amount"] for p in listed["items"]} == {1190, 500}


async def test_a_payment_must_be_positive_and_for_a_known_company(client):
    company = new_rut()
    await client.post("/v1/companies", json={"rut": company, "name": "Ferretería"})
    zero = await pay(client, company, amount=0)
    assert zero.status_code == 422 and "positive" in zero.json()["detail"]
    unknown = await pay(client, new_rut())
    assert unknown.status_code == 404 and "create it first" in unknown.json()["detail"]


async def test_imported_documents_flow_live_once_each(client, container, monkeypatch):
    monkeypatch.setattr(repositories, "_IDS_PER_QUERY", 2)  # a batch's documents in 2 reads
    company = new_rut()
    await client.post("/v1/companies", json={"rut": company, "name": "Ferretería"})
    await approve(client, container, company)
    await first_sync(container, company)
    rcv = rcv_compras([compra(n) for n in range(1, 8)])
    options = ImportOptions(batch_size=3)
    first = await import_file(container.uow, company, io.BytesIO(rcv), options=options)
    again = await import_file(container.uow, company, io.BytesIO(rcv), options=options)
    assert (first.created, again.created, again.duplicates) == (7, 0, 7)

    events = [e.payload().document for e in await live_events(container, company)]
    listed = {d["folio"]: d for d in (await client.get(
        f"/v1/companies/{company}/documents")).json()["items"]}
    assert [d.folio for d in events] == list(range(1, 8))  # file order, once each
    assert [d.document_id for d in events] == [listed[n]["id"] for n in range(1, 8)]
    assert (events[0].total, events[0].vat, events[0].vat_breakdown.recoverable) == (
        1190, 190, 190)


async def test_a_refused_live_document_stages_nothing(client, container):
    # On PostgreSQL the insert and its live event are one statement: a refused insert
    # must take the event with it.
    company = new_rut()
    await client.post("/v1/companies", json={"rut": company, "name": "Ferretería"})
    await approve(client, container, company)
    await first_sync(container, company)
    created = await record(client, company, 9)
    again = await client.post(f"/v1/companies/{company}/documents", json={
        "direction": "purchases", "dte_type": 33, "folio": 9, "issue_date": "2024-03-06",
        "counterparty": SUPPLIER, "net": 2000, "vat": 380, "total": 2380})
    assert again.status_code == 409, again.text
    assert again.json()["existing_document_id"] == created["id"]
    [live] = await live_events(container, company)
    assert (live.payload().document.document_id, live.payload().document.total) == (
        created["id"], 1190)
