"""The seed article's whole flow in the browser, screen by screen: the contract holder RUT
in Factura Electrónica, the request in conflict and its Ocultar, Guardar in Solicitud de
Integración, a refused Conectar, the default accounts in Integración Factura, Conectar y
Sincronizar, the review with a changed cuenta detalle, Confirmar, the libro diario and
the balance de comprobación. Each test is one step and leaves a screenshot; they run in
order on one browser page."""

import asyncio
import random
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from deploy.local.client import FlowClient
from deploy.local.scenario import CUSTOMER_A, CUSTOMER_B, SAMPLE_DOCUMENTS
from shared.rut import format_rut, rut_from_number

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

COMPANY_NAME = "Ferretería El Martillo SpA"
CONTRACT_NAME = "Contadores Asociados Ltda."
# A sales credit note that only corrects text (reference code 2): it waits in review.
TEXT_ONLY_NOTE = {
    "direction": "sales", "dte_type": 61, "folio": 502, "issue_date": "2026-10-22",
    "counterparty": {"rut": CUSTOMER_A[0], "name": CUSTOMER_A[1]},
    "net": 0, "exempt": 0, "vat": 0, "total": 0,
    "references": [{"dte_type": 33, "folio": 1001, "issue_date": "2026-10-03", "code": 2,
                    "reason": "corrige giro del receptor"}],
}
OCTOBER_POSTED = 7  # SAMPLE_DOCUMENTS of October; the note is held; November is outside
# Recorded before connecting: November's sync brings it with factura 1003 (40.000 + IVA
# 7.600 = 47.600), which it settles.
NOVEMBER_COLLECTION = {
    "kind": "collection", "counterparty": {"rut": CUSTOMER_A[0], "name": CUSTOMER_A[1]},
    "amount": 47_600, "paid_on": "2026-11-20",
    "documents": [{"dte_type": 33, "folio": 1003, "issue_date": "2026-11-02"}]}


@dataclass
class Seed:
    company_rut: str
    contract_rut: str
    company_id: str
    duplicate_id: str
    web: str


@pytest.fixture(scope="module")
def seed(console_stack) -> Seed:
    """What exists before the screens: the company and its documents in Factura
    Electrónica; the contract in Contabilidad with the company twice (the seed's warning)."""
    rng = random.Random()
    company_rut = rut_from_number(rng.randint(76_000_000, 76_999_999))
    contract_rut = rut_from_number(rng.randint(78_000_000, 78_999_999))
    client = FlowClient(console_stack.invoicing_url, console_stack.accounting_url)
    try:
        client.create_company(company_rut, COMPANY_NAME)
        for document in [*SAMPLE_DOCUMENTS, TEXT_ONLY_NOTE]:
            client.record_document(company_rut, **document)
        client.record_payment(company_rut, **NOVEMBER_COLLECTION)
        client.create_contract(contract_rut, CONTRACT_NAME)
        company = client.add_company(contract_rut, company_rut, COMPANY_NAME)
        duplicate = client.add_company(contract_rut, company_rut, f"{COMPANY_NAME} (copia)")
    finally:
        client.close()
    return Seed(company_rut, contract_rut, company["id"], duplicate["id"],
                console_stack.web_url)


@pytest.fixture(scope="module")
async def page(browser, seed) -> Page:
    context = await browser.new_context(locale="es-CL",
                                        viewport={"width": 1280, "height": 900},
                                        accept_downloads=True)
    context.set_default_timeout(20_000)
    opened = await context.new_page()
    yield opened
    await context.close()


def wrong_check_digit(canonical: str) -> str:
    number, dv = canonical.split("-")
    wrong = "0" if dv != "0" else "1"
    return f"{format_rut(canonical).rsplit('-', 1)[0]}-{wrong}"


async def test_01_sign_in_in_development_mode(page: Page, seed: Seed, screenshots):
    await page.goto(seed.web + "/")
    await expect(page).to_have_url(re.compile(r"/ingresar"))
    await expect(page.get_by_role("heading", name="Ingresar")).to_be_visible()
    await page.get_by_label("RUT del titular del contrato (Contabilidad)").fill(
        format_rut(seed.contract_rut))
    await page.get_by_label("RUT de la empresa (Factura Electrónica)").fill(
        format_rut(seed.company_rut))
    await screenshots(page, "01-ingresar")
    await page.get_by_role("button", name="Ingresar").click()
    await expect(page.get_by_role("heading", name="Inicio")).to_be_visible()
    await expect(page.get_by_text(COMPANY_NAME).first).to_be_visible()
    cookie = next(c for c in await page.context.cookies() if c["name"] == "consola_sesion")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    await screenshots(page, "02-inicio")


async def test_02_contract_holder_rut_checked_as_typed_then_requested(page: Page, seed: Seed,
                                                                 screenshots):
    await page.get_by_role("link", name="Configuración → Integración con Sistemas Nubox").click()
    await expect(page.get_by_role("heading", name=re.compile("Integración con Sistemas Nubox"))
           ).to_be_visible()
    field = page.get_by_label("RUT del titular del contrato")
    await field.press_sequentially(wrong_check_digit(seed.contract_rut))
    check = page.locator("#contract_rut-check")
    await expect(check).to_contain_text("El dígito verificador no corresponde")
    await expect(check).to_contain_text(f"debería ser {seed.contract_rut[-1]}")
    await expect(field).to_have_attribute("aria-invalid", "true")
    await screenshots(page, "03-rut-digito-incorrecto")
    await field.fill("")
    await field.press_sequentially(seed.contract_rut.replace("-", ""))
    await expect(check).to_contain_text(f"RUT válido: {format_rut(seed.contract_rut)}")
    await page.get_by_role("button", name="Solicitar integración").click()
    await expect(page.get_by_text("Solicitud de integración enviada a Contabilidad.")
                 ).to_be_visible()
    # Accounting finds the company twice and says so; the panel refreshes by itself.
    await expect(page.locator("#estado-solicitud [data-estado]")).to_have_text("en conflicto",
                                                                         timeout=30_000)
    await expect(page.locator("#estado-solicitud")).to_contain_text("ocultar o eliminar")
    await screenshots(page, "04-solicitud-en-conflicto")


async def test_03_conflict_shows_both_companies_and_ocultar_resolves_it(page: Page, seed: Seed,
                                                                  screenshots):
    await page.goto(f"{seed.web}/contabilidad/{seed.contract_rut}/solicitudes")
    await expect(page.get_by_role("heading", name=re.compile("Solicitud de Integración"))
           ).to_be_visible()
    row = page.locator("tr.status-conflict")
    await expect(row).to_contain_text("en conflicto")
    await expect(row.get_by_role("button", name="Guardar")).to_be_disabled()
    conflict = page.locator(".conflict-box")
    await expect(conflict).to_contain_text(format_rut(seed.company_rut))
    await expect(conflict.locator(".dup-name")).to_have_text(
        [COMPANY_NAME, f"{COMPANY_NAME} (copia)"])
    await expect(conflict.get_by_role("button", name=re.compile("^Ocultar"))).to_have_count(2)
    await expect(conflict.get_by_role("button", name=re.compile("^Eliminar"))).to_have_count(2)
    await screenshots(page, "05-solicitud-conflicto-ocultar-eliminar")

    await conflict.get_by_role("button", name=f"Ocultar {COMPANY_NAME} (copia)").click()
    await expect(page.get_by_text(f"Empresa {COMPANY_NAME} (copia) ocultada.")).to_be_visible()
    row = page.locator("tr.status-pending")
    await expect(row).to_contain_text("pendiente", timeout=10_000)
    integrated = row.get_by_label(re.compile("Integrado"))
    await integrated.select_option(seed.company_id)
    await screenshots(page, "06-solicitud-integrado-elegido")
    await row.get_by_role("button", name="Guardar").click()
    await expect(page.get_by_text("Solicitud aceptada")).to_be_visible()
    await expect(page.locator("tr.status-approved")).to_contain_text("aprobada")
    await screenshots(page, "07-solicitud-aceptada")


async def test_04_invoicing_sees_the_approval(page: Page, seed: Seed, screenshots):
    await page.goto(f"{seed.web}/factura/{seed.company_rut}/integracion")
    await expect(page.locator("#estado-solicitud [data-estado]")).to_have_text("aprobada",
                                                                         timeout=30_000)
    await screenshots(page, "08-factura-integracion-aprobada")


async def test_05_conectar_is_refused_until_the_accounts_are_set(page: Page, seed: Seed,
                                                         screenshots):
    await page.goto(f"{seed.web}/contabilidad/empresas/{seed.company_id}/integraciones")
    card = page.locator("#conector-factura-electronica")
    await expect(card.get_by_role("heading", name="Factura Electrónica Nubox")).to_be_visible()
    await expect(card.get_by_role("button", name="Conectar")).to_be_disabled()
    steps = card.locator(".missing-steps li")
    await expect(steps).to_have_count(4)
    for label in ("cuenta auxiliar de ventas", "cuenta detalle de ventas",
                  "cuenta auxiliar de compras", "cuenta detalle de compras"):
        await expect(card.locator(".missing-steps")).to_contain_text(label)
    await screenshots(page, "09-integraciones-conectar-deshabilitado")
    await steps.first.get_by_role("link", name="Ir a Integración Factura").click()
    await expect(page.get_by_role("heading", name=re.compile("Configuración General"))
                 ).to_be_visible()


async def test_06_default_accounts_from_fitting_drop_downs(page: Page, seed: Seed, screenshots):
    sales_detail = page.get_by_label(re.compile("^Cuenta detalle de ventas"))
    offered = await sales_detail.locator("option").all_inner_texts()
    assert [o.split()[0] for o in offered[1:]] == ["310115", "310120", "310125"]
    sales_aux = page.get_by_label(re.compile("^Cuenta auxiliar de ventas"))
    assert [o.split()[0] for o in (await sales_aux.locator("option").all_inner_texts())[1:]] == [
        "110310", "210210"]

    # Crear cuenta without leaving the page: a taken code gets the API's message beside it.
    await page.get_by_text("¿No existe una cuenta que se adecue?").click()
    await page.get_by_label("Código").fill("310115")
    await page.get_by_label("Nombre", exact=True).fill("Ventas Online")
    await page.get_by_label("Tipo", exact=True).select_option("income")
    await page.get_by_role("button", name="Crear cuenta").click()
    await expect(page.locator("#cuenta_codigo-error")).to_contain_text("already exists")
    await expect(page.get_by_label("Código")).to_have_attribute("aria-invalid", "true")
    await screenshots(page, "10-crear-cuenta-codigo-ocupado")
    await page.get_by_label("Código").fill("310130")
    await page.get_by_label("Usarla como").select_option(label="Cuenta detalle de ventas")
    await page.get_by_role("button", name="Crear cuenta").click()
    await expect(page.get_by_text("Cuenta 310130 Ventas Online creada")).to_be_visible()
    await expect(sales_detail).to_have_value("310130")

    # The drop-downs offer only fitting accounts; one that does not fit (put there as an
    # old setting or another tab would) gets the API's validation message beside it.
    await sales_aux.select_option("110310")
    await page.get_by_label(re.compile("^Cuenta auxiliar de compras")).select_option("210210")
    await page.get_by_label(re.compile("^Cuenta detalle de compras")).select_option("410230")
    await page.get_by_label(re.compile("^Cuenta de pagos")).select_option("110102")
    await page.get_by_label(re.compile("^Cuenta de recaudaciones")).select_option("110102")
    await sales_detail.evaluate("s => { s.add(new Option('110310 Clientes', '110310')); "
                          "s.value = '110310'; }")
    await page.get_by_role("button", name="Guardar").click()
    await expect(page.locator("#ventas_detalle-error")).to_contain_text("110310")
    await expect(sales_detail).to_have_attribute("aria-invalid", "true")
    await screenshots(page, "11-integracion-factura-error-de-la-api")

    await sales_detail.select_option("310115")
    await page.get_by_role("button", name="Guardar").click()
    await expect(page.get_by_text("Cuentas de la integración guardadas.")).to_be_visible()
    accounts = page.locator("dl.accounts")
    await expect(accounts).to_contain_text("110310 Clientes")
    await expect(accounts).to_contain_text("310115 Ventas de Productos")
    await expect(accounts).to_contain_text("410230 Compras")
    await screenshots(page, "12-integracion-factura-guardada")


async def test_07_conectar_y_sincronizar(page: Page, seed: Seed, screenshots):
    await page.goto(f"{seed.web}/contabilidad/empresas/{seed.company_id}/integraciones")
    connect = page.locator("#conector-factura-electronica").get_by_role("button",
                                                                        name="Conectar")
    await expect(connect).to_be_enabled()
    color = await connect.evaluate("b => getComputedStyle(b).backgroundColor")
    assert color == "rgb(242, 107, 29)"  # naranjo
    await screenshots(page, "13-integraciones-conectar-naranjo")
    await connect.focus()  # the keyboard opens the window and closes it (Escape)
    await page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog")
    await expect(dialog).to_be_visible()
    await expect(dialog.get_by_label("Desde")).to_be_focused()
    await page.keyboard.press("Escape")
    await expect(dialog).to_be_hidden()
    await connect.click()
    await expect(dialog).to_be_visible()
    # Accounting refuses more than 24 months; its message comes back in the window.
    await dialog.get_by_label("Desde").fill("01-01-2024")
    await dialog.get_by_label("Hasta").fill("31-10-2026")
    await dialog.get_by_role("button", name="Conectar y Sincronizar").click()
    dialog = page.get_by_role("dialog")
    await expect(dialog).to_be_visible()
    await expect(dialog.locator(".field-error")).to_contain_text("24 months")
    await screenshots(page, "14-ventana-conectar-rango-rechazado")
    await dialog.get_by_label("Desde").fill("01-10-2026")
    await dialog.get_by_label("Hasta").fill("31-10-2026")
    await screenshots(page, "15-ventana-conectar-fechas")
    await dialog.get_by_role("button", name="Conectar y Sincronizar").click()
    await expect(page.get_by_role("heading", name=re.compile("Revisión de la sincronización"))
           ).to_be_visible()
    await expect(page.get_by_role("heading", name=re.compile("del 01-10-2026 al 31-10-2026"))
           ).to_be_visible()
    await screenshots(page, "16-revision-progreso")


async def test_08_review_change_cuenta_detalle_and_confirm(page: Page, seed: Seed, screenshots):
    await expect(page.locator("#progreso [data-estado]")).to_have_text("en revisión",
                                                                       timeout=60_000)
    await expect(page.locator(".summary")).to_contain_text("8 recibidos")
    await expect(page.locator(".pager")).to_contain_text("Página 1 de 2")  # PAGE_SIZE=5
    await screenshots(page, "17-revision-documentos")

    # The invoice of folio 1002 goes to Ventas de Servicios: on whichever page it is.
    row = page.locator("tbody.doc", has_text="Factura electrónica N° 1002")
    if await row.count() == 0:
        await page.get_by_role("link", name="Siguiente →").click()
        row = page.locator("tbody.doc", has_text="Factura electrónica N° 1002")
    select = row.get_by_label("Cuenta detalle de Factura electrónica N° 1002")
    assert "310120 Ventas de Servicios" in await select.locator("option").all_inner_texts()
    await select.select_option("310120")
    await row.get_by_role("button", name="Cambiar").click()
    row = page.locator("tbody.doc", has_text="Factura electrónica N° 1002")
    await expect(row).to_contain_text("Cuenta cambiada")
    await expect(row.get_by_label("Cuenta detalle de Factura electrónica N° 1002")).to_have_value(
        "310120")
    await screenshots(page, "18-revision-cuenta-detalle-cambiada")

    await page.get_by_role("link", name="Retenidos").click()
    held = page.locator("tbody.doc.status-held")
    await expect(held).to_have_count(1)
    await expect(held).to_contain_text("Nota de crédito electrónica N° 502")
    await expect(held.locator(".hold")).to_contain_text("reference code 2")
    await screenshots(page, "19-revision-retenidos")

    await page.get_by_role("button", name="Confirmar").click()
    await expect(page.get_by_text(f"Sincronización confirmada: {OCTOBER_POSTED} comprobante(s)")
           ).to_be_visible(timeout=60_000)
    await expect(page.locator("#progreso [data-estado]")).to_have_text("confirmada")
    await page.get_by_role("link", name="Contabilizados", exact=True).click()
    await expect(page.locator("tbody.doc.greyed").first).to_be_visible()
    await screenshots(page, "20-revision-confirmada-resumen")


async def test_09_libro_diario_and_balance_de_comprobacion(page: Page, seed: Seed, screenshots):
    await page.get_by_role("link", name="Ver libro diario").click()
    await expect(page.get_by_role("heading", name=re.compile("Libro diario"))).to_be_visible()
    await expect(page.get_by_text(f"{OCTOBER_POSTED} comprobante(s) del 01-10-2026 al 31-10-2026")
           ).to_be_visible()
    journal = page.locator("table.journal")
    await expect(journal.locator("tbody.entry")).to_have_count(5)  # PAGE_SIZE=5
    await expect(journal).to_contain_text("$119.000")
    await expect(page.locator(".pager")).to_contain_text("Página 1 de 2")
    await screenshots(page, "21-libro-diario")

    await page.get_by_role("navigation", name="Libros").get_by_role(
        "link", name="Balance de comprobación").click()
    balance = page.locator("table.balance")
    await expect(balance.locator("[data-total=debe]")).to_have_text("$627.400")
    await expect(balance.locator("[data-total=haber]")).to_have_text("$627.400")
    await expect(balance.locator("tr", has_text="310120")).to_contain_text("$250.000")
    await screenshots(page, "22-balance-de-comprobacion")
    async with page.expect_download() as info:
        await page.get_by_role("link", name="Descargar CSV").click()
    download = await info.value
    content = await asyncio.to_thread(Path(await download.path()).read_text, encoding="utf-8")
    assert "310120" in content and download.suggested_filename.endswith(".csv")


async def sync_and_wait_for_review(page: Page, seed: Seed, desde: str, hasta: str) -> None:
    """Conectar y Sincronizar from the window, until the new sync is in review."""
    await page.goto(f"{seed.web}/contabilidad/empresas/{seed.company_id}/integraciones?conectar=1")
    dialog = page.get_by_role("dialog")
    await dialog.get_by_label("Desde").fill(desde)
    await dialog.get_by_label("Hasta").fill(hasta)
    await dialog.get_by_role("button", name="Conectar y Sincronizar").click()
    await expect(page.locator("#progreso [data-estado]")).to_have_text("en revisión",
                                                                       timeout=60_000)


async def test_10_a_second_sync_shows_everything_already_posted_greyed(page: Page, seed: Seed,
                                                                  screenshots):
    await sync_and_wait_for_review(page, seed, "01-10-2026", "31-10-2026")
    await expect(page.locator(".summary")).to_contain_text(f"{OCTOBER_POSTED} ya contabilizados")
    await expect(page.locator("tbody.doc.greyed").first).to_be_visible()
    await expect(page.get_by_role("button", name="Confirmar")).to_be_disabled()
    await screenshots(page, "23-segunda-sincronizacion-ya-contabilizados")


async def test_11_cuentas_recordadas_lists_the_review_choice_sets_one_and_forgets_one(
        page: Page, seed: Seed, screenshots):
    """The change of folio 1002 (Constructora Pacífico) was confirmed in test 08: accounting
    remembers 310120 for that customer. Then one set by hand, and one forgotten."""
    await page.get_by_role("navigation", name=re.compile("^Contabilidad de")).get_by_role(
        "link", name="Cuentas recordadas").click()
    await expect(page.get_by_role("heading", level=1, name=re.compile("Cuentas recordadas"))
                 ).to_be_visible()
    from_review = page.locator(f"#recordada-sales-{CUSTOMER_B[0]}")
    for text in (CUSTOMER_B[1], format_rut(CUSTOMER_B[0]), "Ventas (cliente)",
                 "310120 Ventas de Servicios", "Revisión de una sincronización"):
        await expect(from_review).to_contain_text(text)
    await expect(from_review.locator("td").nth(3)).to_have_text(
        re.compile(r"^\d{2}-\d{2}-\d{4} \d{2}:\d{2}$"))
    await screenshots(page, "24-cuentas-recordadas")

    form = page.locator("#form-recordar")
    await form.get_by_label("Dirección").select_option("sales")
    await form.get_by_label("RUT de la contraparte").fill(wrong_check_digit(CUSTOMER_A[0]))
    await form.get_by_label("Cuenta detalle").select_option("310130")
    await form.get_by_role("button", name="Recordar cuenta").click()
    await expect(page.locator("#rut-error")).to_contain_text(
        f"debería ser {CUSTOMER_A[0][-1]}")
    await expect(page.get_by_label("RUT de la contraparte")).to_have_attribute("aria-invalid",
                                                                             "true")
    await screenshots(page, "25-cuentas-recordadas-rut-incorrecto")
    await page.get_by_label("RUT de la contraparte").fill(format_rut(CUSTOMER_A[0]))
    await page.get_by_role("button", name="Recordar cuenta").click()
    await expect(page.get_by_text(f"recordada para {format_rut(CUSTOMER_A[0])}")).to_be_visible()
    by_hand = page.locator(f"#recordada-sales-{CUSTOMER_A[0]}")
    await expect(by_hand).to_contain_text("310130 Ventas Online")
    await expect(by_hand).to_contain_text("Fijada a mano")

    await from_review.get_by_role("button", name=re.compile("^Olvidar")).click()
    await expect(page.get_by_text(f"Cuenta olvidada para {format_rut(CUSTOMER_B[0])}")
                 ).to_be_visible()
    await expect(page.locator(f"#recordada-sales-{CUSTOMER_B[0]}")).to_have_count(0)
    await expect(page.locator(f"#recordada-sales-{CUSTOMER_A[0]}")).to_have_count(1)
    await screenshots(page, "26-cuentas-recordadas-fijada-y-olvidada")


async def test_12_the_next_document_of_the_customer_comes_with_the_remembered_account(
        page: Page, seed: Seed, screenshots):
    """November's factura 1003 is Comercial Los Andes': proposed with 310130, saying so;
    its collection comes in the same sync."""
    await sync_and_wait_for_review(page, seed, "01-11-2026", "30-11-2026")
    row = page.locator("tbody.doc", has_text="Factura electrónica N° 1003")
    await expect(row.locator(".badge.remembered")).to_have_text("Cuenta recordada")
    await expect(row.locator(".account-reason")).to_contain_text(
        f"recordada para {CUSTOMER_A[1]} ({format_rut(CUSTOMER_A[0])}), elegida el ")
    await expect(row.locator(".account-reason")).to_contain_text("a mano, en Cuentas recordadas")
    await expect(row.get_by_label("Cuenta detalle de Factura electrónica N° 1003")
                 ).to_have_value("310130")
    # The collection of the same month, settling that factura, is in the same review.
    collection = page.locator("tbody.doc", has_text="Cobro de Factura electrónica N° 1003")
    for text in ("20-11-2026", "Cobro a cliente", CUSTOMER_A[1], "$47.600", "listo",
                 "Cobra: Factura electrónica N° 1003 del 02-11-2026", "Caja / banco"):
        await expect(collection).to_contain_text(text)
    await screenshots(page, "27-revision-cuenta-recordada-y-cobro")
