"""The review of a sync: a detail account remembered for the counterparty or chosen in this
review says so in Spanish, and a range sync's payments and collections show what they are,
what they settle and why one waits; the APIs replaced by the console tests' fake."""

import re
from datetime import UTC, datetime

from accounting.domain.remembered import Origin, RememberedAccount, remembered_note
from tests.unit.web.test_app import (
    COMPANY_ID,
    sign_in,
)
from web.formatting import account_reason, other_note

SYNC = {"id": "s-1", "company_id": COMPANY_ID, "kind": "range", "status": "in_review",
        "from": "2026-10-01", "to": "2026-10-31", "expected": 3, "received": 3, "ready": 2,
        "held": 1, "already_posted": 0, "posted": 0, "confirmed_at": None}
CUSTOMER = {"rut": "77777777-7", "name": "Comercial Los Andes SpA"}
ACCOUNT_NOTE = ("detail account 310120 'Ventas de Servicios' remembered for 77.777.777-7 "
                "(sales), chosen on 31-10-2026 (confirmed in a sync's review); change it "
                "here, or forget it under remembered-accounts to go back to the default")


def line(code, role, debit, credit, name=None):
    return {"account_code": code, "account_name": name, "role": role, "debit": debit,
            "credit": credit}


REMEMBERED_INVOICE = {
    "id": "d-1", "status": "ready", "hold_reason": None, "entry_id": None,
    "document": {"document_id": "i-1", "dte_type": 33, "folio": 1003, "direction": "sales",
                 "issue_date": "2026-10-05", "counterparty": CUSTOMER, "net": 100_000,
                 "exempt": 0, "vat": 19_000, "total": 119_000},
    "payment": None,
    "note": f"RUT 77777777-7 is known as Los Andes; {ACCOUNT_NOTE}",
    "account_source": "remembered", "account_note": ACCOUNT_NOTE,
    "entry": {"entry_date": "2026-10-05", "kind": "traspaso", "glosa": "…", "lines": [
        line("110310", "auxiliary", 119_000, 0, "Clientes"),
        line("310120", "detail", 0, 100_000, "Ventas de Servicios"),
        line("210710", "vat_debit", 0, 19_000, "IVA Débito Fiscal")]}}
COLLECTION = {
    "id": "d-2", "status": "ready", "hold_reason": None, "entry_id": None, "document": None,
    "payment": {"payment_id": "p-1", "kind": "collection", "counterparty": CUSTOMER,
                "amount": 1_234_567, "paid_on": "2026-10-20",
                "documents": [{"dte_type": 33, "folio": 1001, "issue_date": "2026-10-03"},
                              {"dte_type": 33, "folio": 1003, "issue_date": None}]},
    "note": None, "account_source": None, "account_note": None,
    "entry": {"entry_date": "2026-10-20", "kind": "ingreso", "glosa": "…", "lines": [
        line("110102", "cash", 1_234_567, 0, "Banco"),
        line("110310", "auxiliary", 0, 1_234_567, "Clientes")]}}
HELD_PAYMENT = {
    "id": "d-3", "status": "held", "entry_id": None, "document": None, "entry": None,
    "hold_reason": "document 33 N° 2001 is not in accounting: synchronise its dates first",
    "payment": {"payment_id": "p-2", "kind": "payment",
                "counterparty": {"rut": "76086428-5", "name": "Inmobiliaria Sur Ltda."},
                "amount": 59_500, "paid_on": "2026-10-25",
                "documents": [{"dte_type": 33, "folio": 2001, "issue_date": "2026-09-30"}]},
    "note": None, "account_source": None, "account_note": None}


def answer_review(fake, items):
    fake.answers[("GET", "/v1/syncs/s-1")] = (200, SYNC)
    fake.answers[("GET", "/v1/syncs/s-1/documents")] = (200, {
        "items": items, "total": len(items), "offset": 0, "limit": 50})


def row_of(html: str, item_id: str) -> str:
    """The row's text, tags out (its outer tbody closes at the start of a line)."""
    row = html[html.index(f'<tbody id="doc-{item_id}"'):].split("\n</tbody>", 1)[0]
    return " ".join(re.sub(r"<[^>]+>", " ", row).split())


async def test_a_remembered_account_shows_its_badge_and_the_reason_in_spanish(client, fake):
    await sign_in(client)
    answer_review(fake, [REMEMBERED_INVOICE])
    page = (await client.get("/contabilidad/sincronizaciones/s-1")).text
    assert '<span class="badge remembered">Cuenta recordada</span>' in page
    text = row_of(page, "d-1")
    assert ("Cuenta detalle 310120 Ventas de Servicios recordada para Comercial Los Andes SpA "
            "(77.777.777-7), elegida el 31-10-2026 en la revisión de una sincronización"
            in text)
    # The English account note is not repeated; the rest of the note still is.
    assert "remembered for" not in text and "Nota: RUT 77777777-7 is known as Los Andes" in text
    assert f'href="/contabilidad/empresas/{COMPANY_ID}/cuentas-recordadas"' in page


def test_the_reason_is_read_from_the_note_accounting_writes():
    """Against accounting's own wording: if it changes, the console's reading must too."""
    chart = {}
    for origin, how in ((Origin.REVIEW, "en la revisión de una sincronización"),
                        (Origin.API, "a mano, en Cuentas recordadas")):
        note = remembered_note(RememberedAccount(
            "purchases", "76086428-5", "410190", origin,
            datetime(2026, 9, 30, 18, 0, tzinfo=UTC)), chart)
        item = {"account_source": "remembered", "account_note": note, "note": note,
                "document": {"counterparty": {"rut": "76086428-5", "name": "Inmobiliaria"}},
                "entry": {"lines": [line("410190", "detail", 50_000, 0, "Arriendos")]}}
        assert account_reason(item) == (
            "Cuenta detalle 410190 Arriendos recordada para Inmobiliaria (76.086.428-5), "
            f"elegida el 30-09-2026 {how}. Puedes cambiarla aquí, u olvidarla en Cuentas "
            "recordadas para volver a la cuenta por defecto.")
        assert other_note(item) is None


def test_a_chosen_account_says_it_will_be_remembered_once_confirmed():
    item = {**REMEMBERED_INVOICE, "account_source": "chosen", "account_note": "chosen…"}
    assert account_reason(item).startswith(
        "Cuenta detalle 310120 Ventas de Servicios elegida en esta revisión: al confirmar "
        "queda recordada para Comercial Los Andes SpA (77.777.777-7)")
    plain = {**REMEMBERED_INVOICE, "account_source": "settings", "account_note": None}
    assert account_reason(plain) is None


async def test_a_collection_shows_kind_counterparty_amount_date_and_what_it_settles(client,
                                                                                    fake):
    await sign_in(client)
    answer_review(fake, [COLLECTION])
    page = (await client.get("/contabilidad/sincronizaciones/s-1")).text
    text = row_of(page, "d-2")
    assert text.startswith("Cobro 20-10-2026 Cobro a cliente Comercial Los Andes SpA "
                           "77.777.777-7 $1.234.567 listo")
    assert ("Cobra: Factura electrónica N° 1001 del 03-10-2026; Factura electrónica N° 1003"
            in text)
    assert "Caja / banco" in text and "Cuenta recordada" not in text


async def test_a_held_payment_shows_its_status_and_the_reason_it_waits(client, fake):
    await sign_in(client)
    answer_review(fake, [HELD_PAYMENT])
    page = (await client.get("/contabilidad/sincronizaciones/s-1")).text
    text = row_of(page, "d-3")
    assert text.startswith("Pago de Factura electrónica N° 2001 del 30-09-2026 25-10-2026 "
                           "Pago a proveedor Inmobiliaria Sur Ltda. 76.086.428-5 $59.500 "
                           "retenido")
    assert ("Retenido: document 33 N° 2001 is not in accounting: synchronise its dates first"
            in text)
    assert "Paga: Factura electrónica N° 2001 del 30-09-2026" in text
