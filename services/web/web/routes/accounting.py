"""Contabilidad: the contract's companies, Procesos → Solicitud de Integración,
Configuración General → Integración Factura, and Procesos → Integraciones."""

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from web import accounts as roles
from web.api import ApiError
from web.formatting import fecha, parse_fecha, rut
from web.pages import CheckedForm, SignedIn, form_text, render, see_other

router = APIRouter(prefix="/contabilidad")


def _raise_unless_user_error(error: ApiError) -> None:
    """Errors a person can act on (409, 422…) are shown on the page; the rest go to the
    error page (401 sign-in, 404, 5xx)."""
    if error.status in (401, 403, 404) or error.status >= 500:
        raise error


async def company_context(request: Request, session, company_id: str) -> dict:
    api = request.app.state.api
    company = await api.accounting_company(session.token, company_id)
    return {"company": company, "contract_rut": company["contract_rut"], "active": "contabilidad"}


# --- the contract ----------------------------------------------------------------------


@router.get("/{contract_rut}")
async def contract_page(request: Request, contract_rut: str, session: SignedIn) -> Response:
    api = request.app.state.api
    contract = await api.contract(session.token, contract_rut)
    companies = await api.contract_companies(session.token, contract_rut)
    requests = await api.integration_requests(session.token, contract_rut)
    return render(request, "contract.html", {
        "contract": contract, "contract_rut": contract["rut"], "companies": companies,
        "open_requests": sum(r["status"] in ("pending", "conflict") for r in requests),
        "active": "contabilidad"})


# --- Procesos → Solicitud de Integración -------------------------------------------------


@router.get("/{contract_rut}/solicitudes")
async def requests_page(request: Request, contract_rut: str, session: SignedIn) -> Response:
    return await _requests(request, session, contract_rut)


async def _requests(request: Request, session, contract_rut: str, *,
                    errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    api = request.app.state.api
    contract = await api.contract(session.token, contract_rut)
    companies = await api.contract_companies(session.token, contract_rut)
    requests = await api.integration_requests(session.token, contract_rut)
    by_id = {c["id"]: c for c in companies}
    rows = []
    for item in requests:
        same_rut = [c for c in companies if c["rut"] == item["company_rut"]]
        rows.append({
            "request": item,
            # The column Integrado offers the contract's active companies with the RUT.
            "choices": [c for c in same_rut if c["status"] == "active"],
            "duplicates": ([c for c in same_rut if c["status"] == "active"]
                           if item["status"] == "conflict" else []),
            "integrated": by_id.get(item.get("company_id") or ""),
        })
    return render(request, "requests.html", {
        "contract": contract, "contract_rut": contract["rut"], "rows": rows,
        "errors": errors or {}, "active": "contabilidad"}, status_code=status_code)


@router.post("/{contract_rut}/solicitudes/{request_id}/aprobar")
async def approve(request: Request, contract_rut: str, request_id: str, session: SignedIn,
                  form: CheckedForm) -> Response:
    company_id = form_text(form, "company_id")
    if not company_id:
        return await _requests(request, session, contract_rut, status_code=422, errors={
            request_id: "Elige en la columna Integrado la empresa que lleva esta contabilidad."})
    try:
        approved = await request.app.state.api.approve(session.token, request_id, company_id)
    except ApiError as error:
        _raise_unless_user_error(error)
        return await _requests(request, session, contract_rut, status_code=error.status,
                               errors={request_id: _spanish_request_error(error)})
    session.flash(f"Solicitud aceptada: {approved['company_name']} "
                  f"({rut(approved['company_rut'])}) queda integrada con Factura Electrónica.")
    return see_other(f"/contabilidad/{contract_rut}/solicitudes")


@router.post("/{contract_rut}/solicitudes/{request_id}/rechazar")
async def reject(request: Request, contract_rut: str, request_id: str, session: SignedIn,
                 form: CheckedForm) -> Response:
    reason = form_text(form, "motivo")[:500] or None
    try:
        rejected = await request.app.state.api.reject(session.token, request_id, reason)
    except ApiError as error:
        _raise_unless_user_error(error)
        return await _requests(request, session, contract_rut, status_code=error.status,
                               errors={request_id: _spanish_request_error(error)})
    session.flash(f"Solicitud de {rejected['company_name']} rechazada.")
    return see_other(f"/contabilidad/{contract_rut}/solicitudes")


def _spanish_request_error(error: ApiError) -> str:
    if error.status == 409 and "conflict" in (error.title or "").lower():
        return ("La solicitud está en conflicto: hay más de una empresa activa con este RUT. "
                "Oculta o elimina la duplicada y vuelve a presionar Guardar.")
    if error.status == 409:
        return f"La solicitud ya fue resuelta y no puede cambiar. ({error.detail})"
    return f"Contabilidad no aceptó el cambio: {error.detail}"


@router.post("/{contract_rut}/empresas/{company_id}/ocultar")
async def hide(request: Request, contract_rut: str, company_id: str, session: SignedIn,
               form: CheckedForm) -> Response:
    company = await request.app.state.api.hide_company(session.token, company_id)
    session.flash(f"Empresa {company['name']} ocultada.")
    return see_other(_back(form, f"/contabilidad/{contract_rut}/solicitudes"))


@router.post("/{contract_rut}/empresas/{company_id}/eliminar")
async def delete(request: Request, contract_rut: str, company_id: str, session: SignedIn,
                 form: CheckedForm) -> Response:
    api = request.app.state.api
    company = await api.accounting_company(session.token, company_id)
    await api.delete_company(session.token, company_id)
    session.flash(f"Empresa {company['name']} eliminada.")
    return see_other(_back(form, f"/contabilidad/{contract_rut}/solicitudes"))


def _back(form, default: str) -> str:
    target = form_text(form, "volver")
    return target if target.startswith("/contabilidad/") else default


# --- Configuración General → Integración Factura ------------------------------------------


@router.get("/empresas/{company_id}/configuracion")
async def settings_page(request: Request, company_id: str, session: SignedIn,
                        editar: str = "") -> Response:
    api = request.app.state.api
    context = await company_context(request, session, company_id)
    current = await api.settings(session.token, company_id)
    chart = await api.accounts(session.token, company_id)
    return _settings_render(request, context, current, chart, editing=bool(editar),
                            choices=roles.current_choices(current))


def _settings_render(request: Request, context: dict, current: dict, chart: list[dict], *,
                     editing: bool, choices: dict, errors: dict | None = None,
                     new_account: dict | None = None, account_errors: dict | None = None,
                     form: dict[str, str] | None = None, status_code: int = 200) -> Response:
    by_code = {a["code"]: a for a in chart}
    fields = []
    for role in roles.ROLES:
        options = roles.options_for(role, chart)
        chosen = choices.get(role.form_name)
        unfit = by_code.get(chosen) if chosen and all(o["code"] != chosen for o in options) \
            else None
        fields.append({"role": role, "options": options, "chosen": chosen,
                       "chosen_account": by_code.get(chosen) if chosen else None,
                       "unfit": unfit or ({"code": chosen, "name": "no existe en el plan"}
                                          if chosen and chosen not in by_code else None),
                       "errors": (errors or {}).get(role.form_name, [])})
    return render(request, "settings.html", {
        **context, "fields": fields, "editing": editing, "current": current,
        "general_errors": (errors or {}).get("", []), "errors": errors or {},
        "new_account": new_account or {},
        "account_errors": account_errors or {}, "account_types": [
            ("income", "Ingreso"), ("expense", "Gasto"), ("asset", "Activo"),
            ("liability", "Pasivo"), ("equity", "Patrimonio")],
        "configured": not current.get("missing"),
        "other": roles.other_settings(current, form), "tax_options": roles.tax_options(chart),
        "names": {a["code"]: a["name"] for a in chart}}, status_code=status_code)


def _form_choices(form) -> dict[str, str | None]:
    return {role.form_name: form_text(form, role.form_name) or None for role in roles.ROLES}


@router.post("/empresas/{company_id}/configuracion")
async def save_settings(request: Request, company_id: str, session: SignedIn,
                        form: CheckedForm) -> Response:
    api = request.app.state.api
    context = await company_context(request, session, company_id)
    current = await api.settings(session.token, company_id)
    choices = _form_choices(form)
    values = {key: value for key, value in form.items() if isinstance(value, str)}
    errors: dict[str, list[str]] = {}
    for role in roles.ROLES:
        if role.required and not choices[role.form_name]:
            errors.setdefault(role.form_name, []).append(
                f"Elige la {role.label.lower()}: es obligatoria para integrar.")
    tolerance = form_text(form, "tolerancia_iva")
    if tolerance and not (tolerance.isdigit() and int(tolerance) <= 1000):
        errors["tolerancia_iva"] = ["Escribe la tolerancia en pesos enteros, de 0 a 1000 "
                                    f"(«{tolerance[:20]}» no lo es)."]
    if not errors:
        body = roles.settings_body(values, current)
        try:
            await api.put_settings(session.token, company_id, body)
        except ApiError as error:
            _raise_unless_user_error(error)
            for field, messages in error.field_errors().items():
                errors.setdefault(_settings_form_name(field, values), []).extend(messages)
            if not errors:
                errors[""] = [error.detail]
        else:
            session.flash("Cuentas de la integración guardadas.")
            return see_other(f"/contabilidad/empresas/{company_id}/configuracion")
    chart = await api.accounts(session.token, company_id)
    return _settings_render(request, context, current, chart, editing=True, choices=choices,
                            errors=errors, form=values, status_code=422)


def _settings_form_name(field: str, form: dict[str, str]) -> str:
    """The form control an API validation error is about ("" for the top of the form)."""
    field_role = roles.BY_FIELD.get(field)
    if field_role:
        return field_role.form_name
    if field == "issued_vat_tolerance":
        return "tolerancia_iva"
    if field == "purchase_entry_date":
        return "fecha_compra"
    setting, _, code = field.partition(".")
    for tax in roles.TAX_MAPS:
        if setting == tax.setting and code:
            if f"{tax.prefix}_{code}" in form:
                return f"{tax.prefix}_{code}"
            return f"{tax.prefix}_nuevo"
    return ""


@router.post("/empresas/{company_id}/cuentas")
async def create_account(request: Request, company_id: str, session: SignedIn,
                         form: CheckedForm) -> Response:
    """Crear cuenta, from the settings form: the choices made so far are kept."""
    api = request.app.state.api
    context = await company_context(request, session, company_id)
    current = await api.settings(session.token, company_id)
    choices = _form_choices(form)
    values = {key: value for key, value in form.items() if isinstance(value, str)}
    new: dict[str, Any] = {
        "code": form_text(form, "cuenta_codigo"), "name": form_text(form, "cuenta_nombre"),
        "type": form_text(form, "cuenta_tipo"),
        "auxiliary": form_text(form, "cuenta_auxiliar") == "si",
        "use_for": form_text(form, "cuenta_usar_en")}
    account_errors: dict[str, list[str]] = {}
    try:
        created = await api.create_account(session.token, company_id, {
            "code": new["code"], "name": new["name"], "type": new["type"] or None,
            "auxiliary": new["auxiliary"]})
    except ApiError as error:
        _raise_unless_user_error(error)
        for field, messages in error.field_errors().items():
            account_errors.setdefault(field if field in ("code", "name", "type") else "code",
                                      []).extend(messages)
        if not account_errors:  # e.g. 409: the code is taken
            account_errors["code"] = [error.detail]
        chart = await api.accounts(session.token, company_id)
        return _settings_render(request, context, current, chart, editing=True,
                                choices=choices, new_account=new, form=values,
                                account_errors=account_errors, status_code=422)
    role = roles.BY_FORM_NAME.get(new["use_for"])
    if role is not None:
        choices[role.form_name] = created["code"]
    session.flash(f"Cuenta {created['code']} {created['name']} creada en el plan de cuentas"
                  + (f" y elegida como {role.label.lower()}." if role else "."))
    chart = await api.accounts(session.token, company_id)
    return _settings_render(request, context, current, chart, editing=True, choices=choices,
                            form=values)


# --- Procesos → Integraciones -----------------------------------------------------------


def missing_steps(connector: dict, settings: dict, company: dict,
                  invoicing_companies: tuple[str, ...]) -> list[dict]:
    """What is missing before Conectar, in Spanish, each with where to fix it."""
    contract_rut, company_id = company["contract_rut"], company["id"]
    requests_url = f"/contabilidad/{contract_rut}/solicitudes"
    invoicing_url = (f"/factura/{company['rut']}/integracion"
                     if company["rut"] in invoicing_companies else None)
    steps = []
    status = connector.get("request_status")
    if status == "none":
        steps.append({"text": "Solicitar la integración desde Factura Electrónica "
                              "(Configuración → Integración con Sistemas Nubox) con el RUT del "
                              f"titular del contrato, {rut(contract_rut)}.",
                      "url": invoicing_url, "link": "Ir a Integración con Sistemas Nubox"})
    elif status == "pending":
        steps.append({"text": "Aceptar la solicitud de integración: elegir la empresa en la "
                              "columna Integrado y presionar Guardar.",
                      "url": requests_url, "link": "Ir a Solicitud de Integración"})
    elif status == "conflict":
        steps.append({"text": "Resolver el conflicto de la solicitud (hay dos empresas con el "
                              "mismo RUT: ocultar o eliminar una) y luego aceptarla.",
                      "url": requests_url, "link": "Ir a Solicitud de Integración"})
    elif status == "rejected":
        steps.append({"text": "La solicitud fue rechazada: volver a solicitarla desde Factura "
                              "Electrónica y aceptarla aquí.",
                      "url": invoicing_url or requests_url,
                      "link": "Ir a Integración con Sistemas Nubox" if invoicing_url
                      else "Ir a Solicitud de Integración"})
    choices = roles.current_choices(settings)
    settings_url = f"/contabilidad/empresas/{company_id}/configuracion?editar=1"
    for role in roles.ROLES:
        if role.required and not choices.get(role.form_name):
            steps.append({"text": f"Configurar la {role.label.lower()} en Configuración "
                                  "General → Integración Factura.",
                          "url": f"{settings_url}#{role.form_name}",
                          "link": "Ir a Integración Factura"})
    return steps


def _month_bounds(today: date) -> tuple[date, date]:
    first = today.replace(day=1)
    following = (first.replace(year=first.year + 1, month=1) if first.month == 12
                 else first.replace(month=first.month + 1))
    return first, date.fromordinal(following.toordinal() - 1)


@router.get("/empresas/{company_id}/integraciones")
async def integrations_page(request: Request, company_id: str, session: SignedIn,
                            conectar: str = "") -> Response:
    first, last = _month_bounds(date.today())
    return await _integrations(request, session, company_id, dialog_open=bool(conectar),
                               dates={"desde": fecha(first), "hasta": fecha(last)})


async def _integrations(request: Request, session, company_id: str, *,
                        dialog_open: bool, dates: dict, errors: dict | None = None,
                        status_code: int = 200) -> Response:
    api = request.app.state.api
    context = await company_context(request, session, company_id)
    connectors = await api.integrations(session.token, company_id)
    settings = await api.settings(session.token, company_id)
    syncs = await api.syncs(session.token, company_id)
    cards = []
    for connector in connectors:
        steps = [] if connector["can_connect"] else missing_steps(
            connector, settings, context["company"], session.companies)
        cards.append({"connector": connector, "steps": steps,
                      # What accounting says is missing, when it is more than we know of.
                      "api_missing": connector["missing"] if not connector["can_connect"]
                      and len(connector["missing"]) != len(steps) else []})
    return render(request, "integrations.html", {
        **context, "cards": cards, "syncs": syncs, "dialog_open": dialog_open,
        "dates": dates, "errors": errors or {}}, status_code=status_code)


@router.post("/empresas/{company_id}/integraciones/factura-electronica")
async def connect(request: Request, company_id: str, session: SignedIn,
                  form: CheckedForm) -> Response:
    """Conectar y Sincronizar: the date window, then the review of the new sync."""
    dates = {"desde": form_text(form, "desde"), "hasta": form_text(form, "hasta")}
    errors: dict[str, list[str]] = {}
    parsed = {}
    for name in ("desde", "hasta"):
        try:
            parsed[name] = parse_fecha(dates[name])
        except ValueError as error:
            errors[name] = [str(error)]
    if not errors and parsed["desde"] > parsed["hasta"]:
        errors["hasta"] = ["La fecha Hasta debe ser igual o posterior a la fecha Desde."]
    if not errors:
        try:
            sync = await request.app.state.api.start_sync(
                session.token, company_id, parsed["desde"].isoformat(),
                parsed["hasta"].isoformat())
        except ApiError as error:
            _raise_unless_user_error(error)
            for field, messages in error.field_errors().items():
                key = {"from": "desde", "to": "hasta"}.get(field, "")
                errors.setdefault(key, []).extend(messages)
            if not errors:
                errors[""] = [("Contabilidad no pudo conectar: " if error.status == 409
                               else "") + error.detail]
        else:
            session.flash("Conectado: Factura Electrónica está enviando los documentos del "
                          f"{fecha(parsed['desde'])} al {fecha(parsed['hasta'])}.")
            return see_other(f"/contabilidad/sincronizaciones/{sync['id']}")
    return await _integrations(request, session, company_id, dialog_open=True, dates=dates,
                               errors=errors, status_code=422)
