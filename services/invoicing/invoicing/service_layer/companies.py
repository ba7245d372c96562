from sqlalchemy.exc import IntegrityError

from invoicing.domain.companies import Company, company_not_found_detail
from invoicing.domain.errors import AlreadyExists, NotFound
from invoicing.service_layer.unit_of_work import UnitOfWork


def _exists_detail(rut: str) -> str:
    return f"Company {rut} is already registered; use GET /v1/companies/{rut} to read it."


async def register(uow: UnitOfWork, rut: str, name: str) -> Company:
    """``rut`` is canonical already (validated at the edge)."""
    company = Company(rut=rut, name=name)
    async with uow:
        if await uow.companies.get(rut) is not None:
            raise AlreadyExists(_exists_detail(rut))
        await uow.companies.add(company)
        try:
            await uow.commit()
        except IntegrityError:
            # Someone registered it between our read and our insert.
            raise AlreadyExists(_exists_detail(rut)) from None
    return company


async def get(uow: UnitOfWork, rut: str) -> Company:
    async with uow:
        company = await uow.companies.get(rut)
    if company is None:
        raise NotFound(company_not_found_detail(rut))
    return company
