"""The integration request and accounting's answers, handled by the service layer."""

import uuid

from invoicing.service_layer.event_handlers import handle_event
from shared.events import (
    IntegrationApproved,
    IntegrationConflicted,
    IntegrationConflictResolved,
    IntegrationRejected,
    IntegrationRequested,
    IntegrationWithdrawn,
)
from tests.integration.invoicing.conftest import new_rut, outbox_events
from tests.support.events import incoming

CONTRACT = "60805000-0"
OTHER_CONTRACT = "12345678-5"


async def request(client, company, contract=CONTRACT):
    return await client.put(f"/v1/companies/{company}/integration",
                            json={"contract_rut": contract})


async def link(client, company) -> dict:
    response = await client.get(f"/v1/companies/{company}/integration")
    assert response.status_code == 200, response.text
    return response.json()


async def test_before_any_request_the_detail_says_to_put_the_contract(client, company):
    response = await client.get(f"/v1/companies/{company}/integration")
    assert response.status_code == 404
    assert f"PUT /v1/companies/{company}/integration" in response.json()["detail"]
    assert "contract holder" in response.json()["detail"]


async def test_a_request_is_pending_and_emits_integration_requested(client, company, container):
    response = await request(client, company, "60.805.000-0")
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "pending" and body["contract_rut"] == CONTRACT
    assert CONTRACT in body["detail"]

    [event] = await outbox_events(container, IntegrationRequested.event_type, subject=company)
    payload = event.payload()
    assert payload.requested_at is not None
    assert payload == IntegrationRequested(request_id=body["request_id"], company_rut=company,
                                           company_name="Comercial Andes", contract_rut=CONTRACT,
                                           requested_at=payload.requested_at)
    assert event.correlationid == body["request_id"]
    assert await link(client, company) == body


async def test_unknown_company_or_bad_contract_rut(client):
    missing = await request(client, new_rut())
    assert missing.status_code == 404 and "create it first" in missing.json()["detail"]
    rut = new_rut()
    await client.post("/v1/companies", json={"rut": rut, "name": "X"})
    bad = await request(client, rut, "60805000-1")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "contract_rut"


async def test_approval_applies_once_per_event(client, company, container):
    request_id = (await request(client, company)).json()["request_id"]
    approved = IntegrationApproved(request_id=request_id, company_rut=company,
                                   contract_rut=CONTRACT, accounting_company_id="acc-42")
    event_id = str(uuid.uuid4())
    assert await handle_event(container.uow, incoming(approved, event_id)) is True
    state = await link(client, company)
    assert (state["status"], state["accounting_company_id"]) == ("approved", "acc-42")

    # Re-requested by the company meanwhile; the redelivered approval must not win.
    again = await request(client, company, OTHER_CONTRACT)
    assert again.status_code == 202
    assert await handle_event(container.uow, incoming(approved, event_id)) is False
    assert (await link(client, company))["status"] == "pending"


async def test_approved_for_the_same_contract_is_not_requested_again(client, company, container):
    request_id = (await request(client, company)).json()["request_id"]
    await handle_event(container.uow, incoming(IntegrationApproved(
        request_id=request_id, company_rut=company, contract_rut=CONTRACT,
        accounting_company_id="acc-1")))
    same = await request(client, company)
    assert same.status_code == 200
    assert same.json()["status"] == "approved" and same.json()["request_id"] == request_id
    # Announced again under the same id (accounting repairs a lost link with it): no new
    # request.
    events = await outbox_events(container, IntegrationRequested.event_type, subject=company)
    assert {e.payload().request_id for e in events} == {request_id}


async def test_a_stale_answer_is_ignored(client, company, container):
    old = (await request(client, company)).json()["request_id"]
    new = (await request(client, company, OTHER_CONTRACT)).json()["request_id"]
    assert new != old
    await handle_event(container.uow, incoming(IntegrationApproved(
        request_id=old, company_rut=company, contract_rut=CONTRACT,
        accounting_company_id="acc-old")))
    state = await link(client, company)
    assert (state["status"], state["request_id"], state["accounting_company_id"]) == (
        "pending", new, None)
    events = await outbox_events(container, IntegrationRequested.event_type, subject=company)
    assert [e.payload().request_id for e in events] == [old, new]
    [withdrawn] = await outbox_events(container, IntegrationWithdrawn.event_type, subject=company)
    assert (withdrawn.payload().request_id, withdrawn.payload().current_request_id) == (old, new)


async def test_rejection_then_a_new_request(client, company, container):
    request_id = (await request(client, company)).json()["request_id"]
    await handle_event(container.uow, incoming(IntegrationRejected(
        request_id=request_id, company_rut=company, contract_rut=CONTRACT,
        reason="This company is not a client of the contract.")))
    state = await link(client, company)
    assert state["status"] == "rejected"
    assert state["detail"] == "This company is not a client of the contract."
    retry = await request(client, company)
    assert retry.status_code == 202 and retry.json()["request_id"] != request_id


async def test_conflict_and_its_resolution(client, company, container):
    request_id = (await request(client, company)).json()["request_id"]
    detail = f"Contract {CONTRACT} has two active companies with RUT {company}: hide one."
    await handle_event(container.uow, incoming(IntegrationConflicted(
        request_id=request_id, company_rut=company, contract_rut=CONTRACT, detail=detail)))
    state = await link(client, company)
    assert (state["status"], state["detail"]) == ("conflict", detail)
    await handle_event(container.uow, incoming(IntegrationConflictResolved(
        request_id=request_id, company_rut=company, contract_rut=CONTRACT)))
    state = await link(client, company)
    assert state["status"] == "pending" and "resolved" in state["detail"]


async def test_an_answer_for_a_company_that_never_asked_is_ignored(container):
    handled = await handle_event(container.uow, incoming(IntegrationApproved(
        request_id="r", company_rut=new_rut(), contract_rut=CONTRACT,
        accounting_company_id="acc")))
    assert handled is True
