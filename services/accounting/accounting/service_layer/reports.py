"""The books as reports: libro diario, libro mayor, balance de comprobación y saldos,
auxiliary balances per RUT, balance tributario de 8 columnas, and the reconciliation of a
month against what invoicing holds (cuadratura)."""

from dataclasses import asdict
from datetime import date
from typing import Any

from accounting.domain.accounts import leaves_under, with_account_names
from accounting.domain.balance_tributario import UntypedAccount, balance_tributario
from accounting.domain.errors import Conflict, NotFound, Unprocessable
from accounting.domain.ledger import ledger
from accounting.domain.periods import month_bounds
from accounting.domain.reconciliation import (
    Amounts,
    BookDocument,
    BookStatus,
    InvoicingDocument,
    InvoicingLine,
    ManifestSync,
    reconcile,
)
from accounting.domain.syncs import NOTHING_TO_POST, DocumentStatus, SyncDocument
from accounting.domain.trial_balance import counterparty_balances, trial_balance
from accounting.service_layer.companies import company_or_404
from accounting.service_layer.unit_of_work import Services, UnitOfWork


async def journal(services: Services, company_id: str, date_from: date | None,
                  date_to: date | None) -> dict[str, Any]:
    async with services.uow() as uow:
        await company_or_404(uow, company_id)
        entries = await uow.queries.journal(company_id, date_from, date_to)
        lines = await uow.journal.entry_lines([e.id for e in entries])
        chart = await uow.companies.chart(company_id)
    items = [{**asdict(entry), "lines": with_account_names(map(asdict, lines[entry.id]), chart)}
             for entry in entries]
    debit = sum(line["debit"] for item in items for line in item["lines"])
    credit = sum(line["credit"] for item in items for line in item["lines"])
    return {"from": date_from, "to": date_to, "entries": items,
            "totals": {"entries": len(items), "debit": debit, "credit": credit}}


async def account_ledger(services: Services, company_id: str, code: str,
                         date_from: date | None, date_to: date | None) -> dict[str, Any]:
    async with services.uow() as uow:
        await company_or_404(uow, company_id)
        chart = await uow.companies.chart(company_id)
        account = chart.get(code)
        if account is None:
            problem = f"account {code} does not exist in this company's chart of accounts"
            raise NotFound(f"No ledger for {code}: {problem}; list the chart with GET "
                           f"/v1/companies/{company_id}/accounts.")
        # A group account's ledger is the ledger of every account under it.
        codes = [code] if account.postable else [a.code for a in leaves_under(code, chart)]
        opening = (await uow.queries.balance_before(company_id, codes, date_from)
                   if date_from else 0)
        postings = await uow.queries.postings(company_id, codes, date_from, date_to)
    book = ledger(opening, postings)
    return {
        "account_code": account.code, "account_name": account.name, "from": date_from,
        "to": date_to, "opening_balance": book.opening_balance,
        "lines": [{**asdict(line.posting), "balance": line.balance} for line in book.lines],
        "totals": {"debit": book.debit, "credit": book.credit},
        "closing_balance": book.closing_balance,
    }


async def auxiliary_balances(services: Services, company_id: str, code: str,
                             date_from: date | None, date_to: date | None) -> dict[str, Any]:
    async with services.uow() as uow:
        await company_or_404(uow, company_id)
        account = (await uow.companies.chart(company_id)).get(code)
        if account is None or not account.auxiliary:
            problem = (f"account {code} does not exist" if account is None else
                       f"account {account.label} does not track counterparties")
            raise Unprocessable(f"Auxiliary balances are kept for auxiliary accounts, such as "
                                f"110310 Clientes or 210210 Proveedores: {problem}.",
                                errors=[{"field": "account", "message": problem}])
        movements = await uow.balances.counterparty_balances(company_id, code, date_from,
                                                             date_to)
    # ``balance`` is what clients read as "what the RUT owes": the closing, opening included
    # (the range's debit − credit alone disagreed with the ledger). Kept beside
    # closing_balance for the clients that read it.
    items = [{**asdict(b), "balance": b.closing_balance}
             for b in counterparty_balances(movements)]
    return {"account_code": account.code, "account_name": account.name, "from": date_from,
            "to": date_to, "rows": items,
            "totals": {key: sum(i[key] for i in items) for key in (
                "opening_balance", "debit", "credit", "closing_balance", "balance")}}


async def trial_balance_report(services: Services, company_id: str, date_from: date | None,
                               date_to: date | None) -> dict[str, Any]:
    async with services.uow() as uow:
        await company_or_404(uow, company_id)
        movements = await uow.balances.account_balances(company_id, date_from, date_to)
    balance = trial_balance(movements)
    return {"from": date_from, "to": date_to, "rows": [asdict(r) for r in balance.rows],
            "totals": asdict(balance.totals)}


async def balance_tributario_report(services: Services, company_id: str, year: int,
                                    date_to: date | None) -> dict[str, Any]:
    first, last = date(year, 1, 1), date(year, 12, 31)
    date_to = date_to or last
    if not first <= date_to <= last:
        problem = f"'to' {date_to} is not in the fiscal year {year}"
        raise Unprocessable(f"A balance tributario covers one fiscal year, from 1 January to "
                            f"a day of the same year: {problem}; ask for to={last} or an "
                            f"earlier day of {year}, or for year={date_to.year}.",
                            errors=[{"field": "to", "message": problem}])
    async with services.uow() as uow:
        await company_or_404(uow, company_id)
        movements = await uow.balances.account_balances(company_id, first, date_to,
                                                        with_opening=False)
    try:
        report = balance_tributario(movements)
    except UntypedAccount as error:
        raise Conflict(f"Account {error.code} has entries but is not in the company's chart "
                       "of accounts, so it is neither Inventario nor Resultados: create it "
                       f"with POST /v1/companies/{company_id}/accounts (with its type) and "
                       "ask again.", title="Account not in the chart") from None
    return {
        "year": year, "from": first, "to": date_to,
        "rows": [{"account_code": r.account_code, "account_name": r.account_name,
                  "account_type": r.account_type, **asdict(r.columns)} for r in report.rows],
        "sums": asdict(report.sums),
        "result": {"outcome": report.result.outcome, "label": report.result.label,
                   "amount": report.result.amount, **asdict(report.result.columns)},
        "totals": asdict(report.totals),
    }

async def reconciliation(services: Services, company_id: str, month: str) -> dict[str, Any]:
    try:
        first, last = month_bounds(month)
    except ValueError as error:
        raise Unprocessable(str(error), errors=[{"field": "month", "message": str(error)}]) \
            from None
    async with services.uow() as uow:
        await company_or_404(uow, company_id)
        sync = await uow.queries.manifest_sync_covering(company_id, first, last)
        if sync is None:
            raise Conflict(
                f"Nothing to reconcile {month} against: no completed synchronisation with "
                f"invoicing covers the whole month. Synchronise {first} to {last} (or a range "
                "that holds it), wait until it is in review, and ask again.",
                title="No manifest for the month")
        books = await _books(uow, company_id, first, last)
        whole_range = (sync.date_from, sync.date_to) == (first, last)
        documents = await _invoicing_documents(uow, sync, first, last, whole_range)
    lines = [
        InvoicingLine(line["direction"], line["dte_type"],
                      Amounts(line["count"], line["net"], line["exempt"], line["vat"],
                              line["total"]))
        for line in sync.manifest.get("lines", [])
        if line.get("month") == month or (line.get("month") is None and whole_range)
    ]
    result = reconcile(lines, documents, books)
    return {
        "month": month, "sync_id": sync.id, "synced_at": sync.created_at,
        "balanced": result.balanced,
        "lines": [{"direction": line.direction, "dte_type": line.dte_type,
                   "invoicing": asdict(line.invoicing), "posted": asdict(line.posted),
                   "pending_review": asdict(line.pending_review), "held": asdict(line.held),
                   "nothing_to_post": asdict(line.nothing_to_post),
                   "difference": {"count": line.difference_count,
                                  "total": line.difference_total}}
                  for line in result.lines],
        "differences": [asdict(d) for d in result.differences],
    }


async def _invoicing_documents(uow: UnitOfWork, sync: ManifestSync, first: date, last: date,
                               whole_range: bool) -> list[InvoicingDocument]:
    """The month's documents of the sync's manifest: rows, read a month at a time."""
    if "documents" in sync.manifest:
        # A session from before manifest pages keeps its documents in the manifest itself.
        return [
            InvoicingDocument(d["document_key"], d["total"]) for d in sync.manifest["documents"]
            if (d.get("issue_date") is None and whole_range)
            or (d.get("issue_date") is not None
                and first <= date.fromisoformat(d["issue_date"]) <= last)
        ]
    return await uow.manifests.documents_between(sync.id, first, last, undated=whole_range)


_REVERSED = ("its entry was reversed and it was not posted again: synchronise it again to "
             "propose it anew")


async def _books(uow: UnitOfWork, company_id: str, first: date, last: date) -> list[BookDocument]:
    latest: dict[str, SyncDocument] = {}
    by_entry: dict[str, SyncDocument] = {}
    documents: dict[str, dict[str, Any]] = {}  # each row's tax document, by row id
    for row in await uow.queries.company_documents_between(company_id, first, last):
        if row.document is None:
            continue  # a payment: the manifest reconciles documents only
        documents[row.id] = row.document
        latest[row.source_key] = row  # oldest first: the last one wins
        if row.entry_id:
            by_entry[row.entry_id] = row
    active = await uow.journal.active_entries_by_key(company_id, latest)
    books = []
    for key, row in latest.items():
        entry = active.get(key)
        if entry is not None:
            status, reason = BookStatus.POSTED, None
            row = by_entry.get(entry.id, row)
        elif row.status == DocumentStatus.READY:
            status, reason = BookStatus.PENDING_REVIEW, None
        elif row.status == DocumentStatus.HELD and row.hold_code == NOTHING_TO_POST:
            status, reason = BookStatus.NOTHING_TO_POST, row.hold_reason
        elif row.status == DocumentStatus.HELD:
            status, reason = BookStatus.HELD, row.hold_reason
        else:
            status, reason = BookStatus.REVERSED, _REVERSED
        doc = documents[row.id]
        books.append(BookDocument(
            key, doc["direction"], doc["dte_type"], doc["folio"],
            Amounts(1, doc["net"], doc["exempt"], doc["vat"], doc["total"]), status, reason,
            entry.number if entry is not None else None))
    return books
