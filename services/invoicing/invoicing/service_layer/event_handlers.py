"""What invoicing does with accounting's events.

Each event is handled in one transaction with its inbox claim, so a redelivered event
changes nothing and emits nothing twice.
"""

import logging

from invoicing.domain.integration import IntegrationLink, Outcome
from invoicing.service_layer.manifest import ManifestBuilder
from invoicing.service_layer.outgoing import invoices_synced, tax_document
from invoicing.service_layer.unit_of_work import UnitOfWork
from shared.events import (
    CloudEvent,
    Contract,
    IntegrationApproved,
    IntegrationConflicted,
    IntegrationConflictResolved,
    IntegrationRejected,
    SyncCompleted,
    SyncRequested,
)

log = logging.getLogger(__name__)

# Documents per invoices.synced message: the broker's cost is per message, so pages make
# a sync's delivery cheap; 500 documents are ~300 kB of JSON.
SYNC_PAGE_SIZE = 500

IntegrationAnswer = (
    IntegrationApproved | IntegrationRejected | IntegrationConflicted | IntegrationConflictResolved
)


async def handle_event(uow: UnitOfWork, event_id: str, payload: Contract, *,
                       sync_page_size: int = SYNC_PAGE_SIZE) -> bool:
    """Handle one incoming event; False if it had already been processed."""
    async with uow:
        if not await uow.claim(event_id, payload.event_type):
            log.info("event %s (%s) was already processed; skipped", event_id,
                     payload.event_type)
            return False
        if isinstance(payload, SyncRequested):
            await _publish_range(uow, payload, sync_page_size)
        elif isinstance(payload, IntegrationAnswer):
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



async def _publish_range(uow: UnitOfWork, payload: SyncRequested, page_size: int) -> None:
    """Every document of the range, a page per message, then the count and the manifest,
    in this one transaction. Only one page of documents is in memory at a time."""
    rut, sync_id = payload.company_rut, payload.sync_id
    count = pages = 0
    manifest = ManifestBuilder()
    if await uow.companies.get(rut) is None:
        # Answer anyway so the sync session in accounting does not wait forever.
        log.warning("sync %s asks for company %s, which invoicing does not know; "
                    "completing it with no documents", sync_id, rut)
    else:
        # From now on the company's new documents go to accounting as they are recorded.
        await uow.links.mark_synced(rut)
        after = None
        while True:
            page = await uow.documents.page_after(rut, payload.date_from, payload.date_to,
                                                  after, page_size)
            if not page:
                break
            documents = [tax_document(d) for d in page]
            pages += 1
            await uow.stage([invoices_synced(documents, sync_id, rut, pages)])
            manifest.add(documents)
            count += len(page)
            last = page[-1]
            after = (last.issue_date, last.folio, last.id)
            if len(page) < page_size:
                break
    completed = SyncCompleted(sync_id=sync_id, company_rut=rut, document_count=count,
                              manifest=manifest.build())
    await uow.stage([CloudEvent.wrap(completed, subject=rut, correlation_id=sync_id)])
    log.info("sync %s of company %s: %d documents in %d pages from %s to %s", sync_id, rut,
             count, pages, payload.date_from, payload.date_to)
