"""One transaction per use case: repositories, the outbox and the inbox share it."""

from collections.abc import Callable

from invoicing.adapters import tables
from invoicing.adapters.repositories import (
    CompanyRepository,
    DocumentRepository,
    IntegrationLinkRepository,
    PaymentRepository,
)
from invoicing.adapters.sync_exports import SyncExportRepository
from shared.unit_of_work import UnitOfWork as BaseUnitOfWork


class UnitOfWork(BaseUnitOfWork):
    outbox_table = tables.outbox
    inbox_table = tables.processed_messages
    repositories = {"companies": CompanyRepository, "documents": DocumentRepository,
                    "links": IntegrationLinkRepository, "payments": PaymentRepository,
                    "exports": SyncExportRepository}
    companies: CompanyRepository
    documents: DocumentRepository
    links: IntegrationLinkRepository
    payments: PaymentRepository
    exports: SyncExportRepository


UnitOfWorkFactory = Callable[[], UnitOfWork]
