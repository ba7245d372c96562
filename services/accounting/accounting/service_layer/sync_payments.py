"""A range sync's payments and collections, once every page of the sync is in: each one
whose documents are neither in the session nor posted waits with the reason, so review
shows it before anyone confirms (confirm checks again, under the company's lock, that the
documents did post: accounting.service_layer.posting)."""

from typing import Any

from accounting.domain.payments import AWAITING_DOCUMENT, SyncPayment, not_in_accounting
from accounting.domain.syncs import DocumentStatus, SyncKind
from accounting.service_layer.posting import change
from accounting.service_layer.unit_of_work import UnitOfWork


async def review_payments(uow: UnitOfWork, sync: Any) -> None:
    """Hold the session's ready payments whose documents accounting does not have, and
    make ready again those that waited and whose documents it has now. Changes nothing
    when run again (each completion of the session runs it)."""
    if sync.kind != SyncKind.RANGE:
        return
    rows = await uow.syncs.payments_to_review(sync.id)
    payments = {row.id: SyncPayment.of(row.payment) for row in rows}
    keys = set().union(*(p.keys() for p in payments.values()))
    if not keys:
        return
    present = (await uow.syncs.stored_source_keys(sync.id, keys)
               | await uow.journal.posted_source_keys(sync.company_id, keys))
    changes = []
    for row in rows:
        missing = payments[row.id].missing(present)
        if missing:
            changes.append(change(row.id, DocumentStatus.HELD,
                                  hold_reason=not_in_accounting(missing),
                                  hold_code=AWAITING_DOCUMENT))
        elif row.status == DocumentStatus.HELD:
            changes.append(change(row.id, DocumentStatus.READY))
    await uow.syncs.set_documents(changes)
