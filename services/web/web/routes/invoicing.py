"""Factura Electrónica — Configuración → Integración con Sistemas Nubox: the contract
holder RUT, checked as it is typed, and the state of the request."""

from fastapi import APIRouter, Request
from fastapi.responses import Response

from web.api import ApiError
from web.pages import CheckedForm, SignedIn, form_text, render, see_other
from web.ruts import check_rut

router = APIRouter(prefix="/factura")

# What each state means for the person in Factura Electrónica, and what to do next.
STATE_TEXT = {
    "pending": "La solicitud llegó a Contabilidad y espera que el contador la acepte en "
               "Procesos → Solicitud de Integración, eligiendo la empresa en la columna "
               "Integrado y presionando Guardar.",
    "approved": "La integración está aprobada: tus documentos pueden integrarse a "
                "Contabilidad. El contador ya puede configurar las cuentas y conectar en "
                "Procesos → Integraciones.",
    "rejected": "El contador rechazó la solicitud. Revisa que el RUT sea el del titular del "
                "contrato vigente con Nubox y vuelve a solicitarla.",
    "conflict": "En Contabilidad hay dos o más empresas con el RUT de esta empresa en el mismo "
                "contrato, así que la solicitud no se puede aceptar todavía. El contador debe "
                "ocultar o eliminar la empresa duplicada (en Procesos → Solicitud de "
                "Integración, botones Ocultar y Eliminar) y luego aceptar la solicitud; "
                "también puedes pedir ocultar tu empresa por chat o al correo "
                "soporte@nubox.com.",
}


async def _page_data(request: Request, session, rut: str) -> dict:
    api = request.app.state.api
    company = await api.company(session.token, rut)
    status = await api.integration_status(session.token, rut)
    return {"company": company, "status": status, "state_text": STATE_TEXT,
            "refresh": bool(status and status["status"] in ("pending", "conflict"))}


@router.get("/{rut}/integracion")
async def integration_page(request: Request, rut: str, session: SignedIn) -> Response:
    data = await _page_data(request, session, rut)
    return render(request, "invoicing_integration.html",
                  {**data, "value": "", "error": "", "active": "factura"})


@router.get("/{rut}/integracion/estado")
async def integration_state(request: Request, rut: str, session: SignedIn) -> Response:
    """The state panel alone, which the page polls while the request waits."""
    data = await _page_data(request, session, rut)
    return render(request, "_integration_state.html", data)


@router.post("/{rut}/integracion")
async def request_integration(request: Request, rut: str, session: SignedIn,
                              form: CheckedForm) -> Response:
    value = form_text(form, "contract_rut")
    checked = check_rut(value)
    error = checked.message
    if checked.ok:
        try:
            await request.app.state.api.request_integration(session.token, rut,
                                                            checked.canonical)
        except ApiError as failure:
            if failure.status in (401, 404) or failure.status >= 500:
                raise
            error = f"Factura Electrónica no aceptó la solicitud: {failure.detail}"
        else:
            session.flash("Solicitud de integración enviada a Contabilidad.")
            return see_other(f"/factura/{rut}/integracion")
    data = await _page_data(request, session, rut)
    return render(request, "invoicing_integration.html", {**data, "value": value, "error": error,
                                      "active": "factura"}, status_code=422)
