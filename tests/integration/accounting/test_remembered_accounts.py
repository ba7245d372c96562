"""Remembered detail accounts on real PostgreSQL (issue 14, item 12): a person's change,
confirmed, is proposed for the counterparty's next documents of a range sync and of the
live session, is listed, set and forgotten through the API, and a confirm with another
choice replaces it. Intake reads the memory once per batch, whatever its size."""

from dataclasses import replace
from datetime import date

from sqlalchemy import event

from accounting.service_layer.handlers import handle_event
from accounting.service_layer.syncs import confirm
from shared.events import SyncCompleted, TaxDocument
from shared.rut import format_rut
from tests.integration.accounting.test_sync_flow import (
    GOOD_SETTINGS,
    approved_company,
    line,
    proposal,
    send,
)
from tests.support.events import incoming


def purchase(company_rut: str, supplier: str, folio: int, day: date, net: int) -> TaxDocument:
    vat = round(net * 0.19)
    return TaxDocument(
        document_id=f"doc-p-{folio}", company_rut=company_rut, direction="purchases",
        dte_type=33, folio=folio, issue_date=day, issuer_rut=supplier,
        counterparty={"rut": supplier, "name": "Cargos y Comisiones SpA"},
        net=net, vat=vat, total=net + vat)


def sale(company_rut: str, customer: str, folio: int, day: date, net: int) -> TaxDocument:
    vat = round(net * 0.19)
    return TaxDocument(
        document_id=f"doc-s-{folio}", company_rut=company_rut, direction="sales",
        dte_type=33, folio=folio, issue_date=day, issuer_rut=company_rut,
        counterparty={"rut": customer, "name": "Cliente"}, net=net, vat=vat, total=net + vat)


def proposed(sync_id: str | None, doc: TaxDocument):
    """What the worker proposes from the default accounts (GOOD_SETTINGS)."""
    if doc.direction == "purchases":
        lines = [line("410230", "detail", debit=doc.net),
                 line("110710", "vat_credit", debit=doc.vat),
                 line("210210", "auxiliary", credit=doc.total, rut=doc.counterparty.rut)]
    else:
        lines = [line("110310", "auxiliary", debit=doc.total, rut=doc.counterparty.rut),
                 line("310115", "detail", credit=doc.net),
                 line("210710", "vat_debit", credit=doc.vat)]
    return proposal(sync_id, doc, lines)


async def connected(client, services, rut) -> tuple[str, str]:
    company, request_id = await approved_company(client, services, rut)
    await client.post(f"/v1/integration-requests/{request_id}/approve",
                      json={"company_id": company["id"]})
    await client.put(f"/v1/companies/{company['id']}/settings/invoice-integration",
                     json=GOOD_SETTINGS)
    return company["id"], company["rut"]


async def in_review(client, services, company_id, company_rut, month: str, proposals):
    sync = (await client.post(
        f"/v1/companies/{company_id}/integrations/factura-electronica/syncs",
        json={"from": f"{month}-01", "to": f"{month}-28"})).json()
    await send(client, [p.model_copy(update={"sync_id": sync["id"]}) for p in proposals])
    await handle_event(services.uow, incoming(SyncCompleted(
        sync_id=sync["id"], company_rut=company_rut, document_count=len(proposals))))
    page = (await client.get(f"/v1/syncs/{sync['id']}/documents")).json()
    return sync["id"], {item["document"]["folio"]: item for item in page["items"]}


def detail(item) -> tuple[str, int, int]:
    [found] = [(x["account_code"], x["debit"], x["credit"]) for x in item["entry"]["lines"]
               if x["role"] == "detail"]
    return found


async def test_a_confirmed_choice_is_proposed_next_month_and_can_be_forgotten(
        client, services, rut):
    company_id, company_rut = await connected(client, services, rut)
    supplier, other = rut(), rut()
    memory = f"/v1/companies/{company_id}/remembered-accounts"
    assert (await client.get(memory)).json() == {"items": [], "total": 0, "offset": 0,
                                                 "limit": 100}

    # Month 1: the supplier's two invoices and another supplier's; the person changes the
    # first to 420220 and the later one to 410190, confirmed a document a page.
    later = purchase(company_rut, supplier, 12, date(2026, 10, 20), 20_000)
    sync_id, items = await in_review(client, services, company_id, company_rut, "2026-10", [
        proposed(None, purchase(company_rut, supplier, 11, date(2026, 10, 3), 10_000)),
        proposed(None, later),
        proposed(None, purchase(company_rut, other, 13, date(2026, 10, 21), 30_000))])
    assert {f: i["account_source"] for f, i in items.items()} == dict.fromkeys(
        (11, 12, 13), "settings")
    for folio, code in ((11, "420220"), (12, "410190")):
        changed = await client.patch(f"/v1/syncs/{sync_id}/documents/{items[folio]['id']}",
                                     json={"detail_account": code})
        assert changed.status_code == 200
        assert changed.json()["account_source"] == "chosen"
        assert (f"once confirmed it is remembered for {format_rut(supplier)} (purchases)"
                in changed.json()["account_note"])
    assert (await client.get(memory)).json()["total"] == 0  # not before the confirm
    summary = await confirm(replace(services, page_size=1), sync_id)
    assert summary["posted"] == 3

    [remembered] = (await client.get(memory)).json()["items"]
    assert {k: remembered[k] for k in ("direction", "counterparty_rut", "counterparty_name",
                                       "account_code", "account_name", "origin", "sync_id",
                                       "source_key")} == {
        "direction": "purchases", "counterparty_rut": supplier,
        "counterparty_name": "Cargos y Comisiones SpA", "account_code": "410190",
        "account_name": "Cargos Bancarios", "origin": "review", "sync_id": sync_id,
        "source_key": later.document_key}

    # Month 2: the supplier's invoice is proposed with 410190, saying why; the other
    # supplier's and a sale to the same RUT keep the defaults.
    sync_2, items = await in_review(client, services, company_id, company_rut, "2026-11", [
        proposed(None, purchase(company_rut, supplier, 21, date(2026, 11, 4), 80_000)),
        proposed(None, purchase(company_rut, other, 22, date(2026, 11, 5), 5_000)),
        proposed(None, sale(company_rut, supplier, 23, date(2026, 11, 6), 7_000))])
    assert items[21]["status"] == "ready" and items[21]["account_source"] == "remembered"
    assert detail(items[21]) == ("410190", 80_000, 0)  # neto 80.000; IVA 15.200 untouched
    assert sum(x["debit"] for x in items[21]["entry"]["lines"]) == 95_200
    assert sum(x["credit"] for x in items[21]["entry"]["lines"]) == 95_200
    assert (f"detail account 410190 'Cargos Bancarios' remembered for {format_rut(supplier)}"
            f" (purchases), chosen on" in items[21]["account_note"])
    assert items[21]["account_note"] in items[21]["note"]
    assert (items[22]["account_source"], detail(items[22])) == ("settings",
                                                                 ("410230", 5_000, 0))
    assert (items[23]["account_source"], detail(items[23])) == ("settings",
                                                                 ("310115", 0, 7_000))
    assert items[22]["account_note"] is None

    # A live document of the supplier gets it too.
    await send(client, [proposed(None, purchase(company_rut, supplier, 31,
                                                date(2026, 11, 9), 1_000))])
    [live] = (await client.get(f"/v1/companies/{company_id}/syncs",
                               params={"kind": "live"})).json()
    [live_item] = (await client.get(f"/v1/syncs/{live['id']}/documents")).json()["items"]
    assert live_item["account_source"] == "remembered"
    assert detail(live_item) == ("410190", 1_000, 0)

    # Confirming month 2 with another choice replaces what is remembered.
    await client.patch(f"/v1/syncs/{sync_2}/documents/{items[21]['id']}",
                       json={"detail_account": "420220"})
    await client.post(f"/v1/syncs/{sync_2}/confirm")
    one = f"{memory}/purchases/{supplier}"
    now = (await client.get(one)).json()
    assert (now["account_code"], now["origin"], now["sync_id"]) == ("420220", "review", sync_2)

    # Forget: the next document is back to the default; forgetting again says so.
    assert (await client.delete(one)).status_code == 204
    gone = await client.get(one)
    assert gone.status_code == 404
    assert f"No detail account is remembered for the purchases of {format_rut(supplier)}" in (
        gone.json()["detail"])
    again = await client.delete(one)
    assert again.status_code == 404 and "Set one with PUT" in again.json()["detail"]
    await send(client, [proposed(None, purchase(company_rut, supplier, 32,
                                                date(2026, 11, 10), 2_000))])
    items = (await client.get(f"/v1/syncs/{live['id']}/documents")).json()["items"]
    newest = [i for i in items if i["document"]["folio"] == 32][0]
    assert (newest["account_source"], detail(newest)) == ("settings", ("410230", 2_000, 0))


async def test_set_by_hand_validated_like_the_settings(client, services, rut):
    company_id, company_rut = await connected(client, services, rut)
    customer = rut()
    one = f"/v1/companies/{company_id}/remembered-accounts/sales/{format_rut(customer)}"

    expense = await client.put(one, json={"account_code": "410190"})
    assert expense.status_code == 422
    problem = expense.json()
    assert problem["errors"][0]["field"] == "account_code"
    assert "the sales detail account must be an income account" in problem["detail"]
    group = await client.put(one, json={"account_code": "3101"})
    assert group.status_code == 422 and "group account" in group.json()["detail"]
    missing = await client.put(one, json={"account_code": "999999"})
    assert missing.status_code == 422 and "does not exist" in missing.json()["detail"]
    bad_rut = await client.put(f"/v1/companies/{company_id}/remembered-accounts/sales/"
                               "76123456-1", json={"account_code": "310120"})
    assert bad_rut.status_code == 422
    bad_direction = await client.put(f"/v1/companies/{company_id}/remembered-accounts/"
                                     f"ventas/{customer}", json={"account_code": "310120"})
    assert bad_direction.status_code == 422
    unknown = await client.put(f"/v1/companies/no-such-company/remembered-accounts/sales/"
                               f"{customer}", json={"account_code": "310120"})
    assert unknown.status_code == 404
    assert unknown.json()["detail"] == "There is no company with id no-such-company."
    assert (await client.get(one)).status_code == 404

    put = await client.put(one, json={"account_code": "310120"})
    assert put.status_code == 200
    body = put.json()
    assert (body["direction"], body["counterparty_rut"], body["account_code"],
            body["account_name"], body["origin"], body["sync_id"]) == (
        "sales", customer, "310120", "Ventas de Servicios", "api", None)
    assert body["counterparty_name"] is None  # no document of theirs has come yet
    listed = (await client.get(f"/v1/companies/{company_id}/remembered-accounts",
                               params={"direction": "sales"})).json()
    assert [i["counterparty_rut"] for i in listed["items"]] == [customer]
    assert (await client.get(f"/v1/companies/{company_id}/remembered-accounts",
                             params={"direction": "purchases"})).json()["total"] == 0

    # The customer's first invoice: neto 50.000 to Ventas de Servicios, set through the API.
    sync_id, items = await in_review(client, services, company_id, company_rut, "2026-10", [
        proposed(None, sale(company_rut, customer, 41, date(2026, 10, 8), 50_000))])
    assert items[41]["account_source"] == "remembered"
    assert detail(items[41]) == ("310120", 0, 50_000)
    assert "(set through the API)" in items[41]["account_note"]


async def test_intake_reads_the_memory_once_per_batch(client, services, rut, app):
    company_id, company_rut = await connected(client, services, rut)
    suppliers = [rut() for _ in range(300)]
    for supplier in suppliers[:150]:
        await client.put(f"/v1/companies/{company_id}/remembered-accounts/purchases/"
                         f"{supplier}", json={"account_code": "410190"})
    reads: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):  # noqa: PLR0913
        if "remembered_accounts" in statement:
            reads.append(statement)

    engine = app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        sync = (await client.post(
            f"/v1/companies/{company_id}/integrations/factura-electronica/syncs",
            json={"from": "2026-10-01", "to": "2026-10-31"})).json()
        batch = [proposed(sync["id"], purchase(company_rut, s, 100 + n, date(2026, 10, 2),
                                               1_000 + n))
                 for n, s in enumerate(suppliers)]
        assert await send(client, batch) == {"accepted": 300, "duplicates": 0}
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(reads) == 1
    counts = (await client.get(f"/v1/syncs/{sync['id']}")).json()
    assert counts["ready"] == 300
    page = (await client.get(f"/v1/syncs/{sync['id']}/documents",
                             params={"limit": 500})).json()["items"]
    sources = [i["account_source"] for i in page]
    assert sources.count("remembered") == 150 and sources.count("settings") == 150
