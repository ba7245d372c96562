"""Reading the books: journal entries and the trial balance."""

from dataclasses import asdict
from datetime import date
from typing import Any

from accounting.domain.trial_balance import Movement, trial_balance
from accounting.service_layer.companies import company_or_404
from accounting.service_layer.unit_of_work import Services


async def list_entries(services: Services, company_id: str, date_from: date | None,
                       date_to: date | None, offset: int, limit: int) -> dict[str, Any]:
    async with services.uow() as uow:
        await company_or_404(uow, company_id)
        entries, total, lines = await uow.repo.list_entries(company_id, date_from, date_to,
                                                            offset, limit)
        chart = await uow.repo.chart(company_id)
    items = []
    for entry in entries:
        items.append({
            **entry,
            "lines": [
                {**line, "account_name": chart[line.account_code].name
                 if line.account_code in chart else None}
                for line in lines[entry.id]
            ],
        })
    return {"items": items, "total": total, "offset": offset, "limit": limit}


async def get_trial_balance(services: Services, company_id: str, date_from: date | None,
                            date_to: date | None) -> dict[str, Any]:
    async with services.uow() as uow:
        await company_or_404(uow, company_id)
        movements = await uow.repo.movements(company_id, date_from, date_to)
    balance = trial_balance(
        Movement(m.account_code, m.name, int(m.debit), int(m.credit)) for m in movements
    )
    return {"from": date_from, "to": date_to, "rows": [asdict(r) for r in balance.rows],
            "totals": asdict(balance.totals)}
