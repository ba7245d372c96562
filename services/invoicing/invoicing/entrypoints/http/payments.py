from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from invoicing.domain.documents import Counterparty, Reference
from invoicing.domain.payments import Payment, PaymentKind
from invoicing.entrypoints.http.dependencies import CompanyRut, Uow
from invoicing.entrypoints.http.documents import CounterpartyModel, CounterpartyOut
from invoicing.service_layer import payments
from shared.http.pagination import MAX_OFFSET
from shared.http.problems import PROBLEM_RESPONSES
from shared.money import Pesos

router = APIRouter(prefix="/v1/companies/{rut}/payments", tags=["payments"],
                   responses=PROBLEM_RESPONSES)


class PaidDocument(BaseModel):
    model_config = ConfigDict(extra="forbid")
    dte_type: StrictInt = Field(ge=1, le=999, examples=[33])
    folio: StrictInt = Field(ge=1, examples=[1021])
    issue_date: date | None = None


class PaymentIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{
            "kind": "collection", "amount": 119000, "paid_on": "2024-03-20",
            "counterparty": {"rut": "12.345.678-5", "name": "Distribuidora Sur Ltda."},
            "documents": [{"dte_type": 33, "folio": 1021}],
        }]},
    )
    kind: PaymentKind = Field(description="payment: to a supplier; collection: from a customer")
    counterparty: CounterpartyModel
    amount: Pesos
    paid_on: date
    documents: list[PaidDocument] = Field(default_factory=list, max_length=200,
                                          description="the documents it settles")


class PaymentOut(BaseModel):
    id: str
    company_rut: str
    kind: PaymentKind
    counterparty: CounterpartyOut
    amount: int
    paid_on: date
    documents: list[PaidDocument]

    @classmethod
    def of(cls, p: Payment) -> "PaymentOut":
        return cls(id=p.id, company_rut=p.company_rut, kind=p.kind,
                   counterparty=CounterpartyOut(rut=p.counterparty.rut,
                                                name=p.counterparty.name),
                   amount=p.amount, paid_on=p.paid_on,
                   documents=[PaidDocument(dte_type=r.dte_type, folio=r.folio,
                                           issue_date=r.issue_date) for r in p.documents])


class PaymentPage(BaseModel):
    items: list[PaymentOut]
    total: int
    offset: int
    limit: int


@router.post("", status_code=status.HTTP_201_CREATED, response_model=PaymentOut,
             summary="Record a payment to a supplier or a collection from a customer")
async def record_payment(rut: CompanyRut, body: PaymentIn, uow: Uow) -> PaymentOut:
    payment = Payment(
        id="", company_rut=rut, kind=body.kind,
        counterparty=Counterparty(body.counterparty.rut, body.counterparty.name),
        amount=body.amount, paid_on=body.paid_on,
        documents=tuple(Reference(dte_type=d.dte_type, folio=d.folio, issue_date=d.issue_date)
                        for d in body.documents),
    )
    return PaymentOut.of(await payments.record(uow, payment))


@router.get("", response_model=PaymentPage, summary="The company's payments and collections")
async def list_payments(rut: CompanyRut, uow: Uow,
                        offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
                        limit: Annotated[int, Query(ge=1, le=500)] = 100) -> PaymentPage:
    items, total = await payments.list_payments(uow, rut, offset, limit)
    return PaymentPage(items=[PaymentOut.of(p) for p in items], total=total, offset=offset,
                       limit=limit)
