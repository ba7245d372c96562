"""How the console writes amounts, RUTs, dates and the APIs' codes for a person in Chile:
``$1.234.567``, ``12.345.678-5``, ``dd-mm-aaaa``, words instead of enum values."""

import re
from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shared.rut import InvalidRut, canonical_rut, format_rut

try:
    SANTIAGO: tzinfo = ZoneInfo("America/Santiago")
except ZoneInfoNotFoundError:  # a machine without the time zone database
    SANTIAGO = UTC


def pesos(amount: int | None) -> str:
    """Whole pesos with dots between thousands: 1234567 → ``$1.234.567``; -500 → ``-$500``."""
    if amount is None:
        return ""
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(int(amount)):,}".replace(",", ".")


def rut(value: str | None) -> str:
    """Any accepted spelling of a RUT → ``12.345.678-5``; what is not a RUT stays as it is."""
    if not value:
        return ""
    try:
        return format_rut(canonical_rut(value))
    except (InvalidRut, ValueError):
        return value


def fecha(value: str | date | datetime | None) -> str:
    """A date (ISO text or a date) → ``dd-mm-aaaa``; a date-time is shown in Chile's time
    with the hour: ``dd-mm-aaaa hh:mm``."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
        except ValueError:
            return str(value)  # still the text: it did not parse
    if isinstance(value, datetime):
        local = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(SANTIAGO)
        return local.strftime("%d-%m-%Y %H:%M")
    return value.strftime("%d-%m-%Y")


def parse_fecha(text: str) -> date:
    """``dd-mm-aaaa`` (or ``aaaa-mm-dd``, what a date input sends) → a date; ValueError
    with a sentence in Spanish otherwise."""
    text = (text or "").strip()
    for pattern in ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(f"«{text}» no es una fecha: escríbela como dd-mm-aaaa, p. ej. 01-10-2026"
                     if text else "Indica la fecha (dd-mm-aaaa).")


REQUEST_STATUS = {
    "none": "sin solicitud",
    "pending": "pendiente",
    "approved": "aprobada",
    "rejected": "rechazada",
    "conflict": "en conflicto",
}

SYNC_STATUS = {
    "requested": "solicitada",
    "receiving": "recibiendo documentos",
    "in_review": "en revisión",
    "confirmed": "confirmada",
}

DOCUMENT_STATUS = {
    "ready": "listo",
    "held": "retenido",
    "already_posted": "ya contabilizado",
    "posted": "contabilizado",
}

COMPANY_STATUS = {"active": "activa", "hidden": "oculta", "deleted": "eliminada"}

ACCOUNT_TYPE = {
    "asset": "Activo",
    "liability": "Pasivo",
    "equity": "Patrimonio",
    "income": "Ingreso",
    "expense": "Gasto",
}

ENTRY_KIND = {"ingreso": "Ingreso", "egreso": "Egreso", "traspaso": "Traspaso"}

DIRECTION = {"sales": "Venta", "purchases": "Compra"}

LINE_ROLE = {
    "auxiliary": "Cuenta auxiliar",
    "detail": "Cuenta detalle",
    "vat_debit": "IVA débito",
    "vat_credit": "IVA crédito",
    "vat_retained": "IVA retenido",
    "other_tax": "Otro impuesto",
    "cash": "Caja / banco",
}

DTE_TYPE = {
    33: "Factura electrónica",
    34: "Factura exenta electrónica",
    39: "Boleta electrónica",
    41: "Boleta exenta electrónica",
    46: "Factura de compra electrónica",
    52: "Guía de despacho electrónica",
    56: "Nota de débito electrónica",
    61: "Nota de crédito electrónica",
    110: "Factura de exportación electrónica",
    111: "Nota de débito de exportación electrónica",
    112: "Nota de crédito de exportación electrónica",
}


def dte(dte_type: int | None) -> str:
    if dte_type is None:
        return ""
    return DTE_TYPE.get(dte_type, f"Tipo DTE {dte_type}")


def label(table: dict, value: object) -> str:
    return table.get(value, str(value) if value is not None else "")


PAYMENT_KIND = {"payment": "Pago", "collection": "Cobro"}

# Accounting writes account_note in English, with this shape (accounting/domain/remembered.py);
# the console reads the date and the origin out of it and says the rest from the data.
_REMEMBERED = re.compile(r"chosen on (\d{2}-\d{2}-\d{4}) \((confirmed in a sync's review|"
                         r"set through the API)\)")


def _detail_line(item: dict) -> dict | None:
    lines = (item.get("entry") or {}).get("lines") or []
    return next((line for line in lines if line.get("role") == "detail"), None)


def account_reason(item: dict) -> str | None:
    """Why a document's detail account is not the settings' default, in Spanish: the
    account remembered for its counterparty, or chosen on it in this review."""
    source, note = item.get("account_source"), item.get("account_note") or ""
    document = item.get("document") or {}
    party = document.get("counterparty") or {}
    who = f"{party.get('name') or 'la contraparte'} ({rut(party.get('rut'))})"
    line = _detail_line(item) or {}
    account = " ".join(part for part in (line.get("account_code"), line.get("account_name"))
                       if part) or "la cuenta elegida"
    if source == "remembered":
        found = _REMEMBERED.search(note)
        when = ""
        if found:
            how = ("en la revisión de una sincronización" if found.group(2).startswith(
                "confirmed") else "a mano, en Cuentas recordadas")
            when = f", elegida el {found.group(1)} {how}"
        return (f"Cuenta detalle {account} recordada para {who}{when}. Puedes cambiarla "
                "aquí, u olvidarla en Cuentas recordadas para volver a la cuenta por defecto.")
    if source == "chosen":
        return (f"Cuenta detalle {account} elegida en esta revisión: al confirmar queda "
                f"recordada para {who} y se propone en sus próximos documentos.")
    if note:  # the remembered account could not be used: the default was proposed
        return f"No se usó la cuenta recordada para {who}: {note}"
    return None


def other_note(item: dict) -> str | None:
    """The document's note without the account's reason, which is shown on its own."""
    note, reason = item.get("note") or "", item.get("account_note") or ""
    if reason and note.endswith(reason):
        note = note[: -len(reason)].rstrip().rstrip(";").rstrip()
    return note or None


def referencia(reference: dict) -> str:
    """A document a payment settles or a note amends: ``Factura electrónica N° 1001``."""
    text = f"{dte(reference.get('dte_type'))} N° {reference.get('folio')}"
    return text + (f" del {fecha(reference['issue_date'])}" if reference.get("issue_date")
                   else "")


FILTERS = {
    "pesos": pesos,
    "rut": rut,
    "fecha": fecha,
    "dte": dte,
    "estado_solicitud": lambda v: label(REQUEST_STATUS, v),
    "estado_sync": lambda v: label(SYNC_STATUS, v),
    "estado_documento": lambda v: label(DOCUMENT_STATUS, v),
    "estado_empresa": lambda v: label(COMPANY_STATUS, v),
    "tipo_cuenta": lambda v: label(ACCOUNT_TYPE, v),
    "tipo_comprobante": lambda v: label(ENTRY_KIND, v),
    "sentido": lambda v: label(DIRECTION, v),
    "rol_linea": lambda v: label(LINE_ROLE, v),
    "tipo_pago": lambda v: label(PAYMENT_KIND, v),
    "razon_cuenta": account_reason,
    "otra_nota": other_note,
    "referencia": referencia,
}
