"""Issue 13 items 3, 5 and 6 on PostgreSQL: the RCV's pendientes are kept as pending
acceptance and never exported until a registro lists them; CredEC and GrntDep are kept on
the document and its event; a note over the company's own 46 is a purchase. The files are
written here from the SII formats (DESIGN.md §11)."""

import os
import uuid
from datetime import date

from invoicing.adapters.sii.rcv_csv import COMPRAS_HEADER, VENTAS_HEADER
from invoicing.service_layer.event_handlers import handle_event
from shared.events import IntegrationApproved, InvoicesSynced, InvoiceSynced, SyncRequested
from tests.integration.invoicing.conftest import new_rut, outbox_events
from tests.integration.invoicing.test_imports import _cli
from tests.support.events import incoming
from tests.support.rcv_files import PENDIENTES, RECLAMADOS, compra_row
from tests.support.rcv_files import rcv_file as _csv

SUPPLIER = "97975000-5"
compra = compra_row


async def register(client) -> str:
    rut = new_rut()
    response = await client.post("/v1/companies", json={"rut": rut, "name": "Comercial Andes"})
    assert response.status_code == 201, response.text
    return rut


async def upload(client, company, content: bytes, **params) -> dict:
    response = await client.post(f"/v1/companies/{company}/documents/import", params=params,
                                 files={"file": ("rcv.csv", content, "text/csv")})
    assert response.status_code == 200, response.text
    return response.json()


async def documents(client, company) -> dict[int, dict]:
    response = await client.get(f"/v1/companies/{company}/documents", params={"limit": 500})
    assert response.status_code == 200, response.text
    return {d["folio"]: d for d in response.json()["items"]}


async def connect_and_sync(client, container, company) -> None:
    """Approved for acc-1, and a first sync done: new documents flow live from then on."""
    answer = await client.put(f"/v1/companies/{company}/integration",
                              json={"contract_rut": "60805000-0"})
    await handle_event(container.uow, incoming(IntegrationApproved(
        request_id=answer.json()["request_id"], company_rut=company, contract_rut="60805000-0",
        accounting_company_id="acc-1")))
    await sync(container, company)


async def sync(container, company) -> list:
    """The documents a range sync of March 2024 exports."""
    request = SyncRequested(sync_id=str(uuid.uuid4()), accounting_company_id="acc-1",
                            company_rut=company, date_from=date(2024, 3, 1),
                            date_to=date(2024, 3, 31))
    await handle_event(container.uow, incoming(request))
    pages = [e for e in await outbox_events(container, InvoicesSynced.event_type, company)
             if e.correlationid == request.sync_id]
    return [d for page in pages for d in page.payload().documents]


async def live(container, company) -> list:
    return [e.payload().document for e in
            await outbox_events(container, InvoiceSynced.event_type, company)
            if e.payload().sync_id is None]


# --- item 3 ------------------------------------------------------------------------------


async def test_pendientes_are_stored_pending_and_become_purchases_with_the_registro(
        client, container):
    company = await register(client)
    await connect_and_sync(client, container, company)
    pendientes = _csv(PENDIENTES, [compra(1), compra(2, neto=2000, iva=380, total=2380),
                                   compra(3, total="")])
    answer = await upload(client, company, pendientes, items="all")
    assert (answer["created"], answer["pending"], answer["rejected"]) == (0, 2, 1), answer
    assert [i["status"] for i in answer["items"]] == ["pending", "pending", "rejected"]
    assert "pending acceptance" in answer["items"][0]["reason"]
    docs = await documents(client, company)
    assert {f: d["status"] for f, d in docs.items()} == {
        1: "pending_acceptance", 2: "pending_acceptance"}
    # Neither live nor in a range sync.
    assert await live(container, company) == []
    assert await sync(container, company) == []
    # The same pendientes again: duplicates, still pending.
    again = await upload(client, company, pendientes)
    assert (again["duplicates"], again["pending"], again["rejected"]) == (2, 0, 1)

    # The registro lists folio 1 (and a new folio 4): folio 1 is the same document, now a
    # purchase, with its id; it flows to accounting like a new one.
    registro = _csv(COMPRAS_HEADER, [compra(1), compra(4)])
    answer = await upload(client, company, registro, items="all")
    assert (answer["created"], answer["accepted"], answer["duplicates"], answer["pending"]) \
        == (1, 1, 0, 0), answer
    [accepted] = [i for i in answer["items"] if i["status"] == "accepted"]
    assert accepted["document_id"] == docs[1]["id"] and accepted["line"] == 2
    assert "now a purchase of the books" in accepted["reason"]
    docs = await documents(client, company)
    assert len(docs) == 3
    assert {f: d["status"] for f, d in docs.items()} == {
        1: "recorded", 2: "pending_acceptance", 4: "recorded"}
    assert [(d.folio, d.document_id) for d in await live(container, company)] == [
        (4, docs[4]["id"]), (1, docs[1]["id"])]
    assert sorted(d.folio for d in await sync(container, company)) == [1, 4]
    # Importing the registro again: duplicates only.
    again = await upload(client, company, registro)
    assert (again["created"], again["accepted"], again["duplicates"]) == (0, 0, 2)


async def test_the_registro_amounts_win_over_the_pendientes(client, container):
    company = await register(client)
    await upload(client, company, _csv(PENDIENTES, [compra(1)]))
    answer = await upload(client, company, _csv(COMPRAS_HEADER, [
        compra(1, neto=1100, iva=209, total=1309)]), items="all")
    assert answer["accepted"] == 1, answer
    assert "its amounts are now the registro's (total 1309, was 1190)" in \
        answer["items"][0]["reason"]
    [doc] = (await documents(client, company)).values()
    assert (doc["status"], doc["net"], doc["vat"], doc["total"]) == ("recorded", 1100, 209, 1309)


async def test_a_document_already_in_the_books_stays_there_when_the_pendientes_list_it(
        client, container):
    company = await register(client)
    assert (await upload(client, company, _csv(COMPRAS_HEADER, [compra(1)])))["created"] == 1
    answer = await upload(client, company, _csv(PENDIENTES, [compra(1)]))
    assert (answer["duplicates"], answer["pending"]) == (1, 0)
    [doc] = (await documents(client, company)).values()
    assert doc["status"] == "recorded"


async def test_a_dte_file_of_a_pending_document_does_not_accept_it(client, container):
    company = await register(client)
    await upload(client, company, _csv(PENDIENTES, [compra(8)]))
    dte = f"""<?xml version="1.0" encoding="ISO-8859-1"?>
<DTE xmlns="http://www.sii.cl/SiiDte" version="1.0"><Documento ID="F8T33"><Encabezado>
<IdDoc><TipoDTE>33</TipoDTE><Folio>8</Folio><FchEmis>2024-03-02</FchEmis></IdDoc>
<Emisor><RUTEmisor>{SUPPLIER}</RUTEmisor><RznSoc>Proveedor SpA</RznSoc></Emisor>
<Receptor><RUTRecep>{company}</RUTRecep><RznSocRecep>Comercial Andes</RznSocRecep></Receptor>
<Totales><MntNeto>1000</MntNeto><TasaIVA>19</TasaIVA><IVA>190</IVA><MntTotal>1190</MntTotal>
</Totales></Encabezado></Documento></DTE>""".encode("iso-8859-1")
    response = await client.post(f"/v1/companies/{company}/documents/import",
                                 params={"items": "all"},
                                 files={"file": ("F8T33.xml", dte, "application/xml")})
    answer = response.json()
    assert answer["duplicates"] == 1, answer
    assert "pending acceptance" in answer["items"][0]["reason"]
    [doc] = (await documents(client, company)).values()
    assert doc["status"] == "pending_acceptance"


async def test_reclamados_stay_refused_and_every_row_is_accounted_for(client):
    company = await register(client)
    answer = await upload(client, company, _csv(RECLAMADOS, [compra(1), compra(2)]))
    assert (answer["created"], answer["pending"], answer["rejected"]) == (0, 0, 2)
    assert "the RCV's reclamados" in answer["items"][0]["reason"]
    assert await documents(client, company) == {}


# --- item 5 ------------------------------------------------------------------------------


async def test_credec_and_grntdep_are_kept_on_the_document_and_in_its_event(client, container):
    company = await register(client)
    await connect_and_sync(client, container, company)
    rows = [
        # 10.000.000 + 1.900.000 − 1.235.000 = 10.665.000
        {"Nro": 1, "Tipo Doc": 33, "Tipo Venta": "Del Giro", "Rut cliente": "12345678-5",
         "Razon Social": "Inmobiliaria Sur", "Folio": 1, "Fecha Docto": "05/03/2024",
         "Monto Exento": 0, "Monto Neto": 10_000_000, "Monto IVA": 1_900_000,
         "Monto total": 10_665_000, "Credito empresa constructora": 1_235_000},
        # 50.000 + 9.500 + 15.000 = 74.500
        {"Nro": 2, "Tipo Doc": 33, "Tipo Venta": "Del Giro", "Rut cliente": "12345678-5",
         "Razon Social": "Botillería Sur", "Folio": 2, "Fecha Docto": "06/03/2024",
         "Monto Exento": 0, "Monto Neto": 50_000, "Monto IVA": 9_500, "Monto total": 74_500,
         "Garantia Dep. Envases": 15_000},
    ]
    answer = await upload(client, company, _csv(VENTAS_HEADER, rows))
    assert (answer["created"], answer["rejected"]) == (2, 0), answer
    docs = await documents(client, company)
    assert (docs[1]["construction_credit"], docs[1]["container_deposit"]) == (1_235_000, 0)
    assert (docs[2]["construction_credit"], docs[2]["container_deposit"]) == (0, 15_000)
    events = {d.folio: d for d in await live(container, company)}
    assert (events[1].construction_credit, events[1].total) == (1_235_000, 10_665_000)
    assert (events[2].container_deposit, events[2].total) == (15_000, 74_500)


async def test_a_document_posted_by_hand_keeps_its_credec(client):
    company = await register(client)
    response = await client.post(f"/v1/companies/{company}/documents", json={
        "direction": "sales", "dte_type": 33, "folio": 5, "issue_date": "2024-03-05",
        "counterparty": {"rut": "12345678-5", "name": "Inmobiliaria Sur"},
        "net": 10_000_000, "vat": 1_900_000, "construction_credit": 1_235_000,
        "total": 10_665_000})
    assert response.status_code == 201, response.text
    assert (response.json()["construction_credit"], response.json()["status"]) == (
        1_235_000, "recorded")


# --- item 6 ------------------------------------------------------------------------------


async def test_an_rcv_note_over_the_companys_46_is_its_own_purchase(client):
    company = await register(client)
    answer = await upload(client, company, _csv(COMPRAS_HEADER, [
        compra(9, tipo=46, neto=20_000, iva=3_800, total=20_000),
        compra(3, tipo=61, neto=20_000, iva=3_800, total=20_000,
               **{"NCE o NDE sobre Fact. de Compra": "1"}),
    ]))
    assert (answer["created"], answer["rejected"]) == (2, 0), answer
    docs = await documents(client, company)
    note = docs[3]
    assert (note["direction"], note["issuer_rut"], note["counterparty"]["rut"]) == (
        "purchases", company, SUPPLIER)
    assert note["vat_retained"] == 3_800  # what the total leaves out, as for the 46


# --- the command line --------------------------------------------------------------------


async def cli(container, *args) -> tuple[int, str]:
    return await _cli({**os.environ, "DATABASE_URL": container.settings.database_url,
                       "COLUMNS": "200"}, *args)


async def test_the_cli_keeps_pendientes_and_says_the_section(client, container, tmp_path):
    company = await register(client)
    pendientes = tmp_path / "pendientes.csv"
    pendientes.write_bytes(_csv(PENDIENTES, [compra(1), compra(2)]))
    code, output = await cli(container, str(pendientes), "--company", company)
    assert code == 0, output  # kept, so not "every document was rejected"
    assert "0 created, 2 pending acceptance, 0 already present" in output
    registro = tmp_path / "registro.csv"
    registro.write_bytes(_csv(COMPRAS_HEADER, [compra(1), compra(2)]))
    code, output = await cli(container, str(registro), "--company", company,
                              "--section", "reclamados")
    assert code == 3 and "2 rejected" in output and "the RCV's reclamados" in output
    code, output = await cli(container, str(registro), "--company", company)
    assert code == 0 and "2 accepted (pending before, now in the registro)" in output
    assert {d["status"] for d in (await documents(client, company)).values()} == {"recorded"}
