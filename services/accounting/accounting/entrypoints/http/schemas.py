"""Request and response bodies of the public API."""

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from accounting.domain.accounts import AccountType
from accounting.domain.integrations import RequestStatus
from accounting.domain.remembered import AccountSource, Origin
from accounting.domain.syncs import DocumentStatus, SyncKind, SyncStatus
from shared.events import (
    Counterparty,
    Direction,
    DocumentReference,
    OtherTax,
    PaymentKind,
)
from shared.internal_api import PurchaseEntryDate
from shared.money import Pesos
from shared.rut import Rut
from shared.text import Identifier, Text

# Every string a request carries is bounded and has no control characters (shared.text).
Name = Text(200)
AccountCode = Text(20)
TaxCode = Text(10)


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- contracts and companies ------------------------------------------------------------


class ContractIn(Body):
    rut: Rut = Field(description="the contract holder's RUT", examples=["76354771-K"])
    name: Name = Field(min_length=1, examples=["Contadores Asociados SpA"])


class ContractOut(BaseModel):
    rut: str = Field(examples=["76354771-K"])
    name: str


class CompanyIn(Body):
    rut: Rut = Field(examples=["12345678-5"])
    name: Name = Field(min_length=1, examples=["Ferretería A"])


class CompanyOut(BaseModel):
    id: str = Field(examples=["6a0f1c9e-3c1b-4c6f-9b7e-2f1d1e0a9c11"])
    contract_rut: str
    rut: str
    name: str
    status: Literal["active", "hidden", "deleted"]


class AccountIn(Body):
    code: AccountCode = Field(pattern=r"^\d{1,20}$", description="digits, unique in the company",
                              examples=["310130"])
    name: Name = Field(min_length=1, examples=["Ventas Online"])
    type: AccountType
    auxiliary: bool = Field(default=False, description="tracks counterparties (per RUT)")


class AccountOut(BaseModel):
    code: str = Field(examples=["110310"])
    name: str = Field(examples=["Clientes"])
    type: AccountType
    postable: bool = Field(description="a leaf that takes entries; groups only add up")
    auxiliary: bool
    active: bool


# --- integration requests -------------------------------------------------------------


class IntegrationRequestOut(BaseModel):
    id: str
    contract_rut: str
    company_rut: str
    company_name: str
    status: RequestStatus = Field(
        description="withdrawn: the company replaced it; superseded: a newer request of the "
                    "company arrived first; disconnected: approved, then the company's link "
                    "moved to a newer approval. None of these three can be approved")
    detail: str | None = Field(description="why it is in conflict, was rejected, or can no "
                                           "longer be approved (and which request is current)")
    company_id: str | None = Field(description="the approved accounting company")
    requested_at: datetime
    decided_at: datetime | None
    superseded_by: str | None = Field(default=None,
                                      description="the company's current request when this "
                                                  "one was withdrawn or superseded")


class ApproveIn(Body):
    company_id: Identifier = Field(description="the accounting company that keeps these books")


class RejectIn(Body):
    reason: Text(500, multiline=True) | None = Field(default=None)


# --- settings ---------------------------------------------------------------------------

class AccountPairIn(Body):
    auxiliary_account: AccountCode | None = Field(default=None, min_length=1,
                                                  examples=["110310"])
    detail_account: AccountCode | None = Field(default=None, min_length=1,
                                               examples=["310115"])


_PURCHASE_ENTRY_DATE = (
    "which date a purchase's entry takes. received (the default): the day the company "
    "received the document (RCV Fecha Recepcion, or the day its DTE was imported), since "
    "the crédito fiscal belongs to that month (DL 825 art. 24), so a factura issued 30 June "
    "and received 2 July books in July; its issue date when invoicing does not know the "
    "reception, or for a document the company issued itself (a 46). issued: always the "
    "issue date. Either way the cuadratura counts the document in the month it was issued, "
    "as invoicing does. Changing it applies to the documents proposed from then on")


class InvoiceSettingsIn(Body):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "sales": {"auxiliary_account": "110310", "detail_account": "310115"},
        "purchases": {"auxiliary_account": "210210", "detail_account": "410230"},
        "payments_account": "110102",
        "collections_account": "110102",
        "auto_post": False,
        "other_tax_accounts": {"24": "210720"},
        "purchase_other_tax_accounts": {"24": "110715"},
        "issued_vat_tolerance": 2,
        "purchase_entry_date": "received",
    }]})
    sales: AccountPairIn = Field(default_factory=AccountPairIn)
    purchases: AccountPairIn = Field(default_factory=AccountPairIn)
    payments_account: AccountCode | None = Field(default=None, min_length=1)
    collections_account: AccountCode | None = Field(default=None, min_length=1)
    fixed_asset_account: AccountCode | None = Field(
        default=None, min_length=1, description="where the neto of a fixed asset bought goes "
        "(RCV Monto Neto Activo Fijo), e.g. 120110; unset: such purchases are held saying so")
    non_recoverable_vat_account: AccountCode | None = Field(
        default=None, min_length=1, description="IVA no recuperable and impuesto sin derecho a "
        "crédito, which are cost, e.g. 420220; unset: they add to the purchase's detail account")
    auto_post: bool = Field(default=False, description="post live documents and payments at "
                                                       "once instead of waiting for review")
    other_tax_accounts: dict[TaxCode, AccountCode] = Field(
        default_factory=dict, max_length=100,
        description="account of an additional tax on a sale (a tax to pay) by SII tax code, "
                    "over the defaults (ILA: 24→210720, 25→210721, 26→210722, 27→210723, "
                    "271→210724; 53, the suplementeros' income tax the company retains, "
                    "→210745 Impuesto a la Renta Retenido, never IVA Retenido)")
    purchase_other_tax_accounts: dict[TaxCode, AccountCode] = Field(
        default_factory=dict, max_length=100,
        description="account of an additional tax on a purchase (a credit to recover) by SII "
                    "tax code, over the defaults (ILA: 24, 25, 26, 27, 271 → 110715 ILA por "
                    "Recuperar). A code without an account holds the document saying so, e.g. "
                    "53, the income tax a seller retained from the company: its cost or a "
                    "credit depending on the company")
    issued_vat_tolerance: int = Field(
        default=2, ge=0, le=1000,
        description="pesos by which the IVA of a document the company issued may differ from "
                    "round(neto × 19%) and still post as stated, with a note; beyond it the "
                    "document is held. Received documents always post as stated, with a note")
    purchase_entry_date: PurchaseEntryDate = Field(
        default=PurchaseEntryDate.RECEIVED,
        description=_PURCHASE_ENTRY_DATE)


class AccountPairOut(BaseModel):
    auxiliary_account: str | None
    detail_account: str | None


class InvoiceSettingsOut(BaseModel):
    sales: AccountPairOut
    purchases: AccountPairOut
    payments_account: str | None
    collections_account: str | None
    fixed_asset_account: str | None = None
    non_recoverable_vat_account: str | None = None
    auto_post: bool
    other_tax_accounts: dict[str, str] = Field(description="the account each additional "
                                                           "tax on a sale posts to (defaults "
                                                           "included)")
    purchase_other_tax_accounts: dict[str, str] = Field(
        description="the account each additional tax on a purchase posts to (defaults included)")
    issued_vat_tolerance: int = Field(description="pesos an issued document's IVA may differ "
                                                  "from round(neto × 19%) and still post")
    purchase_entry_date: PurchaseEntryDate = Field(description=_PURCHASE_ENTRY_DATE)
    missing: list[str] = Field(description="what is still required, in words")


# --- integrations and syncs ------------------------------------------------------------


class IntegrationOut(BaseModel):
    key: str = Field(examples=["factura-electronica"])
    name: str = Field(examples=["Factura Electrónica Nubox"])
    request_status: Literal["none", "pending", "conflict", "approved", "rejected", "withdrawn",
                            "superseded", "disconnected"]
    settings_configured: bool
    can_connect: bool
    missing: list[str]
    last_sync_id: str | None


class SyncIn(Body):
    date_from: date = Field(alias="from", examples=["2024-01-01"])
    date_to: date = Field(alias="to", examples=["2024-12-31"])


class SyncOut(BaseModel):
    id: str
    company_id: str
    kind: SyncKind = Field(description="range: a date range synchronised; live: documents "
                                       "and payments that arrived by themselves")
    date_from: date | None = Field(alias="from", description="null for live sessions")
    date_to: date | None = Field(alias="to")
    status: SyncStatus = Field(
        description="requested → receiving → in_review → confirming (posting, in pages) → "
                    "confirmed; stalled: open (requested, receiving or confirming) with no "
                    "progress for SYNC_STALL_SECONDS, see stalled_reason")
    stalled_reason: str | None = Field(
        default=None, description="why a stalled session cannot progress and what to do "
                                  "(POST /v1/syncs/{id}/resume); null otherwise")
    last_progress_at: datetime = Field(
        description="when the session last moved on: created, documents received, the count "
                    "known, a page of its confirm posted, resumed")
    expected: int | None = Field(description="documents invoicing will send; null until known")
    received: int
    ready: int
    held: int
    already_posted: int
    posted: int
    created_at: datetime
    confirmed_at: datetime | None
    has_manifest: bool = Field(description="invoicing sent the list of what it synchronised")
    detail: str | None = Field(default=None,
                               description="why invoicing refused the session (status refused)")


class DocumentOut(BaseModel):
    document_id: str
    dte_type: int
    folio: int
    direction: Direction
    issue_date: date
    received_on: date | None = Field(
        default=None, description="purchases: the day the company received it, the date its "
                                  "entry takes by default (settings purchase_entry_date)")
    counterparty: Counterparty
    net: Pesos
    exempt: Pesos
    vat: Pesos
    total: Pesos
    references: list[DocumentReference] = []
    other_taxes: list[OtherTax] = []
    vat_retained: Pesos = 0


class PaymentOut(BaseModel):
    payment_id: str
    kind: PaymentKind
    counterparty: Counterparty
    amount: Pesos
    paid_on: date
    documents: list[DocumentReference] = []


class LineOut(BaseModel):
    account_code: str
    account_name: str | None
    role: str
    debit: Pesos
    credit: Pesos
    counterparty_rut: str | None = None
    description: str | None = None


class ProposedEntryOut(BaseModel):
    entry_date: date
    kind: Literal["ingreso", "egreso", "traspaso"]
    glosa: str
    lines: list[LineOut]


class SyncDocumentOut(BaseModel):
    id: str
    document: DocumentOut | None = Field(description="the tax document (null for a payment)")
    payment: PaymentOut | None = Field(default=None, description="the payment or collection")
    status: DocumentStatus
    hold_reason: str | None
    note: str | None = Field(default=None, description="worth a look, e.g. a RUT known "
                                                       "under another name")
    entry: ProposedEntryOut | None
    entry_id: str | None = Field(description="the posted journal entry")
    account_source: AccountSource | None = Field(
        default=None, description="where the detail account came from: settings (the "
        "default accounts, or what the posting rules chose), remembered (the account a "
        "person chose for this counterparty before, instead of the default) or chosen (a "
        "person changed it on this document; confirming remembers it for the "
        "counterparty); null when the entry has no detail line or there is no entry")
    account_note: str | None = Field(
        default=None, description="why the detail account is what it is, when it is not "
        "simply the default (also part of note)")


class SyncDocumentPage(BaseModel):
    items: list[SyncDocumentOut]
    total: int
    offset: int
    limit: int


class DetailAccountIn(Body):
    detail_account: AccountCode = Field(min_length=1, examples=["310120"])


class ConfirmOut(BaseModel):
    id: str
    status: SyncStatus
    posted: int
    held: int
    already_posted: int


# --- books ------------------------------------------------------------------------------


class EntryOut(BaseModel):
    id: str
    number: int = Field(description="comprobante number, sequential per company")
    entry_date: date
    kind: Literal["ingreso", "egreso", "traspaso"]
    glosa: str
    source_key: str | None
    sync_id: str | None
    total: Pesos
    created_at: datetime
    reverses_entry_id: str | None = Field(default=None, description="the entry this reverses")
    reversed_by_entry_id: str | None = Field(default=None,
                                             description="the entry that reversed this one")
    reversal_reason: str | None = None
    lines: list[LineOut]


class EntryPage(BaseModel):
    items: list[EntryOut]
    total: int
    offset: int
    limit: int


_OPENING = "balance of everything before 'from', debit − credit (negative: acreedor); 0 " \
    "without 'from'"
_CLOSING = "opening_balance + debit − credit: the libro mayor's closing_balance of the " \
    "same range"


class TrialBalanceRow(BaseModel):
    account_code: str
    account_name: str
    debit: int = Field(description="Sumas, debe: the range's debits")
    credit: int = Field(description="Sumas, haber: the range's credits")
    debit_balance: int = Field(description="Saldos, deudor: closing_balance when positive, "
                                           "else 0")
    credit_balance: int = Field(description="Saldos, acreedor: −closing_balance when "
                                            "negative, else 0")
    opening_balance: int = Field(description=_OPENING)
    closing_balance: int = Field(description=_CLOSING)


class TrialBalanceTotals(BaseModel):
    debit: int = Field(description="equals credit")
    credit: int
    debit_balance: int = Field(description="equals credit_balance")
    credit_balance: int
    opening_balance: int = Field(description="the rows' opening balances added up (0: the "
                                             "books balanced before 'from')")
    closing_balance: int = Field(description="opening_balance + debit − credit")


class TrialBalanceOut(BaseModel):
    """Balance de comprobación y saldos: one row per account with movements in the range or
    a balance before it. Sumas are the range's movements; saldos are the closing balance,
    opening included, so each row ties with the account's libro mayor."""

    date_from: date | None = Field(alias="from")
    date_to: date | None = Field(alias="to")
    rows: list[TrialBalanceRow]
    totals: TrialBalanceTotals


class EightColumns(BaseModel):
    debit: int = Field(description="Sumas, débitos: the year's debits to 'to'")
    credit: int = Field(description="Sumas, créditos")
    debit_balance: int = Field(description="Saldos, deudor: debit − credit when positive")
    credit_balance: int = Field(description="Saldos, acreedor: credit − debit when positive")
    assets: int = Field(description="Inventario, activo: the deudor saldo of an asset, "
                                    "liability or equity account")
    liabilities: int = Field(description="Inventario, pasivo: the acreedor saldo of an "
                                         "asset, liability or equity account")
    losses: int = Field(description="Resultados, pérdidas: the deudor saldo of an income or "
                                    "expense account")
    gains: int = Field(description="Resultados, ganancias: the acreedor saldo of an income "
                                   "or expense account")


class BalanceTributarioRow(EightColumns):
    account_code: str
    account_name: str
    account_type: AccountType


class BalanceTributarioResult(EightColumns):
    outcome: Literal["profit", "loss", "none"] = Field(
        description="profit (utilidad), loss (pérdida) or none")
    label: str = Field(examples=["Utilidad del ejercicio"])
    amount: int = Field(description="ganancias − pérdidas of the sums (negative: a loss)")


class BalanceTributarioOut(BaseModel):
    """Balance tributario de 8 columnas of a fiscal year from 1 January to 'to': the year's
    own movements (an opening entry dated in the year is one of them; earlier years are
    not read). The result line puts a utilidad in pasivo and pérdidas (a pérdida in activo
    and ganancias), so in totals debit = credit, debit_balance = credit_balance, assets =
    liabilities and losses = gains."""

    year: int
    date_from: date = Field(alias="from")
    date_to: date = Field(alias="to")
    rows: list[BalanceTributarioRow]
    sums: EightColumns = Field(description="the rows added up (Sumas)")
    result: BalanceTributarioResult = Field(description="Resultado del ejercicio")
    totals: EightColumns = Field(description="sums + result (Totales)")


class ReverseIn(Body):
    reason: Text(300, multiline=True) | None = Field(
        default=None, examples=["Factura anulada por el cliente"])
    on: date | None = Field(default=None, alias="date",
                            description="the reversal's date (default: today); in an open "
                                        "period, not before the entry's own date")


# --- periods -------------------------------------------------------------------------


class PeriodOut(BaseModel):
    month: str = Field(examples=["2026-10"])
    status: Literal["open", "closed"]
    closed_at: datetime | None
    reopened_at: datetime | None
    entries: int = Field(description="journal entries dated in the month")


# --- reports -------------------------------------------------------------------------


class JournalTotals(BaseModel):
    entries: int
    debit: int
    credit: int


class JournalOut(BaseModel):
    date_from: date | None = Field(alias="from")
    date_to: date | None = Field(alias="to")
    entries: list[EntryOut]
    totals: JournalTotals


class LedgerLineOut(BaseModel):
    entry_id: str
    number: int
    entry_date: date
    glosa: str
    account_code: str
    counterparty_rut: str | None
    debit: int
    credit: int
    balance: int = Field(description="running balance, debit − credit (negative: acreedor)")


class LedgerTotals(BaseModel):
    debit: int
    credit: int


class LedgerOut(BaseModel):
    account_code: str
    account_name: str
    date_from: date | None = Field(alias="from")
    date_to: date | None = Field(alias="to")
    opening_balance: int = Field(description="balance of everything before 'from'")
    lines: list[LedgerLineOut]
    totals: LedgerTotals
    closing_balance: int


class AuxiliaryRow(BaseModel):
    rut: str | None
    name: str | None
    debit: int = Field(description="the range's debits")
    credit: int = Field(description="the range's credits")
    balance: int = Field(description="the closing balance (same as closing_balance)")
    opening_balance: int = Field(description=_OPENING)
    closing_balance: int = Field(description="opening_balance + debit − credit")


class AuxiliaryTotals(BaseModel):
    debit: int
    credit: int
    balance: int
    opening_balance: int
    closing_balance: int = Field(description="the account's libro mayor closing_balance of "
                                             "the same range")


class AuxiliaryBalancesOut(BaseModel):
    """Saldos per RUT of an auxiliary account: each RUT with movements in the range or a
    balance before it; lines without a RUT are one row with rut null."""

    account_code: str
    account_name: str
    date_from: date | None = Field(alias="from")
    date_to: date | None = Field(alias="to")
    rows: list[AuxiliaryRow]
    totals: AuxiliaryTotals


class AmountsOut(BaseModel):
    count: int
    net: int
    exempt: int
    vat: int
    total: int


class DifferenceTotals(BaseModel):
    count: int = Field(description="invoicing's count − posted count")
    total: int = Field(description="invoicing's total − posted total")


class ReconciliationLine(BaseModel):
    direction: Direction
    dte_type: int
    invoicing: AmountsOut = Field(description="as invoicing holds them (its manifest)")
    posted: AmountsOut = Field(description="posted in the books (not reversed)")
    pending_review: AmountsOut
    held: AmountsOut
    nothing_to_post: AmountsOut = Field(description="documents that by rule post nothing (a "
                                                    "guía, a note that only corrects text): "
                                                    "accounted for, not a difference")
    difference: DifferenceTotals


class ReconciliationDifference(BaseModel):
    document_key: str
    direction: str | None
    dte_type: int | None
    folio: int | None
    invoicing_total: int | None
    books_total: int | None
    status: str = Field(description="pending_review, held, reversed, missing, "
                                    "not_in_invoicing or amount_differs")
    reason: str


class ReconciliationOut(BaseModel):
    month: str
    sync_id: str = Field(description="the sync whose manifest is invoicing's side")
    synced_at: datetime
    balanced: bool = Field(description="no difference at all")
    lines: list[ReconciliationLine]
    differences: list[ReconciliationDifference]


# --- remembered detail accounts ----------------------------------------------------------


class RememberedAccountIn(Body):
    account_code: AccountCode = Field(
        min_length=1, examples=["410190"],
        description="a postable, active account of the company's chart that tracks no "
                    "counterparties: income for sales, expense or asset for purchases")


class RememberedAccountOut(BaseModel):
    direction: Direction
    counterparty_rut: str
    counterparty_name: str | None = Field(description="as the auxiliares know it (null for "
                                                      "a RUT no document has brought yet)")
    account_code: str
    account_name: str | None = Field(description="null if the account left the chart")
    origin: Origin = Field(description="review: a person's choice, remembered when the "
                                       "sync was confirmed; api: set with PUT")
    chosen_at: datetime
    sync_id: str | None = Field(description="origin review: the sync whose confirm "
                                            "remembered it")
    source_key: str | None = Field(description="origin review: the document the person "
                                               "changed")


class RememberedAccountPage(BaseModel):
    items: list[RememberedAccountOut]
    total: int
    offset: int
    limit: int
