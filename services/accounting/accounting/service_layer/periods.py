"""Closing and reopening months. Nothing posts into a closed month; what waited for it is
ready again once it is reopened (and posted at once in a live session with auto-post)."""

from datetime import UTC, datetime
from typing import Any

from accounting.domain.errors import Unprocessable
from accounting.domain.periods import Period, PeriodStatus, month_bounds
from accounting.domain.syncs import CLOSED, DocumentStatus, SyncKind
from accounting.service_layer.companies import company_or_404
from accounting.service_layer.posting import change, post_documents
from accounting.service_layer.unit_of_work import Services, UnitOfWork


def _bounds(month: str) -> None:
    try:
        month_bounds(month)
    except ValueError as error:
        raise Unprocessable(str(error), errors=[{"field": "month", "message": str(error)}]) \
            from None


async def list_periods(services: Services, company_id: str) -> list[dict[str, Any]]:
    """Every month that has entries or was ever closed, oldest first."""
    async with services.uow() as uow:
        await company_or_404(uow, company_id)
        rows = {r.month: r for r in await uow.journal.list_periods(company_id)}
        entries = await uow.journal.entry_months(company_id)
    return [_view(month, rows.get(month), entries.get(month, 0))
            for month in sorted(rows.keys() | entries.keys())]


async def close(services: Services, company_id: str, month: str) -> dict[str, Any]:
    _bounds(month)
    async with services.uow() as uow:
        await company_or_404(uow, company_id, lock=True)
        now = datetime.now(UTC)
        current = {r.month: r for r in await uow.journal.list_periods(company_id)}.get(month)
        # Closing twice changes nothing.
        if current is None or current.status != PeriodStatus.CLOSED:
            await uow.journal.set_period(company_id, month, status=PeriodStatus.CLOSED,
                                         closed_at=now)
        await uow.commit()
    return await _one(services, company_id, month)


async def reopen(services: Services, company_id: str, month: str) -> dict[str, Any]:
    _bounds(month)
    async with services.uow() as uow:
        # Live session before company, the order posting locks them in.
        await uow.syncs.open_live_sync(company_id, lock=True)
        await company_or_404(uow, company_id, lock=True)
        current = {r.month: r for r in await uow.journal.list_periods(company_id)}.get(month)
        if current is not None and current.status == PeriodStatus.CLOSED:
            await uow.journal.set_period(company_id, month, status=PeriodStatus.OPEN,
                                      reopened_at=datetime.now(UTC))
            await _release(uow, company_id, month)
        await uow.commit()
    return await _one(services, company_id, month)


async def _release(uow: UnitOfWork, company_id: str, month: str) -> None:
    """Documents that waited only for this month become ready; auto-post posts live ones."""
    first, last = month_bounds(month)
    waiting = await uow.syncs.held_for_closed_period(company_id, first, last)
    if not waiting:
        return
    await uow.syncs.set_documents([change(d.id, DocumentStatus.READY) for d in waiting])
    if not (await uow.settings.get_options(company_id)).auto_post:
        return
    live = [d for d in waiting if d.sync_kind == SyncKind.LIVE
            and d.sync_status not in CLOSED]
    if live:
        # Its documents were just read, so their session exists (none is ever deleted).
        sync = await uow.syncs.get_sync(live[0].sync_id, lock=True)
        assert sync is not None
        await post_documents(uow, sync, await uow.syncs.documents_by_id([d.id for d in live]))


async def _one(services: Services, company_id: str, month: str) -> dict[str, Any]:
    async with services.uow() as uow:
        row = {r.month: r for r in await uow.journal.list_periods(company_id)}.get(month)
        entries = (await uow.journal.entry_months(company_id)).get(month, 0)
    return _view(month, row, entries)


def _view(month: str, row: Period | None, entries: int) -> dict[str, Any]:
    return {"month": month, "status": (row.status if row else PeriodStatus.OPEN).value,
            "closed_at": row.closed_at if row else None,
            "reopened_at": row.reopened_at if row else None, "entries": entries}
