"""Integration requests from invoicing: the duplicate-RUT guard, approval and rejection."""

from datetime import UTC, datetime
from typing import Any

from accounting.domain.conflicts import CompanyRef, conflict_detail, unknown_contract_reason
from accounting.domain.integrations import RequestStatus
from accounting.service_layer.unit_of_work import Services, UnitOfWork
from shared.events import (
    IntegrationApproved,
    IntegrationConflicted,
    IntegrationConflictResolved,
    IntegrationRejected,
    IntegrationRequested,
)
from shared.http.problems import Conflict, NotFound, Unprocessable

DEFAULT_REJECTION = "The accountant rejected the integration request."


async def on_integration_requested(uow: UnitOfWork, event: IntegrationRequested,
                                   *, correlation_id: str | None = None) -> None:
    row = {
        "id": event.request_id,
        "contract_rut": event.contract_rut,
        "company_rut": event.company_rut,
        "company_name": event.company_name,
        "requested_at": datetime.now(UTC),
    }
    if await uow.repo.get_contract(event.contract_rut) is None:
        reason = unknown_contract_reason(event.contract_rut)
        if await uow.repo.add_request({**row, "status": RequestStatus.REJECTED, "detail": reason,
                                       "decided_at": row["requested_at"]}):
            uow.emit(IntegrationRejected(request_id=event.request_id,
                                         company_rut=event.company_rut,
                                         contract_rut=event.contract_rut, reason=reason),
                     subject=event.request_id, correlation_id=correlation_id)
        return
    detail = await _conflict(uow, event.contract_rut, event.company_rut)
    status = RequestStatus.CONFLICT if detail else RequestStatus.PENDING
    if await uow.repo.add_request({**row, "status": status, "detail": detail}) and detail:
        uow.emit(_conflicted(event.request_id, event.company_rut, event.contract_rut, detail),
                 subject=event.request_id, correlation_id=correlation_id)


async def reevaluate_conflicts(uow: UnitOfWork, contract_rut: str) -> None:
    """After a company is hidden or deleted: conflicts that are gone go back to pending."""
    for request in await uow.repo.list_requests(contract_rut, RequestStatus.CONFLICT, lock=True):
        if await _conflict(uow, contract_rut, request.company_rut) is None:
            await uow.repo.update_request(request.id, status=RequestStatus.PENDING, detail=None)
            uow.emit(IntegrationConflictResolved(request_id=request.id,
                                                 company_rut=request.company_rut,
                                                 contract_rut=contract_rut),
                     subject=request.id)


async def list_requests(services: Services, contract_rut: str,
                        status: RequestStatus | None) -> list[dict[str, Any]]:
    async with services.uow() as uow:
        if await uow.repo.get_contract(contract_rut) is None:
            raise NotFound(f"There is no contract with RUT {contract_rut}.")
        return [request_view(r) for r in await uow.repo.list_requests(contract_rut, status)]


async def approve(services: Services, request_id: str, company_id: str) -> dict[str, Any]:
    async with services.uow() as uow:
        request = await _request(uow, request_id)
        _must_be_open(request)
        if request.status == RequestStatus.CONFLICT:
            raise Conflict(request.detail or "The request is in conflict.",
                           title="Integration request in conflict")
        # The guard holds at approval too: a duplicate may have been created since.
        detail = await _conflict(uow, request.contract_rut, request.company_rut)
        if detail:
            await uow.repo.update_request(request_id, status=RequestStatus.CONFLICT, detail=detail)
            uow.emit(_conflicted(request_id, request.company_rut, request.contract_rut, detail),
                     subject=request_id)
            await uow.commit()
            raise Conflict(detail, title="Integration request in conflict")
        company = await uow.repo.get_company(company_id)
        problem = _unfit_company(company, company_id, request)
        if problem:
            raise Unprocessable(problem, errors=[{"field": "company_id", "message": problem}])
        now = datetime.now(UTC)
        await uow.repo.update_request(request_id, status=RequestStatus.APPROVED, detail=None,
                                      company_id=company_id, decided_at=now)
        await uow.repo.save_link(request.company_rut, company_id, request_id)
        uow.emit(IntegrationApproved(request_id=request_id, company_rut=request.company_rut,
                                     contract_rut=request.contract_rut,
                                     accounting_company_id=company_id),
                 subject=request_id)
        await uow.commit()
        return request_view(await uow.repo.get_request(request_id))


async def reject(services: Services, request_id: str, reason: str | None) -> dict[str, Any]:
    reason = reason or DEFAULT_REJECTION
    async with services.uow() as uow:
        request = await _request(uow, request_id)
        _must_be_open(request)
        await uow.repo.update_request(request_id, status=RequestStatus.REJECTED, detail=reason,
                                      decided_at=datetime.now(UTC))
        uow.emit(IntegrationRejected(request_id=request_id, company_rut=request.company_rut,
                                     contract_rut=request.contract_rut, reason=reason),
                 subject=request_id)
        await uow.commit()
        return request_view(await uow.repo.get_request(request_id))


def request_view(row: Any) -> dict[str, Any]:
    return {"id": row.id, "contract_rut": row.contract_rut, "company_rut": row.company_rut,
            "company_name": row.company_name, "status": row.status, "detail": row.detail,
            "company_id": row.company_id, "requested_at": row.requested_at,
            "decided_at": row.decided_at}


async def _request(uow: UnitOfWork, request_id: str):  # noqa: ANN202
    request = await uow.repo.get_request(request_id, lock=True)
    if request is None:
        raise NotFound(f"There is no integration request with id {request_id}.")
    return request


def _must_be_open(request: Any) -> None:
    if request.status in (RequestStatus.APPROVED, RequestStatus.REJECTED):
        raise Conflict(f"The integration request {request.id} was already {request.status}; "
                       "a decided request cannot change. Ask invoicing to request the "
                       "integration again if needed.", title="Integration request decided")


def _unfit_company(company: Any, company_id: str, request: Any) -> str | None:
    if company is None or company.contract_rut != request.contract_rut:
        return (f"Company {company_id} is not a company of contract {request.contract_rut}: "
                "choose one of the contract's companies.")
    if company.status != "active":
        return (f"Company '{company.name}' ({company_id}) is {company.status}: choose an "
                "active company.")
    if company.rut != request.company_rut:
        return (f"Company '{company.name}' has RUT {company.rut}, but the request is for RUT "
                f"{request.company_rut}: choose the company with RUT {request.company_rut} "
                "(create it in the contract if it does not exist).")
    return None


async def _conflict(uow: UnitOfWork, contract_rut: str, company_rut: str) -> str | None:
    active = await uow.repo.active_companies_with_rut(contract_rut, company_rut)
    if len(active) < 2:
        return None
    return conflict_detail(contract_rut, company_rut, [CompanyRef(c.id, c.name) for c in active])


def _conflicted(request_id: str, company_rut: str, contract_rut: str,
                detail: str) -> IntegrationConflicted:
    return IntegrationConflicted(request_id=request_id, company_rut=company_rut,
                                 contract_rut=contract_rut, detail=detail)
