"""Issue 11.1 in accounting: only a company's current request can be approved; a
withdrawn or superseded one answers 409 naming the current one; a change of accountant
ends with the old accounting company disconnected, saying so, its syncs refused; a sync
invoicing refuses says why instead of waiting."""

from datetime import UTC, datetime, timedelta

from accounting.service_layer.handlers import handle_event
from shared.events import (
    IntegrationDisconnected,
    IntegrationRequested,
    IntegrationWithdrawn,
    SyncRefused,
)
from tests.integration.accounting.conftest import outbox_events
from tests.support.events import incoming

SETTINGS = {
    "sales": {"auxiliary_account": "110310", "detail_account": "310115"},
    "purchases": {"auxiliary_account": "210210", "detail_account": "410230"},
}
T0 = datetime(2026, 10, 1, 12, tzinfo=UTC)


async def contract_with_company(client, company_rut, contract):
    await client.post("/v1/contracts", json={"rut": contract, "name": f"Estudio {contract}"})
    company = await client.post(f"/v1/contracts/{contract}/companies",
                                json={"rut": company_rut, "name": "Ferretería"})
    assert company.status_code == 201, company.text
    settings = await client.put(f"/v1/companies/{company.json()['id']}/settings/"
                                "invoice-integration", json=SETTINGS)
    assert settings.status_code == 200, settings.text
    return company.json()["id"]


async def requested(services, request_id, company_rut, contract, minutes):
    await handle_event(services.uow, incoming(IntegrationRequested(
        request_id=request_id, company_rut=company_rut, company_name="Ferretería",
        contract_rut=contract, requested_at=T0 + timedelta(minutes=minutes))))


async def request_of(client, contract, request_id):
    found = (await client.get(f"/v1/contracts/{contract}/integration-requests")).json()
    return next(r for r in found if r["id"] == request_id)


async def approve(client, request_id, company_id):
    return await client.post(f"/v1/integration-requests/{request_id}/approve",
                             json={"company_id": company_id})


async def connector(client, company_id):
    [found] = (await client.get(f"/v1/companies/{company_id}/integrations")).json()
    return found


async def start_sync(client, company_id):
    return await client.post(
        f"/v1/companies/{company_id}/integrations/factura-electronica/syncs",
        json={"from": "2026-10-01", "to": "2026-10-31"})


async def test_a_withdrawn_request_cannot_be_approved(client, services, rut):
    company_rut, a, b = rut(), rut(), rut()
    a1 = await contract_with_company(client, company_rut, a)
    await requested(services, "ra-" + company_rut, company_rut, a, 0)
    await handle_event(services.uow, incoming(IntegrationWithdrawn(
        request_id="ra-" + company_rut, company_rut=company_rut, company_name="Ferretería",
        contract_rut=a, current_request_id="rb-" + company_rut, current_contract_rut=b)))
    withdrawn = await request_of(client, a, "ra-" + company_rut)
    assert (withdrawn["status"], withdrawn["superseded_by"]) == ("withdrawn", "rb-" + company_rut)

    refused = await approve(client, "ra-" + company_rut, a1)
    assert refused.status_code == 409
    assert refused.json()["current_request_id"] == "rb-" + company_rut
    assert "rb-" + company_rut in refused.json()["detail"]
    assert b not in refused.json()["detail"]  # another contract is not named
    assert (await connector(client, a1))["request_status"] == "withdrawn"
    assert (await start_sync(client, a1)).status_code == 409
    assert await outbox_events(services, "accounting.integration.approved.v1",
                               request_id="ra-" + company_rut) == []


async def test_a_newer_request_supersedes_an_older_one_in_any_order(client, services, rut):
    company_rut, a, b = rut(), rut(), rut()
    a1 = await contract_with_company(client, company_rut, a)
    await contract_with_company(client, company_rut, b)
    # Older then newer: the older one is superseded when the newer arrives.
    await requested(services, "ra-" + company_rut, company_rut, a, 0)
    await requested(services, "rb-" + company_rut, company_rut, b, 1)
    assert (await request_of(client, a, "ra-" + company_rut))["status"] == "superseded"
    refused = await approve(client, "ra-" + company_rut, a1)
    assert refused.status_code == 409
    assert refused.json()["current_request_id"] == "rb-" + company_rut
    # Newer first, then an older one (delivered late): it arrives superseded.
    await requested(services, "ra0-" + company_rut, company_rut, a, -5)
    late = await request_of(client, a, "ra0-" + company_rut)
    assert (late["status"], late["superseded_by"]) == ("superseded", "rb-" + company_rut)
    assert (await approve(client, "ra0-" + company_rut, a1)).status_code == 409


async def test_a_withdrawal_that_overtakes_its_request_still_holds(client, services, rut):
    company_rut, a = rut(), rut()
    a1 = await contract_with_company(client, company_rut, a)
    await handle_event(services.uow, incoming(IntegrationWithdrawn(
        request_id="ra-" + company_rut, company_rut=company_rut, company_name="Ferretería",
        contract_rut=a, current_request_id="ra2-" + company_rut, current_contract_rut=a)))
    await requested(services, "ra-" + company_rut, company_rut, a, 0)
    assert (await request_of(client, a, "ra-" + company_rut))["status"] == "withdrawn"
    refused = await approve(client, "ra-" + company_rut, a1)
    assert refused.status_code == 409 and "ra2-" + company_rut in refused.json()["detail"]


async def test_a_change_of_accountant_disconnects_the_old_company(client, services, rut):
    company_rut, a, b = rut(), rut(), rut()
    a1 = await contract_with_company(client, company_rut, a)
    b1 = await contract_with_company(client, company_rut, b)
    ra, rb = "ra-" + company_rut, "rb-" + company_rut
    await requested(services, ra, company_rut, a, 0)
    assert (await approve(client, ra, a1)).status_code == 200
    # The company asks for B: A1 stays connected until B approves.
    await requested(services, rb, company_rut, b, 1)
    assert (await request_of(client, a, ra))["status"] == "approved"
    assert (await connector(client, a1))["can_connect"]
    assert (await approve(client, rb, b1)).status_code == 200
    assert await outbox_events(services, "accounting.settings.changed.v1",
                               accounting_company_id=b1, company_rut=company_rut)
    # At once, before invoicing confirms: A1 cannot connect, B1 can.
    assert (await connector(client, a1))["request_status"] == "disconnected"
    assert (await connector(client, b1))["can_connect"]

    await handle_event(services.uow, incoming(IntegrationDisconnected(
        request_id=ra, company_rut=company_rut, contract_rut=a, accounting_company_id=a1,
        connected_request_id=rb)))
    old = await request_of(client, a, ra)
    assert (old["status"], old["superseded_by"]) == ("disconnected", rb)
    shown = await connector(client, a1)
    assert (shown["request_status"], shown["can_connect"]) == ("disconnected", False)
    assert "disconnected" in shown["missing"][0]
    sync = await start_sync(client, a1)
    assert sync.status_code == 409 and "disconnected" in sync.json()["detail"]
    assert (await start_sync(client, b1)).status_code == 202


async def test_an_approval_the_company_had_withdrawn_is_undone(client, services, rut):
    company_rut, a, b = rut(), rut(), rut()
    a1 = await contract_with_company(client, company_rut, a)
    b1 = await contract_with_company(client, company_rut, b)
    ra, rb = "ra-" + company_rut, "rb-" + company_rut
    await requested(services, ra, company_rut, a, 0)
    assert (await approve(client, ra, a1)).status_code == 200
    await requested(services, rb, company_rut, b, 1)
    # B approves before the withdrawal (the company went back to A meanwhile) arrives.
    assert (await approve(client, rb, b1)).status_code == 200
    await handle_event(services.uow, incoming(IntegrationWithdrawn(
        request_id=rb, company_rut=company_rut, company_name="Ferretería", contract_rut=b,
        current_request_id=ra, current_contract_rut=a, connected_request_id=ra)))
    assert (await request_of(client, b, rb))["status"] == "withdrawn"
    assert (await connector(client, a1))["can_connect"]
    assert (await connector(client, b1))["request_status"] == "withdrawn"
    assert (await start_sync(client, b1)).status_code == 409


async def test_announcing_an_approved_request_again_repairs_its_link(client, services, rut):
    company_rut, a = rut(), rut()
    a1 = await contract_with_company(client, company_rut, a)
    ra = "ra-" + company_rut
    await requested(services, ra, company_rut, a, 0)
    assert (await approve(client, ra, a1)).status_code == 200
    async with services.uow() as uow:  # the mess: the link is gone
        await uow.companies.delete_link(company_rut)
        await uow.commit()
    assert not (await connector(client, a1))["can_connect"]
    await requested(services, ra, company_rut, a, 0)  # the company asked again for A
    assert (await connector(client, a1))["can_connect"]
    assert (await request_of(client, a, ra))["status"] == "approved"

    # A late copy of that announcement, after a newer approval, moves nothing back.
    b, rb = rut(), "rb-" + company_rut
    b1 = await contract_with_company(client, company_rut, b)
    await requested(services, rb, company_rut, b, 1)
    assert (await approve(client, rb, b1)).status_code == 200
    await requested(services, ra, company_rut, a, 0)
    assert (await connector(client, b1))["can_connect"]
    assert (await connector(client, a1))["request_status"] == "disconnected"


async def test_a_refused_sync_says_why_and_cannot_be_confirmed(client, services, rut):
    company_rut, a = rut(), rut()
    a1 = await contract_with_company(client, company_rut, a)
    await requested(services, "ra-" + company_rut, company_rut, a, 0)
    assert (await approve(client, "ra-" + company_rut, a1)).status_code == 200
    sync_id = (await start_sync(client, a1)).json()["id"]
    # A refusal naming another accounting company is not this session's: ignored.
    await handle_event(services.uow, incoming(SyncRefused(sync_id=sync_id, company_rut=company_rut,
                                             accounting_company_id="someone-else",
                                             reason="forged")))
    assert (await client.get(f"/v1/syncs/{sync_id}")).json()["status"] == "requested"
    reason = f"Invoicing company {company_rut} is not connected to accounting company {a1}."
    await handle_event(services.uow, incoming(SyncRefused(sync_id=sync_id, company_rut=company_rut,
                                             accounting_company_id=a1, reason=reason)))
    session = (await client.get(f"/v1/syncs/{sync_id}")).json()
    assert (session["status"], session["detail"]) == ("refused", reason)
    confirm = await client.post(f"/v1/syncs/{sync_id}/confirm")
    assert confirm.status_code == 409 and reason in confirm.json()["detail"]
