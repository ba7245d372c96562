"""What invoicing does with accounting's events.

Each event is handled in one transaction with its inbox claim, so a redelivered event
changes nothing and emits nothing twice; a SyncRequested takes a transaction per page of
documents, and its claim commits with the last (service_layer.sync_export).
"""

import logging

from invoicing.domain.integration import IntegrationLink, Outcome
from invoicing.service_layer.sync_export import export_sync
from invoicing.service_layer.unit_of_work import UnitOfWork, UnitOfWorkFactory
from shared.events import (
    CloudEvent,
    IntegrationApproved,
    IntegrationConflicted,
    IntegrationConflictResolved,
    IntegrationDisconnected,
    IntegrationRejected,
    SyncRequested,
)

log = logging.getLogger(__name__)

# Documents per invoices.synced message: the broker's cost is per message, so pages make
# a sync's delivery cheap; 500 documents are ~300 kB of JSON.
SYNC_PAGE_SIZE = 500

IntegrationAnswer = (
    IntegrationApproved | IntegrationRejected | IntegrationConflicted | IntegrationConflictResolved
)


async def handle_event(uows: UnitOfWorkFactory, event: CloudEvent, *,
                       sync_page_size: int = SYNC_PAGE_SIZE) -> bool:
    """Handle one incoming event in a transaction of its own (a sync request: one per
    page); False if it had already been processed."""
    event_id, payload, uow = event.id, event.payload(), uows()
    if isinstance(payload, SyncRequested):
        return await export_sync(uow, event_id, payload, sync_page_size)
    async with uow:
        if not await uow.claim(event_id, payload.event_type):
            log.info("event %s (%s) was already processed; skipped", event_id,
                     payload.event_type)
            return False
        if isinstance(payload, IntegrationAnswer):
            await _apply_answer(uow, event_id, payload)
        else:
            log.warning("event %s of type %s is not for invoicing; ignored", event_id,
                        payload.event_type)
        await uow.commit()
    return True


def _answer(link: IntegrationLink, payload: IntegrationAnswer):
    match payload:
        case IntegrationApproved():
            return link.approved(payload.request_id, payload.accounting_company_id)
        case IntegrationRejected():
            return link.rejected(payload.request_id, payload.reason)
        case IntegrationConflicted():
            return link.conflicted(payload.request_id, payload.detail)
        case IntegrationConflictResolved():
            return link.conflict_resolved(payload.request_id)


async def _apply_answer(uow: UnitOfWork, event_id: str, payload: IntegrationAnswer) -> None:
    link = await uow.links.get(payload.company_rut, for_update=True)
    if link is None:
        log.warning("%s %s for company %s, which never requested integration; ignored",
                    payload.event_type, event_id, payload.company_rut)
        return
    changed, outcome = _answer(link, payload)
    if outcome is Outcome.STALE:
        log.warning(
            "%s %s answers request %s of company %s, but its current request is %s; ignored",
            payload.event_type, event_id, payload.request_id, payload.company_rut,
            link.request_id,
        )
    elif outcome is Outcome.NOT_APPLICABLE:
        log.warning("%s %s for request %s of company %s comes when the link is %s; ignored",
                    payload.event_type, event_id, payload.request_id, payload.company_rut,
                    link.status)
    else:
        await uow.links.update(changed)
        log.info("integration of company %s is now %s", changed.company_rut, changed.status)
        ended = link.disconnected_by(changed)
        if ended is not None:
            # A change of accountant completed: the old accounting company gets no more.
            await uow.stage([CloudEvent.wrap(IntegrationDisconnected(
                request_id=ended.request_id, company_rut=changed.company_rut,
                contract_rut=ended.contract_rut,
                accounting_company_id=ended.accounting_company_id,
                connected_request_id=changed.request_id), subject=changed.company_rut)])
            log.info("company %s is now connected to accounting company %s (request %s); "
                     "accounting company %s (request %s) is disconnected",
                     changed.company_rut, changed.accounting_company_id, changed.request_id,
                     ended.accounting_company_id, ended.request_id)
