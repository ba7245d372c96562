"""Configuración → Cuentas recordadas: the list, setting one, forgetting one, and the API's
problems where the person reads them; the APIs replaced by the console tests' fake."""

import json
import re

from tests.unit.web.test_app import (
    CHART,
    COMPANY_ID,
    csrf_of,
    sign_in,
)

PAGE = f"/contabilidad/empresas/{COMPANY_ID}/cuentas-recordadas"
API = f"/v1/companies/{COMPANY_ID}/remembered-accounts"
PURCHASE_CHART = [*CHART, {"code": "410190", "name": "Arriendos", "type": "expense",
                           "postable": True, "auxiliary": False, "active": True}]
REMEMBERED = [
    {"direction": "purchases", "counterparty_rut": "76086428-5",
     "counterparty_name": "Inmobiliaria Sur Ltda.", "account_code": "410190",
     "account_name": "Arriendos", "origin": "review", "chosen_at": "2026-10-31T15:20:00+00:00",
     "sync_id": "s-9", "source_key": "purchases:76086428-5:33:88"},
    {"direction": "sales", "counterparty_rut": "77777777-7", "counterparty_name": None,
     "account_code": "310115", "account_name": None, "origin": "api",
     "chosen_at": "2026-11-02T12:00:00+00:00", "sync_id": None, "source_key": None},
]


def answer_list(fake, items):
    fake.answers[("GET", API)] = (200, {"items": items, "total": len(items), "offset": 0,
                                        "limit": 500})
    fake.answers[("GET", f"/v1/companies/{COMPANY_ID}/accounts")] = (200, PURCHASE_CHART)


async def test_the_list_shows_each_counterparty_with_direction_account_date_and_origin(client,
                                                                                       fake):
    await sign_in(client)
    answer_list(fake, REMEMBERED)
    page = await client.get(PAGE)
    assert page.status_code == 200
    row = re.search(r'<tr id="recordada-purchases-76086428-5">(.*?)</tr>', page.text,
                    re.S).group(1)
    cells = [" ".join(re.sub(r"<[^>]+>", " ", c).split())
             for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    # 15:20 UTC on 31-10-2026 is 12:20 in Santiago (UTC-3 in summer time).
    assert cells[:5] == ["Inmobiliaria Sur Ltda. 76.086.428-5", "Compras (proveedor)",
                         "410190 Arriendos", "31-10-2026 12:20",
                         "Revisión de una sincronización"]
    assert 'href="/contabilidad/sincronizaciones/s-9"' in row
    assert (f'action="{PAGE}/purchases/76086428-5/olvidar"') in row
    other = re.search(r'<tr id="recordada-sales-77777777-7">(.*?)</tr>', page.text,
                      re.S).group(1)
    # A RUT no document brought yet, and an account the API did not name: the chart's name.
    assert "Sin documentos aún" in other and "Ventas de Productos" in other
    assert "Fijada a mano" in other
    assert 'aria-current="page">Cuentas recordadas' in page.text


async def test_the_account_picker_offers_the_fitting_accounts_of_each_direction(client, fake):
    await sign_in(client)
    answer_list(fake, [])
    page = (await client.get(PAGE)).text
    assert "Aún no hay cuentas recordadas" in page
    picker = re.search(r'<select id="cuenta".*?</select>', page, re.S).group(0)
    groups = re.findall(r'<optgroup label="([^"]+)">(.*?)</optgroup>', picker, re.S)
    offered = {label: re.findall(r'<option value="(\d+)"', body) for label, body in groups}
    # Not the auxiliary Clientes, the group 3101 or the inactive 310199.
    assert offered == {"Ventas (cliente)": ["310115"],
                       "Compras (proveedor)": ["110102", "410190"]}


async def test_setting_an_account_puts_it_for_the_canonical_rut(client, fake):
    await sign_in(client)
    answer_list(fake, [])
    fake.answers[("PUT", f"{API}/purchases/76086428-5")] = (200, REMEMBERED[0])
    token = csrf_of((await client.get(PAGE)).text)
    answer = await client.post(PAGE, data={"csrf_token": token, "direccion": "purchases",
                                           "rut": "76.086.428-5", "cuenta": "410190"})
    assert answer.status_code == 303 and answer.headers["location"] == PAGE
    put = next(r for r in fake.calls if r.method == "PUT")
    assert json.loads(put.content) == {"account_code": "410190"}
    assert "Cuenta 410190 Arriendos recordada para 76.086.428-5" in (await client.get(PAGE)).text


async def test_a_bad_rut_is_said_before_calling_the_api(client, fake):
    await sign_in(client)
    answer_list(fake, [])
    token = csrf_of((await client.get(PAGE)).text)
    answer = await client.post(PAGE, data={"csrf_token": token, "direccion": "sales",
                                           "rut": "76.086.428-4", "cuenta": ""})
    assert answer.status_code == 422
    assert re.search(r'id="rut-error">.*debería ser 5', answer.text, re.S)
    assert 'id="cuenta-error"' in answer.text
    assert 'value="76.086.428-4"' in answer.text  # what was typed stays
    assert not any(r.method == "PUT" for r in fake.calls)


async def test_the_apis_validation_message_goes_next_to_the_account(client, fake):
    await sign_in(client)
    answer_list(fake, [])
    fake.answers[("PUT", f"{API}/sales/76086428-5")] = (422, {
        "title": "Request is not valid", "status": 422, "detail": "…",
        "errors": [{"field": "account_code",
                    "message": "account 110102 'Banco' is an asset account; the sales detail "
                               "account must be an income account"}]})
    token = csrf_of((await client.get(PAGE)).text)
    answer = await client.post(PAGE, data={"csrf_token": token, "direccion": "sales",
                                           "rut": "76086428-5", "cuenta": "110102"})
    assert answer.status_code == 422
    error = re.search(r'<div class="field-error" id="cuenta-error">(.*?)</div>', answer.text,
                      re.S)
    assert error and "must be an income account" in error.group(1)
    assert re.search(r'<option value="110102" selected>', answer.text)


async def test_forgetting_deletes_it_and_says_so(client, fake):
    await sign_in(client)
    answer_list(fake, REMEMBERED)
    fake.answers[("DELETE", f"{API}/purchases/76086428-5")] = (204, None)
    token = csrf_of((await client.get(PAGE)).text)
    answer = await client.post(f"{PAGE}/purchases/76086428-5/olvidar",
                               data={"csrf_token": token})
    assert answer.status_code == 303
    assert [r.method for r in fake.calls].count("DELETE") == 1
    assert "Cuenta olvidada para 76.086.428-5" in (await client.get(PAGE)).text


async def test_forgetting_what_someone_else_forgot_already_is_not_an_error_page(client, fake):
    await sign_in(client)
    answer_list(fake, [])
    token = csrf_of((await client.get(PAGE)).text)
    answer = await client.post(f"{PAGE}/sales/77777777-7/olvidar", data={"csrf_token": token})
    assert answer.status_code == 303  # the fake answers 404 to the DELETE
    assert "No había una cuenta recordada para 77.777.777-7" in (await client.get(PAGE)).text


async def test_a_company_the_person_cannot_reach_is_the_not_found_page(client, fake):
    await sign_in(client)
    fake.answers[("GET", API)] = (404, {"title": "Not found", "status": 404,
                                        "detail": "no such company"})
    page = await client.get(PAGE)
    assert page.status_code == 404 and "No encontrado" in page.text
