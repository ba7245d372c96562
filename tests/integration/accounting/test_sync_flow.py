"""Settings, integrations, a sync with proposals, review, confirm, books, and a re-sync."""

from datetime import date

import pytest

from accounting.service_layer.handlers import handle_event
from shared.events import IntegrationRequested, SyncCompleted, TaxDocument
from shared.internal_api import Proposal, ProposalBatch, ProposedEntry, ProposedLine
from tests.integration.accounting.conftest import AS_WORKER, outbox_events
from tests.support.events import incoming

GOOD_SETTINGS = {
    "sales": {"auxiliary_account": "110310", "detail_account": "310115"},
    "purchases": {"auxiliary_account": "210210", "detail_account": "410230"},
    "payments_account": "110102",
}


async def approved_company(client, services, rut) -> tuple[dict, str]:
    contract, company_rut = rut(), rut()
    await client.post("/v1/contracts", json={"rut": contract, "name": "Estudio"})
    company = (await client.post(f"/v1/contracts/{contract}/companies",
                                 json={"rut": company_rut, "name": "Ferretería"})).json()
    request_id = "req-" + company_rut
    await handle_event(services.uow, incoming(IntegrationRequested(
        request_id=request_id, company_rut=company_rut, company_name="Ferretería",
        contract_rut=contract)))
    return company, request_id


def document(company_rut: str, counterparty_rut: str, direction: str, dte_type: int,
             folio: int, net: int = 0, exempt: int = 0, vat: int = 0,
             total: int | None = None) -> TaxDocument:
    return TaxDocument(
        document_id=f"doc-{direction}-{dte_type}-{folio}", company_rut=company_rut,
        direction=direction, dte_type=dte_type, folio=folio, issue_date=date(2024, 3, folio),
        issuer_rut=company_rut if direction == "sales" else counterparty_rut,
        counterparty={"rut": counterparty_rut, "name": "Contraparte"},
        net=net, exempt=exempt, vat=vat,
        total=net + exempt + vat if total is None else total)


def line(code: str, role: str, debit: int = 0, credit: int = 0, rut: str | None = None):
    return ProposedLine(account_code=code, role=role, debit=debit, credit=credit,
                        counterparty_rut=rut)


def proposal(sync_id: str, doc: TaxDocument, lines=None, hold_reason=None) -> Proposal:
    entry = None
    if lines is not None:
        entry = ProposedEntry(entry_date=doc.issue_date, kind="traspaso",
                              glosa=f"DTE {doc.dte_type} folio {doc.folio}", lines=lines)
    return Proposal(event_id=f"ev-{doc.document_key}", sync_id=sync_id,
                    company_rut=doc.company_rut, source_key=doc.document_key, document=doc,
                    entry=entry, hold_reason=hold_reason)


def proposals_for(sync_id: str, company_rut: str, customer: str, supplier: str):
    sale = document(company_rut, customer, "sales", 33, 1, net=100_000, vat=19_000)
    purchase = document(company_rut, supplier, "purchases", 33, 2, net=50_000, vat=9_500)
    credit_note = document(company_rut, customer, "sales", 61, 3, net=20_000, vat=3_800)
    odd = document(company_rut, customer, "sales", 33, 4, net=10_000, vat=1_900, total=99)
    exempt = document(company_rut, supplier, "purchases", 34, 5, exempt=10_000)
    return [
        proposal(sync_id, sale, [line("110310", "auxiliary", debit=119_000, rut=customer),
                                 line("310115", "detail", credit=100_000),
                                 line("210710", "vat_debit", credit=19_000)]),
        proposal(sync_id, purchase, [line("410230", "detail", debit=50_000),
                                     line("110710", "vat_credit", debit=9_500),
                                     line("210210", "auxiliary", credit=59_500, rut=supplier)]),
        proposal(sync_id, credit_note, [line("310115", "detail", debit=20_000),
                                        line("210710", "vat_debit", debit=3_800),
                                        line("110310", "auxiliary", credit=23_800,
                                             rut=customer)]),
        proposal(sync_id, odd, hold_reason="net + exempt + IVA (11900) is not the total (99)"),
        proposal(sync_id, exempt, [line("999999", "detail", debit=10_000),
                                   line("210210", "auxiliary", credit=10_000, rut=supplier)]),
    ]


async def send(client, proposals) -> dict:
    batch = ProposalBatch(proposals=proposals)
    response = await client.post("/internal/v1/proposals",
                                 content=batch.model_dump_json(),
                                 headers={"content-type": "application/json"}, auth=AS_WORKER)
    assert response.status_code == 200, response.text
    return response.json()


async def test_settings_validation_lists_every_problem(client, services, rut):
    company, _ = await approved_company(client, services, rut)
    url = f"/v1/companies/{company['id']}/settings/invoice-integration"
    initial = (await client.get(url)).json()
    assert initial["sales"] == {"auxiliary_account": None, "detail_account": None}
    assert len(initial["missing"]) == 4

    bad = await client.put(url, json={
        "sales": {"auxiliary_account": "110101", "detail_account": "1103"},
        "purchases": {"auxiliary_account": "210210", "detail_account": "310115"},
        "collections_account": "123456",
    })
    assert bad.status_code == 422
    problem = bad.json()
    fields = [e["field"] for e in problem["errors"]]
    assert fields == ["sales.auxiliary_account", "sales.detail_account",
                      "purchases.detail_account", "collections_account"]
    assert "does not track counterparties" in problem["errors"][0]["message"]
    assert "group account" in problem["errors"][1]["message"]
    assert "expense or an asset" in problem["errors"][2]["message"]
    assert "does not exist" in problem["errors"][3]["message"]
    assert (await client.get(url)).json()["missing"] == initial["missing"]

    partial = await client.put(url, json={"sales": GOOD_SETTINGS["sales"]})
    assert partial.status_code == 200
    assert partial.json()["missing"] == [
        "set the purchases auxiliary account in settings/invoice-integration",
        "set the purchases detail account in settings/invoice-integration"]
    extra = await client.put(url, json={**GOOD_SETTINGS, "surprise": 1})
    assert extra.status_code == 422


async def test_integrations_list_says_what_is_missing(client, services, rut):
    company, request_id = await approved_company(client, services, rut)
    url = f"/v1/companies/{company['id']}/integrations"
    [connector] = (await client.get(url)).json()
    assert connector["key"] == "factura-electronica"
    assert connector["name"] == "Factura Electrónica Nubox"
    assert connector["request_status"] == "pending"
    assert connector["can_connect"] is False
    assert connector["missing"][0] == "approve the integration request from Factura Electrónica"
    assert "set the sales auxiliary account in settings/invoice-integration" in connector[
        "missing"]

    syncs = f"/v1/companies/{company['id']}/integrations/factura-electronica/syncs"
    refused = await client.post(syncs, json={"from": "2024-03-01", "to": "2024-03-31"})
    assert refused.status_code == 409
    assert refused.json()["missing"] == connector["missing"]
    assert "approve the integration request" in refused.json()["detail"]

    await client.post(f"/v1/integration-requests/{request_id}/approve",
                      json={"company_id": company["id"]})
    [connector] = (await client.get(url)).json()
    assert connector["request_status"] == "approved"
    assert connector["missing"] == [
        f"set the {what} in settings/invoice-integration"
        for what in ("sales auxiliary account", "sales detail account",
                     "purchases auxiliary account", "purchases detail account")]
    profile = await client.get(f"/internal/v1/integrations/{company['rut']}/posting-profile",
                               auth=AS_WORKER)
    assert profile.status_code == 409

    put = await client.put(f"/v1/companies/{company['id']}/settings/invoice-integration",
                           json=GOOD_SETTINGS)
    assert put.status_code == 200 and put.json()["missing"] == []
    assert await outbox_events(services, "accounting.settings.changed.v1",
                               accounting_company_id=company["id"])
    [connector] = (await client.get(url)).json()
    assert connector["can_connect"] is True and connector["missing"] == []
    assert connector["settings_configured"] is True and connector["last_sync_id"] is None


async def test_posting_profile(client, services, rut):
    company, request_id = await approved_company(client, services, rut)
    await client.post(f"/v1/integration-requests/{request_id}/approve",
                      json={"company_id": company["id"]})
    await client.put(f"/v1/companies/{company['id']}/settings/invoice-integration",
                     json=GOOD_SETTINGS)
    profile = (await client.get(
        f"/internal/v1/integrations/{company['rut']}/posting-profile", auth=AS_WORKER)).json()
    assert profile["accounting_company_id"] == company["id"]
    assert profile["sales"] == GOOD_SETTINGS["sales"]
    assert profile["purchases"] == GOOD_SETTINGS["purchases"]
    assert profile["payments_account"] == "110102"
    assert profile["collections_account"] is None
    unknown = await client.get(f"/internal/v1/integrations/{rut()}/posting-profile", auth=AS_WORKER)
    assert unknown.status_code == 404


@pytest.mark.parametrize(("body", "words"), [
    ({"from": "2024-04-01", "to": "2024-03-01"}, "after"),
    ({"from": "2022-01-01", "to": "2024-01-01"}, "24 months"),
])
async def test_sync_range_is_validated(client, services, rut, body, words):
    company, _ = await approved_company(client, services, rut)
    response = await client.post(
        f"/v1/companies/{company['id']}/integrations/factura-electronica/syncs", json=body)
    assert response.status_code == 422 and words in response.json()["detail"]


async def test_sync_review_confirm_books_and_resync(client, services, rut):
    company, request_id = await approved_company(client, services, rut)
    company_id, company_rut = company["id"], company["rut"]
    customer, supplier = rut(), rut()
    await client.post(f"/v1/integration-requests/{request_id}/approve",
                      json={"company_id": company_id})
    await client.put(f"/v1/companies/{company_id}/settings/invoice-integration",
                     json=GOOD_SETTINGS)

    started = await client.post(
        f"/v1/companies/{company_id}/integrations/factura-electronica/syncs",
        json={"from": "2024-03-01", "to": "2024-03-31"})
    assert started.status_code == 202
    sync = started.json()
    sync_id = sync["id"]
    assert started.headers["location"] == f"/v1/syncs/{sync_id}"
    assert sync["status"] == "requested" and sync["expected"] is None
    assert (sync["from"], sync["to"]) == ("2024-03-01", "2024-03-31")
    [requested] = await outbox_events(services, "accounting.sync.requested.v1",
                                      sync_id=sync_id)
    assert requested.data == {"sync_id": sync_id, "accounting_company_id": company_id,
                              "company_rut": company_rut, "date_from": "2024-03-01",
                              "date_to": "2024-03-31"}

    batch = proposals_for(sync_id, company_rut, customer, supplier)
    assert await send(client, batch[:3]) == {"accepted": 3, "duplicates": 0}
    progress = (await client.get(f"/v1/syncs/{sync_id}")).json()
    assert progress["status"] == "receiving" and progress["received"] == 3
    assert progress["ready"] == 3

    not_yet = await client.post(f"/v1/syncs/{sync_id}/confirm")
    assert not_yet.status_code == 409
    assert "still receiving documents: 3 arrived" in not_yet.json()["detail"]

    await handle_event(services.uow, incoming(SyncCompleted(
        sync_id=sync_id, company_rut=company_rut, document_count=5)))
    not_yet = await client.post(f"/v1/syncs/{sync_id}/confirm")
    assert "still receiving documents: 3 of 5 arrived" in not_yet.json()["detail"]

    assert await send(client, batch) == {"accepted": 2, "duplicates": 3}
    assert await send(client, batch) == {"accepted": 0, "duplicates": 5}
    progress = (await client.get(f"/v1/syncs/{sync_id}")).json()
    assert {k: progress[k] for k in ("status", "expected", "received", "ready", "held",
                                     "already_posted", "posted")} == {
        "status": "in_review", "expected": 5, "received": 5, "ready": 3, "held": 2,
        "already_posted": 0, "posted": 0}

    page = (await client.get(f"/v1/syncs/{sync_id}/documents")).json()
    assert page["total"] == 5 and page["limit"] == 100
    items = {item["document"]["folio"]: item for item in page["items"]}
    assert items[4]["status"] == "held" and "is not the total" in items[4]["hold_reason"]
    assert items[5]["status"] == "held" and "999999" in items[5]["hold_reason"]
    sale = items[1]
    assert sale["entry"]["lines"][0] == {
        "account_code": "110310", "account_name": "Clientes", "role": "auxiliary",
        "debit": 119_000, "credit": 0, "counterparty_rut": customer, "description": None}
    held = (await client.get(f"/v1/syncs/{sync_id}/documents",
                             params={"status": "held", "limit": 1})).json()
    assert held["total"] == 2 and len(held["items"]) == 1
    too_many = await client.get(f"/v1/syncs/{sync_id}/documents", params={"limit": 501})
    assert too_many.status_code == 422

    doc_url = f"/v1/syncs/{sync_id}/documents"
    wrong = await client.patch(f"{doc_url}/{sale['id']}", json={"detail_account": "410230"})
    assert wrong.status_code == 422 and "income" in wrong.json()["detail"]
    on_held = await client.patch(f"{doc_url}/{items[5]['id']}",
                                 json={"detail_account": "410230"})
    assert on_held.status_code == 409 and "held" in on_held.json()["detail"]
    changed = await client.patch(f"{doc_url}/{sale['id']}", json={"detail_account": "310120"})
    assert changed.status_code == 200
    detail_line = [x for x in changed.json()["entry"]["lines"] if x["role"] == "detail"][0]
    assert detail_line["account_code"] == "310120"
    assert detail_line["account_name"] == "Ventas de Servicios"

    confirmed = await client.post(f"/v1/syncs/{sync_id}/confirm")
    assert confirmed.status_code == 200
    summary = {"id": sync_id, "status": "confirmed", "posted": 3, "held": 2,
               "already_posted": 0}
    assert confirmed.json() == summary
    # A confirm publishes its entries a page at a time, not one event per entry.
    [page] = await outbox_events(services, "accounting.entries.posted.v1",
                                 accounting_company_id=company_id)
    assert page.data["sync_id"] == sync_id
    assert [e["number"] for e in page.data["entries"]] == [1, 2, 3]
    assert {e["total"] for e in page.data["entries"]} == {119_000, 59_500, 23_800}
    again = await client.post(f"/v1/syncs/{sync_id}/confirm")
    assert again.status_code == 200 and again.json() == summary
    assert len(await outbox_events(services, "accounting.entries.posted.v1",
                                   accounting_company_id=company_id)) == 1
    assert await outbox_events(services, "accounting.entry.posted.v1",
                               accounting_company_id=company_id) == []
    after = await client.patch(f"{doc_url}/{sale['id']}", json={"detail_account": "310115"})
    assert after.status_code == 409
    state = (await client.get(f"/v1/syncs/{sync_id}")).json()
    assert state["status"] == "confirmed" and state["posted"] == 3
    assert state["confirmed_at"] is not None

    entries = (await client.get(f"/v1/companies/{company_id}/entries",
                                params={"from": "2024-03-01", "to": "2024-03-31"})).json()
    assert entries["total"] == 3
    first = entries["items"][0]
    assert first["number"] == 1 and first["kind"] == "traspaso"
    assert first["entry_date"] == "2024-03-01" and first["sync_id"] == sync_id
    assert [(x["account_code"], x["debit"], x["credit"]) for x in first["lines"]] == [
        ("110310", 119_000, 0), ("310120", 0, 100_000), ("210710", 0, 19_000)]
    assert (await client.get(f"/v1/companies/{company_id}/entries",
                             params={"from": "2024-04-01"})).json()["total"] == 0

    expected_balance = await trial_balance(client, company_id)
    assert expected_balance["rows"] == [
        row("110310", "Clientes", 119_000, 23_800),
        row("110710", "IVA Crédito Fiscal", 9_500, 0),
        row("210210", "Proveedores", 0, 59_500),
        row("210710", "IVA Débito Fiscal", 3_800, 19_000),
        row("310115", "Ventas de Productos", 20_000, 0),
        row("310120", "Ventas de Servicios", 0, 100_000),
        row("410230", "Compras", 50_000, 0),
    ]
    assert expected_balance["totals"] == {"debit": 202_300, "credit": 202_300,
                                          "debit_balance": 174_700,
                                          "credit_balance": 174_700,
                                          "opening_balance": 0, "closing_balance": 0}

    # The same range again: what was posted shows as already posted and is not posted twice.
    resync = (await client.post(
        f"/v1/companies/{company_id}/integrations/factura-electronica/syncs",
        json={"from": "2024-03-01", "to": "2024-03-31"})).json()
    [connector] = (await client.get(f"/v1/companies/{company_id}/integrations")).json()
    assert connector["last_sync_id"] == resync["id"]
    await handle_event(services.uow, incoming(SyncCompleted(
        sync_id=resync["id"], company_rut=company_rut, document_count=5)))
    assert await send(client, proposals_for(resync["id"], company_rut, customer, supplier)) == {
        "accepted": 5, "duplicates": 0}
    state = (await client.get(f"/v1/syncs/{resync['id']}")).json()
    assert (state["status"], state["already_posted"], state["held"], state["ready"]) == (
        "in_review", 3, 2, 0)
    assert (await client.post(f"/v1/syncs/{resync['id']}/confirm")).json() == {
        "id": resync["id"], "status": "confirmed", "posted": 0, "held": 2,
        "already_posted": 3}
    assert await trial_balance(client, company_id) == expected_balance


async def test_an_empty_sync_is_in_review_at_once(client, services, rut):
    company, request_id = await approved_company(client, services, rut)
    await client.post(f"/v1/integration-requests/{request_id}/approve",
                      json={"company_id": company["id"]})
    await client.put(f"/v1/companies/{company['id']}/settings/invoice-integration",
                     json=GOOD_SETTINGS)
    sync = (await client.post(
        f"/v1/companies/{company['id']}/integrations/factura-electronica/syncs",
        json={"from": "2024-01-01", "to": "2024-01-31"})).json()
    completed = SyncCompleted(sync_id=sync["id"], company_rut=company["rut"], document_count=0)
    event = incoming(completed)
    assert await handle_event(services.uow, event)
    assert not await handle_event(services.uow, event)
    assert (await client.get(f"/v1/syncs/{sync['id']}")).json()["status"] == "in_review"
    assert (await client.post(f"/v1/syncs/{sync['id']}/confirm")).json()["posted"] == 0


async def test_proposals_of_an_unknown_company_or_session_are_refused(client, rut):
    company_rut = rut()
    doc = document(company_rut, rut(), "sales", 33, 1, net=100, vat=19)
    live = proposal("x", doc, hold_reason="x").model_copy(update={"sync_id": None})
    response = await client.post("/internal/v1/proposals",
                                 content=ProposalBatch(proposals=[live]).model_dump_json(),
                                 headers={"content-type": "application/json"}, auth=AS_WORKER)
    assert response.status_code == 404 and "not approved" in response.json()["detail"]
    unknown = await client.post(
        "/internal/v1/proposals",
        content=ProposalBatch(proposals=[proposal("nope", doc, hold_reason="x")])
        .model_dump_json(), headers={"content-type": "application/json"}, auth=AS_WORKER)
    assert unknown.status_code == 404


async def trial_balance(client, company_id: str) -> dict:
    response = await client.get(f"/v1/companies/{company_id}/reports/trial-balance",
                                params={"from": "2024-01-01", "to": "2024-12-31"})
    assert response.status_code == 200
    body = response.json()
    assert (body["from"], body["to"]) == ("2024-01-01", "2024-12-31")
    return body


def row(code: str, name: str, debit: int, credit: int) -> dict:
    """A trial balance row of an account with nothing before the range."""
    return {"account_code": code, "account_name": name, "debit": debit, "credit": credit,
            "debit_balance": max(debit - credit, 0), "credit_balance": max(credit - debit, 0),
            "opening_balance": 0, "closing_balance": debit - credit}


async def test_tax_settings_reach_the_profile_and_auxiliaries_must_fit_their_side(
        client, services, rut):
    company, request_id = await approved_company(client, services, rut)
    await client.post(f"/v1/integration-requests/{request_id}/approve",
                      json={"company_id": company["id"]})
    url = f"/v1/companies/{company['id']}/settings/invoice-integration"
    swapped = await client.put(url, json={
        "sales": {"auxiliary_account": "210210", "detail_account": "310115"},
        "purchases": {"auxiliary_account": "110310", "detail_account": "410230"}})
    assert swapped.status_code == 422
    errors = {e["field"]: e["message"] for e in swapped.json()["errors"]}
    assert "must be an asset account, e.g. 110310 Clientes" in errors["sales.auxiliary_account"]
    assert "must be a liability account" in errors["purchases.auxiliary_account"]

    bad_tax = await client.put(url, json={**GOOD_SETTINGS,
                                          "purchase_other_tax_accounts": {"24": "999999"}})
    assert bad_tax.status_code == 422
    assert bad_tax.json()["errors"][0]["field"] == "purchase_other_tax_accounts.24"

    wrong_kind = await client.put(url, json={**GOOD_SETTINGS, "fixed_asset_account": "410230",
                                             "non_recoverable_vat_account": "210210"})
    assert wrong_kind.status_code == 422
    errors = {e["field"]: e["message"] for e in wrong_kind.json()["errors"]}
    assert "must be an asset account, e.g. 120110 Maquinarias" in errors["fixed_asset_account"]
    assert "must be an expense or an asset account" in errors["non_recoverable_vat_account"]

    put = await client.put(url, json={**GOOD_SETTINGS, "issued_vat_tolerance": 5,
                                      "purchase_other_tax_accounts": {"27": "420220"},
                                      "fixed_asset_account": "120110",
                                      "non_recoverable_vat_account": "420220"})
    assert put.status_code == 200, put.text
    assert put.json()["issued_vat_tolerance"] == 5
    assert put.json()["purchase_other_tax_accounts"]["27"] == "420220"
    assert put.json()["purchase_other_tax_accounts"]["24"] == "110715"
    assert put.json()["other_tax_accounts"]["24"] == "210720"
    profile = (await client.get(
        f"/internal/v1/integrations/{company['rut']}/posting-profile", auth=AS_WORKER)).json()
    assert profile["issued_vat_tolerance"] == 5
    assert (profile["fixed_asset_account"], profile["non_recoverable_vat_account"]) == (
        "120110", "420220")
    assert profile["vat_common_use_account"] == "110730"
    assert profile["purchase_other_tax_accounts"] == {
        "24": "110715", "25": "110715", "26": "110715", "27": "420220", "271": "110715"}
    assert (await client.get(url)).json()["issued_vat_tolerance"] == 5


async def test_the_rules_note_reaches_the_review(client, services, rut):
    company, request_id = await approved_company(client, services, rut)
    company_id, company_rut = company["id"], company["rut"]
    await client.post(f"/v1/integration-requests/{request_id}/approve",
                      json={"company_id": company_id})
    await client.put(f"/v1/companies/{company_id}/settings/invoice-integration",
                     json=GOOD_SETTINGS)
    sync_id = (await client.post(
        f"/v1/companies/{company_id}/integrations/factura-electronica/syncs",
        json={"from": "2024-03-01", "to": "2024-03-31"})).json()["id"]
    supplier = rut()
    bought = document(company_rut, supplier, "purchases", 33, 9, net=10_526, vat=2_001)
    sent = proposal(sync_id, bought, [line("410230", "detail", debit=10_526),
                                      line("110710", "vat_credit", debit=2_001),
                                      line("210210", "auxiliary", credit=12_527, rut=supplier)])
    sent.entry.note = "IVA $2.001 is not 19% of neto $10.526: posted as the issuer stated it"
    assert await send(client, [sent]) == {"accepted": 1, "duplicates": 0}
    [item] = (await client.get(f"/v1/syncs/{sync_id}/documents")).json()["items"]
    assert item["status"] == "ready"
    assert item["note"] == sent.entry.note
