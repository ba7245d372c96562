"""Which accounts of a company's chart the console offers for each default account of the
invoice integration (Configuración General → Integración Factura) and for a document's
cuenta detalle in review. Only accounts that fit are offered; the accounting API still
validates every choice and its messages are shown next to the field."""

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Role:
    field: str  # the API's field path, as in its validation errors
    form_name: str  # the form control's name
    label: str  # what the person reads
    required: bool
    auxiliary: bool  # must track counterparties (per RUT)
    types: tuple[str, ...] | None  # allowed account types; None: any
    hint: str


ROLES = (
    Role("sales.auxiliary_account", "ventas_auxiliar", "Cuenta auxiliar de ventas", True, True,
         None, "Clientes, con detalle por RUT (p. ej. 110310 Clientes)"),
    Role("sales.detail_account", "ventas_detalle", "Cuenta detalle de ventas", True, False,
         ("income",), "Una cuenta de ingreso (p. ej. 310115 Ventas de Productos)"),
    Role("purchases.auxiliary_account", "compras_auxiliar", "Cuenta auxiliar de compras", True,
         True, None, "Proveedores, con detalle por RUT (p. ej. 210210 Proveedores)"),
    Role("purchases.detail_account", "compras_detalle", "Cuenta detalle de compras", True,
         False, ("expense", "asset"), "Una cuenta de gasto o de activo (p. ej. 410230 Compras)"),
    Role("payments_account", "pagos", "Cuenta de pagos", False, False, ("asset",),
         "Opcional: caja o banco de donde salen los pagos (p. ej. 110102 Banco)"),
    Role("collections_account", "recaudaciones", "Cuenta de recaudaciones", False, False,
         ("asset",), "Opcional: caja o banco donde entran las recaudaciones (p. ej. 110102 Banco)"),
    Role("fixed_asset_account", "activo_fijo", "Cuenta de activo fijo", False, False,
         ("asset",), "Opcional: el neto de un activo fijo comprado (RCV Monto Neto Activo "
         "Fijo), p. ej. 120110 Maquinarias y Equipos; sin ella esas compras quedan retenidas"),
    Role("non_recoverable_vat_account", "iva_no_recuperable", "Cuenta de IVA no recuperable",
         False, False, ("expense", "asset"), "Opcional: el IVA no recuperable y el impuesto "
         "sin derecho a crédito, que son costo (p. ej. 420220 Gastos Otros Impuestos); sin "
         "ella se suman a la cuenta detalle de la compra"),
)
BY_FORM_NAME = {role.form_name: role for role in ROLES}
BY_FIELD = {role.field: role for role in ROLES}


def fits(account: dict, role: Role) -> bool:
    if not (account.get("postable") and account.get("active")):
        return False
    if bool(account.get("auxiliary")) != role.auxiliary:
        return False
    return role.types is None or account.get("type") in role.types


def options_for(role: Role, chart: list[dict]) -> list[dict]:
    return [a for a in chart if fits(a, role)]


def detail_role(direction: str) -> Role:
    return BY_FIELD["sales.detail_account" if direction == "sales" else
                    "purchases.detail_account"]


@dataclass(frozen=True)
class TaxMap:
    """An additional tax's account by SII code, one map per side of the document."""

    setting: str  # the API's field
    prefix: str  # the form controls: <prefix>_<code>, <prefix>_nuevo_codigo / _nueva_cuenta
    title: str
    hint: str


TAX_MAPS = (
    TaxMap("other_tax_accounts", "impuesto_venta", "Otros impuestos en ventas",
           "Un impuesto adicional de una venta es un impuesto por pagar (ILA 24 → 210720)"),
    TaxMap("purchase_other_tax_accounts", "impuesto_compra", "Otros impuestos en compras",
           "Un impuesto adicional de una compra es un crédito por recuperar (ILA 24 → 110715); "
           "un código sin cuenta retiene la compra (p. ej. 53, la retención de renta)"),
)

PURCHASE_ENTRY_DATES = (
    ("received", "Fecha de recepción",
     "La compra se contabiliza el día en que la empresa la recibió, el mes de su crédito "
     "fiscal (DL 825 art. 24)."),
    ("issued", "Fecha de emisión",
     "Toda compra se contabiliza en su fecha de emisión, aunque se haya recibido después."),
)
DEFAULT_TOLERANCE = 2


def tax_options(chart: list[dict]) -> list[dict]:
    """A tax goes to a postable, active account that tracks no counterparties."""
    return [a for a in chart if a.get("postable") and a.get("active")
            and not a.get("auxiliary")]


def tax_choices(form: Mapping[str, str], current: dict, tax: TaxMap) -> dict[str, str]:
    """The map the form sends: every code shown, with its account (blank: dropped, so the
    tax goes back to its default account, if it has one), plus the new row."""
    def value(name: str) -> str:
        return (form.get(name) or "").strip()

    chosen: dict[str, str] = {}
    for code in (current.get(tax.setting) or {}):
        if f"{tax.prefix}_{code}" in form:
            if value(f"{tax.prefix}_{code}"):
                chosen[code] = value(f"{tax.prefix}_{code}")
        else:  # a form that did not show it (an older page): kept as it was
            chosen[code] = current[tax.setting][code]
    new_code, new_account = (value(f"{tax.prefix}_nuevo_codigo"),
                             value(f"{tax.prefix}_nueva_cuenta"))
    if new_code and new_account:
        chosen[new_code] = new_account
    return chosen


def tolerance(form: Mapping[str, str], current: dict) -> int | str:
    """Whole pesos; what is not a number is sent as typed, for the API to say why."""
    text = (form.get("tolerancia_iva") or "").strip()
    if not text:
        return int(current.get("issued_vat_tolerance", DEFAULT_TOLERANCE))
    return int(text) if text.isdigit() else text


def settings_body(form: Mapping[str, str], current: dict) -> dict:
    """The PUT body from the form's choices. The PUT replaces every setting, so whatever
    the form does not send is taken from ``current`` (the GET's answer)."""
    def value(name: str) -> str | None:
        if name not in form:
            role = BY_FORM_NAME[name]
            return _current_code(current, role.field)
        return (form.get(name) or "").strip() or None

    entry_date = (form.get("fecha_compra") or "").strip()
    if entry_date not in dict((code, label) for code, label, _ in PURCHASE_ENTRY_DATES):
        entry_date = current.get("purchase_entry_date", "received")
    return {
        "sales": {"auxiliary_account": value("ventas_auxiliar"),
                  "detail_account": value("ventas_detalle")},
        "purchases": {"auxiliary_account": value("compras_auxiliar"),
                      "detail_account": value("compras_detalle")},
        "payments_account": value("pagos"),
        "collections_account": value("recaudaciones"),
        "fixed_asset_account": value("activo_fijo"),
        "non_recoverable_vat_account": value("iva_no_recuperable"),
        "auto_post": bool(current.get("auto_post", False)),
        # The GET answers the maps merged with the defaults and the PUT takes overrides:
        # sending a default back as an override is harmless.
        **{tax.setting: tax_choices(form, current, tax) for tax in TAX_MAPS},
        "issued_vat_tolerance": tolerance(form, current),
        "purchase_entry_date": entry_date,
    }


def _current_code(current: dict, field: str) -> str | None:
    group, _, name = field.partition(".")
    found = (current.get(group) or {}).get(name) if name else current.get(group)
    return found or None


def current_choices(settings: dict) -> dict[str, str | None]:
    return {role.form_name: _current_code(settings, role.field) for role in ROLES}


def other_settings(current: dict, form: Mapping[str, str] | None = None) -> dict:
    """What the form shows besides the accounts by role: the tax maps, the IVA tolerance
    and the purchases' entry date; from the form when it comes back with errors."""
    body = settings_body(form, current) if form is not None else current
    tax_rows = []
    for tax in TAX_MAPS:
        shown = dict(current.get(tax.setting) or {})
        chosen = body.get(tax.setting) or {}
        rows = [{"code": code, "name": f"{tax.prefix}_{code}",
                 "account": chosen.get(code, "")}
                for code in sorted({*shown, *chosen}, key=_code_order)
                if code in shown or form is None]
        new_code = (form or {}).get(f"{tax.prefix}_nuevo_codigo", "").strip()
        tax_rows.append({"tax": tax, "rows": rows, "new_code": new_code if new_code
                         not in shown else "",
                         "new_account": (form or {}).get(f"{tax.prefix}_nueva_cuenta", "")
                         if new_code not in shown else ""})
    return {"taxes": tax_rows,
            "tolerance": ((form or {}).get("tolerancia_iva") or "").strip()
            or str(current.get("issued_vat_tolerance", DEFAULT_TOLERANCE)),
            "entry_date": body.get("purchase_entry_date") or "received",
            "entry_dates": PURCHASE_ENTRY_DATES}


def _code_order(code: str) -> tuple[int, str]:
    return (int(code), code) if code.isdigit() else (10_000, code)
