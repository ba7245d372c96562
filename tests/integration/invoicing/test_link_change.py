"""Issue 11.1 in invoicing: one current request, withdrawn when replaced; a change of
accountant keeps the old connection until the new request is approved; documents go only
to the connected accounting company."""

import uuid
from datetime import date

import pytest
from sqlalchemy import select

from invoicing.adapters.tables import sync_exports
from invoicing.service_layer.event_handlers import handle_event
from shared.events import (
    IntegrationApproved,
    IntegrationDisconnected,
    IntegrationRequested,
    IntegrationWithdrawn,
    InvoicesSynced,
    InvoiceSynced,
    SyncCompleted,
    SyncRefused,
    SyncRequested,
)
from tests.integration.invoicing.conftest import outbox_events
from tests.integration.invoicing.test_sync import Crash, DiesAfter
from tests.support.events import incoming

A, B = "60805000-0", "12345678-5"


async def put(client, company, contract):
    response = await client.put(f"/v1/companies/{company}/integration",
                                json={"contract_rut": contract})
    assert response.status_code in (200, 202), response.text
    return response


async def approve(container, company, request_id, contract, accounting_company_id):
    assert await handle_event(container.uow, incoming(IntegrationApproved(
        request_id=request_id, company_rut=company, contract_rut=contract,
        accounting_company_id=accounting_company_id)))


async def sync(container, company, accounting_company_id) -> str:
    request = SyncRequested(sync_id=str(uuid.uuid4()), accounting_company_id=accounting_company_id,
                            company_rut=company, date_from=date(2024, 3, 1),
                            date_to=date(2024, 3, 31))
    assert await handle_event(container.uow, incoming(request))
    return request.sync_id


async def answered(container, sync_id):
    """What invoicing sent for a sync: (pages, completions, refusals)."""
    found = []
    for contract in (InvoicesSynced, SyncCompleted, SyncRefused):
        found.append([e.payload() for e in await outbox_events(container, contract.event_type)
                      if e.correlationid == sync_id])
    return found


async def record(client, company, folio):
    response = await client.post(f"/v1/companies/{company}/documents", json={
        "direction": "sales", "dte_type": 33, "folio": folio, "issue_date": "2024-03-05",
        "counterparty": {"rut": "77777777-7", "name": "Cliente"},
        "net": 1000, "vat": 190, "total": 1190})
    assert response.status_code == 201, response.text
    return response.json()


async def live(container, company):
    return [e.payload().document.folio
            for e in await outbox_events(container, InvoiceSynced.event_type, company)
            if e.payload().sync_id is None]


async def test_a_request_to_another_contract_withdraws_the_open_one(client, company, container):
    first = (await put(client, company, A)).json()
    second = await put(client, company, B)
    assert second.status_code == 202
    assert second.json()["request_id"] != first["request_id"]
    [withdrawn] = await outbox_events(container, IntegrationWithdrawn.event_type, company)
    assert withdrawn.payload() == IntegrationWithdrawn(
        request_id=first["request_id"], company_rut=company, company_name="Comercial Andes",
        contract_rut=A, current_request_id=second.json()["request_id"], current_contract_rut=B,
        connected_request_id=None)
    # The old request's approval, when it comes, is ignored: invoicing waits for B.
    await approve(container, company, first["request_id"], A, "A1")
    state = (await client.get(f"/v1/companies/{company}/integration")).json()
    assert (state["status"], state["request_id"], state["accounting_company_id"]) == (
        "pending", second.json()["request_id"], None)


async def test_asking_again_for_a_pending_request_repeats_it_without_a_new_one(
        client, company, container):
    first = (await put(client, company, A)).json()
    again = await put(client, company, A)
    assert again.status_code == 200
    assert again.json() == first
    announced = await outbox_events(container, IntegrationRequested.event_type, company)
    assert [e.payload().request_id for e in announced] == [first["request_id"]] * 2
    assert announced[0].payload() == announced[1].payload()  # the same request, the same time
    assert await outbox_events(container, IntegrationWithdrawn.event_type, company) == []


async def test_a_change_of_accountant_moves_the_documents_only_once_approved(
        client, company, container):
    ra = (await put(client, company, A)).json()["request_id"]
    await approve(container, company, ra, A, "A1")
    await record(client, company, 1)
    first = await sync(container, company, "A1")
    pages, [completed], refused = await answered(container, first)
    assert completed.document_count == 1 and refused == []

    # The company asks for B: A1 keeps the books until B approves.
    asked = (await put(client, company, B)).json()
    rb = asked["request_id"]
    assert (asked["status"], asked["contract_rut"]) == ("pending", B)
    assert asked["connection"] == {"contract_rut": A, "accounting_company_id": "A1",
                                   "request_id": ra}
    assert await outbox_events(container, IntegrationWithdrawn.event_type, company) == []
    await record(client, company, 2)
    assert await live(container, company) == [2]
    still = await sync(container, company, "A1")
    assert len((await answered(container, still))[1]) == 1

    await approve(container, company, rb, B, "B1")
    [disconnected] = await outbox_events(container, IntegrationDisconnected.event_type, company)
    assert disconnected.payload() == IntegrationDisconnected(
        request_id=ra, company_rut=company, contract_rut=A, accounting_company_id="A1",
        connected_request_id=rb)
    # No live flow to B1 until its first sync; nothing more to A1 ever.
    await record(client, company, 3)
    assert await live(container, company) == [2]
    refused_sync = await sync(container, company, "A1")
    pages, completed, [refusal] = await answered(container, refused_sync)
    assert pages == completed == []
    assert refusal.accounting_company_id == "A1" and "not connected" in refusal.reason
    assert "B1" not in refusal.reason
    async with container.uow() as uow:
        export = (await uow.session.execute(select(sync_exports).where(
            sync_exports.c.sync_id == refused_sync))).first()
    assert export is None  # the refusal changed nothing

    to_b = await sync(container, company, "B1")
    pages, [completed], refused = await answered(container, to_b)
    assert completed.document_count == 3 and refused == []
    await record(client, company, 4)
    assert await live(container, company) == [2, 4]


async def test_asking_for_the_connected_contract_again_goes_back_to_it(
        client, company, container):
    ra = (await put(client, company, A)).json()["request_id"]
    await approve(container, company, ra, A, "A1")
    rb = (await put(client, company, B)).json()["request_id"]
    back = await put(client, company, A)
    assert back.status_code == 200
    assert (back.json()["status"], back.json()["request_id"],
            back.json()["accounting_company_id"]) == ("approved", ra, "A1")
    [withdrawn] = await outbox_events(container, IntegrationWithdrawn.event_type, company)
    assert (withdrawn.payload().request_id, withdrawn.payload().current_request_id,
            withdrawn.payload().connected_request_id) == (rb, ra, ra)
    # B's approval, if it still comes, is for an old request: nothing moves.
    await approve(container, company, rb, B, "B1")
    assert (await client.get(f"/v1/companies/{company}/integration")).json()[
        "accounting_company_id"] == "A1"
    assert await outbox_events(container, IntegrationDisconnected.event_type, company) == []


async def test_no_sync_without_an_approved_link(client, company, container):
    await record(client, company, 1)
    await put(client, company, A)
    refused_sync = await sync(container, company, "A1")
    pages, completed, [refusal] = await answered(container, refused_sync)
    assert pages == completed == [] and "not connected to accounting" in refusal.reason
    # Not even a first sync: approved later, nothing flows live until a real one.
    ra = (await client.get(f"/v1/companies/{company}/integration")).json()["request_id"]
    await approve(container, company, ra, A, "A1")
    await record(client, company, 2)
    assert await live(container, company) == []


async def test_an_export_stops_when_its_accounting_company_is_disconnected(
        client, company, container):
    ra = (await put(client, company, A)).json()["request_id"]
    await approve(container, company, ra, A, "A1")
    for folio in range(1, 8):
        await record(client, company, folio)
    request = SyncRequested(sync_id=str(uuid.uuid4()), accounting_company_id="A1",
                            company_rut=company, date_from=date(2024, 3, 1),
                            date_to=date(2024, 3, 31))
    event_id = str(uuid.uuid4())
    # The first page of three commits, then the process dies.
    with pytest.raises(Crash):
        await handle_event(lambda: DiesAfter(container, 1), incoming(request, event_id),
                           sync_page_size=3)
    rb = (await put(client, company, B)).json()["request_id"]
    await approve(container, company, rb, B, "B1")
    # Delivered again after the change of accountant: A1 gets nothing more.
    assert await handle_event(container.uow, incoming(request, event_id), sync_page_size=3)
    pages, completed, [refusal] = await answered(container, request.sync_id)
    assert [p.page for p in pages] == [1] and completed == []
    assert "not connected to accounting company A1" in refusal.reason
