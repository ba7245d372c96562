"""Documents read from SII files (DTE XML, EnvioDTE, RCV CSV) and how they become drafts.

A file yields, one by one, either a document as the file states it or a rejection of
one part of it (a line, a DTE) with a reason; whether each document belongs to the
company, and in which direction, is decided here, as are the checks an imported file
gets on top of the ones every document gets (documents.validate).
"""

import functools
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from invoicing.domain.documents import (
    Counterparty,
    Direction,
    DocumentDraft,
    DocumentStatus,
    ForeignCurrency,
    OtherTax,
    Reference,
    VatBreakdown,
    issued_by_buyer,
)
from invoicing.domain.errors import InvoicingError
from shared import errors


class ImportFormat(StrEnum):
    DTE_XML = "dte-xml"  # one <DTE>
    ENVIO_DTE = "envio-dte"  # <EnvioDTE> with a <SetDTE> of many
    ENVIO_BOLETA = "envio-boleta"  # <EnvioBOLETA> with a <SetDTE> of boletas (39, 41)
    RCV_COMPRAS = "rcv-compras"  # Registro de Compras (registro) CSV export
    RCV_VENTAS = "rcv-ventas"  # Registro de Ventas CSV export


class RcvSection(StrEnum):
    """The four files the SII exports of a month's Registro de Compras."""

    REGISTRO = "registro"  # the purchase book itself
    PENDIENTES = "pendientes"  # not yet accepted by the company
    RECLAMADOS = "reclamados"  # claimed against: not purchases
    NO_INCLUIR = "no-incluir"  # marked not to be included


SECTION_REASONS = {
    RcvSection.RECLAMADOS: (
        "the row is from the RCV's reclamados: the company claimed against this document, "
        "so it is not a purchase; it is not imported"),
    RcvSection.NO_INCLUIR: (
        "the row is from the RCV's 'no incluir': marked not to be included in the purchase "
        "book, so it is not imported"),
}


# Rows of the pendientes are kept, but not as purchases of the books (DESIGN.md §11).
PENDING_REASON = (
    "recorded as pending acceptance (the RCV's pendientes): the company has not accepted it, "
    "so it is not a purchase of the books and is not synchronised; it becomes one when a "
    "registro that lists it is imported")


class ItemStatus(StrEnum):
    CREATED = "created"
    PENDING = "pending"  # recorded as pending acceptance (RCV pendientes): not synchronised
    ACCEPTED = "accepted"  # a pending document the registro now lists: a purchase from now on
    DUPLICATE = "duplicate"
    CONFLICT = "conflict"  # the same folio again, with other amounts: left as recorded
    REJECTED = "rejected"


class UnreadableFile(InvoicingError, errors.Invalid):
    """The file as a whole cannot be imported (hostile, malformed, wrong format)."""

    title = "File cannot be imported"
    type = "/problems/unreadable-file"


class ImportInterrupted(InvoicingError, errors.Unavailable):
    """The import stopped part-way (the database failed): what was recorded is said."""

    title = "Import interrupted"
    type = "/problems/import-interrupted"


@dataclass(frozen=True)
class Party:
    rut: str  # canonical
    name: str


@dataclass(frozen=True)
class Location:
    """Where in the file: a CSV line number or an XML path (exactly one of them)."""

    line: int | None = None
    xml_path: str | None = None

    def __str__(self) -> str:
        return f"line {self.line}" if self.line is not None else str(self.xml_path)


@dataclass(frozen=True)
class SourceDocument:
    """A document as a file states it.

    DTE XML names emisor and receptor, and the company's role decides the direction;
    an RCV export is the company's own register, so its kind gives the direction and
    each row names only the counterparty.
    """

    location: Location
    dte_type: int
    folio: int
    issue_date: date
    net: int = 0
    exempt: int = 0
    vat: int = 0
    total: int = 0
    other_taxes: tuple[OtherTax, ...] = ()
    vat_retained: int = 0
    references: tuple[Reference, ...] = ()
    emisor: Party | None = None
    receptor: Party | None = None
    direction: Direction | None = None
    counterparty: Party | None = None
    foreign_currency: ForeignCurrency | None = None
    received_on: date | None = None
    vat_breakdown: VatBreakdown | None = None
    construction_credit: int = 0  # Totales/CredEC, RCV "Credito empresa constructora"
    container_deposit: int = 0  # Totales/GrntDep, RCV "Garantia Dep. Envases"
    over_purchase_invoice: bool = False  # RCV "NCE o NDE sobre Fact. de Compra"
    pending_acceptance: bool = False  # a row of the RCV's pendientes


@dataclass(frozen=True)
class Rejection:
    location: Location
    reason: str
    dte_type: int | None = None
    folio: int | None = None


class Rejected(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class ImportSummary:
    format: ImportFormat
    created: int = 0
    duplicates: int = 0
    rejected: int = 0
    conflicts: int = 0
    pending: int = 0  # created as pending acceptance: counted apart from created
    accepted: int = 0  # pending ones the registro now lists: purchases from now on
    items: list["ImportItem"] = field(default_factory=list)
    items_omitted: int = 0

    @property
    def processed(self) -> int:
        return (self.created + self.pending + self.accepted + self.duplicates
                + self.conflicts + self.rejected)


def _direction_and_counterparty(company_rut: str, source: SourceDocument
                                ) -> tuple[Direction, Party]:
    if source.direction is not None and source.counterparty is not None:
        return source.direction, source.counterparty
    emisor, receptor = source.emisor, source.receptor
    assert emisor is not None and receptor is not None
    by_buyer = issued_by_buyer(source.dte_type, source.references,
                               source.over_purchase_invoice)
    if emisor.rut == company_rut:
        # The company issued it: a sale, except a factura de compra (and a note over one),
        # which the buyer issues.
        return (Direction.PURCHASES if by_buyer else Direction.SALES), receptor
    if receptor.rut == company_rut:
        return (Direction.SALES if by_buyer else Direction.PURCHASES), emisor
    raise Rejected(
        f"company {company_rut} is neither the emisor ({emisor.rut}) nor the receptor "
        f"({receptor.rut}) of this DTE: import it into the company it belongs to"
    )


def amounts_problem(source: SourceDocument) -> str | None:
    """Why the stated amounts do not add up, if they do not.

    total = neto + exento + IVA + additional taxes − IVA retained − CredEC + GrntDep
    (DESIGN.md §6, §6b).
    """
    other = sum(t.amount for t in source.other_taxes)
    expected = (source.net + source.exempt + source.vat + other - source.vat_retained
                - source.construction_credit + source.container_deposit)
    if expected == source.total:
        return None
    parts = f"neto {source.net} + exento {source.exempt} + IVA {source.vat}"
    if other:
        parts += f" + additional taxes {other}"
    if source.vat_retained:
        parts += f" − IVA retained {source.vat_retained}"
    if source.construction_credit:
        parts += f" − crédito empresas constructoras (CredEC) {source.construction_credit}"
    if source.container_deposit:
        parts += f" + garantía por envases (GrntDep) {source.container_deposit}"
    return (f"amounts do not add up: {parts} = {expected}, but the total is "
            f"{source.total}; correct the document at its source and import it again")


# The SII's electronic documents start in 2003; a date far ahead is a typing error.
FIRST_ISSUE_DATE = date(2003, 1, 1)
DAYS_AHEAD = 60
# U+2400 is how the CSV reader passes on a NUL (the csv module refuses the whole line).
NUL_MARK = "\u2400"
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2400]")


def _name_problem(source: SourceDocument) -> str | None:
    for role, party in (("emisor", source.emisor), ("receptor", source.receptor),
                        ("counterparty", source.counterparty)):
        if party is not None:
            found = _CONTROL_CHARACTERS.search(party.name)
            if found:
                which = "NUL, U+0000" if found[0] == NUL_MARK else f"U+{ord(found[0]):04X}"
                return (f"the {role}'s name has a control character ({which} at position "
                        f"{found.start() + 1}), which no name has; correct it at its source")
    return None


# Cached: a file's rows share a few dozen dates, and this runs for every row.
@functools.lru_cache(maxsize=1024)
def _date_problem(issue_date: date, today: date) -> str | None:
    latest = today + timedelta(days=DAYS_AHEAD)
    if issue_date < FIRST_ISSUE_DATE:
        return (f"the issue date {issue_date} is before {FIRST_ISSUE_DATE}, when the SII's "
                "electronic documents began; check the date at its source")
    if issue_date > latest:
        return (f"the issue date {issue_date} is more than {DAYS_AHEAD} days ahead "
                f"(after {latest}); check the date at its source")
    return None


def draft_for(company_rut: str, source: SourceDocument, today: date | None = None
              ) -> DocumentDraft:
    """The draft a file's document becomes for this company; raises Rejected saying why not."""
    today = today or date.today()
    problem = _name_problem(source) or _date_problem(source.issue_date, today)
    if problem:
        raise Rejected(problem)
    direction, counterparty = _direction_and_counterparty(company_rut, source)
    problem = amounts_problem(source)
    if problem:
        raise Rejected(problem)
    return DocumentDraft(
        direction=direction,
        dte_type=source.dte_type,
        folio=source.folio,
        issue_date=source.issue_date,
        counterparty=Counterparty(counterparty.rut, counterparty.name),
        net=source.net,
        exempt=source.exempt,
        vat=source.vat,
        total=source.total,
        references=source.references,
        other_taxes=source.other_taxes,
        vat_retained=source.vat_retained,
        foreign_currency=source.foreign_currency,
        # A purchase counts from its reception (DL 825 art. 24): the RCV's Fecha Recepcion,
        # or for a DTE file the day it is imported.
        received_on=(source.received_on or today) if direction is Direction.PURCHASES
        else None,
        vat_breakdown=source.vat_breakdown,
        construction_credit=source.construction_credit,
        container_deposit=source.container_deposit,
        over_purchase_invoice=source.over_purchase_invoice,
        status=DocumentStatus.PENDING_ACCEPTANCE if source.pending_acceptance
        else DocumentStatus.RECORDED,
    )


# SII codes of ImptoReten that are IVA retained by the buyer (subtracted from the total):
# 15 retención total, 30-41 and 46-48 retenciones parciales by product, 60 factura de
# inicio. Every other code is added to the total: the additional taxes, and 53, the
# suplementeros' income tax that the seller charges on its factura and pays itself (LIR
# art. 74 N°5), which is no IVA and keeps its code so it posts to its own account.
VAT_RETENTION_CODES = frozenset({15, 30, 31, 32, 33, 34, 36, 37, 38, 39, 41, 46, 47, 48, 60})


@dataclass(frozen=True)
class ImportItem:
    """What became of one document of the file."""

    location: Location
    status: ItemStatus
    dte_type: int | None = None
    folio: int | None = None
    reason: str | None = None
    document_id: str | None = None


def conflict_reason(document_id: str, recorded: tuple[int, int, int, int],
                    stated: tuple[int, int, int, int]) -> str:
    def amounts(values: tuple[int, int, int, int]) -> str:
        return ", ".join(f"{name} {value}" for name, value in
                         zip(("total", "neto", "exento", "IVA"), values, strict=True))
    return (f"the same folio is already recorded as document {document_id} with other "
            f"amounts: recorded {amounts(recorded)}; this file says {amounts(stated)}. The "
            "recorded document was left as it is: if the file is right, correct the "
            "document with a nota de crédito or débito at its source")


def duplicate_reason(document_id: str | None, pending_acceptance: bool = False) -> str:
    which = f" as document {document_id}" if document_id else ""
    if pending_acceptance:
        return (f"already recorded{which}, pending acceptance (the RCV's pendientes); nothing "
                "was changed: it becomes a purchase when a registro that lists it is imported")
    return (f"already recorded{which} (same issuer, tipo DTE and folio); nothing was changed")


def accepted_reason(document_id: str, recorded: tuple[int, int, int, int],
                    stated: tuple[int, int, int, int]) -> str:
    changed = ""
    if recorded != stated:
        changed = (f"; its amounts are now the registro's (total {stated[0]}, was "
                   f"{recorded[0]}): it had never been synchronised")
    return (f"was pending acceptance as document {document_id} (the RCV's pendientes); the "
            f"registro lists it, so it is now a purchase of the books and is synchronised"
            f"{changed}")
