"""Tax documents (DTE) as the company issued or received them.

Invoicing records documents as issued: amounts that do not add up are kept as they are
(accounting holds such a document with a reason). What is refused here is what cannot
be a DTE at all.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from invoicing.domain.errors import InvalidDocument
from shared.events import Direction

__all__ = ["Direction"]


SUPPORTED_DTE_TYPES: dict[int, str] = {
    33: "factura electrónica",
    34: "factura no afecta o exenta electrónica",
    39: "boleta electrónica",
    41: "boleta exenta electrónica",
    46: "factura de compra electrónica",
    56: "nota de débito electrónica",
    61: "nota de crédito electrónica",
    110: "factura de exportación electrónica",
    111: "nota de débito de exportación electrónica",
    112: "nota de crédito de exportación electrónica",
}

# A factura de compra is issued by the buyer to a seller who does not invoice.
ISSUED_BY_BUYER = frozenset({46})
NOTES = frozenset({56, 61})


class DocumentStatus(StrEnum):
    """Whether the document is part of the company's books yet."""

    RECORDED = "recorded"
    # Listed in the RCV's pendientes: received but not yet accepted by the company, so not
    # a purchase of its books and not exported; it becomes RECORDED when the registro
    # lists it (DESIGN.md §11).
    PENDING_ACCEPTANCE = "pending_acceptance"


REFERENCE_CODES = (1, 2, 3)  # 1 anula, 2 corrige texto, 3 corrige montos

# What the database and the event contracts hold: amounts as shared.money.Pesos (up to
# 10^15), folios as the SII's schema writes them (up to 10 digits).
MAX_PESOS = 10**15
MAX_FOLIO = 10**10 - 1


@dataclass(frozen=True)
class Counterparty:
    rut: str
    name: str


@dataclass(frozen=True)
class Reference:
    dte_type: int
    folio: int
    issue_date: date | None = None
    code: int | None = None
    reason: str | None = None


@dataclass(frozen=True)
class OtherTax:
    """An additional tax included in the total (ILA, impuesto específico…): ImptoReten."""

    code: int
    amount: int
    rate: float | None = None


@dataclass(frozen=True)
class ForeignCurrency:
    """A document issued in another currency (exports: Totales in TpoMoneda): what it
    states there. The document's amounts are its pesos (OtraMoneda)."""

    currency: str  # TpoMoneda as the DTE names it, e.g. "DOLAR USA"
    total: Decimal  # MntTotal in that currency
    exchange_rate: Decimal | None = None  # TpoCambio: pesos per unit of the currency


@dataclass(frozen=True)
class VatBreakdown:
    """A purchase's IVA column by column, as the RCV compras states it (DESIGN.md §6b), so
    posting can tell crédito fiscal from cost. ``vat`` stays recoverable + non_recoverable
    + common_use, as before."""

    recoverable: int = 0  # Monto IVA Recuperable
    non_recoverable: int = 0  # Monto Iva No Recuperable
    non_recoverable_code: int | None = None  # 1, 2, 3, 4 or 9
    common_use: int = 0  # IVA uso Comun
    fixed_asset_net: int = 0  # Monto Neto Activo Fijo
    fixed_asset_vat: int = 0  # IVA Activo Fijo
    without_credit: int = 0  # Impto. Sin Derecho a Credito
    not_retained: int = 0  # IVA No Retenido
    tobacco_cigars: int = 0  # Tabacos Puros
    tobacco_cigarettes: int = 0  # Tabacos Cigarrillos
    tobacco_processed: int = 0  # Tabacos Elaborados


@dataclass(frozen=True)
class DocumentDraft:
    """A document as submitted, before it has an id and an issuer."""

    direction: Direction
    dte_type: int
    folio: int
    issue_date: date
    counterparty: Counterparty
    net: int = 0
    exempt: int = 0
    vat: int = 0
    total: int = 0
    references: tuple[Reference, ...] = field(default_factory=tuple)
    other_taxes: tuple[OtherTax, ...] = field(default_factory=tuple)
    vat_retained: int = 0
    foreign_currency: ForeignCurrency | None = None
    received_on: date | None = None  # purchases: when the company received it (DL 825 art. 24)
    vat_breakdown: VatBreakdown | None = None
    # DTE Totales/CredEC: crédito especial empresas constructoras (DL 910 art. 21),
    # subtracted from the total; Totales/GrntDep: a deposit for containers, added to it.
    construction_credit: int = 0
    container_deposit: int = 0
    # The RCV's "NCE o NDE sobre Fact. de Compra": a note over a 46, which the buyer
    # issues, even when the file names no reference to the 46.
    over_purchase_invoice: bool = False
    status: DocumentStatus = DocumentStatus.RECORDED


@dataclass(frozen=True)
class Document:
    id: str
    company_rut: str
    issuer_rut: str
    direction: Direction
    dte_type: int
    folio: int
    issue_date: date
    counterparty: Counterparty
    net: int
    exempt: int
    vat: int
    total: int
    references: tuple[Reference, ...]
    other_taxes: tuple[OtherTax, ...] = ()
    vat_retained: int = 0
    foreign_currency: ForeignCurrency | None = None
    received_on: date | None = None
    vat_breakdown: VatBreakdown | None = None
    construction_credit: int = 0
    container_deposit: int = 0
    status: DocumentStatus = DocumentStatus.RECORDED

    @property
    def pending_acceptance(self) -> bool:
        return self.status is DocumentStatus.PENDING_ACCEPTANCE


def issued_by_buyer(dte_type: int, references: tuple["Reference", ...] = (),
                    over_purchase_invoice: bool = False) -> bool:
    """A 46, or a nota de débito or crédito over a 46: the buyer issues those (the RCV's
    "NCE o NDE sobre Fact. de Compra")."""
    return dte_type in ISSUED_BY_BUYER or (dte_type in NOTES and (
        over_purchase_invoice or any(r.dte_type in ISSUED_BY_BUYER for r in references)))


def issuer_rut(company_rut: str, direction: Direction, dte_type: int,
               counterparty_rut: str, references: tuple["Reference", ...] = (),
               over_purchase_invoice: bool = False) -> str:
    """Who issued the DTE: the seller, except for a 46, which the buyer issues.

    The company is the seller in sales and the buyer in purchases, so a 46 in purchases
    is the company's own document, and a 46 in sales was issued to it by its customer.
    """
    return issuer_when(company_rut, Direction(direction), counterparty_rut,
                       issued_by_buyer(dte_type, references, over_purchase_invoice))


def issuer_when(company_rut: str, direction: Direction, counterparty_rut: str,
                by_buyer: bool) -> str:
    """issuer_rut once it is known whether the buyer issued the document."""
    issued_by_company = (direction is Direction.SALES) != by_buyer
    return company_rut if issued_by_company else counterparty_rut


def issuer_of(company_rut: str, draft: DocumentDraft) -> str:
    """Who issued the document a draft states (issuer_rut of its fields)."""
    return issuer_rut(company_rut, draft.direction, draft.dte_type, draft.counterparty.rut,
                      draft.references, draft.over_purchase_invoice)


def new_document(document_id: str, company_rut: str, draft: DocumentDraft) -> Document:
    """The document a valid draft becomes: the issuer follows from direction and type."""
    return Document(
        id=document_id,
        company_rut=company_rut,
        issuer_rut=issuer_of(company_rut, draft),
        direction=draft.direction,
        dte_type=draft.dte_type,
        folio=draft.folio,
        issue_date=draft.issue_date,
        counterparty=draft.counterparty,
        net=draft.net,
        exempt=draft.exempt,
        vat=draft.vat,
        total=draft.total,
        references=draft.references,
        other_taxes=draft.other_taxes,
        vat_retained=draft.vat_retained,
        foreign_currency=draft.foreign_currency,
        received_on=draft.received_on,
        vat_breakdown=draft.vat_breakdown,
        construction_credit=draft.construction_credit,
        container_deposit=draft.container_deposit,
        status=draft.status,
    )


def supported_types_text() -> str:
    return ", ".join(f"{code} ({name})" for code, name in SUPPORTED_DTE_TYPES.items())


def validate(draft: DocumentDraft) -> None:
    """Raise InvalidDocument saying what is wrong; the edge already checked types."""
    problems: list[str] = []
    if draft.dte_type not in SUPPORTED_DTE_TYPES:
        problems.append(
            f"dte_type {draft.dte_type} is not supported; use one of: {supported_types_text()}"
        )
    if not 1 <= draft.folio <= MAX_FOLIO:
        problems.append(f"folio must be a positive integer of at most 10 digits, got "
                        f"{draft.folio}")
    for name in ("net", "exempt", "vat", "total", "vat_retained", "construction_credit",
                 "container_deposit"):
        problem = _pesos_problem(name, getattr(draft, name))
        if problem:
            problems.append(problem)
    for i, tax in enumerate(draft.other_taxes):
        if not 1 <= tax.code <= 999:
            problems.append(f"other_taxes.{i}.code must be an SII tax code (1-999)")
        problem = _pesos_problem(f"other_taxes.{i}.amount", tax.amount)
        if problem:
            problems.append(problem)
        if tax.rate is not None and not 0 <= tax.rate <= 1000:
            problems.append(f"other_taxes.{i}.rate must be a percentage from 0 to 1000, got "
                            f"{tax.rate}")
    for i, ref in enumerate(draft.references):
        if not 1 <= ref.folio <= MAX_FOLIO:
            problems.append(f"references.{i}.folio must be a positive integer of at most "
                            "10 digits")
        if ref.code is not None and ref.code not in REFERENCE_CODES:
            problems.append(
                f"references.{i}.code must be 1 (anula), 2 (corrige texto) or "
                f"3 (corrige montos), got {ref.code}"
            )
    if problems:
        raise InvalidDocument("; ".join(problems), errors=problems)


def _pesos_problem(name: str, amount: object) -> str | None:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
        return f"{name} must be whole pesos (an integer ≥ 0), got {amount!r}"
    if amount > MAX_PESOS:
        return (f"{name} is {amount}, beyond the largest amount that can be recorded "
                f"({MAX_PESOS:,} pesos)")
    return None


def duplicate_detail(company_rut: str, draft: DocumentDraft, issuer: str,
                     existing_id: str) -> str:
    return (
        f"{draft.direction} document tipo {draft.dte_type} folio {draft.folio} issued by "
        f"{issuer} is already recorded for company {company_rut} as document {existing_id}; "
        "a folio is unique per issuer and tipo DTE, so check the folio or use the "
        "existing document."
    )
