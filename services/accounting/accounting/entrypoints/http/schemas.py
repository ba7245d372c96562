"""Request and response bodies of the public API."""

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from accounting.domain.accounts import AccountType
from accounting.domain.syncs import DocumentStatus, SyncStatus
from shared.events import Counterparty, Direction, DocumentReference
from shared.money import Pesos
from shared.rut import Rut


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- contracts and companies ------------------------------------------------------------


class ContractIn(Body):
    rut: Rut = Field(description="the contract holder's RUT", examples=["76354771-K"])
    name: str = Field(min_length=1, max_length=200, examples=["Contadores Asociados SpA"])


class ContractOut(BaseModel):
    rut: str = Field(examples=["76354771-K"])
    name: str


class CompanyIn(Body):
    rut: Rut = Field(examples=["12345678-5"])
    name: str = Field(min_length=1, max_length=200, examples=["Ferretería A"])


class CompanyOut(BaseModel):
    id: str = Field(examples=["6a0f1c9e-3c1b-4c6f-9b7e-2f1d1e0a9c11"])
    contract_rut: str
    rut: str
    name: str
    status: Literal["active", "hidden", "deleted"]


class AccountIn(Body):
    code: str = Field(pattern=r"^\d{1,20}$", description="digits, unique in the company",
                      examples=["310130"])
    name: str = Field(min_length=1, max_length=200, examples=["Ventas Online"])
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
    status: Literal["pending", "conflict", "approved", "rejected"]
    detail: str | None = Field(description="why it is in conflict or was rejected")
    company_id: str | None = Field(description="the approved accounting company")
    requested_at: datetime
    decided_at: datetime | None


class ApproveIn(Body):
    company_id: str = Field(description="the accounting company that keeps these books")


class RejectIn(Body):
    reason: str | None = Field(default=None, max_length=500)


# --- settings ---------------------------------------------------------------------------

class AccountPairIn(Body):
    auxiliary_account: str | None = Field(default=None, min_length=1, max_length=20,
                                          examples=["110310"])
    detail_account: str | None = Field(default=None, min_length=1, max_length=20,
                                       examples=["310115"])


class InvoiceSettingsIn(Body):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "sales": {"auxiliary_account": "110310", "detail_account": "310115"},
        "purchases": {"auxiliary_account": "210210", "detail_account": "410230"},
        "payments_account": "110102",
        "collections_account": "110102",
    }]})
    sales: AccountPairIn = Field(default_factory=AccountPairIn)
    purchases: AccountPairIn = Field(default_factory=AccountPairIn)
    payments_account: str | None = Field(default=None, min_length=1, max_length=20)
    collections_account: str | None = Field(default=None, min_length=1, max_length=20)


class AccountPairOut(BaseModel):
    auxiliary_account: str | None
    detail_account: str | None


class InvoiceSettingsOut(BaseModel):
    sales: AccountPairOut
    purchases: AccountPairOut
    payments_account: str | None
    collections_account: str | None
    missing: list[str] = Field(description="what is still required, in words")


# --- integrations and syncs ------------------------------------------------------------


class IntegrationOut(BaseModel):
    key: str = Field(examples=["factura-electronica"])
    name: str = Field(examples=["Factura Electrónica Nubox"])
    request_status: Literal["none", "pending", "conflict", "approved", "rejected"]
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
    date_from: date = Field(alias="from")
    date_to: date = Field(alias="to")
    status: SyncStatus
    expected: int | None = Field(description="documents invoicing will send; null until known")
    received: int
    ready: int
    held: int
    already_posted: int
    posted: int
    created_at: datetime
    confirmed_at: datetime | None


class DocumentOut(BaseModel):
    document_id: str
    dte_type: int
    folio: int
    direction: Direction
    issue_date: date
    counterparty: Counterparty
    net: Pesos
    exempt: Pesos
    vat: Pesos
    total: Pesos
    references: list[DocumentReference] = []


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
    document: DocumentOut
    status: DocumentStatus
    hold_reason: str | None
    entry: ProposedEntryOut | None
    entry_id: str | None = Field(description="the posted journal entry")


class SyncDocumentPage(BaseModel):
    items: list[SyncDocumentOut]
    total: int
    offset: int
    limit: int


class DetailAccountIn(Body):
    detail_account: str = Field(min_length=1, max_length=20, examples=["310120"])


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
    lines: list[LineOut]


class EntryPage(BaseModel):
    items: list[EntryOut]
    total: int
    offset: int
    limit: int


class TrialBalanceRow(BaseModel):
    account_code: str
    account_name: str
    debit: int
    credit: int
    debit_balance: int
    credit_balance: int


class TrialBalanceTotals(BaseModel):
    debit: int
    credit: int
    debit_balance: int
    credit_balance: int


class TrialBalanceOut(BaseModel):
    date_from: date | None = Field(alias="from")
    date_to: date | None = Field(alias="to")
    rows: list[TrialBalanceRow]
    totals: TrialBalanceTotals
