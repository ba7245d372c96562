"""Which accounts of a company's chart the console offers for each default account of the
invoice integration (Configuración General → Integración Factura) and for a document's
cuenta detalle in review. Only accounts that fit are offered; the accounting API still
validates every choice and its messages are shown next to the field."""

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


def settings_body(form: dict[str, str], current: dict) -> dict:
    """The PUT body from the form's choices, keeping what the form does not show."""
    def value(name: str) -> str | None:
        return (form.get(name) or "").strip() or None

    return {
        "sales": {"auxiliary_account": value("ventas_auxiliar"),
                  "detail_account": value("ventas_detalle")},
        "purchases": {"auxiliary_account": value("compras_auxiliar"),
                      "detail_account": value("compras_detalle")},
        "payments_account": value("pagos"),
        "collections_account": value("recaudaciones"),
        "auto_post": bool(current.get("auto_post", False)),
        "other_tax_accounts": _overrides(current),
        "purchase_entry_date": current.get("purchase_entry_date", "received"),
    }


# The tax accounts a company starts with; the GET answers them merged with overrides, the
# PUT takes only overrides, and sending the defaults back as overrides is harmless.
def _overrides(current: dict) -> dict[str, str]:
    return dict(current.get("other_tax_accounts") or {})


def current_choices(settings: dict) -> dict[str, str | None]:
    return {
        "ventas_auxiliar": (settings.get("sales") or {}).get("auxiliary_account"),
        "ventas_detalle": (settings.get("sales") or {}).get("detail_account"),
        "compras_auxiliar": (settings.get("purchases") or {}).get("auxiliary_account"),
        "compras_detalle": (settings.get("purchases") or {}).get("detail_account"),
        "pagos": settings.get("payments_account"),
        "recaudaciones": settings.get("collections_account"),
    }
