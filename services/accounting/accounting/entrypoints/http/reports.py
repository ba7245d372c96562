"""Report routes (libro diario, libro mayor, balance de comprobación, auxiliares, balance
tributario, cuadratura) and their CSV forms."""

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel

from accounting.domain.periods import MONTH_PATTERN
from accounting.entrypoints.http.csv_output import CSV_RESPONSE, Format, csv_response, wants_csv
from accounting.entrypoints.http.deps import ServicesDep
from accounting.entrypoints.http.schemas import (
    AuxiliaryBalancesOut,
    BalanceTributarioOut,
    JournalOut,
    LedgerOut,
    ReconciliationOut,
    TrialBalanceOut,
)
from accounting.service_layer import reports
from shared.http.problems import PROBLEM_RESPONSES
from shared.text import Identifier, Text

__all__ = ["CSV_RESPONSE", "Format", "router", "wants_csv"]

router = APIRouter(prefix="/v1/companies/{company_id}/reports", tags=["reports"],
                   responses={**PROBLEM_RESPONSES, **CSV_RESPONSE})

CompanyId = Annotated[Identifier, Path(description="accounting company id")]
Account = Annotated[Text(20), Query(min_length=1, examples=["110310"])]
Month = Annotated[Text(7), Query(pattern=MONTH_PATTERN, examples=["2026-10"])]
From = Annotated[date | None, Query(alias="from", description="first day, inclusive")]
To = Annotated[date | None, Query(alias="to", description="last day, inclusive")]
Year = Annotated[int, Query(ge=1900, le=9999, description="the fiscal year (from 1 January)",
                            examples=[2026])]


Model = TypeVar("Model", bound=BaseModel)


def _answer(request: Request, format: str | None, report: dict[str, Any],
            as_csv: Callable[[dict[str, Any]], Response], model: type[Model]) -> Model | Response:
    """The report as CSV when asked for, else as its response model (each route names it
    as its response_model: the CSV Response goes out as it is)."""
    return as_csv(report) if wants_csv(request, format) else model(**report)


@router.get("/journal", response_model=JournalOut,
            summary="Libro diario: every entry of the range with its lines")
async def journal(company_id: CompanyId, services: ServicesDep, request: Request,
                  date_from: From = None, date_to: To = None,
                  format: Format = None) -> JournalOut | Response:
    report = await reports.journal(services, company_id, date_from, date_to)
    if wants_csv(request, format):
        return csv_response("libro-diario.csv", [
            "number", "entry_date", "kind", "glosa", "line_no", "account_code", "account_name",
            "counterparty_rut", "description", "debit", "credit"],
            ([e["number"], e["entry_date"], e["kind"], e["glosa"], line["line_no"],
              line["account_code"], line["account_name"], line["counterparty_rut"],
              line["description"], line["debit"], line["credit"]]
             for e in report["entries"] for line in e["lines"]))
    return JournalOut(**report)


@router.get("/ledger", response_model=LedgerOut,
            summary="Libro mayor of one account: opening and running balance")
async def ledger(company_id: CompanyId, services: ServicesDep, request: Request,
                 account: Account,
                 date_from: From = None, date_to: To = None,
                 format: Format = None) -> LedgerOut | Response:
    report = await reports.account_ledger(services, company_id, account, date_from, date_to)
    if wants_csv(request, format):
        opening = [["", report["from"] or "", "Saldo inicial", "", "", "", "",
                    report["opening_balance"]]]
        return csv_response(f"libro-mayor-{report['account_code']}.csv", [
            "number", "entry_date", "glosa", "account_code", "counterparty_rut", "debit",
            "credit", "balance"],
            [*opening, *([x["number"], x["entry_date"], x["glosa"], x["account_code"],
                          x["counterparty_rut"], x["debit"], x["credit"], x["balance"]]
                         for x in report["lines"])])
    return LedgerOut(**report)


@router.get("/auxiliary-balances", response_model=AuxiliaryBalancesOut,
            summary="Balances per RUT of an auxiliary account (Clientes, Proveedores)")
async def auxiliary_balances(company_id: CompanyId, services: ServicesDep, request: Request,
                             account: Account,
                             date_from: From = None, date_to: To = None,
                             format: Format = None) -> AuxiliaryBalancesOut | Response:
    report = await reports.auxiliary_balances(services, company_id, account, date_from,
                                              date_to)
    if wants_csv(request, format):
        # New columns go last: a spreadsheet built on the first five keeps working.
        return csv_response(f"auxiliares-{report['account_code']}.csv",
                            ["rut", "name", "debit", "credit", "balance", "opening_balance",
                             "closing_balance"],
                            ([r["rut"], r["name"], r["debit"], r["credit"], r["balance"],
                              r["opening_balance"], r["closing_balance"]]
                             for r in report["rows"]))
    return AuxiliaryBalancesOut(**report)


@router.get("/trial-balance", response_model=TrialBalanceOut,
            summary="Balance de comprobación y saldos: opening, the range's sums, closing")
async def trial_balance(company_id: CompanyId, services: ServicesDep, request: Request,
                        date_from: From = None, date_to: To = None,
                        format: Format = None) -> TrialBalanceOut | Response:
    """CSV: the JSON row's columns (`opening_balance` and `closing_balance` last), then a
    `Totales` row."""
    report = await reports.trial_balance_report(services, company_id, date_from, date_to)
    return _answer(request, format, report, trial_balance_csv, TrialBalanceOut)


@router.get("/balance-tributario", response_model=BalanceTributarioOut,
            summary="Balance tributario de 8 columnas of a fiscal year to a date")
async def balance_tributario(company_id: CompanyId, services: ServicesDep, request: Request,
                             year: Year, date_to: To = None,
                             format: Format = None) -> BalanceTributarioOut | Response:
    """`to` defaults to 31 December and must be in `year` (else 422). CSV: one row per
    account, then `Sumas`, the result line (`Utilidad del ejercicio` / `Pérdida del
    ejercicio`) and `Totales`, in the columns debit, credit (Sumas), debit_balance,
    credit_balance (Saldos), assets, liabilities (Inventario), losses, gains
    (Resultados)."""
    report = await reports.balance_tributario_report(services, company_id, year, date_to)
    return _answer(request, format, report, balance_tributario_csv, BalanceTributarioOut)


@router.get("/reconciliation", response_model=ReconciliationOut,
            summary="Cuadratura of a month: invoicing's documents versus the books")
async def reconciliation(company_id: CompanyId, services: ServicesDep, request: Request,
                         month: Month,
                         format: Format = None) -> ReconciliationOut | Response:
    report = await reports.reconciliation(services, company_id, month)
    return _answer(request, format, report, reconciliation_csv, ReconciliationOut)


def reconciliation_csv(report: dict[str, Any]) -> Response:
    """One table: a 'line' row per direction and tipo DTE, then a 'difference' row per
    document that differs."""
    header = ["row", "direction", "dte_type", "invoicing_count", "invoicing_total",
              "posted_count", "posted_total", "pending_review_count", "pending_review_total",
              "held_count", "held_total", "nothing_to_post_count", "nothing_to_post_total",
              "difference_count", "difference_total",
              "document_key", "folio", "books_total", "status", "reason"]
    rows: list[list[Any]] = []
    for line in report["lines"]:
        rows.append(["line", line["direction"], line["dte_type"],
                     line["invoicing"]["count"], line["invoicing"]["total"],
                     line["posted"]["count"], line["posted"]["total"],
                     line["pending_review"]["count"], line["pending_review"]["total"],
                     line["held"]["count"], line["held"]["total"],
                     line["nothing_to_post"]["count"], line["nothing_to_post"]["total"],
                     line["difference"]["count"], line["difference"]["total"],
                     None, None, None, None, None])
    for d in report["differences"]:
        rows.append(["difference", d["direction"], d["dte_type"], None, d["invoicing_total"],
                     None, None, None, None, None, None, None, None, None, None,
                     d["document_key"],
                     d["folio"], d["books_total"], d["status"], d["reason"]])
    return csv_response(f"cuadratura-{report['month']}.csv", header, rows)


BALANCE_COLUMNS = ["debit", "credit", "debit_balance", "credit_balance", "opening_balance",
                   "closing_balance"]


def trial_balance_csv(report: dict[str, Any]) -> Response:
    rows = [[r["account_code"], r["account_name"], *(r[c] for c in BALANCE_COLUMNS)]
            for r in report["rows"]]
    rows.append(["", "Totales", *(report["totals"][c] for c in BALANCE_COLUMNS)])
    return csv_response("balance-de-comprobacion.csv",
                        ["account_code", "account_name", *BALANCE_COLUMNS], rows)


EIGHT_COLUMNS = ["debit", "credit", "debit_balance", "credit_balance", "assets", "liabilities",
                 "losses", "gains"]


def balance_tributario_csv(report: dict[str, Any]) -> Response:
    rows = [[r["account_code"], r["account_name"], *(r[c] for c in EIGHT_COLUMNS)]
            for r in report["rows"]]
    for label, columns in (("Sumas", report["sums"]), (report["result"]["label"],
                                                       report["result"]),
                           ("Totales", report["totals"])):
        rows.append(["", label, *(columns[c] for c in EIGHT_COLUMNS)])
    return csv_response(f"balance-tributario-{report['year']}.csv",
                        ["account_code", "account_name", *EIGHT_COLUMNS], rows)
