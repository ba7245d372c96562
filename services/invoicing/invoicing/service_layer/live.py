"""After a company's first sync, each document it records goes to accounting at once."""

from collections.abc import Sequence

from invoicing.domain.documents import Document
from invoicing.service_layer.outgoing import invoice_synced
from invoicing.service_layer.unit_of_work import UnitOfWork


async def stage_live(documents: Sequence[Document], uow: UnitOfWork) -> None:
    """Stage InvoiceSynced (no sync id) for new documents, in the caller's transaction.
    One pending acceptance is not a purchase of the books yet: it goes once accepted."""
    documents = [d for d in documents if not d.pending_acceptance]
    if not documents:
        return
    link = await uow.links.get(documents[0].company_rut)
    if link is not None and link.flows_live:
        await uow.stage(invoice_synced(d, None) for d in documents)
