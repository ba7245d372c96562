"""One journal entry, and reversing it: a new entry with the lines swapped.

The original is never edited (it only gains the link to its reversal). Once reversed, its
document is no longer posted, so syncing it again proposes it anew.
"""

import uuid
from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import Any

from accounting.domain.accounts import with_account_names
from accounting.domain.errors import Conflict, NotFound, Unprocessable
from accounting.domain.journal import JournalEntry
from accounting.domain.periods import month_of
from accounting.service_layer.posting import line_rows
from accounting.service_layer.unit_of_work import Services, UnitOfWork
from shared.events import EntryPosted

REVERSAL_PREFIX = "reversal:"


async def get_entry(services: Services, entry_id: str) -> dict[str, Any]:
    async with services.uow() as uow:
        entry = await _entry(uow, entry_id)
        return await entry_view(uow, entry)


async def reverse(services: Services, entry_id: str, reason: str | None,
                  on: date | None) -> dict[str, Any]:
    day = on or datetime.now(UTC).date()
    async with services.uow() as uow:
        # The company's row before the entry's (repository.py, LOCK ORDER), as posting does.
        company_id = (await _entry(uow, entry_id)).company_id
        company = await uow.companies.get_company(company_id, lock=True)
        if company is None:  # an entry's company is never removed (a deleted one stays)
            raise NotFound(f"There is no company with id {company_id}.")
        original = await _entry(uow, entry_id, lock=True)
        label = f"comprobante N° {original.number}"
        if original.reversed_by_entry_id:
            reversal = await _entry(uow, original.reversed_by_entry_id)
            raise Conflict(f"The {label} was already reversed by comprobante N° "
                           f"{reversal.number} (id {reversal.id}); an entry is reversed once.",
                           title="Entry already reversed", reversed_by_entry_id=reversal.id)
        if original.reverses_entry_id:
            raise Conflict(f"The {label} is itself a reversal (of entry "
                           f"{original.reverses_entry_id}); to post that document again, "
                           "synchronise it again instead.", title="Entry is a reversal")
        if day < original.entry_date:
            problem = (f"the reversal date {day} is before the entry's date "
                       f"{original.entry_date}: reverse it on or after that date")
            raise Unprocessable(f"The {label} cannot be reversed then: {problem}.",
                                errors=[{"field": "date", "message": problem}])
        month = month_of(day)
        if month in await uow.journal.closed_months(original.company_id):
            raise Conflict(f"Period {month} is closed, so the reversal of the {label} cannot "
                           f"be posted on {day}: reopen {month}, or give a date in an open "
                           "period.", title="Period closed")
        lines = (await uow.journal.entry_lines([entry_id]))[entry_id]
        number = await uow.journal.take_entry_numbers(original.company_id, 1)
        reversal_id = str(uuid.uuid4())
        glosa = f"Reversa del comprobante N° {original.number}: {original.glosa}"[:300]
        await uow.journal.add_entries(
            [{"id": reversal_id, "company_id": original.company_id, "number": number,
              "entry_date": day, "kind": original.kind, "glosa": glosa,
              "source_key": REVERSAL_PREFIX + entry_id, "sync_id": None,
              "total": original.total, "created_at": datetime.now(UTC),
              "reverses_entry_id": entry_id, "reversal_reason": reason}],
            line_rows(reversal_id, [{**asdict(line), "debit": line.credit,
                                     "credit": line.debit} for line in lines]),
        )
        await uow.journal.mark_reversed(entry_id, reversal_id)
        link = await uow.companies.link_for_company(original.company_id)
        uow.emit(EntryPosted(entry_id=reversal_id, accounting_company_id=original.company_id,
                             company_rut=link.company_rut if link else company.rut,
                             number=number, entry_date=day, kind=original.kind,
                             source_key=REVERSAL_PREFIX + entry_id, total=original.total),
                 subject=reversal_id)
        await uow.commit()
        return await entry_view(uow, await _entry(uow, reversal_id))


async def entry_view(uow: UnitOfWork, entry: JournalEntry) -> dict[str, Any]:
    lines = (await uow.journal.entry_lines([entry.id]))[entry.id]
    chart = await uow.companies.chart(entry.company_id)
    return {**asdict(entry), "lines": with_account_names(map(asdict, lines), chart)}


async def _entry(uow: UnitOfWork, entry_id: str, *, lock: bool = False) -> JournalEntry:
    entry = await uow.journal.get_entry(entry_id, lock=lock)
    if entry is None:
        raise NotFound(f"There is no journal entry with id {entry_id}.")
    return entry
