"""After a company's first sync, each document it records goes to accounting at once."""

from collections.abc import Sequence

from invoicing.domain.documents import Document
from invoicing.service_layer.outgoing import invoice_synced
from invoicing.service_layer.unit_of_work import UnitOfWork


async def stage_live(documents: Sequence[Document], uow: UnitOfWork) -> None:
    """Stage InvoiceSynced (no sync id) for new documents, in the caller's transaction.
    One pending acceptance is not a purchase of the books yet: it goes once accepted."""
    documents = [d for d in documents if not d.pending_acceptance]
    if documents and await flows_live(uow, documents[0].company_rut):
        await uow.stage(invoice_synced(d, None) for d in documents)


async def flows_live(uow: UnitOfWork, company_rut: str) -> bool:
    link = await uow.links.get(company_rut)
    return link is not None and link.flows_live
