"""Reading the books: journal entries (the balances are reports: service_layer/reports)."""

from dataclasses import asdict
from datetime import date
from typing import Any

from accounting.domain.accounts import with_account_names
from accounting.service_layer.companies import company_or_404
from accounting.service_layer.unit_of_work import Services


async def list_entries(services: Services, company_id: str, date_from: date | None,
                       date_to: date | None, offset: int, limit: int) -> dict[str, Any]:
    async with services.uow() as uow:
        await company_or_404(uow, company_id)
        entries, total, lines = await uow.queries.list_entries(company_id, date_from, date_to,
                                                            offset, limit)
        chart = await uow.companies.chart(company_id)
    items = [{**asdict(entry), "lines": with_account_names(map(asdict, lines[entry.id]), chart)}
             for entry in entries]
    return {"items": items, "total": total, "offset": offset, "limit": limit}

