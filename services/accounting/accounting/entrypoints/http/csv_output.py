"""CSV for reports: `?format=csv` or `Accept: text/csv`, with formulas neutralised."""

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Annotated, Any, Literal

from fastapi import Query, Request, Response

Format = Annotated[Literal["json", "csv"] | None,
                   Query(description="csv for a spreadsheet (or send Accept: text/csv)")]

CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}},
          "description": "JSON, or CSV with ?format=csv / Accept: text/csv"},
}


def wants_csv(request: Request, format: str | None) -> bool:
    if format is not None:
        return format == "csv"
    accept = request.headers.get("accept", "")
    return "text/csv" in accept and "application/json" not in accept


# A spreadsheet runs a cell that starts with one of these as a formula (=HYPERLINK(…) that
# sends the sheet's cells away, +cmd|… that starts a program, @SUM(…)); tab and carriage
# return can hide one behind them. OWASP's rule (CSV injection): such a text cell gets a
# single quote in front, which spreadsheets show as text and do not evaluate.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    """A value as a CSV cell: text neutralised, numbers as they are.

    Only text is neutralised. Counterparty names, glosas, account names, descriptions and
    reasons are text, and any of them may come from outside (an imported supplier DTE
    names its issuer). Amounts and balances are ints written by us, so a negative balance
    stays the number -59500 a spreadsheet adds up, rather than the text '-59500 that OWASP's
    rule would make of it; an int cannot hold a formula. A text that only looks like a
    negative number ("-5" typed as a glosa) is still text and is neutralised.
    """
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Response:
    buffer = io.StringIO()
    # RFC 4180's CRLF: the writer quotes a cell holding any character of the line
    # terminator, so a carriage return inside a name cannot split a row either.
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([cell(name) for name in header])
    for row in rows:
        writer.writerow([cell(value) for value in row])
    return Response(buffer.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
