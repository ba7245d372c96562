from accounting.service_layer.handlers import handle_event
from shared.events import IntegrationRequested
from tests.integration.accounting.conftest import outbox_events
from tests.support.events import incoming


async def test_contract_company_and_default_chart(client, rut):
    contract = rut()
    response = await client.post("/v1/contracts", json={"rut": contract, "name": "Estudio"})
    assert response.status_code == 201
    assert response.json() == {"rut": contract, "name": "Estudio"}
    again = await client.post("/v1/contracts", json={"rut": contract, "name": "Otro"})
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")

    dotted = f"{int(contract[:-2]):,}".replace(",", ".") + contract[-2:]
    assert (await client.get(f"/v1/contracts/{dotted}")).json()["rut"] == contract
    assert (await client.get(f"/v1/contracts/{rut()}")).status_code == 404
    assert (await client.get("/v1/contracts/12345678-9")).status_code == 422

    company_rut = rut()
    created = await client.post(f"/v1/contracts/{contract}/companies",
                                json={"rut": company_rut.lower(), "name": "Ferretería A"})
    assert created.status_code == 201
    company = created.json()
    assert company["status"] == "active" and company["contract_rut"] == contract
    assert company["rut"] == company_rut
    listed = (await client.get(f"/v1/contracts/{contract}/companies")).json()
    assert [c["id"] for c in listed] == [company["id"]]

    accounts = (await client.get(f"/v1/companies/{company['id']}/accounts")).json()
    by_code = {a["code"]: a for a in accounts}
    assert by_code["110310"] == {"code": "110310", "name": "Clientes", "type": "asset",
                                 "postable": True, "auxiliary": True, "active": True}
    assert by_code["210210"]["auxiliary"] is True
    assert by_code["1103"]["postable"] is False
    assert by_code["1"]["postable"] is False and by_code["1"]["name"] == "Activo"
    assert len([a for a in accounts if a["postable"]]) == 33  # DESIGN §8: 20 + 5 ILA + 8 of §6b


async def test_create_account_rules(client, rut):
    contract = rut()
    await client.post("/v1/contracts", json={"rut": contract, "name": "C"})
    company = (await client.post(f"/v1/contracts/{contract}/companies",
                                 json={"rut": rut(), "name": "X"})).json()
    url = f"/v1/companies/{company['id']}/accounts"
    created = await client.post(url, json={"code": "310130", "name": "Ventas Online",
                                           "type": "income"})
    assert created.status_code == 201
    assert created.json() == {"code": "310130", "name": "Ventas Online", "type": "income",
                              "postable": True, "auxiliary": False, "active": True}
    duplicate = await client.post(url, json={"code": "310130", "name": "Otra",
                                             "type": "income"})
    assert duplicate.status_code == 409
    assert "already exists" in duplicate.json()["detail"]
    not_digits = await client.post(url, json={"code": "31A", "name": "X", "type": "income"})
    assert not_digits.status_code == 422
    assert not_digits.json()["errors"][0]["field"] == "code"
    bad_type = await client.post(url, json={"code": "3", "name": "X", "type": "revenue"})
    assert bad_type.status_code == 422
    unknown = await client.post("/v1/companies/nope/accounts",
                                json={"code": "1", "name": "X", "type": "asset"})
    assert unknown.status_code == 404


async def test_conflict_then_hide_then_pending_then_approve(client, services, rut):
    contract, company_rut = rut(), rut()
    await client.post("/v1/contracts", json={"rut": contract, "name": "Estudio"})
    first = (await client.post(f"/v1/contracts/{contract}/companies",
                               json={"rut": company_rut, "name": "Ferretería A"})).json()
    copy = (await client.post(f"/v1/contracts/{contract}/companies",
                              json={"rut": company_rut, "name": "Ferretería A (copia)"})).json()

    await handle_event(services.uow, incoming(IntegrationRequested(
        request_id="req-conflict-" + company_rut, company_rut=company_rut,
        company_name="Ferretería A", contract_rut=contract)))
    request_id = "req-conflict-" + company_rut
    [request] = (await client.get(f"/v1/contracts/{contract}/integration-requests")).json()
    assert request["status"] == "conflict"
    assert request["detail"] == (
        f"The contract {contract} has 2 active companies with RUT {company_rut}: "
        f"'Ferretería A' (id {first['id']}) and 'Ferretería A (copia)' (id {copy['id']}). "
        "Delete one or hide one, then approve this request.")
    [conflicted] = await outbox_events(services, "accounting.integration.conflicted.v1",
                                       request_id=request_id)
    # Invoicing's users are not the contract's: they hear of the conflict without the names
    # or ids of its companies (issue 11.7).
    notice = conflicted.data["detail"]
    for named in (first["id"], copy["id"], "Ferretería A"):
        assert named not in notice
    assert contract in notice and "delete or hide" in notice

    refused = await client.post(f"/v1/integration-requests/{request_id}/approve",
                                json={"company_id": first["id"]})
    assert refused.status_code == 409
    assert refused.json()["detail"] == request["detail"]

    hidden = await client.post(f"/v1/companies/{copy['id']}/hide")
    assert hidden.status_code == 200 and hidden.json()["status"] == "hidden"
    [pending] = (await client.get(f"/v1/contracts/{contract}/integration-requests",
                                  params={"status": "pending"})).json()
    assert pending["id"] == request_id and pending["detail"] is None
    assert await outbox_events(services, "accounting.integration.conflict-resolved.v1",
                               request_id=request_id)

    wrong = await client.post(f"/v1/integration-requests/{request_id}/approve",
                              json={"company_id": copy["id"]})
    assert wrong.status_code == 422 and "hidden" in wrong.json()["detail"]

    approved = await client.post(f"/v1/integration-requests/{request_id}/approve",
                                 json={"company_id": first["id"]})
    assert approved.status_code == 200
    assert approved.json()["status"] == "approved"
    assert approved.json()["company_id"] == first["id"]
    [event] = await outbox_events(services, "accounting.integration.approved.v1",
                                  request_id=request_id)
    assert event.data == {"request_id": request_id, "company_rut": company_rut,
                          "contract_rut": contract, "accounting_company_id": first["id"]}

    again = await client.post(f"/v1/integration-requests/{request_id}/approve",
                              json={"company_id": first["id"]})
    assert again.status_code == 409 and "already approved" in again.json()["detail"]
    rejected = await client.post(f"/v1/integration-requests/{request_id}/reject", json={})
    assert rejected.status_code == 409


async def test_delete_resolves_conflict_too(client, services, rut):
    contract, company_rut = rut(), rut()
    await client.post("/v1/contracts", json={"rut": contract, "name": "Estudio"})
    ids = [(await client.post(f"/v1/contracts/{contract}/companies",
                              json={"rut": company_rut, "name": f"E{i}"})).json()["id"]
           for i in range(2)]
    await handle_event(services.uow, incoming(IntegrationRequested(
        request_id="req-del-" + company_rut, company_rut=company_rut, company_name="E",
        contract_rut=contract)))
    assert (await client.delete(f"/v1/companies/{ids[1]}")).status_code == 204
    assert (await client.delete(f"/v1/companies/{ids[1]}")).status_code == 204
    assert (await client.get(f"/v1/companies/{ids[1]}")).status_code == 404
    listed = (await client.get(f"/v1/contracts/{contract}/companies")).json()
    assert [c["id"] for c in listed] == [ids[0]]
    [request] = (await client.get(f"/v1/contracts/{contract}/integration-requests")).json()
    assert request["status"] == "pending"


async def test_unknown_contract_rejects_and_redelivery_changes_nothing(client, services, rut):
    contract, company_rut = rut(), rut()
    payload = IntegrationRequested(request_id="req-unknown-" + company_rut,
                                   company_rut=company_rut, company_name="Sola",
                                   contract_rut=contract)
    event = incoming(payload)
    assert await handle_event(services.uow, event)
    assert not await handle_event(services.uow, event)  # the same message delivered again
    events = await outbox_events(services, "accounting.integration.rejected.v1",
                                 request_id=payload.request_id)
    assert len(events) == 1
    assert "contract holder RUT entered in invoicing" in events[0].data["reason"]
    # A new event with the same request id (invoicing re-sent it) is absorbed too.
    await handle_event(services.uow, incoming(payload))
    assert len(await outbox_events(services, "accounting.integration.rejected.v1",
                                   request_id=payload.request_id)) == 1


async def test_reject_pending_request_and_wrong_company(client, services, rut):
    contract, company_rut, other_rut = rut(), rut(), rut()
    await client.post("/v1/contracts", json={"rut": contract, "name": "Estudio"})
    other = (await client.post(f"/v1/contracts/{contract}/companies",
                               json={"rut": other_rut, "name": "Otra"})).json()
    request_id = "req-rej-" + company_rut
    await handle_event(services.uow, incoming(IntegrationRequested(
        request_id=request_id, company_rut=company_rut, company_name="Nueva",
        contract_rut=contract)))
    wrong = await client.post(f"/v1/integration-requests/{request_id}/approve",
                              json={"company_id": other["id"]})
    assert wrong.status_code == 422
    assert f"the request is for RUT {company_rut}" in wrong.json()["detail"]
    rejected = await client.post(f"/v1/integration-requests/{request_id}/reject",
                                 json={"reason": "not our client"})
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    [event] = await outbox_events(services, "accounting.integration.rejected.v1",
                                  request_id=request_id)
    assert event.data["reason"] == "not our client"
    missing = await client.post("/v1/integration-requests/nope/approve",
                                json={"company_id": other["id"]})
    assert missing.status_code == 404
