from dataclasses import asdict
from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Query, status
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    WithJsonSchema,
    model_validator,
)

from invoicing.domain.documents import (
    SUPPORTED_DTE_TYPES,
    Counterparty,
    Direction,
    Document,
    DocumentDraft,
    DocumentStatus,
    ForeignCurrency,
    OtherTax,
    Reference,
    VatBreakdown,
)
from invoicing.entrypoints.http.dependencies import CompanyRut, Uow
from invoicing.service_layer import documents
from shared.http.pagination import MAX_OFFSET
from shared.http.problems import PROBLEM_RESPONSES
from shared.money import Pesos
from shared.rut import Rut
from shared.text import Text

router = APIRouter(prefix="/v1/companies/{rut}/documents", tags=["documents"],
                   responses=PROBLEM_RESPONSES)

_DTE_TYPE_DESCRIPTION = "tipo DTE (SII code); supported: " + ", ".join(
    f"{code} {name}" for code, name in SUPPORTED_DTE_TYPES.items()
)


# Request models check every string (bounded, no control characters: shared.text); the
# answers have their own models, so a document imported with, say, a tab in a name is
# still shown.


class CounterpartyModel(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    rut: Rut
    name: Text(200) = Field(min_length=1, examples=["Distribuidora Sur Ltda."])


class CounterpartyOut(BaseModel):
    rut: str = Field(examples=["12345678-5"])
    name: str = Field(examples=["Distribuidora Sur Ltda."])


class ReferenceModel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    dte_type: StrictInt = Field(ge=1, le=999, examples=[33])
    folio: StrictInt = Field(ge=1, examples=[1021])
    issue_date: date | None = None
    code: Literal[1, 2, 3] | None = Field(
        default=None, description="1 anula, 2 corrige texto, 3 corrige montos"
    )
    reason: Text(200) | None = None


class ReferenceOut(BaseModel):
    dte_type: int = Field(examples=[33])
    folio: int = Field(examples=[1021])
    issue_date: date | None = None
    code: Literal[1, 2, 3] | None = Field(
        default=None, description="1 anula, 2 corrige texto, 3 corrige montos"
    )
    reason: str | None = None


class OtherTaxModel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: StrictInt = Field(ge=1, le=999, examples=[24],
                            description="SII code of the additional tax (ImptoReten TipoImp)")
    rate: float | None = Field(default=None, ge=0, examples=[31.5], description="percentage")
    amount: Pesos


def _short_decimal(value: object) -> object:
    # A decimal may come as a string: bound it before it is parsed, as every string is.
    if isinstance(value, str) and len(value) > _DECIMAL_CHARACTERS:
        raise ValueError(f"at most {_DECIMAL_CHARACTERS} characters, e.g. 30276.00")
    return value


_DECIMAL_CHARACTERS = 40
StatedDecimal = Annotated[Decimal, BeforeValidator(_short_decimal), WithJsonSchema({
    "anyOf": [{"type": "number"},
              {"type": "string", "maxLength": _DECIMAL_CHARACTERS,
               "pattern": r"^-?\d+(\.\d+)?$"}]})]


class ForeignCurrencyModel(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    currency: Text(30) = Field(min_length=1, examples=["DOLAR USA"],
                               description="the DTE's TpoMoneda")
    total: StatedDecimal = Field(ge=0, max_digits=24, decimal_places=6, examples=["30276.00"],
                           description="MntTotal in that currency, as the DTE states it")
    exchange_rate: StatedDecimal | None = Field(
        default=None, gt=0, max_digits=24, decimal_places=6, examples=["950.45"],
        description="TpoCambio: pesos per unit of the currency")


class VatBreakdownIn(BaseModel):
    """A purchase's IVA by kind (DESIGN §6b), as the RCV compras columns say it."""

    model_config = ConfigDict(extra="forbid")
    recoverable: Pesos = Field(default=0, description="IVA recuperable: crédito fiscal")
    non_recoverable: Pesos = Field(default=0, description="IVA no recuperable: cost")
    non_recoverable_code: int | None = Field(
        default=None, ge=1, le=9, description="1 operaciones no gravadas o exentas, 2 fuera "
        "de plazo, 3 gastos rechazados, 4 entregas gratuitas, 9 otros")
    common_use: Pesos = Field(default=0, description="IVA uso común")
    fixed_asset_net: Pesos = Field(default=0, description="the part of neto that is a fixed "
                                                          "asset (activo fijo)")
    fixed_asset_vat: Pesos = Field(default=0, description="its IVA (part of recoverable)")
    without_credit: Pesos = Field(default=0, description="impuesto sin derecho a crédito")


class DocumentIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{
            "direction": "sales", "dte_type": 33, "folio": 1021, "issue_date": "2024-03-05",
            "counterparty": {"rut": "12.345.678-5", "name": "Distribuidora Sur Ltda."},
            "net": 100000, "exempt": 0, "vat": 19000, "total": 119000,
        }]},
    )
    direction: Direction = Field(
        description="sales: the company sold (issued, except a 46); purchases: it bought"
    )
    dte_type: StrictInt = Field(description=_DTE_TYPE_DESCRIPTION)
    folio: StrictInt = Field(ge=1)
    issue_date: date
    counterparty: CounterpartyModel = Field(
        description="the customer in sales, the supplier in purchases"
    )
    net: Pesos = 0
    exempt: Pesos = 0
    vat: Pesos = 0
    total: Pesos = 0
    references: list[ReferenceModel] = Field(default_factory=list, max_length=40)
    other_taxes: list[OtherTaxModel] = Field(
        default_factory=list, max_length=20,
        description="additional taxes included in the total (ILA, impuesto específico…)",
    )
    vat_retained: Pesos = Field(default=0, description="IVA retained by the buyer (e.g. a 46)")
    foreign_currency: ForeignCurrencyModel | None = Field(
        default=None, description="for a document issued in another currency (exports): what "
                                  "it states there; the amounts above are its pesos")
    received_on: date | None = Field(
        default=None, description="purchases: the day the company received it")
    vat_breakdown: VatBreakdownIn | None = Field(
        default=None, description="purchases: the IVA by kind, so crédito fiscal is told from "
                                  "cost; recoverable + non_recoverable + common_use must be "
                                  "the vat. Unset: all of it is crédito fiscal")
    construction_credit: Pesos = Field(
        default=0, description="CredEC: crédito especial empresas constructoras (DL 910 art. "
                               "21), subtracted from the total")
    container_deposit: Pesos = Field(
        default=0, description="GrntDep: deposit for containers, added to the total")

    @model_validator(mode="after")
    def _breakdown_makes_the_vat(self) -> "DocumentIn":
        split = self.vat_breakdown
        if split is None:
            return self
        if self.direction != "purchases":
            raise ValueError("vat_breakdown is for purchases: a sale's IVA is débito fiscal")
        columns = split.recoverable + split.non_recoverable + split.common_use
        if columns != self.vat:
            raise ValueError(f"vat_breakdown: recoverable + non_recoverable + common_use is "
                             f"{columns}, but vat is {self.vat}: make them agree")
        if split.fixed_asset_net > self.net:
            raise ValueError("vat_breakdown.fixed_asset_net is more than net")
        return self

    def draft(self) -> DocumentDraft:
        return DocumentDraft(
            direction=self.direction,
            dte_type=self.dte_type,
            folio=self.folio,
            issue_date=self.issue_date,
            counterparty=Counterparty(self.counterparty.rut, self.counterparty.name),
            net=self.net,
            exempt=self.exempt,
            vat=self.vat,
            total=self.total,
            references=tuple(Reference(**r.model_dump()) for r in self.references),
            other_taxes=tuple(OtherTax(**t.model_dump()) for t in self.other_taxes),
            vat_retained=self.vat_retained,
            foreign_currency=None if self.foreign_currency is None else ForeignCurrency(
                **self.foreign_currency.model_dump()),
            received_on=self.received_on,
            vat_breakdown=None if self.vat_breakdown is None else VatBreakdown(
                **self.vat_breakdown.model_dump()),
            construction_credit=self.construction_credit,
            container_deposit=self.container_deposit,
        )


class VatBreakdownModel(BaseModel):
    recoverable: int = Field(description="Monto IVA Recuperable")
    non_recoverable: int = Field(description="Monto Iva No Recuperable")
    non_recoverable_code: int | None = Field(description="Codigo IVA No Rec.")
    common_use: int = Field(description="IVA uso Comun")
    fixed_asset_net: int = Field(description="Monto Neto Activo Fijo")
    fixed_asset_vat: int = Field(description="IVA Activo Fijo")
    without_credit: int = Field(description="Impto. Sin Derecho a Credito")
    not_retained: int = Field(description="IVA No Retenido")
    tobacco_cigars: int = Field(description="Tabacos Puros")
    tobacco_cigarettes: int = Field(description="Tabacos Cigarrillos")
    tobacco_processed: int = Field(description="Tabacos Elaborados")


class DocumentOut(BaseModel):
    id: str = Field(examples=["0b5f3c1e-8a0e-4a57-9d0a-6d9f1f3b2c11"])
    company_rut: str
    direction: Direction
    dte_type: int
    folio: int
    issue_date: date
    issuer_rut: str = Field(description="who issued the DTE: the seller, or the buyer for a 46")
    counterparty: CounterpartyOut
    net: int
    exempt: int
    vat: int
    total: int
    references: list[ReferenceOut]
    other_taxes: list[OtherTaxModel] = Field(default_factory=list)
    vat_retained: int = 0
    foreign_currency: ForeignCurrencyModel | None = Field(
        default=None, description="set for a document issued in another currency (exports, "
                                  "from its DTE's Totales and OtraMoneda): the amounts above "
                                  "are its pesos")
    received_on: date | None = Field(
        default=None, description="purchases: the day the company received it (the RCV's "
                                  "Fecha Recepcion, or the day its DTE was imported)")
    vat_breakdown: VatBreakdownModel | None = Field(
        default=None, description="purchases from an RCV: the IVA by column (vat is "
                                  "recoverable + non_recoverable + common_use)")
    construction_credit: int = Field(
        default=0, description="CredEC (crédito especial empresas constructoras): total = net "
                               "+ exempt + vat + other taxes − vat_retained − "
                               "construction_credit + container_deposit")
    container_deposit: int = Field(default=0, description="GrntDep (garantía por envases)")
    status: DocumentStatus = Field(
        default=DocumentStatus.RECORDED,
        description="recorded: part of the books, synchronised to accounting; "
                    "pending_acceptance: from the RCV's pendientes, not yet accepted by the "
                    "company, so not synchronised until a registro that lists it is imported")

    @classmethod
    def of(cls, d: Document) -> "DocumentOut":
        return cls(
            id=d.id, company_rut=d.company_rut, direction=d.direction, dte_type=d.dte_type,
            folio=d.folio, issue_date=d.issue_date, issuer_rut=d.issuer_rut,
            counterparty=CounterpartyOut(rut=d.counterparty.rut, name=d.counterparty.name),
            net=d.net, exempt=d.exempt, vat=d.vat, total=d.total,
            references=[ReferenceOut(dte_type=r.dte_type, folio=r.folio,
                                     issue_date=r.issue_date, code=r.code, reason=r.reason)
                        for r in d.references],
            other_taxes=[OtherTaxModel(code=t.code, rate=t.rate, amount=t.amount)
                         for t in d.other_taxes],
            vat_retained=d.vat_retained,
            foreign_currency=None if d.foreign_currency is None else ForeignCurrencyModel(
                currency=d.foreign_currency.currency, total=d.foreign_currency.total,
                exchange_rate=d.foreign_currency.exchange_rate),
            received_on=d.received_on,
            vat_breakdown=None if d.vat_breakdown is None else VatBreakdownModel(
                **asdict(d.vat_breakdown)),
            construction_credit=d.construction_credit, container_deposit=d.container_deposit,
            status=d.status,
        )


class DocumentPageOut(BaseModel):
    items: list[DocumentOut]
    total: int = Field(description="documents matching the filter")
    offset: int
    limit: int


@router.post("", status_code=status.HTTP_201_CREATED, response_model=DocumentOut,
             summary="Record a sales or purchase document as issued")
async def record_document(rut: CompanyRut, body: DocumentIn, uow: Uow) -> DocumentOut:
    return DocumentOut.of(await documents.record(uow, rut, body.draft()))


@router.get("", response_model=DocumentPageOut,
            summary="List the company's documents by issue date, then folio")
async def list_documents(
    rut: CompanyRut,
    uow: Uow,
    date_from: Annotated[date | None, Query(alias="from", description="first issue date")] = None,
    date_to: Annotated[date | None, Query(alias="to", description="last issue date")] = None,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> DocumentPageOut:
    page = await documents.list_documents(uow, rut, date_from, date_to, offset, limit)
    return DocumentPageOut(items=[DocumentOut.of(d) for d in page.items], total=page.total,
                           offset=page.offset, limit=page.limit)
