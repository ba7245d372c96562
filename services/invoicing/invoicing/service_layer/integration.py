"""The company asks to be integrated with an accounting contract.

Asking again for the contract of a pending or approved current request makes no new
request: the same request is announced again (same id), which changes nothing in
accounting unless accounting lost it or its link, so asking again is how a company
repairs a link that went wrong. Asking for another contract makes a new current request
and withdraws the previous one if accounting still had it open; asking for the contract
the company is connected to makes that approved request current again.
"""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from invoicing.domain.companies import company_not_found_detail
from invoicing.domain.errors import NotFound
from invoicing.domain.integration import IntegrationLink, Withdrawal, not_requested_detail
from invoicing.service_layer.unit_of_work import UnitOfWork
from shared.events import CloudEvent, IntegrationRequested, IntegrationWithdrawn


@dataclass(frozen=True)
class RequestResult:
    link: IntegrationLink
    requested: bool  # False: no new request (already pending or approved for that contract)


async def request(uow: UnitOfWork, company_rut: str, contract_rut: str) -> RequestResult:
    async with uow:
        company = await uow.companies.get(company_rut, for_update=True)
        if company is None:
            raise NotFound(company_not_found_detail(company_rut))
        current = await uow.links.get(company_rut, for_update=True)
        new = current is None or current.needs_new_request(contract_rut)
        if current is None:
            link = IntegrationLink.requested(company_rut, contract_rut, str(uuid.uuid4()),
                                             datetime.now(UTC))
            await uow.links.add(link)
        elif not current.needs_new_request(contract_rut):
            link = (current if current.contract_rut == contract_rut
                    else current.back_to_connection(datetime.now(UTC)))
            if link != current:
                await uow.links.update(link)
        else:
            link = current.rerequested(contract_rut, str(uuid.uuid4()), datetime.now(UTC))
            await uow.links.update(link)
        events = [_announcement(link, company.name)]
        withdrawal = current.withdrawal_by(link) if current is not None else None
        if withdrawal is not None:
            events.insert(0, _withdrawn(withdrawal, link, company.name))
        await uow.stage(events)
        await uow.commit()
    return RequestResult(link, requested=new)


def _announcement(link: IntegrationLink, company_name: str) -> CloudEvent:
    event = IntegrationRequested(request_id=link.request_id, company_rut=link.company_rut,
                                 company_name=company_name, contract_rut=link.contract_rut,
                                 requested_at=link.requested_at)
    return CloudEvent.wrap(event, subject=link.company_rut, correlation_id=link.request_id)


def _withdrawn(withdrawal: Withdrawal, link: IntegrationLink, company_name: str) -> CloudEvent:
    event = IntegrationWithdrawn(
        request_id=withdrawal.request_id, company_rut=link.company_rut,
        company_name=company_name, contract_rut=withdrawal.contract_rut,
        current_request_id=link.request_id, current_contract_rut=link.contract_rut,
        connected_request_id=link.connection.request_id if link.connection else None)
    return CloudEvent.wrap(event, subject=link.company_rut, correlation_id=withdrawal.request_id)


async def get(uow: UnitOfWork, company_rut: str) -> IntegrationLink:
    async with uow:
        if await uow.companies.get(company_rut) is None:
            raise NotFound(company_not_found_detail(company_rut))
        link = await uow.links.get(company_rut)
    if link is None:
        raise NotFound(not_requested_detail(company_rut))
    return link
