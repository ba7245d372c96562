from typing import Literal

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, ConfigDict, Field

from invoicing.domain.integration import IntegrationLink
from invoicing.entrypoints.http.dependencies import CompanyRut, Uow
from invoicing.service_layer import integration
from shared.http.problems import PROBLEM_RESPONSES
from shared.rut import Rut

router = APIRouter(prefix="/v1/companies/{rut}/integration", tags=["integration"],
                   responses=PROBLEM_RESPONSES)


class IntegrationIn(BaseModel):
    model_config = ConfigDict(extra="forbid",
                              json_schema_extra={"examples": [{"contract_rut": "60.805.000-0"}]})
    contract_rut: Rut = Field(
        description="the RUT holding the accounting contract (not necessarily the company's)"
    )


class ConnectionOut(BaseModel):
    contract_rut: str = Field(examples=["60805000-0"])
    accounting_company_id: str
    request_id: str = Field(description="the approved request this link comes from")


class IntegrationOut(BaseModel):
    status: Literal["pending", "approved", "rejected", "conflict"]
    contract_rut: str = Field(examples=["60805000-0"])
    request_id: str
    detail: str = Field(description="what the status means and what to do next")
    accounting_company_id: str | None = Field(
        default=None, description="the company in accounting, once approved"
    )
    connection: ConnectionOut | None = Field(
        default=None, description="the approved link in force: the only accounting company "
                                  "the documents go to. While a change of accountant waits "
                                  "for approval it is the old one; null before any approval")

    @classmethod
    def of(cls, link: IntegrationLink) -> "IntegrationOut":
        connection = link.connection
        return cls(status=link.status.value, contract_rut=link.contract_rut,
                   request_id=link.request_id, detail=link.detail,
                   accounting_company_id=link.accounting_company_id,
                   connection=ConnectionOut(contract_rut=connection.contract_rut,
                                            accounting_company_id=connection.accounting_company_id,
                                            request_id=connection.request_id)
                   if connection else None)


@router.put(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=IntegrationOut,
    summary="Ask to be integrated with an accounting contract",
    responses={200: {"model": IntegrationOut,
                     "description": "No new request: the current one is already pending or "
                                    "approved for that contract, or the company is connected "
                                    "to it. The request is announced to accounting again "
                                    "(same id), which repairs a lost request or link and "
                                    "changes nothing else"}},
)
async def request_integration(rut: CompanyRut, body: IntegrationIn, uow: Uow,
                              response: Response) -> IntegrationOut:
    result = await integration.request(uow, rut, body.contract_rut)
    if not result.requested:
        response.status_code = status.HTTP_200_OK
    return IntegrationOut.of(result.link)


@router.get("", response_model=IntegrationOut, summary="The state of the integration request")
async def get_integration(rut: CompanyRut, uow: Uow) -> IntegrationOut:
    return IntegrationOut.of(await integration.get(uow, rut))
