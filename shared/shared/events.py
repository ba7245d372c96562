"""Event contracts: a CloudEvents 1.0 envelope around typed, versioned payloads.

The event ``type`` is also the AMQP routing key (``invoicing.invoice.synced.v1``) and
the envelope ``id`` is the AMQP ``message_id``. A contract only grows compatibly within
a version: new optional fields, never a removed or re-typed one.
"""

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from functools import cache
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from shared.money import Pesos
from shared.observability.correlation import current_correlation_id
from shared.rut import Rut
from shared.text import IDENTIFIER_MAX_LENGTH


class Contract(BaseModel):
    """Base of every event payload; subclasses name their CloudEvents type."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    event_type: ClassVar[str]
    source: ClassVar[str]


class CloudEvent(BaseModel):
    """The envelope every message travels in (CloudEvents 1.0, JSON structured mode)."""

    model_config = ConfigDict(extra="allow")

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(default_factory=lambda: str(uuid.uuid4()))
    source: str
    type: str
    time: datetime = Field(default_factory=lambda: datetime.now(UTC))
    subject: str | None = None
    datacontenttype: Literal["application/json"] = "application/json"
    correlationid: str | None = Field(
        default=None, description="CloudEvents extension: follows one flow across services"
    )
    data: dict[str, Any]

    @classmethod
    def wrap(
        cls, payload: Contract, *, subject: str | None = None, correlation_id: str | None = None
    ) -> "CloudEvent":
        """``correlation_id`` defaults to the current one (the request's or the consumed
        event's), so an event carries the id of the work that caused it."""
        return cls(
            source=payload.source,
            type=payload.event_type,
            subject=subject,
            correlationid=correlation_id or current_correlation_id(),
            data=payload.model_dump(mode="json"),
        )

    def payload(self) -> Contract:
        """The typed payload; raises pydantic.ValidationError if it breaks its contract."""
        model = CONTRACTS.get(self.type)
        if model is None:
            raise UnknownEventType(self.type)
        return model.model_validate(self.data)


class UnknownEventType(ValueError):
    def __init__(self, event_type: str) -> None:
        super().__init__(f"no contract for event type '{event_type}'")
        self.event_type = event_type


# --- shared value types -----------------------------------------------------------


class Direction(StrEnum):
    SALES = "sales"
    PURCHASES = "purchases"


class Counterparty(BaseModel):
    model_config = ConfigDict(frozen=True)
    rut: Rut
    name: str = Field(min_length=1, max_length=200)


class DocumentReference(BaseModel):
    """A reference from a credit/debit note to the document it amends."""

    model_config = ConfigDict(frozen=True)
    dte_type: int = Field(ge=1, le=999)
    folio: int = Field(ge=1)
    issue_date: date | None = None
    code: Literal[1, 2, 3] | None = Field(
        default=None, description="1 anula, 2 corrige texto, 3 corrige montos"
    )
    reason: str | None = Field(default=None, max_length=200)


class OtherTax(BaseModel):
    """An additional tax on a document (ILA, impuesto específico…), as the DTE's ImptoReten."""

    model_config = ConfigDict(frozen=True)
    code: int = Field(ge=1, le=999, description="SII tax code (TipoImp), e.g. 24 ILA licores")
    rate: float | None = Field(default=None, ge=0, description="percentage (TasaImp), e.g. 31.5")
    amount: Pesos


class ForeignCurrencyAmount(BaseModel):
    """What a document issued in another currency states there (exports 110-112)."""

    model_config = ConfigDict(frozen=True)
    currency: str = Field(min_length=1, max_length=30, examples=["DOLAR USA"],
                          description="the DTE's TpoMoneda")
    total: Decimal = Field(ge=0, max_digits=24, examples=["30276.00"],
                           description="MntTotal in that currency, as stated (a decimal string)")
    exchange_rate: Decimal | None = Field(
        default=None, gt=0, max_digits=24, examples=["950.45"],
        description="TpoCambio: pesos per unit of the currency; null when the DTE gave the "
                    "pesos (MntTotOtrMnda) without it")


class VatBreakdown(BaseModel):
    """A purchase's IVA column by column as the RCV compras states it (DESIGN.md §6b):
    crédito fiscal (recoverable, common_use, fixed_asset_vat) apart from cost
    (non_recoverable, without_credit). TaxDocument.vat stays recoverable + non_recoverable
    + common_use."""

    model_config = ConfigDict(frozen=True)
    recoverable: Pesos = Field(default=0, description="Monto IVA Recuperable")
    non_recoverable: Pesos = Field(default=0, description="Monto Iva No Recuperable")
    non_recoverable_code: int | None = Field(
        default=None, ge=0, le=99, description="Codigo IVA No Rec.: 1 operaciones no gravadas "
        "o exentas, 2 fuera de plazo, 3 gastos rechazados, 4 entregas gratuitas, 9 otros")
    common_use: Pesos = Field(default=0, description="IVA uso Comun")
    fixed_asset_net: Pesos = Field(default=0, description="Monto Neto Activo Fijo")
    fixed_asset_vat: Pesos = Field(default=0, description="IVA Activo Fijo")
    without_credit: Pesos = Field(default=0, description="Impto. Sin Derecho a Credito")
    not_retained: Pesos = Field(default=0, description="IVA No Retenido")
    tobacco_cigars: Pesos = Field(default=0, description="Tabacos Puros")
    tobacco_cigarettes: Pesos = Field(default=0, description="Tabacos Cigarrillos")
    tobacco_processed: Pesos = Field(default=0, description="Tabacos Elaborados")


class TaxDocument(BaseModel):
    """A DTE as invoicing holds it, in the form accounting needs to post it."""

    model_config = ConfigDict(frozen=True)
    document_id: str = Field(max_length=IDENTIFIER_MAX_LENGTH,
                             description="invoicing's id of the document")
    company_rut: Rut = Field(description="the invoicing company the document belongs to")
    direction: Direction
    dte_type: int = Field(ge=1, le=999)
    folio: int = Field(ge=1)
    issue_date: date
    issuer_rut: Rut = Field(description="who issued the DTE (for 46, the buying company)")
    counterparty: Counterparty
    net: Pesos = 0
    exempt: Pesos = 0
    vat: Pesos = 0
    total: Pesos = 0
    references: tuple[DocumentReference, ...] = ()
    other_taxes: tuple[OtherTax, ...] = Field(
        default=(), description="additional taxes included in the total (added to it)"
    )
    vat_retained: Pesos = Field(
        default=0, description="IVA retained by the buyer (subtracted from the total); "
                               "total = net + exempt + vat + Σ other_taxes − vat_retained "
                               "− construction_credit + container_deposit"
    )
    foreign_currency: ForeignCurrencyAmount | None = Field(
        default=None, description="set when the document was issued in another currency "
                                  "(exports): the amounts above are already its pesos "
                                  "(OtraMoneda), this is what it states in its currency, "
                                  "for the entry's glosa"
    )
    received_on: date | None = Field(
        default=None, description="purchases: the day the company received the document "
                                  "(RCV Fecha Recepcion, or the day its DTE was imported), "
                                  "which dates its crédito fiscal (DL 825 art. 24)"
    )
    vat_breakdown: VatBreakdown | None = Field(
        default=None, description="purchases from an RCV: the IVA by column, so crédito "
                                  "fiscal can be told from cost; null when not known"
    )
    construction_credit: Pesos = Field(
        default=0, description="CredEC: crédito especial empresas constructoras (DL 910 art. "
                               "21, 65 % of the IVA), subtracted from the total; the seller "
                               "recovers it (an asset)")
    container_deposit: Pesos = Field(
        default=0, description="GrntDep: deposit for containers, added to the total; the "
                               "seller owes it back (a liability)")

    @property
    def document_key(self) -> str:
        """Natural key: a folio is unique per issuer and tipo DTE."""
        return f"{self.direction}:{self.issuer_rut}:{self.dte_type}:{self.folio}"


# --- invoicing's events -------------------------------------------------------------

INVOICING = "/invoicing"
ACCOUNTING = "/accounting"


class IntegrationRequested(Contract):
    event_type: ClassVar[str] = "invoicing.integration.requested.v1"
    source: ClassVar[str] = INVOICING
    request_id: str
    company_rut: Rut
    company_name: str
    contract_rut: Rut = Field(description="the RUT that holds the accounting contract")
    requested_at: datetime | None = Field(
        default=None, description="when the company made the request (invoicing's clock): "
                                  "of a company's requests the latest is its current one. "
                                  "The same request may be announced again (same id) when "
                                  "the company asks again for the same contract")


class IntegrationWithdrawn(Contract):
    """The company replaced a request accounting still had open: it can no longer be
    approved. Sent in the same transaction as the request that replaces it (if any)."""

    event_type: ClassVar[str] = "invoicing.integration.withdrawn.v1"
    source: ClassVar[str] = INVOICING
    request_id: str = Field(description="the withdrawn request")
    company_rut: Rut
    company_name: str = Field(description="so a withdrawal that overtakes its request is "
                                          "still recorded")
    contract_rut: Rut = Field(description="the contract the withdrawn request was for")
    current_request_id: str = Field(description="the company's current request now")
    current_contract_rut: Rut = Field(description="the contract of the current request")
    connected_request_id: str | None = Field(
        default=None, description="the approved request whose link is in force (the "
                                  "accounting company the documents go to); null when none")


class IntegrationDisconnected(Contract):
    """A newer approval replaced the company's link: the accounting company of the older
    one receives no more documents (a change of accountant)."""

    event_type: ClassVar[str] = "invoicing.integration.disconnected.v1"
    source: ClassVar[str] = INVOICING
    request_id: str = Field(description="the approved request whose link ended")
    company_rut: Rut
    contract_rut: Rut
    accounting_company_id: str = Field(description="the accounting company disconnected")
    connected_request_id: str = Field(description="the approved request in force now")


class SyncRefused(Contract):
    """Invoicing sends no documents for a sync.requested: the accounting company that asked
    is not the one the company's integration is approved for. Nothing was exported."""

    event_type: ClassVar[str] = "invoicing.sync.refused.v1"
    source: ClassVar[str] = INVOICING
    sync_id: str
    company_rut: Rut
    accounting_company_id: str = Field(description="the accounting company that asked")
    reason: str = Field(description="why, in words a person can act on")


class InvoiceSynced(Contract):
    event_type: ClassVar[str] = "invoicing.invoice.synced.v1"
    source: ClassVar[str] = INVOICING
    sync_id: str | None = Field(
        default=None, description="the sync session it answers; null for live documents"
    )
    document: TaxDocument


class InvoicesSynced(Contract):
    """A page of a sync session's documents, in the order invoicing keeps them.

    A sync sends its range as pages (one message per page rather than per document);
    live documents still go one by one as InvoiceSynced with a null sync_id.
    """

    event_type: ClassVar[str] = "invoicing.invoices.synced.v1"
    source: ClassVar[str] = INVOICING
    sync_id: str = Field(description="the sync session the page answers")
    company_rut: Rut
    page: int = Field(ge=1, description="1-based number of the page within the sync")
    documents: tuple[TaxDocument, ...] = Field(min_length=1)


class ManifestLine(BaseModel):
    """Counts and totals of one (month, direction, tipo DTE) as invoicing holds them."""

    model_config = ConfigDict(frozen=True)
    month: str | None = Field(default=None, pattern=r"^\d{4}-(0[1-9]|1[0-2])$",
                              description="YYYY-MM of the documents' issue date; null when the "
                                          "line covers the whole sync range")
    direction: Direction
    dte_type: int = Field(ge=1, le=999)
    count: int = Field(ge=0)
    net: Pesos = 0
    exempt: Pesos = 0
    vat: Pesos = 0
    total: Pesos = 0


class ManifestDocument(BaseModel):
    """One document of the sync, by its natural key (TaxDocument.document_key)."""

    model_config = ConfigDict(frozen=True)
    document_key: str
    total: Pesos
    issue_date: date | None = None


class SyncManifest(BaseModel):
    """What invoicing sent in a sync: the proof accounting reconciles its books against."""

    model_config = ConfigDict(frozen=True)
    lines: tuple[ManifestLine, ...] = ()
    documents: tuple[ManifestDocument, ...] = Field(
        default=(), description="every document of the range, from senders that predate "
                                "manifest pages; empty when SyncCompleted.manifest_pages is "
                                "set (the documents travel in invoicing.sync.manifest.v1)")


class SyncManifestPage(Contract):
    """A page of a sync's manifest: its documents by natural key and total.

    Sent in the same transaction as the invoices.synced page of the same number, so the
    manifest of a big sync travels in pages instead of one message; sync.completed says
    how many pages there are (``manifest_pages``).
    """

    event_type: ClassVar[str] = "invoicing.sync.manifest.v1"
    source: ClassVar[str] = INVOICING
    sync_id: str = Field(description="the sync session the page belongs to")
    company_rut: Rut
    page: int = Field(ge=1, description="1-based number of the page within the sync")
    documents: tuple[ManifestDocument, ...] = Field(min_length=1)


class SyncCompleted(Contract):
    event_type: ClassVar[str] = "invoicing.sync.completed.v1"
    source: ClassVar[str] = INVOICING
    sync_id: str
    company_rut: Rut
    document_count: int = Field(ge=0)
    manifest: SyncManifest | None = Field(
        default=None, description="totals per month, direction and tipo DTE (``lines``) for "
                                  "the reconciliation report; the documents themselves are in "
                                  "``manifest.documents`` only when ``manifest_pages`` is null"
    )
    manifest_pages: int | None = Field(
        default=None, ge=0,
        description="how many invoicing.sync.manifest.v1 pages carry the manifest's documents "
                    "(document_count of them in all); null when manifest.documents holds them"
    )


class PaymentKind(StrEnum):
    PAYMENT = "payment"  # to a supplier: comprobante de egreso
    COLLECTION = "collection"  # from a customer: comprobante de ingreso


class PaymentRecorded(Contract):
    event_type: ClassVar[str] = "invoicing.payment.recorded.v1"
    source: ClassVar[str] = INVOICING
    payment_id: str = Field(max_length=IDENTIFIER_MAX_LENGTH)
    company_rut: Rut
    kind: PaymentKind
    counterparty: Counterparty
    amount: Pesos
    paid_on: date
    documents: tuple[DocumentReference, ...] = ()


# --- accounting's events ------------------------------------------------------------


class IntegrationApproved(Contract):
    event_type: ClassVar[str] = "accounting.integration.approved.v1"
    source: ClassVar[str] = ACCOUNTING
    request_id: str
    company_rut: Rut
    contract_rut: Rut
    accounting_company_id: str


class IntegrationRejected(Contract):
    event_type: ClassVar[str] = "accounting.integration.rejected.v1"
    source: ClassVar[str] = ACCOUNTING
    request_id: str
    company_rut: Rut
    contract_rut: Rut
    reason: str


class IntegrationConflicted(Contract):
    """The contract has several active companies with the company's RUT."""

    event_type: ClassVar[str] = "accounting.integration.conflicted.v1"
    source: ClassVar[str] = ACCOUNTING
    request_id: str
    company_rut: Rut
    contract_rut: Rut
    detail: str = Field(description="for the invoicing company's users: names none of the "
                                    "contract's companies or their ids")


class IntegrationConflictResolved(Contract):
    """The conflict is gone (a company was hidden or deleted); the request is pending again."""

    event_type: ClassVar[str] = "accounting.integration.conflict-resolved.v1"
    source: ClassVar[str] = ACCOUNTING
    request_id: str
    company_rut: Rut
    contract_rut: Rut


class SyncRequested(Contract):
    event_type: ClassVar[str] = "accounting.sync.requested.v1"
    source: ClassVar[str] = ACCOUNTING
    sync_id: str
    accounting_company_id: str
    company_rut: Rut
    date_from: date
    date_to: date


class SettingsChanged(Contract):
    event_type: ClassVar[str] = "accounting.settings.changed.v1"
    source: ClassVar[str] = ACCOUNTING
    accounting_company_id: str
    company_rut: Rut


class EntryPosted(Contract):
    event_type: ClassVar[str] = "accounting.entry.posted.v1"
    source: ClassVar[str] = ACCOUNTING
    entry_id: str
    accounting_company_id: str
    company_rut: Rut
    number: int
    entry_date: date
    kind: Literal["ingreso", "egreso", "traspaso"]
    source_key: str | None
    total: Pesos


class PostedEntry(BaseModel):
    """One entry of an EntriesPosted page (EntryPosted without the company fields)."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    entry_id: str
    number: int
    entry_date: date
    kind: Literal["ingreso", "egreso", "traspaso"]
    source_key: str | None
    total: Pesos


class EntriesPosted(Contract):
    """A page of journal entries posted together when a sync session was confirmed.

    Confirming a session posts its documents in pages and publishes one event per page
    rather than one per entry; a single posting (a live document or payment posted at
    once, a reversal) is still an EntryPosted.
    """

    event_type: ClassVar[str] = "accounting.entries.posted.v1"
    source: ClassVar[str] = ACCOUNTING
    accounting_company_id: str
    company_rut: Rut
    sync_id: str = Field(description="the sync session whose confirmation posted them")
    entries: tuple[PostedEntry, ...] = Field(min_length=1)


CONTRACTS: dict[str, type[Contract]] = {
    model.event_type: model
    for model in (
        IntegrationRequested,
        IntegrationWithdrawn,
        IntegrationDisconnected,
        SyncRefused,
        InvoiceSynced,
        InvoicesSynced,
        SyncManifestPage,
        SyncCompleted,
        PaymentRecorded,
        IntegrationApproved,
        IntegrationRejected,
        IntegrationConflicted,
        IntegrationConflictResolved,
        SyncRequested,
        SettingsChanged,
        EntryPosted,
        EntriesPosted,
    )
}


@cache
def _typed_envelope(model: type[Contract]) -> type[CloudEvent]:
    """The envelope whose ``data`` is validated as ``model`` in the same pass."""
    return create_model(f"{model.__name__}Event", __base__=CloudEvent, data=(model, ...))


def parse_event(body: bytes | str, type_hint: str | None = None) -> tuple[CloudEvent, Contract]:
    """The envelope and its typed payload, from JSON.

    When the message names its type (the AMQP ``type`` property our publisher sets), the
    payload is validated straight from the JSON in one pass: validating the envelope into
    dicts and then the dicts into the contract cost twice as much on pages of documents.
    The body's own ``type`` decides; a wrong or missing hint takes the two-step path,
    whose errors are the ones to report.
    """
    model = CONTRACTS.get(type_hint) if type_hint else None
    if model is not None:
        try:
            event = _typed_envelope(model).model_validate_json(body)
        except ValidationError:
            event = None
        if event is not None and event.type == type_hint:
            return event, event.data  # type: ignore[return-value]  # the envelope typed it
    event = CloudEvent.model_validate_json(body)
    return event, event.payload()
