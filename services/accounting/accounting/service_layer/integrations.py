"""The integrations list and connecting: opening a sync session for a date range."""

import logging
import uuid
from datetime import UTC, date, datetime
from typing import Any

from accounting.domain.companies import Company
from accounting.domain.errors import Conflict, Unprocessable
from accounting.domain.integrations import (
    CONNECTOR_KEY,
    CONNECTOR_NAME,
    IntegrationLink,
    RequestStatus,
    cannot_connect_detail,
    connector_missing,
)
from accounting.domain.syncs import SyncKind, SyncSession, SyncStatus, range_problem
from accounting.service_layer.companies import company_or_404
from accounting.service_layer.syncs import sync_view
from accounting.service_layer.unit_of_work import Services, UnitOfWork
from shared.events import SyncRequested
from shared.observability.correlation import current_correlation_id, set_correlation_id

log = logging.getLogger(__name__)


async def list_integrations(services: Services, company_id: str) -> list[dict[str, Any]]:
    async with services.uow() as uow:
        company = await company_or_404(uow, company_id)
        status, _ = await _request_status(uow, company)
        settings = await uow.settings.get_settings(company_id)
        missing = connector_missing(status, settings)
        last_sync = await uow.syncs.last_sync(company_id)
    return [{
        "key": CONNECTOR_KEY,
        "name": CONNECTOR_NAME,
        "request_status": status or "none",
        "settings_configured": settings.configured,
        "can_connect": not missing,
        "missing": missing,
        "last_sync_id": last_sync.id if last_sync else None,
    }]


async def request_sync(services: Services, company_id: str, date_from: date,
                       date_to: date) -> dict[str, Any]:
    problem = range_problem(date_from, date_to)
    if problem:
        raise Unprocessable(f"The date range cannot be synchronised: {problem}.",
                            errors=[{"field": "to", "message": problem}])
    async with services.uow() as uow:
        company = await company_or_404(uow, company_id)
        status, link = await _request_status(uow, company)
        missing = connector_missing(status, await uow.settings.get_settings(company_id))
        if missing:
            raise Conflict(cannot_connect_detail(missing), title="Cannot connect yet",
                           missing=missing)
        assert link is not None  # approved: connector_missing names it otherwise
        # The company's lock makes two requests at once see each other's session.
        await uow.companies.get_company(company_id, lock=True)
        await _refuse_while_delivering(uow, company_id, date_from, date_to)
        now = datetime.now(UTC)
        sync = SyncSession(
            id=str(uuid.uuid4()), company_id=company_id, company_rut=link.company_rut,
            kind=SyncKind.RANGE, date_from=date_from, date_to=date_to,
            status=SyncStatus.REQUESTED, expected=None, received=0, created_at=now,
            confirmed_at=None, progress_at=now)
        await uow.syncs.add_sync(sync)
        # From here on the sync's id is the correlation id: its events carry it through
        # invoicing, the worker and back, so one grep follows the whole sync.
        log.info("sync session %s requested for company %s (%s to %s), request %s",
                 sync.id, company_id, date_from, date_to, current_correlation_id())
        set_correlation_id(sync.id)
        uow.emit(SyncRequested(sync_id=sync.id, accounting_company_id=company_id,
                               company_rut=link.company_rut, date_from=date_from,
                               date_to=date_to),
                 subject=sync.id, correlation_id=sync.id)
        await uow.commit()
    log.info("sync session %s requested from invoicing", sync.id)
    return sync_view(sync, {})


async def _refuse_while_delivering(uow: UnitOfWork, company_id: str, date_from: date,
                                   date_to: date) -> None:
    """A second sync of dates a session is still receiving would export and deliver those
    documents again: 409, naming the session to follow (or resume) instead."""
    open_sync = await uow.syncs.delivering_overlapping(company_id, date_from, date_to)
    if open_sync is None:
        return
    raise Conflict(
        f"Sync session {open_sync.id} ({open_sync.date_from} to {open_sync.date_to}) is still "
        f"receiving these dates' documents ({open_sync.status}, {open_sync.received} so far): "
        f"follow it at /v1/syncs/{open_sync.id} (POST /v1/syncs/{open_sync.id}/resume if it "
        "is stalled), or synchronise dates it does not cover.",
        title="A sync of these dates is already open", sync_id=str(open_sync.id))


async def _request_status(uow: UnitOfWork, company: Company
                          ) -> tuple[RequestStatus | None, IntegrationLink | None]:
    """The company's request status and, when approved, its link to invoicing."""
    link = await uow.companies.link_for_company(company.id)
    if link is not None:
        return RequestStatus.APPROVED, link
    latest = await uow.companies.latest_request(company.contract_rut, company.rut)
    if latest is None:
        return None, None
    if latest.status == RequestStatus.APPROVED:
        if latest.company_id == company.id:
            # Approved for this company, but the invoicing company's link moved on (a newer
            # approval elsewhere): disconnected, even before invoicing confirms it.
            return RequestStatus.DISCONNECTED, None
        # Approved for another company with the same RUT: not this one's integration.
        return None, None
    return RequestStatus(latest.status), None
