"""The books: libro diario (the comprobantes) and balance de comprobación y saldos for a
date range, and the balance tributario de 8 columnas of the year to the range's last day,
each with its CSV download."""

import math
from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import Response

from web.formatting import fecha, parse_fecha
from web.pages import SignedIn, render
from web.routes.accounting import company_context

router = APIRouter(prefix="/contabilidad/empresas/{company_id}/libros")

CSV_REPORTS = {"diario": "journal", "balance": "trial-balance",
               "tributario": "balance-tributario"}
CSV_NAMES = {"diario": "libro-diario", "balance": "balance-de-comprobacion",
             "tributario": "balance-tributario"}


def date_range(desde: str, hasta: str) -> tuple[date, date, dict[str, str]]:
    """The range asked for (dd-mm-aaaa or aaaa-mm-dd); by default this year so far."""
    today = date.today()
    errors = {}
    try:
        first = parse_fecha(desde) if desde else today.replace(month=1, day=1)
    except ValueError as error:
        first, errors["desde"] = today.replace(month=1, day=1), str(error)
    try:
        last = parse_fecha(hasta) if hasta else today
    except ValueError as error:
        last, errors["hasta"] = today, str(error)
    if first > last:
        errors["hasta"] = "La fecha Hasta debe ser igual o posterior a la fecha Desde."
    return first, last, errors


@router.get("")
async def books_page(request: Request, company_id: str, session: SignedIn, libro: str = "diario",
                     desde: str = "", hasta: str = "", pagina: int = 1) -> Response:
    api = request.app.state.api
    context = await company_context(request, session, company_id)
    first, last, errors = date_range(desde, hasta)
    book = libro if libro in CSV_REPORTS else "diario"
    data: dict = {"entries": None, "balance": None, "tributario": None, "page": 1,
                  "pages": 0}
    if not errors:
        if book == "diario":
            count = await api.entries(session.token, company_id, date_from=first.isoformat(),
                                      date_to=last.isoformat(), offset=0, limit=1)
            size = request.app.state.settings.page_size
            pages = max(1, math.ceil(count["total"] / size))
            page = min(max(1, pagina), pages)
            found = await api.entries(session.token, company_id, date_from=first.isoformat(),
                                      date_to=last.isoformat(),
                                      offset=(page - 1) * size, limit=size)
            data = {**data, "entries": found, "page": page, "pages": pages}
        elif book == "tributario":
            # A fiscal year to a date: the year of Hasta, from its 1 January.
            data["tributario"] = await api.balance_tributario(
                session.token, company_id, year=last.year, date_to=last.isoformat())
        else:
            data["balance"] = await api.trial_balance(session.token, company_id,
                                                      date_from=first.isoformat(),
                                                      date_to=last.isoformat())
    query = {"desde": fecha(first), "hasta": fecha(last)}
    return render(request, "books.html", {
        **context, **data, "book": book, "query": query, "errors": errors,
        "values": {"desde": desde or query["desde"], "hasta": hasta or query["hasta"]}},
        status_code=422 if errors else 200)


@router.get("/{book}.csv")
async def books_csv(request: Request, company_id: str, book: str, session: SignedIn,
                    desde: str = "", hasta: str = "") -> Response:
    report = CSV_REPORTS.get(book)
    first, last, errors = date_range(desde, hasta)
    if report is None or errors:
        return render(request, "error.html", {
            "title": "Descarga no disponible",
            "message": " ".join(errors.values()) or "Ese libro no existe."}, status_code=404)
    if book == "tributario":
        first = last.replace(month=1, day=1)
        upstream = await request.app.state.api.report_csv(
            session.token, company_id, report, date_from=None, date_to=last.isoformat(),
            year=last.year)
    else:
        upstream = await request.app.state.api.report_csv(
            session.token, company_id, report, date_from=first.isoformat(),
            date_to=last.isoformat())
    filename = f"{CSV_NAMES[book]}_{first.isoformat()}_{last.isoformat()}.csv"
    return Response(upstream.content, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
