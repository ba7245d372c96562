"""Configuración → Cuentas recordadas: the detail account accounting remembers for each
counterparty (a person's choice in a confirmed review, or set here), which it proposes
instead of the default for that counterparty's next documents; set one, or forget it."""

from fastapi import APIRouter, Request
from fastapi.responses import Response

from web import accounts as roles
from web.api import ApiError
from web.formatting import rut
from web.pages import CheckedForm, SignedIn, form_text, render, see_other
from web.routes.accounting import company_context
from web.ruts import check_rut

router = APIRouter(prefix="/contabilidad/empresas/{company_id}/cuentas-recordadas")

DIRECTIONS = (("sales", "Ventas (cliente)"), ("purchases", "Compras (proveedor)"))
ORIGIN = {"review": "Revisión de una sincronización", "api": "Fijada a mano"}


def account_groups(chart: list[dict]) -> list[dict]:
    """The accounts that can be remembered, by direction: what fits its detail account."""
    return [{"direction": direction, "label": text,
             "options": roles.options_for(roles.detail_role(direction), chart)}
            for direction, text in DIRECTIONS]


def set_form(form) -> dict[str, str]:
    return {"direccion": form_text(form, "direccion"), "rut": form_text(form, "rut")[:20],
            "cuenta": form_text(form, "cuenta")}


@router.get("")
async def remembered_page(request: Request, company_id: str, session: SignedIn) -> Response:
    return await _page(request, session, company_id)


async def _page(request: Request, session, company_id: str, *, chosen: dict | None = None,
                errors: dict[str, list[str]] | None = None,
                status_code: int = 200) -> Response:
    api = request.app.state.api
    context = await company_context(request, session, company_id)
    items = await api.remembered_accounts(session.token, company_id)
    chart = await api.accounts(session.token, company_id)
    names = {a["code"]: a["name"] for a in chart}
    return render(request, "remembered.html", {
        **context, "items": items, "groups": account_groups(chart), "names": names,
        "directions": DIRECTIONS, "direction_names": dict(DIRECTIONS), "origins": ORIGIN,
        "chosen": chosen or {}, "errors": errors or {}}, status_code=status_code)


@router.post("")
async def remember(request: Request, company_id: str, session: SignedIn,
                   form: CheckedForm) -> Response:
    chosen = set_form(form)
    errors: dict[str, list[str]] = {}
    if chosen["direccion"] not in dict(DIRECTIONS):
        errors["direccion"] = ["Elige si es un cliente (ventas) o un proveedor (compras)."]
    checked = check_rut(chosen["rut"])
    if not checked.ok:
        errors["rut"] = [checked.message]
    if not chosen["cuenta"]:
        errors["cuenta"] = ["Elige la cuenta detalle que se propondrá para sus documentos."]
    if errors:
        return await _page(request, session, company_id, chosen=chosen, errors=errors,
                           status_code=422)
    try:
        saved = await request.app.state.api.remember_account(
            session.token, company_id, chosen["direccion"], checked.canonical or "",
            chosen["cuenta"])
    except ApiError as error:
        if error.status in (401, 403, 404) or error.status >= 500:
            raise
        for field, messages in error.field_errors().items():
            key = {"account_code": "cuenta", "counterparty_rut": "rut",
                   "direction": "direccion"}.get(field.rsplit(".", 1)[-1], "")
            errors.setdefault(key, []).extend(messages)
        if not errors:
            errors[""] = [error.detail]
        return await _page(request, session, company_id, chosen=chosen, errors=errors,
                           status_code=422)
    account = " ".join(p for p in (saved["account_code"], saved.get("account_name")) if p)
    session.flash(f"Cuenta {account} recordada para {rut(saved['counterparty_rut'])}: se "
                  "propondrá en sus próximos documentos.")
    return see_other(f"/contabilidad/empresas/{company_id}/cuentas-recordadas")


@router.post("/{direction}/{counterparty_rut}/olvidar")
async def forget(request: Request, company_id: str, direction: str, counterparty_rut: str,
                 session: SignedIn, form: CheckedForm) -> Response:
    checked = check_rut(counterparty_rut)
    if direction not in dict(DIRECTIONS) or not checked.ok:
        session.flash("Esa cuenta recordada no existe: vuelve a elegirla en la lista.", "error")
        return see_other(f"/contabilidad/empresas/{company_id}/cuentas-recordadas")
    try:
        await request.app.state.api.forget_account(session.token, company_id, direction,
                                                   checked.canonical or "")
    except ApiError as error:
        # 404 here is "nothing remembered": someone forgot it already, which is what was
        # asked; a company the person cannot reach fails when the page is drawn.
        if error.status != 404:
            if error.status in (401, 403) or error.status >= 500:
                raise
            session.flash(f"No se olvidó la cuenta: {error.detail}", "error")
            return see_other(f"/contabilidad/empresas/{company_id}/cuentas-recordadas")
        session.flash(f"No había una cuenta recordada para {rut(checked.canonical)}.")
        return see_other(f"/contabilidad/empresas/{company_id}/cuentas-recordadas")
    session.flash(f"Cuenta olvidada para {rut(checked.canonical)}: sus próximos documentos "
                  "llevarán la cuenta por defecto.")
    return see_other(f"/contabilidad/empresas/{company_id}/cuentas-recordadas")
