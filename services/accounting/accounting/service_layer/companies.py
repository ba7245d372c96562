"""Contracts, their companies and each company's chart of accounts."""

import uuid
from typing import Any

from accounting.domain.accounts import Account, AccountType
from accounting.domain.chart import default_chart
from accounting.domain.companies import Company, CompanyStatus, Contract
from accounting.domain.errors import Conflict, NotFound
from accounting.service_layer.integration_requests import reevaluate_conflicts
from accounting.service_layer.unit_of_work import Services, UnitOfWork


async def create_contract(services: Services, rut: str, name: str) -> dict[str, Any]:
    async with services.uow() as uow:
        if await uow.companies.get_contract(rut) is not None:
            raise Conflict(f"A contract with RUT {rut} already exists: use it, or check the RUT.")
        await uow.companies.add_contract(rut, name)
        await uow.commit()
    return {"rut": rut, "name": name}


async def get_contract(services: Services, rut: str) -> dict[str, Any]:
    async with services.uow() as uow:
        contract = await _contract(uow, rut)
    return {"rut": contract.rut, "name": contract.name}


async def create_company(services: Services, contract_rut: str, rut: str,
                         name: str) -> dict[str, Any]:
    company = {"id": str(uuid.uuid4()), "contract_rut": contract_rut, "rut": rut,
               "name": name, "status": CompanyStatus.ACTIVE.value}
    async with services.uow() as uow:
        await _contract(uow, contract_rut)
        await uow.companies.add_company(company, default_chart())
        await uow.commit()
    return company


async def list_companies(services: Services, contract_rut: str) -> list[dict[str, Any]]:
    async with services.reads() as uow:
        await _contract(uow, contract_rut)
        return [_company_view(c) for c in await uow.queries.list_companies(contract_rut)]


async def get_company(services: Services, company_id: str) -> dict[str, Any]:
    async with services.reads() as uow:
        return _company_view(await company_or_404(uow, company_id))


async def delete_company(services: Services, company_id: str) -> None:
    await _set_status(services, company_id, CompanyStatus.DELETED)


async def hide_company(services: Services, company_id: str) -> dict[str, Any]:
    return await _set_status(services, company_id, CompanyStatus.HIDDEN)


async def _set_status(services: Services, company_id: str,
                      status: CompanyStatus) -> dict[str, Any]:
    async with services.uow() as uow:
        company = await uow.companies.get_company(company_id, lock=True)
        if company is None:
            raise NotFound(f"There is no company with id {company_id}.")
        if company.status == CompanyStatus.DELETED and status == CompanyStatus.HIDDEN:
            raise Conflict(f"Company '{company.name}' ({company_id}) is deleted; a deleted "
                           "company cannot be hidden.")
        if company.status not in (status, CompanyStatus.DELETED):
            await uow.companies.set_company_status(company_id, status)
            await reevaluate_conflicts(uow, company.contract_rut)
        await uow.commit()
    return {**_company_view(company), "status": status.value}


async def list_accounts(services: Services, company_id: str) -> list[Account]:
    async with services.uow() as uow:
        await company_or_404(uow, company_id)
        return await uow.companies.list_accounts(company_id)


async def create_account(services: Services, company_id: str, code: str, name: str,
                         type: AccountType, auxiliary: bool) -> Account:
    account = Account(code, name, type, postable=True, auxiliary=auxiliary, active=True)
    async with services.uow() as uow:
        await company_or_404(uow, company_id)
        chart = await uow.companies.chart(company_id)
        if code in chart:
            existing = chart[code]
            raise Conflict(f"Account {existing.label} already exists in this company's chart: "
                           "use it, or choose a code that is not taken.")
        await uow.companies.add_account(company_id, account)
        await uow.commit()
    return account


async def company_or_404(uow: UnitOfWork, company_id: str, *, lock: bool = False) -> Company:
    company = await uow.companies.get_company(company_id, lock=lock)
    if company is None or company.status == CompanyStatus.DELETED:
        raise NotFound(f"There is no company with id {company_id}"
                       + (" (it was deleted)." if company is not None else "."))
    return company


async def _contract(uow: UnitOfWork, rut: str) -> Contract:
    contract = await uow.companies.get_contract(rut)
    if contract is None:
        raise NotFound(f"There is no contract with RUT {rut}: create it with POST /v1/contracts.")
    return contract


def _company_view(company: Company) -> dict[str, Any]:
    return {"id": company.id, "contract_rut": company.contract_rut, "rut": company.rut,
            "name": company.name, "status": str(company.status)}
