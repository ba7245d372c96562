from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field

from invoicing.entrypoints.http.access import ensure_may_register
from invoicing.entrypoints.http.dependencies import CompanyRut, Uow
from invoicing.service_layer import companies
from shared.http.auth import CurrentPrincipal
from shared.http.problems import PROBLEM_RESPONSES
from shared.rut import Rut
from shared.text import Text

router = APIRouter(prefix="/v1/companies", tags=["companies"], responses=PROBLEM_RESPONSES)


class CompanyIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={"examples": [{"rut": "76.354.771-K", "name": "Comercial Andes SpA"}]},
    )
    rut: Rut
    name: Text(200) = Field(min_length=1)


class CompanyOut(BaseModel):
    rut: str = Field(examples=["76354771-K"])
    name: str = Field(examples=["Comercial Andes SpA"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=CompanyOut,
             summary="Register an issuing company")
async def register_company(body: CompanyIn, uow: Uow, principal: CurrentPrincipal) -> CompanyOut:
    ensure_may_register(principal, body.rut)
    company = await companies.register(uow, body.rut, body.name)
    return CompanyOut(rut=company.rut, name=company.name)


@router.get("/{rut}", response_model=CompanyOut, summary="Read a company")
async def get_company(rut: CompanyRut, uow: Uow) -> CompanyOut:
    company = await companies.get(uow, rut)
    return CompanyOut(rut=company.rut, name=company.name)
