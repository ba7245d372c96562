import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy.exc import IntegrityError

from invoicing.domain import documents as rules
from invoicing.domain.companies import company_not_found_detail
from invoicing.domain.documents import Document, DocumentDraft
from invoicing.domain.errors import AlreadyExists, InvalidDocument, NotFound
from invoicing.service_layer.live import stage_live
from invoicing.service_layer.outgoing import invoice_synced
from invoicing.service_layer.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class DocumentPage:
    items: list[Document]
    total: int
    offset: int
    limit: int


async def record(uow: UnitOfWork, company_rut: str, draft: DocumentDraft) -> Document:
    rules.validate(draft)
    document = rules.new_document(str(uuid.uuid4()), company_rut, draft)
    key = (company_rut, draft.direction, document.issuer_rut, draft.dte_type, draft.folio)
    async with uow:
        # No lookups first: the company's foreign key and the unique folio refuse the
        # insert, and only then do we ask which one did. Recording is the live path (a
        # busy company records hundreds a second): two round trips saved on each.
        try:
            if uow.documents.stages_live_in_one_statement and not document.pending_acceptance:
                # One round trip: the insert, the live check and the outbox row together.
                staged = await uow.documents.add_staging_live(
                    document, invoice_synced(document, None))
                uow.staged_outside(staged)
            else:
                await uow.documents.add(document)
                await stage_live([document], uow)
            await uow.commit()
            return document
        except IntegrityError as error:
            await uow.rollback()
            refused = error
        if await uow.companies.get(company_rut) is None:
            raise NotFound(company_not_found_detail(company_rut))
        existing = await uow.documents.find_by_folio(*key)
        if existing is None:  # neither: say what the database said
            raise refused
        raise AlreadyExists(rules.duplicate_detail(company_rut, draft, document.issuer_rut,
                                                   existing),
                            existing_document_id=existing)


async def list_documents(uow: UnitOfWork, company_rut: str, date_from: date | None,
                         date_to: date | None, offset: int, limit: int) -> DocumentPage:
    if date_from is not None and date_to is not None and date_from > date_to:
        raise InvalidDocument(
            f"from ({date_from}) is after to ({date_to}): swap them or widen the range."
        )
    async with uow:
        if await uow.companies.get(company_rut) is None:
            raise NotFound(company_not_found_detail(company_rut))
        total = await uow.documents.count(company_rut, date_from, date_to)
        items = await uow.documents.page(company_rut, date_from, date_to, offset, limit)
    return DocumentPage(items=items, total=total, offset=offset, limit=limit)
