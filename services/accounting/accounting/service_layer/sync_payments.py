"""A range sync's payments and collections, once every page of the sync is in: each one
whose documents are neither in the session nor posted waits with the reason, so review
shows it before anyone confirms (confirm checks again, under the company's lock, that the
documents did post: accounting.service_layer.posting)."""

from accounting.domain.classification import Context, Document, Stage, classify
from accounting.domain.payments import SyncPayment
from accounting.domain.syncs import DocumentStatus, SyncKind, SyncSession
from accounting.service_layer.posting import change
from accounting.service_layer.unit_of_work import UnitOfWork


async def review_payments(uow: UnitOfWork, sync: SyncSession) -> None:
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
    context = Context(Stage.REVIEW, settled=present)
    changes = []
    for row in rows:
        decision = classify(Document(settles=payments[row.id]), context)
        if not decision.postable:
            changes.append(change(row.id, decision.status, hold_reason=decision.reason,
                                  hold_code=decision.code))
        elif row.status == DocumentStatus.HELD:
            changes.append(change(row.id, DocumentStatus.READY))
    await uow.syncs.set_documents(changes)
