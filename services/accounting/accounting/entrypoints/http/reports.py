"""Report routes (libro diario, libro mayor, auxiliares, cuadratura) and their CSV forms."""

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response

from accounting.domain.periods import MONTH_PATTERN
from accounting.entrypoints.http.csv_output import CSV_RESPONSE, Format, csv_response, wants_csv
from accounting.entrypoints.http.deps import ServicesDep
from accounting.entrypoints.http.schemas import (
    AuxiliaryBalancesOut,
    JournalOut,
    LedgerOut,
    ReconciliationOut,
)
from accounting.service_layer import reports
from shared.http.problems import PROBLEM_RESPONSES
from shared.text import Identifier, Text

__all__ = ["CSV_RESPONSE", "Format", "router", "trial_balance_csv", "wants_csv"]

router = APIRouter(prefix="/v1/companies/{company_id}/reports", tags=["reports"],
                   responses={**PROBLEM_RESPONSES, **CSV_RESPONSE})

CompanyId = Annotated[Identifier, Path(description="accounting company id")]
Account = Annotated[Text(20), Query(min_length=1, examples=["110310"])]
Month = Annotated[Text(7), Query(pattern=MONTH_PATTERN, examples=["2026-10"])]
From = Annotated[date | None, Query(alias="from", description="first day, inclusive")]
To = Annotated[date | None, Query(alias="to", description="last day, inclusive")]


@router.get("/journal", summary="Libro diario: every entry of the range with its lines")
async def journal(company_id: CompanyId, services: ServicesDep, request: Request,
                  date_from: From = None, date_to: To = None,
                  format: Format = None) -> JournalOut:
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


@router.get("/ledger", summary="Libro mayor of one account: opening and running balance")
async def ledger(company_id: CompanyId, services: ServicesDep, request: Request,
                 account: Account,
                 date_from: From = None, date_to: To = None,
                 format: Format = None) -> LedgerOut:
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


@router.get("/auxiliary-balances",
            summary="Balances per RUT of an auxiliary account (Clientes, Proveedores)")
async def auxiliary_balances(company_id: CompanyId, services: ServicesDep, request: Request,
                             account: Account,
                             date_from: From = None, date_to: To = None,
                             format: Format = None) -> AuxiliaryBalancesOut:
    report = await reports.auxiliary_balances(services, company_id, account, date_from,
                                              date_to)
    if wants_csv(request, format):
        return csv_response(f"auxiliares-{report['account_code']}.csv",
                            ["rut", "name", "debit", "credit", "balance"],
                            ([r["rut"], r["name"], r["debit"], r["credit"], r["balance"]]
                             for r in report["rows"]))
    return AuxiliaryBalancesOut(**report)


@router.get("/reconciliation",
            summary="Cuadratura of a month: invoicing's documents versus the books")
async def reconciliation(company_id: CompanyId, services: ServicesDep, request: Request,
                         month: Month,
                         format: Format = None) -> ReconciliationOut:
    report = await reports.reconciliation(services, company_id, month)
    if wants_csv(request, format):
        return reconciliation_csv(report)
    return ReconciliationOut(**report)


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


def trial_balance_csv(report: dict[str, Any]) -> Response:
    rows = [[r["account_code"], r["account_name"], r["debit"], r["credit"],
             r["debit_balance"], r["credit_balance"]] for r in report["rows"]]
    t = report["totals"]
    rows.append(["", "Totales", t["debit"], t["credit"], t["debit_balance"],
                 t["credit_balance"]])
    return csv_response("balance-de-comprobacion.csv", [
        "account_code", "account_name", "debit", "credit", "debit_balance", "credit_balance"],
        rows)
