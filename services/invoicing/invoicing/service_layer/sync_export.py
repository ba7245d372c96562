"""Answering SyncRequested: every document of the range, a page per transaction, then
every payment and collection paid in the range (invoicing.payments.synced pages).

Each page of documents commits in its own transaction with its two outbox rows (the
invoices.synced page and the sync.manifest page that lists it) and the export's new
cursor, page count and running totals (sync_exports). So the relay publishes the first
page while the next is read, memory holds one page, and nothing waits for the whole
range to be read. The payments' pages follow the last page of documents, each its own
transaction with the payments' cursor (accounting does not depend on that order: it checks
a payment's documents once the whole sync is in). If the process dies half way, the
redelivered request goes on after the last committed page: no page is lost or sent twice.
The last page commits with sync.completed and the request's inbox claim, so a delivery
after that changes nothing; a new request for a finished export (accounting's resume)
sends sync.completed again.

Documents go only to the accounting company the company's link is approved for: a request
from any other is answered with sync.refused (its reason, so the session in accounting
does not wait forever) and nothing else, checked again before every page.
"""

import logging

from invoicing.domain.integration import never_requested_refusal
from invoicing.domain.sync_exports import SyncExport
from invoicing.service_layer.outgoing import (
    invoices_synced,
    payments_synced,
    sync_completed,
    sync_manifest_page,
    sync_refused,
    tax_document,
)
from invoicing.service_layer.unit_of_work import UnitOfWork
from shared.events import SyncRequested

log = logging.getLogger(__name__)


async def export_sync(uow: UnitOfWork, event_id: str, request: SyncRequested,
                      page_size: int) -> bool:
    """Export (or go on exporting) the requested range; False if it was already done."""
    async with uow:
        if await uow.processed(event_id):
            log.info("event %s (%s) was already processed; skipped", event_id,
                     request.event_type)
            return False
    while True:
        async with uow:
            # Checked on every page: a change of accountant approved half way through
            # stops the export to the accounting company that is no longer connected.
            refusal = await _refusal(uow, request)
            if refusal is not None:
                await uow.stage([sync_refused(request, refusal)])
                await uow.claim(event_id, request.event_type)
                await uow.commit()
                log.warning("sync %s asked by accounting company %s for company %s refused: %s",
                            request.sync_id, request.accounting_company_id,
                            request.company_rut, refusal)
                return True
            export, known = await _locked_export(uow, request)
            if export.completed:
                # Finished by an earlier delivery of the request: nothing more to send. A
                # request of its own (accounting resuming a session that never heard the
                # end) gets the completion again: accounting applies it once.
                if await uow.claim(event_id, request.event_type):
                    await uow.stage([sync_completed(export)])
                await uow.commit()
                log.info("sync %s was already exported (%d documents); event %s sent its "
                         "completion again", export.sync_id, export.document_count, event_id)
                return False
            if not known:
                export.documents_done = export.completed = True
            elif not export.documents_done:
                # A short page is the last; a full one may be too, and the next (empty)
                # says so. The payments follow in the next transactions.
                export.documents_done = await _documents_page(uow, export, page_size)
            else:
                export.completed = await _payments_page(uow, export, page_size)
            if export.completed:
                await uow.stage([sync_completed(export)])
                await uow.claim(event_id, request.event_type)
            await uow.exports.save(export)
            await uow.commit()
        if export.completed:
            log.info("sync %s of company %s: %d documents in %d pages and %d payments in %d "
                     "pages from %s to %s", export.sync_id, export.company_rut,
                     export.document_count, export.pages, export.payment_count,
                     export.payment_pages, export.date_from, export.date_to)
            return True


async def _documents_page(uow: UnitOfWork, export: SyncExport, page_size: int) -> bool:
    """Stage the next page of documents and its manifest page; whether it was the last."""
    page = await uow.documents.page_after(export.company_rut, export.date_from,
                                          export.date_to, export.after, page_size)
    if page:
        documents = [tax_document(d) for d in page]
        number = export.sent(page)
        await uow.stage([
            invoices_synced(documents, export.sync_id, export.company_rut, number),
            sync_manifest_page(documents, export.sync_id, export.company_rut, number),
        ])
    return len(page) < page_size


async def _payments_page(uow: UnitOfWork, export: SyncExport, page_size: int) -> bool:
    """Stage the next page of payments and collections paid in the range; whether it was
    the last. Those a connected company recorded went live too: accounting keeps one
    entry per payment id, so sending them again here posts nothing twice."""
    page = await uow.payments.page_after(export.company_rut, export.date_from,
                                         export.date_to, export.payments_after, page_size)
    if page:
        number = export.sent_payments(page)
        await uow.stage([payments_synced(page, export.sync_id, export.company_rut, number)])
    return len(page) < page_size


async def _refusal(uow: UnitOfWork, request: SyncRequested) -> str | None:
    """Why invoicing sends this request nothing: documents go only to the accounting
    company the company's integration is approved for (never because a message named
    one). A company invoicing does not know has no documents to send and is answered
    with an empty sync, as before."""
    link = await uow.links.get(request.company_rut)
    if link is None:
        if await uow.companies.get(request.company_rut) is None:
            return None
        return never_requested_refusal(request.company_rut)
    return link.sync_refusal(request.accounting_company_id)


async def _locked_export(uow: UnitOfWork, request: SyncRequested) -> tuple[SyncExport, bool]:
    """The request's export, locked for this transaction (started on its first delivery),
    and whether invoicing knows the company."""
    export = await uow.exports.lock(request.sync_id)
    if export is not None:
        return export, True  # it was started, so the company existed
    await uow.exports.add(SyncExport(request.sync_id, request.company_rut, request.date_from,
                                     request.date_to))
    # Read back: a concurrent delivery may have started it first (and sent pages since).
    export = await uow.exports.lock(request.sync_id)
    assert export is not None, "added just above, in this transaction"
    if export.pages:
        return export, True
    if await uow.companies.get(request.company_rut) is None:
        # Answer anyway so the sync session in accounting does not wait forever.
        log.warning("sync %s asks for company %s, which invoicing does not know; "
                    "completing it with no documents", request.sync_id, request.company_rut)
        return export, False
    # From now on the company's new documents go to accounting as they are recorded; one
    # recorded in the range meanwhile may also come in a later page, and accounting keeps
    # a document once per session and posts a key once.
    await uow.links.mark_synced(request.company_rut)
    return export, True
