"""The events invoicing publishes about its documents and payments, built from its domain."""

from dataclasses import asdict

from invoicing.domain.documents import Document
from invoicing.domain.payments import Payment
from invoicing.domain.sync_exports import SyncExport
from invoicing.service_layer.manifest import manifest_documents, manifest_lines
from shared.events import (
    CloudEvent,
    Counterparty,
    DocumentReference,
    ForeignCurrencyAmount,
    InvoicesSynced,
    InvoiceSynced,
    OtherTax,
    PaymentRecorded,
    SyncCompleted,
    SyncManifest,
    SyncManifestPage,
    SyncRefused,
    SyncRequested,
    TaxDocument,
    VatBreakdown,
)


def tax_document(document: Document) -> TaxDocument:
    return TaxDocument(
        document_id=document.id,
        company_rut=document.company_rut,
        direction=document.direction,
        dte_type=document.dte_type,
        folio=document.folio,
        issue_date=document.issue_date,
        issuer_rut=document.issuer_rut,
        counterparty=Counterparty(rut=document.counterparty.rut,
                                  name=document.counterparty.name),
        net=document.net,
        exempt=document.exempt,
        vat=document.vat,
        total=document.total,
        references=tuple(
            DocumentReference(dte_type=r.dte_type, folio=r.folio, issue_date=r.issue_date,
                              code=r.code, reason=r.reason)
            for r in document.references
        ),
        other_taxes=tuple(OtherTax(code=t.code, rate=t.rate, amount=t.amount)
                          for t in document.other_taxes),
        vat_retained=document.vat_retained,
        foreign_currency=None if (foreign := document.foreign_currency) is None else
        ForeignCurrencyAmount(currency=foreign.currency, total=foreign.total,
                              exchange_rate=foreign.exchange_rate),
        received_on=document.received_on,
        vat_breakdown=None if document.vat_breakdown is None else VatBreakdown(
            **asdict(document.vat_breakdown)),
        construction_credit=document.construction_credit,
        container_deposit=document.container_deposit,
    )


def invoice_synced(document: Document, sync_id: str | None) -> CloudEvent:
    """A document for accounting: in answer to a sync, or live (sync_id None)."""
    return CloudEvent.wrap(InvoiceSynced(sync_id=sync_id, document=tax_document(document)),
                           subject=document.company_rut,
                           correlation_id=sync_id or document.id)


def invoices_synced(documents: list[TaxDocument], sync_id: str, company_rut: str,
                    page: int) -> CloudEvent:
    """One page of a sync's documents: one message instead of one per document."""
    return CloudEvent.wrap(InvoicesSynced(sync_id=sync_id, company_rut=company_rut, page=page,
                                          documents=tuple(documents)),
                           subject=company_rut, correlation_id=sync_id)


def sync_manifest_page(documents: list[TaxDocument], sync_id: str, company_rut: str,
                       page: int) -> CloudEvent:
    """The manifest's part for one page of documents: their keys and totals."""
    return CloudEvent.wrap(SyncManifestPage(sync_id=sync_id, company_rut=company_rut, page=page,
                                            documents=manifest_documents(documents)),
                           subject=company_rut, correlation_id=sync_id)


def sync_completed(export: SyncExport) -> CloudEvent:
    """The count and the manifest's totals; its documents went in ``export.pages`` pages."""
    completed = SyncCompleted(sync_id=export.sync_id, company_rut=export.company_rut,
                              document_count=export.document_count,
                              manifest=SyncManifest(lines=manifest_lines(export.totals)),
                              manifest_pages=export.pages)
    return CloudEvent.wrap(completed, subject=export.company_rut, correlation_id=export.sync_id)


def sync_refused(request: SyncRequested, reason: str) -> CloudEvent:
    """No documents for this request: the accounting company that asked is not connected."""
    refused = SyncRefused(sync_id=request.sync_id, company_rut=request.company_rut,
                          accounting_company_id=request.accounting_company_id, reason=reason)
    return CloudEvent.wrap(refused, subject=request.company_rut, correlation_id=request.sync_id)


def payment_recorded(payment: Payment) -> CloudEvent:
    recorded = PaymentRecorded(
        payment_id=payment.id, company_rut=payment.company_rut, kind=payment.kind.value,
        counterparty=Counterparty(rut=payment.counterparty.rut, name=payment.counterparty.name),
        amount=payment.amount, paid_on=payment.paid_on,
        documents=tuple(DocumentReference(dte_type=r.dte_type, folio=r.folio,
                                          issue_date=r.issue_date) for r in payment.documents),
    )
    return CloudEvent.wrap(recorded, subject=payment.company_rut, correlation_id=payment.id)
