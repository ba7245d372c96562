"""The company asks to be integrated with an accounting contract."""

import uuid
from dataclasses import dataclass

from invoicing.domain.companies import company_not_found_detail
from invoicing.domain.errors import NotFound
from invoicing.domain.integration import IntegrationLink, not_requested_detail
from invoicing.service_layer.unit_of_work import UnitOfWork
from shared.events import CloudEvent, IntegrationRequested


@dataclass(frozen=True)
class RequestResult:
    link: IntegrationLink
    requested: bool  # False: already approved for that contract, nothing sent


async def request(uow: UnitOfWork, company_rut: str, contract_rut: str) -> RequestResult:
    async with uow:
        company = await uow.companies.get(company_rut, for_update=True)
        if company is None:
            raise NotFound(company_not_found_detail(company_rut))
        current = await uow.links.get(company_rut, for_update=True)
        if current is not None and not current.needs_new_request(contract_rut):
            return RequestResult(current, requested=False)
        request_id = str(uuid.uuid4())
        if current is None:
            link = IntegrationLink.requested(company_rut, contract_rut, request_id)
            await uow.links.add(link)
        else:
            link = current.rerequested(contract_rut, request_id)
            await uow.links.update(link)
        event = IntegrationRequested(
            request_id=request_id,
            company_rut=company_rut,
            company_name=company.name,
            contract_rut=contract_rut,
        )
        await uow.stage([CloudEvent.wrap(event, subject=company_rut, correlation_id=request_id)])
        await uow.commit()
    return RequestResult(link, requested=True)


async def get(uow: UnitOfWork, company_rut: str) -> IntegrationLink:
    async with uow:
        if await uow.companies.get(company_rut) is None:
            raise NotFound(company_not_found_detail(company_rut))
        link = await uow.links.get(company_rut)
    if link is None:
        raise NotFound(not_requested_detail(company_rut))
    return link
