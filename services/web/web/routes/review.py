"""The review of a sync: progress while documents arrive, the documents with their
proposed entries a page at a time, the cuenta detalle drop-down, held documents with their
reasons, posted ones greyed out, Confirmar and the summary."""

import math

from fastapi import APIRouter, Request
from fastapi.responses import Response

from web import accounts as roles
from web.api import ApiError
from web.pages import (
    CheckedForm,
    SignedIn,
    form_text,
    htmx_redirect,
    is_htmx,
    render,
    see_other,
)
from web.routes.accounting import company_context

router = APIRouter(prefix="/contabilidad/sincronizaciones")

FILTERS = (("", "Todos"), ("ready", "Listos"), ("held", "Retenidos"),
           ("already_posted", "Ya contabilizados"), ("posted", "Contabilizados"))
ARRIVING = ("requested", "receiving")


def progress(sync: dict) -> dict:
    expected, received = sync.get("expected"), sync.get("received") or 0
    percent = (100 if expected == 0 else min(100, math.floor(received * 100 / expected))
               if expected is not None else None)
    return {"expected": expected, "received": received, "percent": percent,
            "arriving": sync["status"] in ARRIVING}


def detail_options(chart: list[dict]) -> dict[str, list[dict]]:
    return {direction: roles.options_for(roles.detail_role(direction), chart)
            for direction in ("sales", "purchases")}


@router.get("/{sync_id}")
async def review_page(request: Request, sync_id: str, session: SignedIn, estado: str = "",
                      pagina: int = 1) -> Response:
    api = request.app.state.api
    sync = await api.sync(session.token, sync_id)
    context = await company_context(request, session, sync["company_id"])
    status = estado if estado in dict(FILTERS) else ""
    documents, pages = None, 0
    if sync["status"] not in ARRIVING:
        count = await api.sync_documents(session.token, sync_id, offset=0, limit=1,
                                         status=status or None)
        size = request.app.state.settings.page_size
        pages = max(1, math.ceil(count["total"] / size))
        pagina = min(max(1, pagina), pages)
        documents = await api.sync_documents(session.token, sync_id,
                                             offset=(pagina - 1) * size, limit=size,
                                             status=status or None)
    chart = await api.accounts(session.token, sync["company_id"]) if documents else []
    return render(request, "review.html", {
        **context, "sync": sync, "progress": progress(sync), "documents": documents,
        "filters": FILTERS, "status": status, "page": pagina, "pages": pages,
        "options": detail_options(chart), "names": {a["code"]: a["name"] for a in chart},
        "row_errors": {}})


@router.get("/{sync_id}/progreso")
async def progress_panel(request: Request, sync_id: str, session: SignedIn) -> Response:
    """Polled by the page while documents arrive; once they are all in, the page reloads."""
    sync = await request.app.state.api.sync(session.token, sync_id)
    headers = {"HX-Refresh": "true"} if sync["status"] not in ARRIVING else {}
    return render(request, "_progress.html", {"sync": sync, "progress": progress(sync)},
                  headers=headers)


@router.post("/{sync_id}/documentos/{document_id}")
async def change_detail(request: Request, sync_id: str, document_id: str, session: SignedIn,
                        form: CheckedForm) -> Response:
    """The cuenta detalle of one document: with htmx the row alone is redrawn, without it
    the page comes back at the same place."""
    api = request.app.state.api
    back = _back(form, sync_id)
    try:
        item = await api.change_detail_account(session.token, sync_id, document_id,
                                               form_text(form, "cuenta_detalle"))
    except ApiError as error:
        if error.status in (401, 404) or error.status >= 500:
            raise
        message = "; ".join(m for ms in error.field_errors().values() for m in ms) \
            or error.detail
        session.flash(f"No se cambió la cuenta detalle: {message}", "error")
        return htmx_redirect(request, back)
    if not is_htmx(request):
        session.flash("Cuenta detalle cambiada.")
        return see_other(f"{back}#doc-{document_id}")
    sync = await api.sync(session.token, sync_id)
    chart = await api.accounts(session.token, sync["company_id"])
    return render(request, "_document_row.html", {
        "sync": sync, "item": item, "options": detail_options(chart),
        "names": {a["code"]: a["name"] for a in chart}, "changed": True, "back": back})


@router.post("/{sync_id}/confirmar")
async def confirm(request: Request, sync_id: str, session: SignedIn,
                  form: CheckedForm) -> Response:
    api = request.app.state.api
    try:
        summary = await api.confirm(session.token, sync_id,
                                    seconds=request.app.state.settings.confirm_timeout_seconds)
    except ApiError as error:
        if error.status in (401, 404) or error.status >= 500:
            raise
        session.flash(f"No se pudo confirmar: {error.detail}", "error")
        return see_other(f"/contabilidad/sincronizaciones/{sync_id}")
    session.flash(f"Sincronización confirmada: {summary['posted']} comprobante(s) "
                  f"contabilizado(s), {summary['held']} retenido(s), "
                  f"{summary['already_posted']} ya contabilizado(s) antes.")
    return see_other(f"/contabilidad/sincronizaciones/{sync_id}")


def _back(form, sync_id: str) -> str:
    target = form_text(form, "volver")
    prefix = f"/contabilidad/sincronizaciones/{sync_id}"
    return target if target.startswith(prefix) else prefix
