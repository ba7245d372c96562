"""The worker → accounting internal API contract (not part of the public OpenAPI).

The worker reads a company's posting profile, turns documents into proposed entries
and hands them over in batches. Accounting stores each proposal once per
(sync session or company, source_key): handing the same batch over again changes nothing.
"""

from datetime import date
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.events import PaymentRecorded, TaxDocument
from shared.money import Pesos
from shared.rut import Rut
from shared.text import IDENTIFIER_MAX_LENGTH

INTERNAL_PREFIX = "/internal/v1"

# The problem type of a proposal batch built with settings that are no longer current: the
# worker drops the profiles it cached for the companies named, fetches them again and
# builds the batch again (see ProposalBatch.settings_versions).
STALE_SETTINGS = "/problems/stale-settings"


class AccountPair(BaseModel):
    auxiliary_account: str = Field(description="control account tracked per counterparty RUT")
    detail_account: str = Field(description="revenue or expense account of the document")


# ILA (impuesto adicional a las bebidas), by SII tax code, in the default chart.
DEFAULT_OTHER_TAX_ACCOUNTS: dict[str, str] = {
    "24": "210720",  # licores, piscos, whisky: 31,5%
    "25": "210721",  # vinos: 20,5%
    "26": "210722",  # cervezas y otras bebidas alcohólicas: 20,5%
    "27": "210723",  # bebidas analcohólicas: 10%
    "271": "210724",  # bebidas analcohólicas con elevado contenido de azúcar: 18%
    # Not IVA: the income tax of the suplementeros (LIR art. 74 N°5, 0,5 % of the public
    # price) that the publisher or distributor selling to them retains and pays (F29 line
    # 54), so on a sale it is owed like any retention, never IVA Retenido (DESIGN §6b).
    "53": "210745",  # Impuesto a la Renta Retenido
}
# On a purchase the ILA is a credit the buyer recovers, not a debt (DESIGN §6b). A 53 on a
# purchase is the buyer's own income tax, retained by the seller: a cost or a credit
# depending on the buyer, so it has no default and waits for the accountant's account.
DEFAULT_PURCHASE_OTHER_TAX_ACCOUNTS: dict[str, str] = dict.fromkeys(
    ("24", "25", "26", "27", "271"), "110715")  # ILA por Recuperar
DEFAULT_ISSUED_VAT_TOLERANCE = 2  # pesos an issued document's IVA may differ by, with a note


class PurchaseEntryDate(StrEnum):
    """Which date of a purchase its entry takes (DESIGN §6b)."""

    # The crédito fiscal belongs to the month the document was received (DL 825 art. 24).
    RECEIVED = "received"
    ISSUED = "issued"


class PostingProfile(BaseModel):
    """Everything the worker needs to post a company's documents: account codes."""

    accounting_company_id: str
    company_rut: Rut
    sales: AccountPair
    purchases: AccountPair
    payments_account: str | None = None
    collections_account: str | None = None
    vat_debit_account: str = "210710"  # IVA Débito Fiscal
    vat_credit_account: str = "110710"  # IVA Crédito Fiscal
    vat_retained_account: str = "210715"  # IVA Retenido a terceros
    export_sales_account: str = "310125"  # Ventas de Exportación
    vat_common_use_account: str = "110730"  # IVA Crédito Fiscal Uso Común
    construction_credit_account: str = "110750"  # Crédito Especial Empresas Constructoras
    container_deposit_account: str = "210760"  # Garantía por Envases
    fixed_asset_account: str | None = Field(
        default=None, description="the neto of a fixed asset bought (RCV Monto Neto Activo "
                                  "Fijo); unset: such a purchase is held saying so")
    non_recoverable_vat_account: str | None = Field(
        default=None, description="IVA no recuperable and impuesto sin derecho a crédito, a "
                                  "cost; unset: added to the purchase's detail account")
    other_tax_accounts: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_OTHER_TAX_ACCOUNTS),
        description="account of each additional tax on a sale, by SII tax code "
                    "(TaxDocument.other_taxes)",
    )
    purchase_other_tax_accounts: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_PURCHASE_OTHER_TAX_ACCOUNTS),
        description="account of each additional tax on a purchase, by SII tax code",
    )
    issued_vat_tolerance: int = Field(
        default=DEFAULT_ISSUED_VAT_TOLERANCE, ge=0, le=1000,
        description="pesos by which an issued document's IVA may differ from round(neto × "
                    "19%) and still post as stated, with a note; received documents always "
                    "post as stated",
    )
    purchase_entry_date: PurchaseEntryDate = Field(
        default=PurchaseEntryDate.RECEIVED,
        description="received: a purchase's entry is dated the day the company received it "
                    "(TaxDocument.received_on), or its issue date when that is not known; "
                    "issued: always its issue date")
    settings_version: int = Field(
        default=0, ge=0,
        description="the company's settings version this profile was read at: it goes up "
                    "by one with every change of the settings; a batch of proposals says "
                    "which version it was built with (ProposalBatch.settings_versions)")


class LineRole(StrEnum):
    AUXILIARY = "auxiliary"  # Clientes / Proveedores, per counterparty
    DETAIL = "detail"  # Ventas / Compras: the one a reviewer may change
    VAT_DEBIT = "vat_debit"
    VAT_CREDIT = "vat_credit"
    VAT_RETAINED = "vat_retained"
    OTHER_TAX = "other_tax"
    VAT_COMMON_USE = "vat_common_use"  # IVA uso común, proportioned at month end
    NON_RECOVERABLE_VAT = "non_recoverable_vat"  # IVA that is cost, on its own account
    FIXED_ASSET = "fixed_asset"  # the neto of an activo fijo
    CONSTRUCTION_CREDIT = "construction_credit"  # CredEC, recovered by the constructora
    CONTAINER_DEPOSIT = "container_deposit"  # GrntDep, owed back to the customer
    CASH = "cash"  # the payments / collections account


class ProposedLine(BaseModel):
    model_config = ConfigDict(extra="forbid")
    account_code: str = Field(min_length=1, max_length=20)
    role: LineRole
    debit: Pesos = 0
    credit: Pesos = 0
    counterparty_rut: Rut | None = None
    description: str | None = Field(default=None, max_length=200)

    @model_validator(mode="after")
    def _one_side(self) -> "ProposedLine":
        if (self.debit > 0) == (self.credit > 0):
            raise ValueError("a line has either a debit or a credit amount, not both or neither")
        return self


EntryKind = Literal["ingreso", "egreso", "traspaso"]
NOTHING_TO_POST = "nothing_to_post"


class ProposedEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    entry_date: date
    kind: EntryKind
    glosa: str = Field(max_length=300)
    lines: list[ProposedLine] = Field(min_length=2)
    note: str | None = Field(default=None, max_length=500,
                             description="worth a look before confirming, e.g. an IVA posted "
                                         "as the document states it")

    @property
    def total_debit(self) -> int:
        return sum(line.debit for line in self.lines)

    @property
    def total_credit(self) -> int:
        return sum(line.credit for line in self.lines)

    @property
    def is_balanced(self) -> bool:
        return self.total_debit == self.total_credit


class Proposal(BaseModel):
    """One document (or payment) turned into a proposed entry, or held with a reason."""

    model_config = ConfigDict(extra="forbid")
    # Bounded as the columns that keep them are, so a longer one is a 422 and not a
    # database error.
    event_id: str = Field(max_length=64, description="the event it came from, for tracing")
    sync_id: str | None = Field(default=None, max_length=IDENTIFIER_MAX_LENGTH,
                                description="null for live documents")
    company_rut: Rut
    source_key: str = Field(max_length=200,
                            description="natural key: what makes it unique in the books")
    document: TaxDocument | None = None
    payment: PaymentRecorded | None = None
    entry: ProposedEntry | None = None
    hold_reason: str | None = Field(default=None, max_length=2000,
                                   description="why it cannot be posted as is")
    hold_code: Literal["nothing_to_post"] | None = Field(
        default=None, description="nothing_to_post: by rule the document posts nothing (a "
                                  "guía, a note that only corrects text), so it is no "
                                  "difference between invoicing and the books")

    @model_validator(mode="after")
    def _entry_or_reason(self) -> "Proposal":
        if (self.entry is None) == (self.hold_reason is None):
            raise ValueError("a proposal has either an entry or a hold_reason")
        if (self.document is None) == (self.payment is None):
            raise ValueError("a proposal carries either a document or a payment")
        if self.hold_code is not None and self.hold_reason is None:
            raise ValueError("a hold_code comes with its hold_reason")
        return self


class ProposalBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    proposals: list[Proposal] = Field(min_length=1, max_length=2000)
    settings_versions: dict[str, int] | None = Field(
        default=None,
        description="the settings version (PostingProfile.settings_version) each proposal "
                    "was built with, by accounting company id. Accounting refuses the whole "
                    "batch with 409 " + STALE_SETTINGS + " when a company it stores into "
                    "has another version now (or is missing here), naming those companies, "
                    "so nothing is stored with stale accounts. The worker always sends it; "
                    "null (tools and tests that build proposals by hand) is not checked.")


class ProposalResult(BaseModel):
    accepted: int = Field(description="proposals stored now")
    duplicates: int = Field(description="proposals already stored before: nothing changed")
