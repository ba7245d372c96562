"""Remembered detail accounts: proposed at intake, learnt when a confirm posts a person's
choice, and listed, set and forgotten through the API (domain.remembered).

Applied in accounting's intake, not in the worker: range syncs, live documents and
auto-post all pass through it, the memory changes with every confirm (a cached posting
profile would be stale at once), and a batch needs one query for its counterparties'.
"""

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from accounting.domain.accounts import Account
from accounting.domain.errors import NotFound, Unprocessable
from accounting.domain.remembered import (
    AccountSource,
    DetailDecision,
    NamedRemembered,
    Origin,
    RememberedAccount,
    decide_detail,
    latest_choices,
    remembered_account_problems,
)
from accounting.domain.settings import InvoiceSettings
from accounting.domain.syncs import PostingDocument, SyncSession
from accounting.service_layer.companies import company_or_404
from accounting.service_layer.unit_of_work import Services, UnitOfWork
from shared.internal_api import LineRole, Proposal
from shared.rut import format_rut

# What a proposal became at intake: its (possibly changed) self, where its detail account
# came from (None: it has none), and the note that says why.
Proposed = tuple[Proposal, AccountSource | None, str | None]


async def propose(uow: UnitOfWork, company_id: str, proposals: Sequence[Proposal],
                  chart: dict[str, Account]) -> list[Proposed]:
    """The proposals with the remembered detail account of their counterparty in place of
    the default: the company's memory for the batch's RUTs is read once."""
    ruts = {p.document.counterparty.rut for p in proposals
            if p.entry is not None and p.document is not None}
    remembered = await uow.remembered.for_counterparties(company_id, ruts) if ruts else {}
    settings = await uow.settings.get_settings(company_id) if remembered else InvoiceSettings()
    defaults = {"sales": settings.sales_detail, "purchases": settings.purchases_detail}
    # A counterparty's documents of a batch come to the same decision: made once each.
    decisions: dict[tuple[str, str, tuple[str, ...]], DetailDecision] = {}
    out: list[Proposed] = []
    for proposal in proposals:
        details = () if proposal.entry is None else tuple([
            line.account_code for line in proposal.entry.lines if line.role == LineRole.DETAIL])
        if not details or proposal.document is None:
            out.append((proposal, None, None))
            continue
        if not remembered:  # most batches: nothing to decide
            out.append((proposal, AccountSource.SETTINGS, None))
            continue
        document = proposal.document
        default = defaults[document.direction]
        key = (document.direction, document.counterparty.rut, details)
        decision = decisions.get(key)
        if decision is None:
            decision = decisions[key] = decide_detail(
                details, default, remembered.get(key[:2]), chart)
        if decision.account_code is not None and proposal.entry is not None:
            # In place: the batch was parsed for this request alone and intake reads it
            # once; copying 2,000 proposals three models deep cost more than the rest of it.
            for line in proposal.entry.lines:
                if line.role == LineRole.DETAIL and line.account_code == default:
                    line.account_code = decision.account_code
        out.append((proposal, decision.source, decision.note))
    return out


async def learn(uow: UnitOfWork, sync: SyncSession, posted: Sequence[PostingDocument]
                ) -> None:
    """Remember the detail accounts people chose on the documents being posted (called
    with them, in posting order, in the transaction that posts them). Documents nobody
    changed cost nothing: a page of a confirm without a choice makes no query."""
    chosen = [d.id for d in posted if d.account_source == AccountSource.CHOSEN]
    if not chosen:
        return
    now = datetime.now(UTC)
    choices = []
    for row in await uow.remembered.chosen_documents(chosen):
        document, entry = row.document, row.entry
        codes = [line["account_code"] for line in entry["lines"]
                 if line["role"] == LineRole.DETAIL]
        if document is None or not codes:
            continue
        choices.append(RememberedAccount(
            direction=document["direction"], counterparty_rut=document["counterparty"]["rut"],
            account_code=codes[0], origin=Origin.REVIEW, chosen_at=now, sync_id=str(sync.id),
            source_key=row.source_key))
    await uow.remembered.remember(sync.company_id, latest_choices(choices))


# --- the API ---------------------------------------------------------------------------


def view(named: NamedRemembered) -> dict[str, Any]:
    remembered = named.remembered
    return {"direction": remembered.direction, "counterparty_rut": remembered.counterparty_rut,
            "counterparty_name": named.counterparty_name,
            "account_code": remembered.account_code, "account_name": named.account_name,
            "origin": remembered.origin, "chosen_at": remembered.chosen_at,
            "sync_id": remembered.sync_id, "source_key": remembered.source_key}


async def list_remembered(services: Services, company_id: str, direction: str | None,
                          counterparty_rut: str | None, offset: int,
                          limit: int) -> dict[str, Any]:
    async with services.uow() as uow:
        await company_or_404(uow, company_id)
        rows, total = await uow.remembered.page(company_id, direction, counterparty_rut,
                                                offset, limit)
    return {"items": [view(r) for r in rows], "total": total, "offset": offset,
            "limit": limit}


async def get_remembered(services: Services, company_id: str, direction: str,
                         counterparty_rut: str) -> dict[str, Any]:
    async with services.uow() as uow:
        await company_or_404(uow, company_id)
        return await _one(uow, company_id, direction, counterparty_rut)


async def set_remembered(services: Services, company_id: str, direction: str,
                         counterparty_rut: str, account_code: str) -> dict[str, Any]:
    async with services.uow() as uow:
        await company_or_404(uow, company_id)
        chart = await uow.companies.chart(company_id)
        problems = remembered_account_problems(direction, account_code, chart)
        if problems:
            raise Unprocessable(
                f"Account {account_code} cannot be remembered as the {direction} detail "
                f"account of {format_rut(counterparty_rut)}: " + "; ".join(problems),
                errors=[{"field": "account_code", "message": p} for p in problems])
        await uow.remembered.remember(company_id, [RememberedAccount(
            direction=direction, counterparty_rut=counterparty_rut, account_code=account_code,
            origin=Origin.API, chosen_at=datetime.now(UTC))])
        await uow.commit()
        return await _one(uow, company_id, direction, counterparty_rut)


async def forget(services: Services, company_id: str, direction: str,
                 counterparty_rut: str) -> None:
    async with services.uow() as uow:
        await company_or_404(uow, company_id)
        if not await uow.remembered.forget(company_id, direction, counterparty_rut):
            raise NotFound(_nothing(direction, counterparty_rut))
        await uow.commit()


async def _one(uow: UnitOfWork, company_id: str, direction: str,
               counterparty_rut: str) -> dict[str, Any]:
    rows, _ = await uow.remembered.page(company_id, direction, counterparty_rut, 0, 1)
    if not rows:
        raise NotFound(_nothing(direction, counterparty_rut))
    return view(rows[0])


def _nothing(direction: str, counterparty_rut: str) -> str:
    return (f"No detail account is remembered for the {direction} of "
            f"{format_rut(counterparty_rut)}: their documents are proposed with the "
            "settings' default. Set one with PUT, or change a document's detail account in "
            "a sync's review and confirm it.")
